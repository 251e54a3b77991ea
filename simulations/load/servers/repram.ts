/**
 * A REPRAM node under load: `createRepramNode` (test profile, no rate limit, silent
 * logs, room for every write of the run) plus `startHttpServer` on 127.0.0.1:0.
 * Loads the built library (`dist/`) by default, for realistic speed; `from: 'src'`
 * runs the TypeScript sources through tsx instead. Preloaded values go in through
 * `node.put` as fresh Uint8Arrays, as the HTTP body reader would hand them over.
 */
import { fileURLToPath, pathToFileURL } from 'node:url'
import { existsSync } from 'node:fs'
import { childConfig, serveChild } from '../lib/child-harness.js'
import { freshValue, preloadKey, type ServerConfig, type ServerReady } from './common.js'

type RepramLib = typeof import('../../../src/index.js')

/** Capacity for the run: far above what a few 10 s PUT phases can write. */
const MAX_STORAGE_MB = 64 * 1024
/** Writes in flight while preloading (well below nact's limits). */
const PRELOAD_CONCURRENCY = 256

let stop: (() => Promise<void>) | undefined

serveChild<ServerReady>(async () => {
  const cfg = childConfig<ServerConfig>()
  const from = cfg.from ?? 'dist'
  const root = cfg.libRoot === undefined ? fileURLToPath(new URL('../../../', import.meta.url)) : cfg.libRoot.replace(/\/?$/, '/')
  const entry = from === 'dist' ? `${root}dist/src/index.js` : `${root}src/index.ts`
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`)
  const lib = await import(pathToFileURL(entry).href) as RepramLib
  // `network: false`: a single node, whatever the profile's default (a non-literal, so it also works before the field exists).
  const init = { config: { profile: 'test', rateLimit: 0, logLevel: 'silent', maxStorageMb: MAX_STORAGE_MB }, network: false } as const
  const node = await lib.createRepramNode(init)
  for (let i = 0; i < cfg.preloadKeys; i += PRELOAD_CONCURRENCY) {
    const batch: Array<Promise<unknown>> = []
    for (let j = i; j < Math.min(cfg.preloadKeys, i + PRELOAD_CONCURRENCY); j++) {
      batch.push(node.put(preloadKey(cfg.keyPrefix, j), freshValue(cfg.valueSize, j), { ttl: 3600 }))
    }
    await Promise.all(batch)
  }
  const server = await lib.startHttpServer(node, { host: '127.0.0.1', port: 0 })
  stop = async () => { await server.close(); await node.stop() }
  return { port: server.port, label: `repram ${lib.VERSION} (${from})` }
}, async () => { await stop?.() })
