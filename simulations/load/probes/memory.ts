/**
 * Memory per stored record, measured in a fresh process started with `--expose-gc`.
 *
 * Modes:
 * - `map`: a plain `Map<string, Uint8Array>`, the floor any JS store pays;
 * - `node`: `node.put()` on a REPRAM node with flat keys and a fresh Uint8Array per value;
 * - `http`: `PUT /v1/data/<key>` through the node's hono app (`app.request`), so the
 *   key is derived from the URL and the value comes out of the body reader, exactly as
 *   in production (minus the socket).
 *
 * Method: warm up with a few records, full GC, sample; insert `records` more; full GC,
 * sample. `heapUsed + external` covers V8 objects and ArrayBuffer backing stores
 * (`arrayBuffers` is part of `external`, so it is not added again). Per record =
 * delta / records; overhead = per record − (key UTF-8 bytes + value bytes).
 */
import { fileURLToPath, pathToFileURL } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { childConfig, serveChild } from '../lib/child-harness.js'
import { freshValue } from '../servers/common.js'

type RepramLib = typeof import('../../../src/index.js')

/** What the probe takes. */
export interface MemoryProbeConfig {
  mode: 'map' | 'node' | 'http'
  records: number
  valueSize: number
  from?: 'dist' | 'src'
}

/** What the probe reports. */
export interface MemoryProbeResult {
  mode: MemoryProbeConfig['mode']
  records: number
  valueSize: number
  keyBytes: number
  /** (heapUsed + external) delta per record. */
  perRecord: number
  /** perRecord − key − value. */
  overhead: number
  heapPerRecord: number
  externalPerRecord: number
  /** RSS delta per record (noisier; includes allocator slack and malloc'd backing-store headers). */
  rssPerRecord: number
  /** Records the store reports, as a check that every write landed. */
  stored: number
  insertMs: number
}

const WARMUP_RECORDS = 2000
const CONCURRENCY = 128

/** A realistic 16-byte key, as a flat (sequential) string like one parsed off the wire. */
function key (i: number): string {
  return Buffer.from(`bench/key/${String(i).padStart(6, '0')}`, 'latin1').toString('latin1')
}

async function fullGc (): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with --expose-gc')
  for (let i = 0; i < 3; i++) {
    gc()
    await sleep(50)
  }
}

function sample (): { heap: number, external: number, rss: number } {
  const m = process.memoryUsage()
  return { heap: m.heapUsed, external: m.external, rss: m.rss }
}

async function inBatches (from: number, to: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = from; i < to; i += CONCURRENCY) {
    const batch: Array<Promise<unknown>> = []
    for (let j = i; j < Math.min(to, i + CONCURRENCY); j++) batch.push(fn(j))
    await Promise.all(batch)
  }
}

serveChild<MemoryProbeResult>(async () => {
  const cfg = childConfig<MemoryProbeConfig>()
  let insert: (i: number) => Promise<unknown>
  let count: () => Promise<number>
  let keep: unknown

  if (cfg.mode === 'map') {
    const map = new Map<string, Uint8Array>()
    insert = async (i) => map.set(key(i), freshValue(cfg.valueSize, i))
    count = async () => map.size
    keep = map
  } else {
    const root = fileURLToPath(new URL('../../../', import.meta.url))
    const entry = (cfg.from ?? 'dist') === 'dist' ? `${root}dist/src/index.js` : `${root}src/index.ts`
    const lib = await import(pathToFileURL(entry).href) as RepramLib
    const init = { config: { profile: 'test', rateLimit: 0, logLevel: 'silent', maxStorageMb: 64 * 1024 }, network: false } as const
    const node = await lib.createRepramNode(init)
    count = async () => (await node.stats()).records
    keep = node
    if (cfg.mode === 'node') {
      insert = async (i) => await node.put(key(i), freshValue(cfg.valueSize, i), { ttl: 3600 })
    } else {
      const { app } = lib.createHttpApp(node)
      insert = async (i) => {
        const res = await app.request(`/v1/data/${key(i)}?ttl=3600`, { method: 'PUT', body: freshValue(cfg.valueSize, i), headers: { 'Content-Type': 'application/octet-stream' } })
        if (res.status !== 201) throw new Error(`PUT answered ${res.status}: ${await res.text()}`)
        await res.arrayBuffer()
      }
    }
  }

  // Warm up code paths and first-time allocations (JIT, metric label sets, pools).
  await inBatches(1_000_000, 1_000_000 + WARMUP_RECORDS, insert)
  await fullGc()
  const before = sample()
  const t0 = performance.now()
  await inBatches(0, cfg.records, insert)
  const insertMs = performance.now() - t0
  await fullGc()
  const after = sample()
  const stored = (await count()) - WARMUP_RECORDS
  void keep

  const n = cfg.records
  const keyBytes = key(0).length
  const heapPerRecord = (after.heap - before.heap) / n
  const externalPerRecord = (after.external - before.external) / n
  const perRecord = heapPerRecord + externalPerRecord
  return {
    mode: cfg.mode,
    records: n,
    valueSize: cfg.valueSize,
    keyBytes,
    perRecord,
    overhead: perRecord - keyBytes - cfg.valueSize,
    heapPerRecord,
    externalPerRecord,
    rssPerRecord: (after.rss - before.rss) / n,
    stored,
    insertMs
  }
})
