/**
 * The pure rules of inbound writes: how a store outcome becomes a wire result, and which
 * other members may be asked for an announced value.
 */
import { WriteResult } from '../../src/wire/pb/repram.js'
import type { WriteOutcome } from '../storage-shard/index.js'

/**
 * Result of one inbound write, for metrics: a store outcome or why it never got there.
 * `invalid`: no honest node sends it; `expired_in_transit`: valid, but it expired before
 * it was checked here (dropped alone, the rest of its frame kept).
 */
export type InboundResult = WriteOutcome['status'] | 'invalid' | 'expired_in_transit' | 'failed' | 'pulled' | 'pull_failed'

/** A member that may hold an announced value. */
export interface Holder { id: string, healthy: boolean, active: boolean }

/** The wire result of a store outcome: a stale copy is still held (the newer one is). */
export function resultOf (out: WriteOutcome): WriteResult {
  switch (out.status) {
    case 'stored': case 'stale': return WriteResult.HELD
    case 'expired': return WriteResult.EXPIRED
    case 'capacity': return WriteResult.CAPACITY
  }
}

/** Up to `n` healthy members of the active view other than `exclude`, in random order. */
export function holdersFor (members: readonly Holder[], exclude: string, n: number, random: () => number = Math.random): string[] {
  const ids = members.filter(m => m.healthy && m.active && m.id !== exclude).map(m => m.id)
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = ids[i]; ids[i] = ids[j]; ids[j] = t
  }
  return ids.slice(0, n)
}
