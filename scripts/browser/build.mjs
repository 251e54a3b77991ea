/**
 * Bundles a browser page that embeds a REPRAM node with the `repram()` service (issue 17
 * §3): esbuild for the browser platform, with the Node built-ins the node touches mapped
 * to small browser shims (`shims/`: sha256 and Ed25519 verification from @noble, random
 * bytes from WebCrypto, an EventEmitter, `setImmediate`, timers with `unref()`, a
 * resource-less `process`), and the standalone node's own libp2p assembly
 * (`src/net/libp2p.ts`, `src/net/identity.ts`: TCP, mDNS, identity files) left out.
 * The page builds its own libp2p node (WebSockets, noise, yamux, identify, ping,
 * gossipsub) and adds `repram({ config, logger })` to its services. docs/public-network.md.
 *
 * @example
 * import { buildBrowserNode } from './scripts/browser/build.mjs'
 * await buildBrowserNode({ entry: 'page.ts', outfile: 'dist/page.js' })
 */
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const shim = (name) => fileURLToPath(new URL(`./shims/${name}.mjs`, import.meta.url))

/** Node built-in (with or without `node:`) → browser shim. */
const BUILTINS = {
  crypto: shim('crypto'),
  events: shim('events'),
  module: fileURLToPath(new URL('./shims/module.cjs', import.meta.url)),
  process: shim('process'),
  assert: fileURLToPath(new URL('./shims/assert.cjs', import.meta.url)),
  buffer: 'buffer'
}
for (const m of ['fs', 'fs/promises', 'os', 'path', 'v8', 'util', 'cluster', 'http', 'https', 'zlib', 'url', 'perf_hooks', 'worker_threads', 'tty', 'stream', 'string_decoder', 'dgram', 'net']) BUILTINS[m] = shim('misc')

/** The esbuild plugin: built-ins to shims, pino-pretty out, the standalone libp2p assembly out. */
export const repramBrowserPlugin = {
  name: 'repram-browser',
  setup (b) {
    b.onResolve({ filter: /^(node:)?[a-z0-9_/]+$/ }, args => {
      const name = args.path.replace(/^node:/, '')
      const target = BUILTINS[name]
      if (target === undefined) return undefined
      if (target === 'buffer') return undefined
      return { path: target }
    })
    b.onResolve({ filter: /^pino-pretty$/ }, () => ({ path: shim('pino-pretty') }))
    b.onResolve({ filter: /^\.\/(libp2p|identity)\.js$/ }, args => args.importer.includes('/src/net/') ? { path: shim('empty') } : undefined)
  }
}

/** Builds `entry` into `outfile` (ESM, browser), with the shims injected. Returns esbuild's metafile. */
export async function buildBrowserNode ({ entry, outfile, minify = false }) {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile,
    minify,
    metafile: true,
    logLevel: 'error',
    inject: [shim('globals')],
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [repramBrowserPlugin]
  })
  return r.metafile
}
