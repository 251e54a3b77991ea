/**
 * A simulated network spread over worker threads: node i lives in shard i mod W, each
 * shard a {@link SimCluster} in its own thread (see shard-worker.ts), so N nodes use W
 * cores instead of one. The main thread drives the scenario: it starts and stops nodes,
 * writes and reads through calls to the shards, cuts and heals the network, and tracks
 * every write's arrival on every node from the shards' reports. Links between shards
 * carry the same latency and loss as links within one (simnet.ts).
 */
import { Worker, MessageChannel, type MessagePort } from 'node:worker_threads'
import { performance as perf, type EventLoopUtilization } from 'node:perf_hooks'
import { validateConfig, profileDefaults, type RepramConfig } from '../../src/config.js'
import { compareWrites } from '../../src/record.js'
import { SIM_PROFILE, type GossipCounters, type SimClusterInit, type TrackedWrite } from './cluster.js'
import type { ShardCalls, ShardEvent, ShardInit } from './shard-worker.js'
import { rng } from './stats.js'

/** A node of the network as the main thread knows it. */
export interface NodeRef {
  index: number
  name: string
  peerId: string
  shard: number
  alive: boolean
}

/** Garbage collection and event-loop delay of one thread over a phase, ms. */
export interface ThreadStats {
  pauses: number
  totalMs: number
  maxMs: number
  /** How late the 10 ms probe ran (p50, p99, max). */
  loopDelayMs: { p50: number, p99: number, max: number }
  /** Event-loop stalls of ≥ 100 ms: [when it ended (epoch ms), length ms]. */
  stalls: Array<[number, number]>
  /** The phase these figures cover, ms. */
  windowMs: number
  /**
   * The 10 ms probe: how many ran 1 ms to 100 ms late, and their mean lateness. A probe
   * due at a random moment of a busy stretch of length L runs L/2 late on average: the
   * loop's ordinary busy stretches are ~2 × `lateMeanMs` long.
   */
  probes: { late: number, lateMeanMs: number }
}

/** Options of a sharded network. */
export interface ShardedInit extends Omit<SimClusterInit, 'remote' | 'onStored'> {
  /** Worker threads (shards). @default 1 */
  workers?: number
}

class Shard {
  private nextId = 0
  private failed: Error | undefined
  private readonly pending = new Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>()

  constructor (readonly index: number, readonly worker: Worker, onStored: (items: Array<[string, string, number]>) => void) {
    worker.on('message', (m: ShardEvent) => {
      if (m.t === 'stored') { onStored(m.items); return }
      const p = this.pending.get(m.id)
      this.pending.delete(m.id)
      if (m.ok) p?.resolve(m.value)
      else p?.reject(new Error(m.error))
    })
    worker.on('error', (err) => this.fail(err))
    worker.on('exit', (code) => this.fail(new Error(`simulation shard ${index} exited (code ${code})`)))
  }

  private fail (err: Error): void {
    this.failed = err
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  async call<K extends keyof ShardCalls>(op: K, args: ShardCalls[K], transfer: Array<MessagePort | ArrayBuffer> = []): Promise<any> {
    if (this.failed !== undefined) throw this.failed
    const id = this.nextId++
    return await new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.worker.postMessage({ id, op, args }, transfer as any)
    })
  }
}

/** N real nodes over W worker threads. */
export class ShardedCluster {
  readonly config: RepramConfig
  readonly random: () => number
  readonly nodes: NodeRef[] = []
  readonly writes = new Map<string, TrackedWrite>()
  /** Arrivals reported before their write was registered (writeId → name → time). */
  private readonly early = new Map<string, Map<string, number>>()
  private readonly shards: Shard[] = []
  private readonly runId = Math.random().toString(36).slice(2, 8)
  private counter = 0

  private constructor (readonly init: ShardedInit) {
    this.random = rng(init.seed ?? 1)
    this.config = validateConfig({ ...profileDefaults('test'), ...SIM_PROFILE, ...init.config })
  }

