/**
 * Pending quorum writes, keyed by writeId so concurrent writes of one key are tracked
 * independently. Pure bookkeeping; the actor in `index.ts` owns the timers and I/O.
 */
import type { QUORUM_OUTCOMES } from './constants.js'

/** How a write ended. */
export type QuorumOutcome = typeof QUORUM_OUTCOMES[number]

/** The answer of a write. */
export interface QuorumResult { replicas: number, quorum: boolean, outcome: QuorumOutcome }

/** One write waiting for acks. */
export interface PendingWrite {
  writeId: string
  /** Peer acks still needed for quorum. */
  needed: number
  /** Peer acks received. */
  acks: number
  /** Requests not answered yet. */
  outstanding: number
  startedAt: number
  resolve: (r: QuorumResult) => void
  /** Unused: deadlines are per batch. Kept for the shape of the type. */
  timer: NodeJS.Timeout | undefined
}

/**
 * Picks replica targets: healthy members, those in the active view (connected and
 * pinged) before the others, lowest known RTT first, at most `count`.
 */
export function pickTargets<M extends { id: string, healthy: boolean, rttMs: number | null, active?: boolean }> (members: readonly M[], count: number): M[] {
  if (count <= 0) return []
  const outside = (m: M): number => m.active === false ? 1 : 0
  return members
    .filter(m => m.healthy)
    .sort((a, b) => (outside(a) - outside(b)) || ((a.rttMs ?? Number.MAX_SAFE_INTEGER) - (b.rttMs ?? Number.MAX_SAFE_INTEGER)))
    .slice(0, count)
}

/** Whether a pending write can still reach its quorum. */
export function stillPossible (p: Pick<PendingWrite, 'needed' | 'acks' | 'outstanding'>): boolean {
  return p.acks + p.outstanding >= p.needed
}
