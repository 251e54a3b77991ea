/**
 * The public network across NATs (issue 17), in network namespaces this test creates and
 * removes (root, iproute2 and nftables):
 *
 * ```
 *  "public" segment 198.20.100.0/24 (bridge in the relay's namespace)
 *    relay  198.20.100.1   bootstrap, DHT (auto: server once public), relay service (enclave "relay")
 *    nat1   198.20.100.2 ── LAN 192.168.1.0/24: h11 .11, h12 .12   (masquerade)
 *    nat2   198.20.100.3 ── LAN 192.168.2.0/24: h21 .11, h22 .12   (masquerade)
 * ```
 * The public segment uses 198.20.100.0/24, the first /24 above the benchmarking range
 * 198.18.0.0/15: ordinary unicast, so libp2p's `isPrivate` (which DCUtR, AutoNAT and
 * identify apply) calls it public, where it called the old 198.18.100.0/24 private. It is
 * someone's real address space, and no packet to it leaves the machine: the veths join only
 * namespaces this test creates (both ends are created inside them; none in the root
 * namespace), no namespace has a default route except LAN hosts (via their router), the
 * routers and the relay know only the public /24 and their LAN, and the test checks that
 * the root namespace gained no route or link and that 8.8.8.8 is unroutable from every
 * public-side namespace. The LANs stay private (192.168.x, as home LANs are).
 *
 * Each router masquerades its LAN behind its public address; nothing outside has a route
 * to a LAN, so a LAN host can reach the relay and nobody can reach a LAN host from outside
 * (the test checks both). The four
 * hosts (enclave "nat") are `repram start --profile public` processes given only the
 * relay's address. They find each other through the DHT rendezvous, reach the other LAN
 * through the relay (their /p2p-circuit addresses), and a write on one LAN is confirmed
 * (201) and read on the other. Hosts on the same LAN connect directly (asserted: with a
 * public relay, libp2p's default dial order put the relayed address first; REPRAM dials
 * direct addresses first, `directFirstSorter`).
 *
 * AutoNAT v2 (proven here): the relay's listen address is public to libp2p, a NATed host
 * dials it back, and the relay reports reachability `public`; the NATed hosts report
 * `private` (their only non-relayed addresses are 192.168.x).
 * DCUtR (proven NOT to upgrade, and why): js-libp2p's identify ignores every observed TCP
 * address (@libp2p/identify `maybeAddObservedAddress`, js-libp2p#2620: TCP dials cannot
 * reuse the listen port, so each connection reports another port), so a NATed node never
 * learns its public address; its DCUtR CONNECT carries only private addresses and the peer
 * answers "no dialable multiaddrs". The test asserts that this is what happens (DCUtR's own
 * log, `DEBUG=libp2p:dcutr`) and that the cross-NAT connections stay relayed
 * (`public_network.connections`): if a libp2p release fixes it, this test fails and says so.
 * Runs the built CLI (`npm run build` first: bin/repram.js → dist/src/cli/main.js).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir, stopAll, until } from './fixture.js'
import { Namespaces, run } from '../helpers/netns.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = join(ROOT, 'bin', 'repram.js')
const ID = randomBytes(2).toString('hex')
const ns = (name: string): string => `rpn${ID}${name}`
const canNetns = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0 && spawnSync('nft', ['--version']).status === 0
const spaces = new Namespaces(ns)

const inNs = (n: string, cmd: string, ...args: string[]): string => run('ip', ['netns', 'exec', n, cmd, ...args])

const addNs = (name: string): string => spaces.add(name)

/** A veth from `a` (named `aIf`, address `aAddr`) to `b` (named `bIf`, enslaved to `bridge` when given, else `bAddr`). */
function link (a: string, aIf: string, aAddr: string, b: string, bIf: string, bridge?: string, bAddr?: string): void {
  run('ip', ['link', 'add', aIf, 'netns', a, 'type', 'veth', 'peer', 'name', bIf, 'netns', b])
  run('ip', ['-n', a, 'addr', 'add', aAddr, 'dev', aIf])
  run('ip', ['-n', a, 'link', 'set', aIf, 'up'])
  if (bridge !== undefined) run('ip', ['-n', b, 'link', 'set', bIf, 'master', bridge])
  if (bAddr !== undefined) run('ip', ['-n', b, 'addr', 'add', bAddr, 'dev', bIf])
  run('ip', ['-n', b, 'link', 'set', bIf, 'up'])
}

