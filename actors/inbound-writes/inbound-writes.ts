/**
 * The pure rules of inbound writes: how a store outcome becomes a wire result, and which
 * other members may be asked for an announced value.
 */
import { WriteResult, type Write } from '../../src/wire/pb/repram.js'
import type { RepramRecord } from '../../src/record.js'
import { copyProof } from '../../src/wire/write.js'
import type { WriteOutcome } from '../storage-shard/index.js'

/**
 * Result of one inbound write, for metrics: a store outcome or why it never got there.
 * `invalid`: no honest node sends it; `expired_in_transit`: valid, but it expired before
 * it was checked here (dropped alone, the rest of its frame kept); `out_of_jurisdiction`: the
 * write names jurisdictions this node is not in (not stored, no fault of the sender).
 */
export type InboundResult = WriteOutcome['status'] | 'invalid' | 'expired_in_transit' | 'failed' | 'pulled' | 'pull_failed' | 'out_of_jurisdiction'

/** A member that may hold an announced value. */
export interface Holder {
  id: string
  healthy: boolean
  active: boolean
  /** Its declared jurisdiction (null: none; absent: not known): a restricted value is asked only of members that may hold it. */
  jurisdiction?: string | null
}

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

/**
 * A copy of an announced write that shares no memory with the frame it came in: the
 * decoder's byte fields are views into the whole frame, so holding the announcement
 * itself while its value is pulled would pin every other write of that frame too.
 */
export function compactAnnouncement (w: Write): Write {
  return {
    key: w.key,
    value: new Uint8Array(0),
    createdAt: w.createdAt,
    expiresAt: w.expiresAt,
    writeId: w.writeId,
    origin: new Uint8Array(0),
    size: w.size,
    hash: w.hash === undefined ? undefined : w.hash.slice(),
    // Decoded strings: nothing of the frame is held.
    jurisdictions: w.jurisdictions,
    // An owned key's proof travels with the record (copied: small, and off the frame).
    owner: copyProof(w.owner) as Write['owner']
  }
}

/**
 * The record with a value of its own: a value that is a view into a larger buffer (the
 * frame or gossip message it arrived in) is copied, so storing it does not keep the whole
 * buffer alive for the record's TTL.
 */
export function detachValue (rec: RepramRecord): RepramRecord {
  const v = rec.value
  if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) return rec
  return { ...rec, value: v.slice() }
}
