#!/usr/bin/env bash
# Installs the Debian packages the test suite drives, when missing: Chromium (the SDK's
# browser test), iproute2 (network namespaces), nftables (the NAT routers of the public
# network test), curl, script (bsdutils), unshare
# (util-linux) and systemd-analyze (the hardened unit check). Run by `npm test` (pretest)
# and by .ci/run, so `npm install && npm test` works on a fresh machine. Needs root and
# apt-get to install; otherwise it names what to install and fails.
set -uo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v script >/dev/null 2>&1 || need+=(bsdutils)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test: the suite needs these Debian packages: ${need[*]} (install them with: sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "test: installing ${need[*]} from Debian"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }; then
  echo "test: apt-get install ${need[*]} failed" >&2
  exit 1
fi