function bridge (n: string, name: string, addr: string): void {
  run('ip', ['-n', n, 'link', 'add', name, 'type', 'bridge'])
  run('ip', ['-n', n, 'addr', 'add', addr, 'dev', name])
  run('ip', ['-n', n, 'link', 'set', name, 'up'])
}

/** Hosts per LAN: 2 (REPRAM_NAT_HOSTS_PER_LAN=5 measures the figure, 10 nodes behind two NATs). */
const PER_LAN = Math.max(1, Math.min(9, Number(process.env.REPRAM_NAT_HOSTS_PER_LAN ?? 2)))
/** Extra `repram start` flags for the hosts, for experiments (e.g. `--max-candidates-per-range 64`). */
const EXTRA = (process.env.REPRAM_NAT_EXTRA_ARGS ?? '').split(/\s+/).filter(a => a !== '')
const HOSTS: Array<readonly [string, number, number]> = [1, 2].flatMap(lan => Array.from({ length: PER_LAN }, (_, i) => [`h${lan}${i + 1}`, lan, 11 + i] as const))
/** The "public" /24: public to libp2p (not in its private list), reachable only inside the test's namespaces. */
const PUB = '198.20.100'
const lanNet = (lan: number): string => `192.168.${lan}`
const hostAddr = (lan: number, h: number): string => `${lanNet(lan)}.${h}`

function buildNetwork (): void {
  const relay = addNs('r')
  bridge(relay, 'pub', `${PUB}.1/24`)
  for (const lan of [1, 2]) {
    const nat = addNs(`n${lan}`)
    // The router's public leg on the relay's segment, its LAN bridge, forwarding, and masquerade
    // out of the public leg. Nothing outside has a route to a LAN: only replies come in.
    link(nat, 'wan', `${PUB}.${lan + 1}/24`, relay, `rp${ID}w${lan}`, 'pub')
    bridge(nat, 'lan', `${lanNet(lan)}.1/24`)
    inNs(nat, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
    inNs(nat, 'nft', [
      'add table ip nat;',
      'add chain ip nat post { type nat hook postrouting priority 100; };',
      `add rule ip nat post ip saddr ${lanNet(lan)}.0/24 oifname "wan" masquerade`
    ].join(' '))
  }
  for (const [name, lan, h] of HOSTS) {
    const host = addNs(name)
    link(host, 'eth0', `${hostAddr(lan, h)}/24`, ns(`n${lan}`), `rp${ID}${name}`, 'lan')
    run('ip', ['-n', host, 'route', 'add', 'default', 'via', `${lanNet(lan)}.1`])
  }
}

const deleteNetwork = (): void => spaces.deleteAll()

interface Proc { child: ChildProcess, ns: string, url: string, id: string, p2p: string[], out: string }
const procs: Proc[] = []

async function startNode (nsName: string, ip: string, args: string[], debug?: string): Promise<Proc> {
  const child = spawn('ip', ['netns', 'exec', nsName, process.execPath, BIN, 'start', '--profile', 'public', '--listen', `/ip4/${ip}/tcp/9090`, '--http-host', ip, '--http-port', '8080',
    '--data-dir', tempDir(), '--log-level', 'warn', '--rate-limit', '0', '--min-ttl', '1', '--ping-interval', '300ms', '--write-timeout', '3s', '--drain-timeout', '1s',
    '--dht-private-addresses', 'true', '--rendezvous-interval', '1s', '--inbound-connection-rate', '100', ...args],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REPRAM_') && k !== 'DEBUG')), ...(debug !== undefined ? { DEBUG: debug } : {}) } })
  const p: Proc = { child, ns: nsName, url: `http://${ip}:8080`, id: '', p2p: [], out: '' }
  procs.push(p)
  child.stdout?.on('data', (b: Buffer) => { p.out += b.toString() })
  child.stderr?.on('data', (b: Buffer) => { p.out += b.toString() })
  await until(() => {
    if (child.exitCode !== null) throw new Error(`repram start exited ${child.exitCode}: ${p.out}`)
    p.p2p = [...p.out.matchAll(/^p2p (\S+)$/gm)].map(m => m[1])
    p.id = /^node id (\S+)$/m.exec(p.out)?.[1] ?? ''
    // A node whose only listen address is public prints none (libp2p announces it once AutoNAT verifies it).
    return /listening on http/.test(p.out) && p.id !== ''
  }, { timeoutMs: 60_000, what: `repram start in ${nsName}` })
  return p
}

async function stopNode (p: Proc): Promise<void> {
  if (p.child.exitCode !== null) return
  const exited = new Promise(resolve => p.child.once('exit', resolve))
  p.child.kill('SIGTERM')
  await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 5000))])
  if (p.child.exitCode === null) p.child.kill('SIGKILL')
}

