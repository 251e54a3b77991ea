/**
 * One shard of a simulated network: a {@link SimCluster} in a worker thread, hosting the
 * nodes the main thread assigns to it. Its simnet reaches the other shards over
 * MessagePorts (one per pair of shards, handed over by the main thread), and it answers
 * the main thread's calls (start a node, write, read, cut, counters…). Every record
 * stored on one of its nodes is reported to the main thread, batched per event-loop turn,
 * with an absolute timestamp (`performance.timeOrigin + performance.now()`), so arrival
 * times from different threads compare.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { Session } from 'node:inspector/promises'
import { PerformanceObserver, createHistogram } from 'node:perf_hooks'
import { writeFile } from 'node:fs/promises'
import { SimCluster, type SeedRef, type SimClusterInit, type SimNode } from './cluster.js'
import type { ShardWire } from './simnet.js'
import type { ThreadStats } from './shards.js'

/** What the main thread passes to a shard at start. */
export interface ShardInit {
  shard: number
  shards: number
  cluster: Omit<SimClusterInit, 'remote' | 'onStored'>
}

/** Calls the main thread makes (op → args). */
export interface ShardCalls {
  ports: { ports: Record<number, MessagePort> }
  add: { index: number, name: string, seeds: SeedRef[] }
  stop: { name: string, graceful: boolean }
  put: { name: string, key: string, value: Uint8Array, ttl: number }
  get: { name: string, key: string, local?: boolean }
  topology: Record<string, never>
  cut: { a: string[], b: string[] }
  heal: Record<string, never>
  counters: Record<string, never>
  missing: { expected: Array<[string, string]> }
  held: { key: string }
  /** Starts the V8 CPU profiler of this thread, or stops it and writes the profile to `file`. */
  profile: { file?: string }
  /** Garbage-collection pauses and event-loop delay of this thread since the last reset (`reset` starts anew). */
  gc: { reset?: boolean }
  stopAll: Record<string, never>
}

/** Messages from a shard to the main thread. */
export type ShardEvent =
  | { t: 'reply', id: number, ok: true, value: unknown }
  | { t: 'reply', id: number, ok: false, error: string }
  | { t: 'stored', items: Array<[string, string, number]> }

const abs = (t: number): number => performance.timeOrigin + t

/** The stall probe's period, ms. */
const STALL_PROBE_MS = 10
/** A probe this late (ms) or later marks a stall of the thread's event loop. */
export const STALL_MS = 100

