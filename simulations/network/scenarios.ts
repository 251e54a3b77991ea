/**
 * Scenarios of the real-node simulation. Every scenario runs the same skeleton:
 * start N nodes and wait for full membership; measure an idle window (background
 * traffic: pings, announces, heartbeats, sync); write at `rate` writes/s from random
 * nodes for `duration` s while reading expiring records on random nodes; then wait for
 * every write to reach every node and check that every live node holds every live
 * winner. Scenario hooks add churn, a partition, lossy links or a hot key.
 */
import { performance as perf } from 'node:perf_hooks'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { mkdir, writeFile } from 'node:fs/promises'
import type { TrackedWrite } from './cluster.js'
import { ShardedCluster, type NodeRef, type ThreadStats } from './shards.js'
import { summarize, type Summary } from './stats.js'

export const SCENARIOS = ['steady', 'churn', 'partition', 'lossy', 'hotkey'] as const
export type ScenarioName = typeof SCENARIOS[number]

/** Parameters of one run. */
export interface RunParams {
  scenario: ScenarioName
  nodes: number
  /** Writes per second (whole cluster). */
  rate: number
  /** Seconds of writes. */
  duration: number
  valueBytes: number
  /** Fraction of writes with a short TTL (they expire during the run: stale-read probes). */
  shortTtlFraction: number
  shortTtl: number
  longTtl: number
  /** Reads per second on random nodes. */
  readRate: number
  latencyMs: number
  jitterMs: number
  loss: number
  lossMode: 'tcp' | 'drop'
  /** Partition length, s (partition scenario). */
  partitionS: number
  /** Seconds between churn events (churn scenario). */
  churnEvery: number
  /** Concurrent writers of the hot key per round (hotkey scenario). */
  hotWriters: number
  seed: number
  /** Config overrides (cluster fields). */
  config: Record<string, unknown>
  /** Worker threads the nodes are spread over (0: one per 25 nodes, at most two per core). */
  workers: number
  /** Seconds of unmeasured writes at `rate` before the idle window (JIT and heap warm-up). */
  warmupS: number
}

export const DEFAULT_PARAMS: Omit<RunParams, 'scenario' | 'nodes'> = {
  rate: 10,
  duration: 30,
  valueBytes: 256,
  shortTtlFraction: 0.3,
  shortTtl: 2,
  longTtl: 300,
  readRate: 20,
  latencyMs: 5,
  jitterMs: 5,
  loss: 0.01,
  lossMode: 'tcp',
  partitionS: 10,
  churnEvery: 5,
  hotWriters: 8,
  seed: 1,
  config: {},
  workers: 0,
  warmupS: 5
}