function http (p: Proc, method: string, path: string, body?: string): { status: number, body: string } {
  const r = spawnSync('ip', ['netns', 'exec', p.ns, 'curl', '-s', '-m', '10', '-o', '-', '-w', '\n%{http_code}', '-X', method, ...(body !== undefined ? ['--data-binary', body] : []), `${p.url}${path}`], { encoding: 'utf8' })
  const lines = (r.stdout ?? '').split('\n')
  const status = Number(lines.pop())
  return { status, body: lines.join('\n') }
}

const json = <T>(p: Proc, path: string): T => JSON.parse(http(p, 'GET', path).body) as T

describe('nodes behind two NATs, given only a public bootstrap-and-relay node', () => {
  beforeAll(() => {
    if (!canNetns) throw new Error('this test needs root, `ip netns` (iproute2) and nft (nftables): run it as root, as CI does (test/system-deps.sh installs them)')
    const rootRoutes = run('ip', ['route', 'show', 'table', 'all'])
    buildNetwork()
    // Nothing of the test network is in the root namespace, and nothing routes out of it.
    const before = new Set(rootRoutes.split('\n'))
    expect(run('ip', ['route', 'show', 'table', 'all']).split('\n').filter(l => !before.has(l) && (l.includes(PUB) || l.includes(lanNet(1)) || l.includes(lanNet(2))))).toEqual([])
    // By name: the bare ID could also match a number in the listing (mtu 1500, qlen 1000).
    expect(run('ip', ['-o', 'link', 'show']).split('\n').map(l => l.split(': ')[1]?.split('@')[0] ?? '').filter(n => n.startsWith(`rp${ID}`))).toEqual([])
    for (const n of ['r', 'n1', 'n2']) expect(spawnSync('ip', ['-n', ns(n), 'route', 'get', '8.8.8.8']).status).not.toBe(0)
  })
  afterAll(async () => {
    await Promise.all(procs.splice(0).map(async p => await stopNode(p)))
    deleteNetwork()
    await stopAll()
  })

  it('find each other through the DHT, connect through the relay, and a write on one LAN reaches the other with 201', async () => {
    const tRelay = Date.now()
    // Every node runs the DHT in auto mode (the public profile's default): kad-dht's own switch.
    const relay = await startNode(ns('r'), `${PUB}.1`, ['--enclave', 'relay', '--dht-mode', 'auto', '--relay-server', 'true', '--relay-client', 'false'])
    type PublicStatus = { public_network: { reachability: string, dht_mode: string | null, relay_addresses: string[], relay_reservations: number, connections: { direct: number, relayed: number } } }
    // Its listen address is public to libp2p and nobody has dialled it back yet: unknown (AutoNAT decides).
    const relayStart = json<PublicStatus>(relay, '/v1/status').public_network
    const relayStartReach = relayStart.reachability
    // No verified public address yet (the self peer record holds verified addresses only): a DHT client.
    expect(relayStart.dht_mode).toBe('client')
    // Not announced yet (no p2p line): libp2p announces a public listen address once AutoNAT verifies it.
    expect(relay.p2p).toEqual([])
    const boot = `/ip4/${PUB}.1/tcp/9090/p2p/${relay.id}`
    // The network is what it claims: a LAN host reaches the relay; nothing reaches a LAN host from outside.
    const reach = (from: string, url: string): number => Number(spawnSync('ip', ['netns', 'exec', ns(from), 'curl', '-s', '-m', '1', '-o', '/dev/null', '-w', '%{http_code}', url], { encoding: 'utf8' }).stdout)
    expect(reach('h11', `${relay.url}/v1/health`)).toBe(200)
    const t0 = Date.now()
    const hosts = await Promise.all(HOSTS.map(async ([name, lan, h]) => await startNode(ns(name), hostAddr(lan, h), ['--enclave', 'nat', '--dht-mode', 'auto', '--peers', boot, ...EXTRA], 'libp2p:dcutr')))
    // AutoNAT v2: a NATed host that connects dials the relay's address back (through its NAT: an
    // outbound connection), and one successful dial-back verifies a listen address.
    await until(() => json<PublicStatus>(relay, '/v1/status').public_network.reachability === 'public', { timeoutMs: 20_000, intervalMs: 100, what: 'AutoNAT to verify the relay\'s public address' })
    const publicMs = Date.now() - tRelay
    // kad-dht's auto mode follows self:peer:update: the verified public address makes the relay a DHT server.
    await until(() => json<PublicStatus>(relay, '/v1/status').public_network.dht_mode === 'server', { timeoutMs: 5_000, intervalMs: 50, what: 'the relay\'s DHT to switch to server mode' })
    console.log(`nat: relay DHT mode client at start, server ${Date.now() - tRelay} ms after its start, ${Date.now() - tRelay - publicMs} ms after AutoNAT said public (auto mode)`)
    console.log(`nat: relay reachability ${relayStartReach} at start, public ${publicMs} ms after its start, ${Date.now() - t0} ms after the NATed hosts were started (AutoNAT v2 dial-back from a NATed host)`)
    expect(relayStartReach).toBe('unknown')
    await until(() => hosts.every(p => {
      const t = http(p, 'GET', '/v1/topology')
      return t.status === 200 && (JSON.parse(t.body) as { peers: unknown[] }).peers.length === hosts.length - 1
    }), { timeoutMs: 90_000, intervalMs: 250, what: 'the hosts behind two NATs to form one enclave' }).catch((err: Error) => {
      // What each host had reached, for the failure message.
      const seen = hosts.map(p => {
        const st = json<{ peers: number, public_network?: { relay_addresses: string[] } }>(p, '/v1/status')
        const m = http(p, 'GET', '/v1/metrics').body.split('\n').filter(l => /^repram_(membership_candidates_total|rendezvous_rounds_total)\{/.test(l) && !/ 0$/.test(l)).map(l => l.replace(/^repram_/, '')).join(' ')
        return `${p.ns.slice(-3)}: ${st.peers} peers, ${st.public_network?.relay_addresses.length ?? 0} relay addrs; ${m}`
      })
      throw new Error(`${err.message}\n${seen.join('\n')}`)
    })
    const formedMs = Date.now() - t0
    expect(reach('r', `${hosts[0].url}/v1/health`)).toBe(0)
    expect(reach('h21', `${hosts[0].url}/v1/health`)).toBe(0)
    if (PER_LAN > 1) expect(reach('h12', `${hosts[0].url}/v1/health`)).toBe(200)
    console.log(`nat: ${hosts.length} nodes behind 2 NATs formed one enclave from one bootstrap address in ${formedMs} ms`)

    // Each host holds a reservation on the relay and advertises it; the relay is no member.
    const relayStatus = json<PublicStatus>(relay, '/v1/status')
    expect(relayStatus.public_network.relay_reservations).toBe(hosts.length)
    for (const p of hosts) {
      const s = json<PublicStatus>(p, '/v1/status')
      expect(s.public_network.relay_addresses.some(a => a.includes(`${boot}/p2p-circuit`))).toBe(true)
      // Behind a NAT: only 192.168.x and relayed addresses, and no observed address (identify drops TCP ones).
      expect(s.public_network.reachability).toBe('private')
      // Auto mode with no verified public address: the NATed hosts stay DHT clients.
      expect(s.public_network.dht_mode).toBe('client')
    }
    expect(json<PublicStatus>(relay, '/v1/status').public_network.dht_mode).toBe('server')
    expect(json<PublicStatus>(relay, '/v1/status').public_network.reachability).toBe('public')

    // DCUtR: each relayed connection between the LANs triggers an upgrade attempt, which ends with
    // no public address to dial: js-libp2p's identify ignores observed TCP addresses, so a NATed
    // node's CONNECT lists only its private LAN address (or nothing). Wait for an attempt on every
    // cross-NAT pair to end so, then check the pairs are still relayed (no direct connection).
        const dcutrNoAddress = /libp2p:dcutr .*(B sent no multiaddrs|B had no dialable multiaddrs|A did not have any dialable multiaddrs)/
    const dcutrDirect = /libp2p:dcutr .*(DCUtR to \S+ succeeded|unilateral connection upgrade to \S+ succeeded)/
    const tDcutr = Date.now()
    const dcutrLines = (): string[] => hosts.flatMap(p => p.out.split('\n').filter(l => l.includes('libp2p:dcutr')).map(l => `${p.ns.slice(-3)} ${l.replace(/^\S+\s+/, '')}`))
    // At least one ended attempt per pair of hosts behind different NATs (each makes 3).
    await until(() => dcutrLines().filter(l => dcutrNoAddress.test(l) || dcutrDirect.test(l)).length >= PER_LAN * PER_LAN,
      { timeoutMs: 20_000, intervalMs: 100, what: 'DCUtR attempts on the relayed connections to end' })
    const kinds = (p: Proc): Record<string, string> => Object.fromEntries(json<{ peers: Array<{ id: string, connection: string }> }>(p, '/v1/topology').peers.map(x => [x.id, x.connection]))
    const crossKinds = hosts.flatMap((p, i) => hosts.filter((_, j) => (j < PER_LAN) !== (i < PER_LAN)).map(q => kinds(p)[q.id]))
    const sameKinds = hosts.flatMap((p, i) => hosts.filter((_, j) => j !== i && (j < PER_LAN) === (i < PER_LAN)).map(q => kinds(p)[q.id]))
    const lines = dcutrLines()
    console.log(`nat: DCUtR after ${Date.now() - tDcutr} ms: cross-NAT connections ${JSON.stringify(crossKinds)}, same-LAN ${JSON.stringify(sameKinds)}; ` +
      `${lines.filter(l => dcutrNoAddress.test(l)).length} attempts ended with no public address, ${lines.filter(l => dcutrDirect.test(l)).length} upgrades\n  ${lines.filter(l => dcutrNoAddress.test(l) || dcutrDirect.test(l)).slice(0, 4).join('\n  ')}`)
    expect(lines.some(l => dcutrDirect.test(l))).toBe(false)
    expect(crossKinds.every(k => k === 'relayed')).toBe(true)
    if (PER_LAN > 1) expect(sameKinds.every(k => k === 'direct')).toBe(true)
    for (const p of hosts) expect(json<PublicStatus>(p, '/v1/status').public_network.connections.relayed).toBeGreaterThanOrEqual(PER_LAN)
    expect(json<{ peers: unknown[] }>(relay, '/v1/topology').peers).toEqual([])

    const relayBytes = (): number => {
      const text = http(relay, 'GET', '/v1/metrics').body
      return [...text.matchAll(/^libp2p_data_transfer_bytes_total\{[^}]*\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/gm)].reduce((n, m) => n + Number(m[1]), 0)
    }
    const before = relayBytes()
    const N = 10
    for (let i = 0; i < N; i++) {
      const put = http(hosts[0], 'PUT', `/v1/data/nat/k${i}?ttl=60`, `written behind nat1 #${i}`)
      expect(put.status).toBe(201)
    }
    const after = relayBytes()
    if (before > 0) console.log(`nat: ~${Math.round((after - before) / N)} bytes through the relay per write (${N} writes of ~25 bytes, ${hosts.length}-node enclave; everything the relay carried meanwhile, both directions, DHT rendezvous and pings included)`)
    // Read on the other LAN.
    for (const p of hosts.slice(PER_LAN)) {
      await until(() => http(p, 'GET', '/v1/data/nat/k0').body === 'written behind nat1 #0', { intervalMs: 100, what: `the write on ${p.ns}` })
    }
    // And the other way.
    expect(http(hosts[hosts.length - 1], 'PUT', '/v1/data/nat/back?ttl=60', 'from nat2').status).toBe(201)
    await until(() => http(hosts[0], 'GET', '/v1/data/nat/back').body === 'from nat2', { intervalMs: 100, what: 'the write from nat2 on nat1' })
  }, 150_000)
})