  /** Starts the worker threads and connects every pair of them. */
  static async create (init: ShardedInit = {}): Promise<ShardedCluster> {
    const c = new ShardedCluster(init)
    const w = Math.max(1, Math.floor(init.workers ?? 1))
    const { workers: _, ...cluster } = init
    for (let i = 0; i < w; i++) {
      const shardInit: ShardInit = { shard: i, shards: w, cluster }
      const worker = new Worker(new URL('./shard-boot.mjs', import.meta.url), { workerData: { init: shardInit } })
      c.shards.push(new Shard(i, worker, items => c.onStored(items)))
    }
    const ports: Array<Record<number, MessagePort>> = c.shards.map(() => ({}))
    for (let i = 0; i < w; i++) {
      for (let j = i + 1; j < w; j++) {
        const ch = new MessageChannel()
        ports[i][j] = ch.port1
        ports[j][i] = ch.port2
      }
    }
    try {
      await Promise.all(c.shards.map(async (s, i) => await s.call('ports', { ports: ports[i] }, Object.values(ports[i]))))
    } catch (err) {
      await Promise.all(c.shards.map(async s => await s.worker.terminate()))
      throw err
    }
    return c
  }

  get workers (): number {
    return this.shards.length
  }

  get live (): NodeRef[] {
    return this.nodes.filter(n => n.alive)
  }

  private onStored (items: Array<[string, string, number]>): void {
    for (const [name, writeId, at] of items) {
      const t = at - perf.timeOrigin
      const w = this.writes.get(writeId)
      if (w !== undefined) {
        if (!w.arrivals.has(name)) w.arrivals.set(name, t)
        continue
      }
      let e = this.early.get(writeId)
      if (e === undefined) { e = new Map(); this.early.set(writeId, e) }
      if (!e.has(name)) e.set(name, t)
    }
  }

  /** Starts `n` nodes: node 0 is the seed, the others bootstrap from it and two random earlier nodes. */
  async start (n: number, onProgress?: (started: number) => void): Promise<void> {
    const first = await this.addNode([])
    onProgress?.(1)
    const wave = 10
    for (let i = 1; i < n; i += wave) {
      const k = Math.min(wave, n - i)
      await Promise.all(Array.from({ length: k }, async () => {
        const live = this.live
        const seeds = [first, live[Math.floor(this.random() * live.length)], live[Math.floor(this.random() * live.length)]]
        await this.addNode(seeds.filter((x, j, a) => a.indexOf(x) === j))
      }))
      onProgress?.(this.nodes.length)
    }
  }

  /** Starts one node (in shard index mod W) bootstrapping from `seeds`. */
  async addNode (seeds: NodeRef[]): Promise<NodeRef> {
    const index = this.counter++
    const name = `sim-${this.runId}-${index}`
    const shard = index % this.shards.length
    const ref: NodeRef = { index, name, peerId: '', shard, alive: false }
    this.nodes.push(ref)
    const { peerId } = await this.shards[shard].call('add', { index, name, seeds: seeds.map(s => ({ name: s.name, peerId: s.peerId })) })
    ref.peerId = peerId
    ref.alive = true
    return ref
  }

  async stopNode (ref: NodeRef, graceful: boolean): Promise<void> {
    if (!ref.alive) return
    ref.alive = false
    await this.shards[ref.shard].call('stop', { name: ref.name, graceful })
  }

  /** Writes on `ref` and tracks the write network-wide. */
  async put (ref: NodeRef, key: string, value: Uint8Array, ttl: number): Promise<TrackedWrite | undefined> {
    let r: { writeId: string, createdAt: number, expiresAt: number, t0: number } | undefined
    try {
      r = await this.shards[ref.shard].call('put', { name: ref.name, key, value, ttl })
    } catch {
      return undefined
    }
    if (r === undefined) return undefined
    const arrivals = this.early.get(r.writeId) ?? new Map<string, number>()
    this.early.delete(r.writeId)
    const w: TrackedWrite = { key, writeId: r.writeId, createdAt: r.createdAt, expiresAt: r.expiresAt, t0: r.t0 - perf.timeOrigin, writer: ref.name, arrivals }
    this.writes.set(w.writeId, w)
    return w
  }

  async get (ref: NodeRef, key: string, opts: { local?: boolean } = {}): Promise<{ writeId: string, expiresAt: number } | undefined> {
    return await this.shards[ref.shard].call('get', { name: ref.name, key, local: opts.local })
  }

