/**
 * The pure rules of quorum writes: pending-write bookkeeping, replica choice, the quorum
 * size and when gossip is skipped. The actor in `index.ts` owns the timers and I/O.
 */
import type { QUORUM_OUTCOMES } from './constants.js'

/** How a write ended. */
export type QuorumOutcome = typeof QUORUM_OUTCOMES[number]

/** The answer of a write. */
export interface QuorumResult { replicas: number, quorum: boolean, outcome: QuorumOutcome }

/** What the coordinator reads of a member. */
export interface Replica { id: string, healthy: boolean, rttMs: number | null, active?: boolean }

/** One write waiting for acks. */
export interface PendingWrite {
  writeId: string
  /** Peer acks still needed for quorum. */
  needed: number
  /** Peer acks received. */
  acks: number
  /** Requests not answered yet. */
  outstanding: number
  /** When it began, on the coordinator's clock (ms). */
  startedAt: number
  resolve: (r: QuorumResult) => void
}

/** Quorum size for a write: `floor(min(R, enclaveSize)/2)+1` copies including the writer's. */
export function quorumSize (replication: number, enclaveSize: number): number {
  return Math.floor(Math.min(replication, Math.max(1, enclaveSize)) / 2) + 1
}

/**
 * Picks replica targets: healthy members, those in the active view (connected and
 * pinged) before the others, lowest known RTT first, at most `count`.
 */
export function pickTargets<M extends Replica> (members: readonly M[], count: number): M[] {
  if (count <= 0) return []
  const outside = (m: M): number => m.active === false ? 1 : 0
  return members
    .filter(m => m.healthy)
    .sort((a, b) => (outside(a) - outside(b)) || ((a.rttMs ?? Number.MAX_SAFE_INTEGER) - (b.rttMs ?? Number.MAX_SAFE_INTEGER)))
    .slice(0, count)
}

/**
 * Whether every other member is a healthy direct target (an enclave no larger than R):
 * gossip would then deliver only duplicates, at a signature per message and a
 * verification per receiver. With R = 1, or alone, there are no direct targets: false.
 */
export function allDirect (members: readonly Replica[], replication: number): boolean {
  return members.length > 0 && members.length <= replication - 1 && members.every(m => m.healthy)
}

/** Whether a pending write can still reach its quorum. */
export function stillPossible (p: Pick<PendingWrite, 'needed' | 'acks' | 'outstanding'>): boolean {
  return p.acks + p.outstanding >= p.needed
}
