/**
 * Maps a real-node run onto model parameters (same N, rate, value size, latency,
 * gossipsub and REPRAM settings, the run's worker threads as shared CPUs) and states the
 * validation tolerance.
 */
import type { RunResult } from '../network/scenarios.js'
import { DEFAULT_MODEL, type ModelParams, type ModelResult } from './model.js'
import { quantile } from '../network/stats.js'
import { SIM_PROFILE } from '../network/cluster.js'
import { meshDegrees } from '../../src/net/libp2p.js'
import { announceIntervalMs } from '../../actors/membership/index.js'

export interface Calibration { cpuPerMsgMs: number }

/**
 * CPU cost per gossip transmission in a simulation worker thread, from the smallest run:
 * the busy time the writes added to the idle background (event-loop utilisation during
 * the writes minus that of the idle window) divided by one thread's share of the
 * write-carrying transmissions. The IHAVE, IWANT and forwarding work around each
 * transmission is folded into that cost.
 */
export function calibrate (runs: RunResult[]): Calibration {
  const r = [...runs].sort((a, b) => a.params.nodes - b.params.nodes)[0]
  const perSec = r.gossipMessagesPerWrite * r.params.rate / Math.max(1, r.workers ?? 1)
  const added = r.elu - (r.idleElu ?? 0)
  return { cpuPerMsgMs: perSec > 0 && added > 0 ? Math.min(5, added * 1000 / perSec) : DEFAULT_MODEL.cpuPerMsgMs }
}

/** Model parameters matching a real run. */
export function modelParamsFor (r: RunResult, cal: Calibration): Partial<ModelParams> {
  const p = r.params
  // The cluster config of the run: the simulation profile with the run's overrides.
  const c = { ...SIM_PROFILE, ...p.config } as Record<string, number | boolean | undefined>
  const num = (k: string, d: number): number => typeof c[k] === 'number' ? c[k] as number : d
  const mesh = meshDegrees(num('gossipD', 6))
  const active = num('activePeers', 0)
  const cpus = Math.max(1, r.workers ?? 1)
  // The thread's background load as measured in the idle window (pings, heartbeats, sync
  // rounds, announces, timers), which the model's per-message cost does not include.
  const busyBg = Math.min(0.9, r.idleElu ?? r.idleMessagesPerSec / cpus * cal.cpuPerMsgMs / 1000)
  // The threads' event-loop stalls during the writes (≥ 100 ms: mostly a major GC of a
  // heap that dozens of nodes share, and the backlog it leaves), replayed at their rate.
  const st = stallsOf(r)
  return {
    nodes: p.nodes,
    rate: p.rate,
    duration: Math.max(5, p.duration),
    valueBytes: p.valueBytes,
    latencyMs: p.latencyMs,
    jitterMs: p.jitterMs,
    loss: p.scenario === 'lossy' ? p.loss : 0,
    lossMode: p.lossMode,
    batchDelayMs: num('gossipBatchDelayMs', 2),
    batchSize: num('gossipBatchSize', 256),
    ...mesh,
    Dlazy: num('gossipDlazy', 6),
    gossipFactor: num('gossipFactor', 0.25),
    floodPublish: c.gossipFloodPublish !== false,
    // An active view of k: k peers dialled plus about k that dial us.
    maxPeers: active > 0 ? 2 * active : Infinity,
    cpu: 'shared',
    cpuPerMsgMs: cal.cpuPerMsgMs,
    sharedBusy: busyBg,
    cpus,
    stallsPerSec: st.perSec,
    stallMs: st.ms,
    // The background comes in busy stretches (a heartbeat or an announce handled by every
    // node of the thread in turn), as long as the idle window's probes say.
    bgChunkMs: backgroundStretchMs(r),
    announceMs: announceIntervalMs(num('memberTtlMs', 60_000), num('pingIntervalMs', 10_000), p.nodes - 1),
    pingIntervalMs: num('pingIntervalMs', 10_000),
    syncIntervalMs: num('syncIntervalMs', 5000),
    seed: p.seed
  }
}

/** A run's event-loop stalls: per thread per second, and their lengths (ms). */
export function stallsOf (r: RunResult): { perSec: number, ms: number[] } {
  const threads = (r.gc ?? []).filter(g => Array.isArray(g.stalls) && g.windowMs > 0)
  if (threads.length === 0) return { perSec: 0, ms: [] }
  const ms = threads.flatMap(g => g.stalls.map(([, len]) => len))
  const seconds = threads.reduce((n, g) => n + g.windowMs / 1000, 0)
  return { perSec: ms.length / seconds, ms }
}

/**
 * How long a thread's background busy stretches last, from the idle window's stall probes:
 * a probe due at a random moment of a stretch of length L runs L/2 late on average, so
 * twice the mean lateness of the late probes (0 when the run did not record them).
 */
export function backgroundStretchMs (r: RunResult): number {
  const ts = (r.idleThreads ?? []).filter(g => g.probes !== undefined && g.probes.late > 0)
  const n = ts.reduce((a, g) => a + g.probes.late, 0)
  return n > 0 ? 2 * ts.reduce((a, g) => a + g.probes.late * g.probes.lateMeanMs, 0) / n : 0
}

/**
 * Tolerance: messages per write within ±35%; p50 within ±50% or ±20 ms; p99 within a
 * factor of 2 or ±150 ms. Tails are loose on purpose: the real p99 carries event-loop
 * stalls the model replays only by rate and length, not at their real times.
 */
export const TOLERANCE = {
  text: 'messages/write ±35%; p50 ±50% or ±20 ms; p99 ×/÷2 or ±150 ms',
  check (r: RunResult, m: ModelResult): { ok: boolean, why?: string } {
    const mp50 = quantile(m.reach, 0.5)
    const mp99 = quantile(m.reach, 0.99)
    const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(1e-9, b)
    if (rel(m.messagesPerWrite, r.gossipMessagesPerWrite) > 0.35) return { ok: false, why: 'messages/write' }
    if (rel(mp50, r.propagation.p50) > 0.5 && Math.abs(mp50 - r.propagation.p50) > 20) return { ok: false, why: 'p50' }
    const ratio = mp99 / r.propagation.p99
    if ((ratio > 2 || ratio < 0.5) && Math.abs(mp99 - r.propagation.p99) > 150) return { ok: false, why: 'p99' }
    return { ok: true }
  }
}