/** What a run measured. */
export interface RunResult {
  params: RunParams
  startupMs: number
  membershipMs: number
  /** Time from put() to the last eligible node, per write that reached all of them. */
  propagation: Summary
  /** Every (write, node) delivery delay, ms: the CDF. */
  deliveries: number[]
  writes: number
  /** Writes that did not reach every eligible node before the drain deadline. */
  undelivered: number
  gossipMessagesPerWrite: number
  bytesPerWrite: number
  idleBytesPerNodePerSec: number
  idleMessagesPerSec: number
  /** Event-loop utilisation of the busiest thread in the idle window (background: pings, heartbeats, sync, announces). */
  idleElu: number
  /** Bytes sent per node per second during the write phase (all traffic). */
  bytesPerNodePerSec: number
  ihavePerWrite: number
  iwantPerWrite: number
  /** After heal (partition) or churn: ms from heal to the last partition-era delivery. */
  convergenceMs?: number
  /** Fraction of partition-era (write, node) pairs delivered vs ms after heal. */
  convergenceCurve?: Array<[number, number]>
  /** Hot key: ms from the last hot write until every node holds the winner. */
  hotConvergenceMs?: number
  reads: number
  staleReads: number
  /** Reads whose record expired while the read was in flight (not stale: it was live when asked). */
  expiredInFlight: number
  missing: number
  wrongWinner: number
  checked: number
  /** Event-loop utilisation during writes of the busiest worker thread (1 = its core is saturated). */
  elu: number
  /** Worker threads (shards) the nodes ran in. */
  workers: number
  /** Garbage collection and event-loop delay during writes, per thread (ms). */
  gc: ThreadStats[]
  /** The same per thread over the idle window (background only). */
  idleThreads?: ThreadStats[]
  cpuSeconds: number
  wallMs: number
  notes: string[]
}

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** Runs one scenario at one size. `log` gets progress lines. */
export async function runScenario (p: RunParams, log: (s: string) => void, signal?: AbortSignal): Promise<RunResult> {
  const tStart = perf.now()
  const cpu0 = process.cpuUsage()
  const notes: string[] = []
  const workers = p.workers > 0 ? p.workers : defaultWorkers(p.nodes)
  const cluster = await ShardedCluster.create({
    config: p.config as any,
    latencyMs: p.latencyMs,
    jitterMs: p.jitterMs,
    loss: p.scenario === 'lossy' ? p.loss : 0,
    lossMode: p.lossMode,
    seed: p.seed,
    workers
  })
  const random = cluster.random
  const enc = new Uint8Array(p.valueBytes)
  try {
    await cluster.start(p.nodes, n => { if (n % 25 === 0 || n === p.nodes) log(`started ${n}/${p.nodes} nodes in ${workers} worker thread${workers === 1 ? '' : 's'}`) })
    const startupMs = perf.now() - tStart
    const tm = perf.now()
    let lastLog = 0
    // Ready when every node knows its active view's worth of members (with a partial view
    // a node need not know every member to take part: gossip reaches it through the mesh;
    // the rest it learns from announces within memberTtl/3).
    const k = cluster.config.activePeers
    const ready = k > 0 ? Math.min(p.nodes - 1, k) : p.nodes - 1
    for (;;) {
      const min = await cluster.minTopology()
      if (min >= ready) break
      if (perf.now() - lastLog > 5000) { lastLog = perf.now(); log(`membership: every node sees ≥ ${min}/${ready} peers`) }
      if (perf.now() - tm > 120_000) { notes.push(`membership incomplete after 120 s (min ${min}/${ready})`); break }
      signal?.throwIfAborted()
      await sleep(200)
    }
    const membershipMs = perf.now() - tm
    log(`membership complete in ${(membershipMs / 1000).toFixed(1)} s; settling`)
    // Let the mesh and the active views settle: each node prunes the connections it opened
    // outside its view on its ping ticks, and a pruned mesh link costs in-flight messages.
    const settleFrom = perf.now()
    // Warm-up: unmeasured writes at the run's rate. The idle phase runs none of the write
    // path, so without it the first seconds of writes run cold (interpreted code, a heap
    // sized for idling) and a long-running node never does.
    if (p.warmupS > 0) {
      const warm: Array<Promise<unknown>> = []
      const n = Math.round(p.warmupS * p.rate)
      for (let i = 0; i < n; i++) {
        const live = cluster.live
        const ttl = random() < p.shortTtlFraction ? p.shortTtl : p.longTtl
        warm.push(cluster.put(live[Math.floor(random() * live.length)], `warm/${i}`, enc, ttl).catch(() => undefined))
        await sleep(1000 / p.rate)
        signal?.throwIfAborted()
      }
      await Promise.all(warm)
      log(`warm-up: ${n} unmeasured writes in ${p.warmupS} s`)
    }
    await sleep(Math.max(0, 2 * cluster.config.pingIntervalMs - (perf.now() - settleFrom)))
    await settle(cluster, log, signal)

    // Idle window: background traffic.
    const idleS = 5
    const ci = await cluster.counters()
    const idleMark = cluster.eluMark()
    await cluster.gc(true)
    await sleep(idleS * 1000)
    const idleElu = Math.max(...cluster.busy(idleMark))
    const ce = await cluster.counters()
    const idleBytes = (ce.bytes - ci.bytes) / idleS
    const idleMsgs = (ce.gossip.messages - ci.gossip.messages) / idleS
    const idleIhave = (ce.gossip.ihave - ci.gossip.ihave) / idleS
    const idleIwant = (ce.gossip.iwant - ci.gossip.iwant) / idleS
    log(`idle: ${Math.round(idleBytes / p.nodes)} B/s per node, ${Math.round(idleMsgs)} gossip transmissions/s, cpu ${(idleElu * 100).toFixed(0)}%`)

    // Write phase.
    const c0 = await cluster.counters()
    const g0 = c0.gossip
    const b0 = c0.bytes
    // SIM_CPUPROFILE=<dir>: a V8 CPU profile of each worker thread during the writes.
    const profileDir = process.env.SIM_CPUPROFILE
    if (profileDir !== undefined && profileDir !== '') { await mkdir(profileDir, { recursive: true }); await cluster.profileStart() }
    const idleThreads = await cluster.gc(true)
    const elu0 = cluster.eluMark()
    let elu = cluster.eluMark()
    const tw0 = perf.now()
    const pending: Array<Promise<unknown>> = []
    const regular = new Set<string>()
    const hot = new Set<string>()
    /** writeId → nodes eligible (alive from the write to the end). */
    const aliveAt = new Map<string, Set<string>>()
    let partitionEra: string[] = []
    let healAt: number | undefined
    let healWall = 0
    let lastHotAt = 0
    let reads = 0
    let stale = 0
    let inFlight = 0
    let writesIssued = 0
    let side: [NodeRef[], NodeRef[]] | undefined

    const doWrite = (key: string, short: boolean, kind: 'regular' | 'hot', on?: NodeRef): void => {
      const live = cluster.live
      const node = on ?? live[Math.floor(random() * live.length)]
      const ttl = short ? p.shortTtl : p.longTtl
      writesIssued++
      const names = new Set(live.map(n => n.name))
      pending.push(cluster.put(node, key, enc, ttl).then((w) => {
        if (w === undefined) return
        ;(kind === 'hot' ? hot : regular).add(w.writeId)
        aliveAt.set(w.writeId, names)
        if (side !== undefined && healAt === undefined) partitionEra.push(w.writeId)
      }))
    }

    const readOnce = async (): Promise<void> => {
      const live = cluster.live
      const node = live[Math.floor(random() * live.length)]
      // Probe keys around their expiry: short-TTL writes that expired or are about to.
      const now = Date.now()
      const cands: TrackedWrite[] = []
      for (const w of cluster.writes.values()) if (w.expiresAt > 0 && w.expiresAt - now < 500 && now - w.expiresAt < 3000) cands.push(w)
      const pool = cands.length > 0 ? cands : [...cluster.writes.values()]
      if (pool.length === 0) return
      const w = pool[Math.floor(random() * pool.length)]
      const asked = Date.now()
      try {
        const rec = await cluster.get(node, w.key)
        reads++
        if (rec !== undefined) {
          if (rec.expiresAt <= asked) stale++
          else if (rec.expiresAt <= Date.now()) inFlight++
        }
      } catch {}
    }

    const period = 1000 / p.rate
    const readPeriod = p.readRate > 0 ? 1000 / p.readRate : Infinity
    let nextWrite = perf.now()
    let nextRead = perf.now()
    let nextChurn = perf.now() + p.churnEvery * 1000
    let nextHot = perf.now() + 1000
    let nextLog = perf.now() + 5000
    const partAt = tw0 + Math.min(5000, p.duration * 250)
    const end = tw0 + p.duration * 1000
    let seq = 0
    while (perf.now() < end) {
      signal?.throwIfAborted()
      const now = perf.now()
      while (nextWrite <= now) {
        nextWrite += period
        seq++
        doWrite(`sim/${seq}`, random() < p.shortTtlFraction, 'regular')
      }
      while (nextRead <= now) { nextRead += readPeriod; void readOnce() }
      if (p.scenario === 'hotkey' && nextHot <= now) {
        nextHot += 1000
        // Many writers of one key in the same instant.
        const live = cluster.live
        for (let i = 0; i < Math.min(p.hotWriters, live.length); i++) doWrite('hot/key', false, 'hot', live[Math.floor(random() * live.length)])
        lastHotAt = perf.now()
      }
      if (p.scenario === 'churn' && nextChurn <= now && now < end - 3000) {
        nextChurn += p.churnEvery * 1000
        const live = cluster.live
        const victim = live[1 + Math.floor(random() * (live.length - 1))]
        const graceful = random() < 0.5
        log(`churn: ${graceful ? 'stopping' : 'crashing'} ${victim.name}, starting a new node`)
        void cluster.stopNode(victim, graceful)
        const seeds = cluster.live.filter(n => n !== victim)
        void cluster.addNode([seeds[Math.floor(random() * seeds.length)], seeds[Math.floor(random() * seeds.length)]])
      }
      if (p.scenario === 'partition' && side === undefined && now >= partAt) {
        const live = cluster.live
        const half = Math.floor(live.length / 2)
        side = [live.slice(0, half), live.slice(half)]
        await cluster.partition(side[0], side[1])
        log(`partition: ${side[0].length} | ${side[1].length} nodes for ${p.partitionS} s`)
      }
      if (p.scenario === 'partition' && side !== undefined && healAt === undefined && now >= partAt + p.partitionS * 1000) {
        await cluster.heal()
        healAt = perf.now()
        healWall = Date.now()
        log(`healed after ${p.partitionS} s (${partitionEra.length} writes during the partition)`)
      }
      if (now >= nextLog) {
        nextLog += 5000
        const done = [...regular, ...hot].filter(id => (cluster.writes.get(id)?.arrivals.size ?? 0) >= cluster.live.length).length
        const busy = cluster.busy(elu)
        elu = cluster.eluMark()
        log(`t=${((now - tw0) / 1000).toFixed(0)}s writes=${writesIssued} fully-replicated=${done} reads=${reads} stale=${stale} cpu=${busy.map(u => `${(u * 100).toFixed(0)}%`).join('/')}`)
      }
      await sleep(Math.max(1, Math.min(nextWrite, nextRead) - perf.now()))
    }
    if (p.scenario === 'partition' && healAt === undefined) {
      await cluster.heal()
      healAt = perf.now()
      healWall = Date.now()
      notes.push('the partition outlasted the write phase: healed at its end')
    }
    await Promise.all(pending)
    if (profileDir !== undefined && profileDir !== '') await cluster.profileStop(join(profileDir, `${p.scenario}-${p.nodes}`))
    const writePhaseS = (perf.now() - tw0) / 1000
    const busyW = cluster.busy(elu0)
    const gcW = await cluster.gc()
    const eluW = Math.max(...busyW)
    const cW = await cluster.counters()
    const gW = cW.gossip
    const bW = cW.bytes

    // Drain: wait until every regular write reached every eligible node.
    const eligible = (w: TrackedWrite): string[] => {
      const at = aliveAt.get(w.writeId) ?? new Set<string>()
      return cluster.live.filter(n => at.has(n.name)).map(n => n.name)
    }
    const drainDeadline = perf.now() + (p.scenario === 'partition' || p.scenario === 'churn' ? 60_000 : 20_000)
    for (;;) {
      // A write that expired before reaching a node never will (and must not).
      const now = Date.now()
      const waiting = [...regular].filter(id => { const w = cluster.writes.get(id)!; return w.expiresAt > now && eligible(w).some(n => !w.arrivals.has(n)) })
      if (waiting.length === 0 || perf.now() > drainDeadline) break
      signal?.throwIfAborted()
      await sleep(250)
    }
    // Reads continue a little after the writes: short-TTL records expire now.
    for (let i = 0; i < Math.min(40, p.readRate * 2); i++) { await readOnce(); await sleep(50) }

    const deliveries: number[] = []
    const reach: number[] = []
    let undelivered = 0
    let expiredBeforeDelivery = 0
    const checkedAt = Date.now()
    // SIM_DUMP=<file>: every measured write's arrival time at each node (ms after put()).
    const dump = process.env.SIM_DUMP
    if (dump !== undefined && dump !== '') {
      const writes = [...regular].map(id => {
        const w = cluster.writes.get(id)!
        return { t0: w.t0, writer: w.writer, arrivals: Object.fromEntries([...w.arrivals].map(([n, t]) => [n, t - w.t0])) }
      })
      await writeFile(dump, JSON.stringify({ timeOrigin: perf.timeOrigin, writes }))
    }
    for (const id of regular) {
      const w = cluster.writes.get(id)!
      const el = eligible(w)
      let max = 0
      let all = true
      for (const n of el) {
        const t = w.arrivals.get(n)
        if (t === undefined) { all = false; continue }
        deliveries.push(t - w.t0)
        max = Math.max(max, t - w.t0)
      }
      if (all) reach.push(max)
      else if (w.expiresAt <= checkedAt) expiredBeforeDelivery++
      else undelivered++
    }
    if (expiredBeforeDelivery > 0) notes.push(`${expiredBeforeDelivery} short-TTL writes expired before they reached every node (written on one side of the partition or to a node that left): not counted as undelivered`)
    // Propagation excludes writes made during a partition (they wait for the heal by design).
    const era = new Set(partitionEra)
    const reachConnected: number[] = []
    for (const id of regular) {
      if (era.has(id)) continue
      const w = cluster.writes.get(id)!
      const el = eligible(w)
      if (el.every(n => w.arrivals.has(n))) reachConnected.push(Math.max(...el.map(n => w.arrivals.get(n)! - w.t0)))
    }

    let convergenceMs: number | undefined
    let convergenceCurve: Array<[number, number]> | undefined
    if (healAt !== undefined) {
      const times: number[] = []
      let total = 0
      // Writes still live two sync rounds after the heal: those expiring sooner need not arrive.
      const horizon = healWall + 2 * cluster.config.syncIntervalMs
      for (const id of partitionEra) {
        const w = cluster.writes.get(id)
        if (w === undefined || !regular.has(id) || w.expiresAt <= horizon) continue
        for (const n of eligible(w)) {
          total++
          const t = w.arrivals.get(n)
          times.push(t === undefined ? Infinity : Math.max(0, t - healAt))
        }
      }
      times.sort((a, b) => a - b)
      convergenceMs = times.length === 0 ? 0 : times[times.length - 1]
      convergenceCurve = times.filter(Number.isFinite).map((t, i) => [t, (i + 1) / Math.max(1, total)] as [number, number]).filter((_, i, a) => i % Math.max(1, Math.floor(a.length / 200)) === 0 || i === a.length - 1)
    }

    let hotConvergenceMs: number | undefined
    if (p.scenario === 'hotkey' && hot.size > 0) {
      const t0h = perf.now()
      for (;;) {
        const exp = cluster.expected(0).get('hot/key')
        if (exp === undefined) break
        const held = await cluster.held('hot/key')
        if (held.every(id => id === exp.writeId)) break
        if (perf.now() - t0h > 30_000) { notes.push('hot key: nodes still disagree after 30 s'); break }
        await sleep(100)
      }
      hotConvergenceMs = perf.now() - lastHotAt
    }

    // Missing after convergence: every live node must hold every live winner.
    let check = await cluster.missing(cluster.expected(3000))
    const tc = perf.now()
    while ((check.missing > 0 || check.wrongWinner > 0) && perf.now() - tc < 30_000) {
      log(`convergence check: ${check.missing} missing, ${check.wrongWinner} older winners; waiting for anti-entropy`)
      await sleep(2000)
      check = await cluster.missing(cluster.expected(3000))
    }
    if (perf.now() - tc > 0 && check.missing === 0 && check.wrongWinner === 0 && perf.now() - tc > 100) notes.push(`the final check needed ${((perf.now() - tc) / 1000).toFixed(1)} s more of anti-entropy`)

    const nw = regular.size + hot.size
    // Transmissions of write-carrying messages only: background traffic (announces come
    // in bursts, as nodes that started together announce together) is not subtracted.
    const netMsgs = gW.writeMessages - g0.writeMessages
    const netBytes = (bW - b0) - idleBytes * writePhaseS
    const result: RunResult = {
      params: p,
      startupMs,
      membershipMs,
      propagation: summarize(p.scenario === 'partition' ? reachConnected : reach),
      deliveries,
      writes: nw,
      undelivered,
      gossipMessagesPerWrite: netMsgs / Math.max(1, nw),
      bytesPerWrite: netBytes / Math.max(1, nw),
      idleBytesPerNodePerSec: idleBytes / p.nodes,
      idleMessagesPerSec: idleMsgs,
      idleElu,
      bytesPerNodePerSec: (bW - b0) / writePhaseS / p.nodes,
      ihavePerWrite: ((gW.ihave - g0.ihave) - idleIhave * writePhaseS) / Math.max(1, nw),
      iwantPerWrite: ((gW.iwant - g0.iwant) - idleIwant * writePhaseS) / Math.max(1, nw),
      convergenceMs,
      convergenceCurve,
      hotConvergenceMs,
      reads,
      staleReads: stale,
      expiredInFlight: inFlight,
      missing: check.missing,
      wrongWinner: check.wrongWinner,
      checked: check.checked,
      elu: eluW,
      workers,
      gc: gcW,
      idleThreads,
      cpuSeconds: 0,
      wallMs: 0,
      notes
    }
    notes.push(`GC during the writes, per thread: ${gcW.map(g => `${g.pauses} pauses, ${Math.round(g.totalMs)} ms, longest ${Math.round(g.maxMs)} ms`).join('; ')}`)
    notes.push(`event-loop stalls of ≥ 100 ms during the writes, per thread: ${gcW.map(g => g.stalls.length === 0 ? 'none' : `${g.stalls.length}, longest ${Math.round(Math.max(...g.stalls.map(x => x[1])))} ms`).join('; ')}`)
    notes.push(`event-loop delay during the writes (how late a 10 ms timer ran), per thread p50 / p99 / max: ${gcW.map(g => `${Math.round(g.loopDelayMs.p50)} / ${Math.round(g.loopDelayMs.p99)} / ${Math.round(g.loopDelayMs.max)} ms`).join('; ')}`)
    if (eluW > 0.9) notes.push(`a worker thread was CPU-bound during writes (event loops ${busyW.map(u => `${(u * 100).toFixed(0)}%`).join('/')} busy): latencies include queueing for the core its nodes share`)
    const cpu = process.cpuUsage(cpu0)
    result.cpuSeconds = (cpu.user + cpu.system) / 1e6
    result.wallMs = perf.now() - tStart
    return result
  } finally {
    await cluster.stopAll()
  }
}