async function main (): Promise<void> {
  const port = parentPort
  if (port === null) throw new Error('shard-worker runs in a worker thread')
  const init = workerData.init as ShardInit
  const peers = new Map<number, MessagePort>()
  let stored: Array<[string, string, number]> = []
  const cluster = new SimCluster({
    ...init.cluster,
    remote: {
      self: init.shard,
      shards: init.shards,
      send: (to, batch, transfer) => peers.get(to)?.postMessage(batch, transfer)
    },
    onStored: (name, writeId, at) => {
      if (stored.length === 0) setImmediate(() => { port.postMessage({ t: 'stored', items: stored } satisfies ShardEvent); stored = [] })
      stored.push([name, writeId, abs(at)])
    }
  })
  const gc = { pauses: 0, totalMs: 0, maxMs: 0 }
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) { gc.pauses++; gc.totalMs += e.duration; gc.maxMs = Math.max(gc.maxMs, e.duration) }
  }).observe({ entryTypes: ['gc'] })
  // One probe, a 10 ms timer, and how late it runs: what any callback waits for the loop.
  // Every lateness goes to the histogram (µs); ≥ STALL_MS is a stall (when it ended, how
  // long); 1 ms to STALL_MS tells how long the loop's ordinary busy stretches last.
  const lateness = createHistogram()
  let stalls: Array<[number, number]> = []
  let late = { n: 0, sumMs: 0 }
  let since = performance.now()
  let tick = since
  setInterval(() => {
    const now = performance.now()
    const ms = now - tick - STALL_PROBE_MS
    lateness.record(Math.max(1, Math.round(ms * 1000)))
    if (ms >= STALL_MS) stalls.push([abs(now), ms])
    else if (ms >= 1) { late.n++; late.sumMs += ms }
    tick = now
  }, STALL_PROBE_MS).unref()
  const byName = new Map<string, SimNode>()
  let profiler: Session | undefined
  const node = (name: string): SimNode => {
    const n = byName.get(name)
    if (n === undefined) throw new Error(`no node ${name} in shard ${init.shard}`)
    return n
  }

  const calls: { [K in keyof ShardCalls]: (a: ShardCalls[K]) => Promise<unknown> | unknown } = {
    ports: ({ ports }) => {
      for (const [k, p] of Object.entries(ports)) {
        const from = Number(k)
        peers.set(from, p)
        p.on('message', (batch: ShardWire[]) => cluster.net.receive(from, batch))
      }
    },
    add: async ({ index, name, seeds }) => {
      const n = await cluster.addNode(seeds, { index, name })
      byName.set(name, n)
      return { peerId: n.libp2p.peerId.toString() }
    },
    stop: async ({ name, graceful }) => { await cluster.stopNode(node(name), graceful) },
    put: async ({ name, key, value, ttl }) => {
      const t0 = performance.now()
      const w = await cluster.put(node(name), key, value, ttl)
      if (w === undefined) return undefined
      // The tracked write is local to this shard; the main thread keeps the network-wide one.
      cluster.writes.delete(w.writeId)
      return { writeId: w.writeId, createdAt: w.createdAt, expiresAt: w.expiresAt, t0: abs(t0) }
    },
    get: async ({ name, key, local }) => {
      const r = await node(name).node.get(key, local === true ? { local: true } : undefined)
      return r === undefined ? undefined : { writeId: r.writeId, expiresAt: r.expiresAt }
    },
    topology: () => cluster.live.map(n => n.node.topology().length),
    cut: ({ a, b }) => { cluster.net.cut(a, b) },
    heal: () => { cluster.net.heal() },
    counters: () => ({ gossip: cluster.gossip, bytes: cluster.net.totalBytes() }),
    missing: async ({ expected }) => await cluster.missing(new Map(expected.map(([key, writeId]) => [key, { writeId }]))),
    held: async ({ key }) => await Promise.all(cluster.live.map(async n => (await n.node.get(key, { local: true }))?.writeId)),
    profile: async ({ file }) => {
      if (file === undefined) {
        profiler = new Session()
        profiler.connect()
        await profiler.post('Profiler.enable')
        await profiler.post('Profiler.start')
        return
      }
      if (profiler === undefined) return
      const { profile } = await profiler.post('Profiler.stop')
      profiler.disconnect()
      profiler = undefined
      await writeFile(file, JSON.stringify(profile))
    },
    gc: ({ reset }) => {
      const ms = (us: number): number => lateness.count > 0 ? us / 1000 : 0
      const now = performance.now()
      const out: ThreadStats = { ...gc, loopDelayMs: { p50: ms(lateness.percentile(50)), p99: ms(lateness.percentile(99)), max: ms(lateness.max) }, stalls, windowMs: now - since, probes: { late: late.n, lateMeanMs: late.n > 0 ? late.sumMs / late.n : 0 } }
      if (reset === true) { gc.pauses = 0; gc.totalMs = 0; gc.maxMs = 0; lateness.reset(); stalls = []; late = { n: 0, sumMs: 0 }; since = now }
      return out
    },
    stopAll: async () => {
      await cluster.stopAll()
      for (const p of peers.values()) p.close()
    }
  }

  port.on('message', (m: { id: number, op: keyof ShardCalls, args: any }) => {
    Promise.resolve()
      .then(async () => await (calls[m.op] as (a: unknown) => unknown)(m.args))
      .then(
        value => port.postMessage({ t: 'reply', id: m.id, ok: true, value } satisfies ShardEvent),
        (err: Error) => port.postMessage({ t: 'reply', id: m.id, ok: false, error: err?.message ?? String(err) } satisfies ShardEvent)
      )
  })
}

await main()