  /** The fewest members any live node counts. */
  async minTopology (): Promise<number> {
    const all: number[][] = await Promise.all(this.shards.map(async s => await s.call('topology', {})))
    return Math.min(...all.flat())
  }

  async partition (a: NodeRef[], b: NodeRef[]): Promise<void> {
    const args = { a: a.map(x => x.name), b: b.map(x => x.name) }
    await Promise.all(this.shards.map(async s => await s.call('cut', args)))
  }

  async heal (): Promise<void> {
    await Promise.all(this.shards.map(async s => await s.call('heal', {})))
  }

  /** Gossip counters and bytes sent, summed over shards. */
  async counters (): Promise<{ gossip: GossipCounters, bytes: number }> {
    const all: Array<{ gossip: GossipCounters, bytes: number }> = await Promise.all(this.shards.map(async s => await s.call('counters', {})))
    const gossip = { ...all[0].gossip }
    for (const x of all.slice(1)) for (const k of Object.keys(gossip) as Array<keyof GossipCounters>) gossip[k] += x.gossip[k]
    return { gossip, bytes: all.reduce((n, x) => n + x.bytes, 0) }
  }

  /** Event-loop utilisation marks of every shard (see {@link busy}). */
  eluMark (): EventLoopUtilization[] {
    return this.shards.map(s => s.worker.performance.eventLoopUtilization())
  }

  /** Busy fraction of each shard since `mark`. */
  busy (mark: EventLoopUtilization[]): number[] {
    return this.shards.map((s, i) => s.worker.performance.eventLoopUtilization(mark[i]).utilization)
  }

  /** Per key, the last-writer-wins winner among tracked writes still live `marginMs` from now. */
  expected (marginMs: number): Map<string, TrackedWrite> {
    const best = new Map<string, TrackedWrite>()
    for (const w of this.writes.values()) {
      const b = best.get(w.key)
      if (b === undefined || compareWrites(w, b) > 0) best.set(w.key, w)
    }
    const now = Date.now()
    for (const [k, w] of best) if (w.expiresAt <= now + marginMs) best.delete(k)
    return best
  }

  /** Per live node, expected records it does not hold or holds an older winner of. */
  async missing (expected: Map<string, TrackedWrite>): Promise<{ missing: number, checked: number, wrongWinner: number }> {
    const args = { expected: [...expected].map(([k, w]) => [k, w.writeId] as [string, string]) }
    const all: Array<{ missing: number, checked: number, wrongWinner: number }> = await Promise.all(this.shards.map(async s => await s.call('missing', args)))
    return all.reduce((a, x) => ({ missing: a.missing + x.missing, checked: a.checked + x.checked, wrongWinner: a.wrongWinner + x.wrongWinner }), { missing: 0, checked: 0, wrongWinner: 0 })
  }

  /** The writeId each live node holds for `key` (local reads). */
  async held (key: string): Promise<Array<string | undefined>> {
    const all: Array<Array<string | undefined>> = await Promise.all(this.shards.map(async s => await s.call('held', { key })))
    return all.flat()
  }

  /** GC pauses and event-loop delay per thread since the last reset (`reset` starts counting anew). */
  async gc (reset = false): Promise<ThreadStats[]> {
    return await Promise.all(this.shards.map(async s => await s.call('gc', { reset })))
  }

  /** Starts the CPU profiler of every thread; {@link profileStop} writes `<prefix>-<shard>.cpuprofile`. */
  async profileStart (): Promise<void> {
    await Promise.all(this.shards.map(async s => await s.call('profile', {})))
  }

  async profileStop (prefix: string): Promise<void> {
    await Promise.all(this.shards.map(async (s, i) => await s.call('profile', { file: `${prefix}-${i}.cpuprofile` })))
  }

  /** Stops every node and every worker thread. */
  async stopAll (): Promise<void> {
    for (const n of this.nodes) n.alive = false
    await Promise.all(this.shards.map(async s => await s.call('stopAll', {}).catch(() => {})))
    await Promise.all(this.shards.map(async s => await s.worker.terminate()))
  }
}