/**
 * Worker threads for `nodes` nodes by default: one per 25 nodes, at most two per core.
 * More threads than cores on purpose: each thread is a V8 heap, and a major GC of a heap
 * that 50 nodes share stalls all of them for 200–700 ms (at 100 nodes on 2 cores, 2
 * threads: 6–46 stalls ≥ 100 ms per thread per minute, p99 0.61–1.27 s in 4 runs; 4
 * threads: 5–12, p99 0.39–0.68 s in 4 runs); while one thread collects, the OS runs another.
 */
export function defaultWorkers (nodes: number, cores = availableParallelism()): number {
  return Math.max(1, Math.min(2 * cores, Math.ceil(nodes / 25)))
}

/** Waits until every worker's event loop is mostly idle again (start-up storms), at most 30 s. */
async function settle (cluster: ShardedCluster, log: (s: string) => void, signal?: AbortSignal): Promise<void> {
  const t0 = perf.now()
  for (;;) {
    const e0 = cluster.eluMark()
    await sleep(2000)
    const u = Math.max(...cluster.busy(e0))
    if (u < 0.6 || perf.now() - t0 > 30_000) {
      log(`settled (cpu ${(u * 100).toFixed(0)}%)`)
      return
    }
    signal?.throwIfAborted()
  }
}

export function percentileRow (s: Summary): string {
  return `${s.p50.toFixed(0)} / ${s.p99.toFixed(0)} / ${s.max.toFixed(0)}`
}
