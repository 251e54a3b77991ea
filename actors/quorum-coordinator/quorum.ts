/**
 * The pure rules of quorum writes: pending-write bookkeeping, replica choice, the quorum
 * size and when gossip is skipped. The actor in `index.ts` owns the timers and I/O.
 */
import type { QUORUM_OUTCOMES } from './constants.js'

/** How a write ended. */
export type QuorumOutcome = typeof QUORUM_OUTCOMES[number]

/** The answer of a write. */
export interface QuorumResult { replicas: number, quorum: boolean, outcome: QuorumOutcome }

/**
 * What the coordinator reads of a member. `score`: this node's reputation of it
 * (`src/net/reputation.ts`; absent: 0, nothing observed).
 */
export interface Replica {
  id: string
  healthy: boolean
  rttMs: number | null
  active?: boolean
  score?: number
  /** Its declared jurisdiction (null: none; absent: not known yet, so in none). */
  jurisdiction?: string | null
}

/**
 * Writes grouped by their jurisdiction set (one group per distinct set, unrestricted
 * writes together), in first-seen order; undefined when none is restricted (the common
 * case: no grouping, no allocation).
 */
export function byJurisdictions<W extends { record: { jurisdictions?: readonly string[] } }> (writes: readonly W[]): W[][] | undefined {
  if (writes.every(w => w.record.jurisdictions === undefined)) return undefined
  const groups = new Map<string, W[]>()
  for (const w of writes) {
    const k = w.record.jurisdictions?.join(',') ?? ''
    let g = groups.get(k)
    if (g === undefined) groups.set(k, g = [])
    g.push(w)
  }
  return [...groups.values()]
}

/** Whether a member may be a replica: healthy, and its score not below `graylistScore`. */
export function eligible (m: Replica, graylistScore: number): boolean {
  return m.healthy && (m.score ?? 0) >= graylistScore
}

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
 * Picks replica targets, at most `count`: healthy members whose score is not below
 * `graylistScore` ({@link eligible}); those in the active view (connected and pinged)
 * before the others; then those with a score of 0 or more (nothing held against them)
 * before penalised ones (a flaky link, a refusal); then lowest known RTT first.
 */
export function pickTargets<M extends Replica> (members: readonly M[], count: number, graylistScore = -Infinity): M[] {
  if (count <= 0) return []
  const outside = (m: M): number => m.active === false ? 1 : 0
  const penalised = (m: M): number => (m.score ?? 0) < 0 ? 1 : 0
  return members
    .filter(m => eligible(m, graylistScore))
    .sort((a, b) => (outside(a) - outside(b)) || (penalised(a) - penalised(b)) || ((a.rttMs ?? Number.MAX_SAFE_INTEGER) - (b.rttMs ?? Number.MAX_SAFE_INTEGER)))
    .slice(0, count)
}

/**
 * How many members a write is sent to directly: its `R−1` replicas, or up to
 * `directFanout` members when that is more. Every direct target's copy counts toward the
 * quorum; the ones beyond `R−1` spare the enclave the gossip mesh, in which every
 * receiver also forwards each message to its mesh peers (so each node receives and sends
 * it several times over noise). Past `directFanout` members, gossip reaches the rest.
 */
export function directCount (replication: number, directFanout: number): number {
  return Math.max(replication - 1, directFanout)
}

/**
 * Whether every other member is a healthy (and not graylisted) direct target (an enclave of at most
 * `maxDirect` other members, see {@link directCount}): gossip would then deliver only
 * duplicates, at a signature per message and a verification per receiver. With no direct
 * targets (R = 1 and no fanout, or alone): false.
 */
export function allDirect (members: readonly Replica[], maxDirect: number, graylistScore = -Infinity): boolean {
  return members.length > 0 && members.length <= maxDirect && members.every(m => eligible(m, graylistScore))
}

/** Whether a pending write can still reach its quorum. */
export function stillPossible (p: Pick<PendingWrite, 'needed' | 'acks' | 'outstanding'>): boolean {
  return p.acks + p.outstanding >= p.needed
}
