/**
 * One node of the `cluster` benchmark: `createRepramNode` with networking (TCP on
 * 127.0.0.1, noise, yamux, gossipsub; replication 3 by default), no rate limit, warn
 * logs, its HTTP API on 127.0.0.1:0. It records when each remote `lag/…` record is
 * stored here (`record:stored`, same machine clock as the parent) and hands the
 * arrivals over on `call('arrivals')`. Loads `dist/` by default, `src/` with `from: 'src'`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { childConfig, serveChild } from '../lib/child-harness.js'

type RepramLib = typeof import('../../../src/index.js')

/** What the parent passes. */
export interface ClusterNodeConfig {
  /** Bootstrap multiaddrs (empty for the first node). */
  peers: string[]
  from?: 'dist' | 'src'
  /** Load another checkout's build (its `dist/`), to compare commits in one session. */
  libRoot?: string
  /** Config fields over the benchmark's own (e.g. `{ gossipD: 4 }`). */
  extra?: Record<string, unknown>
}

/** The `ready` payload. */
export interface ClusterNodeReady {
  url: string
  addrs: string[]
}

/** Wall clock shared by parent and children on one machine (ms). */
const now = (): number => performance.timeOrigin + performance.now()

const arrivals = new Map<string, number>()
let stop: (() => Promise<void>) | undefined

serveChild<ClusterNodeReady>(async () => {
  const cfg = childConfig<ClusterNodeConfig>()
  const root = cfg.libRoot === undefined ? fileURLToPath(new URL('../../../', import.meta.url)) : cfg.libRoot.replace(/\/?$/, '/')
  const entry = (cfg.from ?? 'dist') === 'dist' ? `${root}dist/src/index.js` : `${root}src/index.ts`
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`)
  const lib = await import(pathToFileURL(entry).href) as RepramLib
  const dataDir = mkdtempSync(join(tmpdir(), 'repram-bench-'))
  const node = await lib.createRepramNode({
    network: true,
    // 2 GiB: far above what a run writes, and within 1.5 × of the default heap (no start-up warning).
    config: { listen: ['/ip4/127.0.0.1/tcp/0'], peers: cfg.peers, mdns: false, dataDir, rateLimit: 0, logLevel: 'warn', maxStorageMb: 2048, ...cfg.extra }
  })
  node.on('record:stored', e => {
    if (e.origin === 'remote' && e.key.startsWith('lag/')) arrivals.set(e.key, now())
  })
  const server = await lib.startHttpServer(node, { port: 0, host: '127.0.0.1' })
  stop = async () => {
    await server.close()
    await node.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
  return { url: server.url, addrs: node.networkInfo().addresses }
}, async () => { await stop?.() }, {
  arrivals: () => [...arrivals]
})
