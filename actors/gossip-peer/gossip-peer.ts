/**
 * The pure parts of the gossip peer: batching of outbound writes (writes that arrive close
 * together share one message, so throughput is not bounded by one signature per write)
 * and the checks of inbound messages. The actor in `index.ts` owns the timer and the caches.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { RepramRecord } from '../../src/record.js'
import { GossipMessage, type Write } from '../../src/wire/pb/repram.js'
import { checkWrite, type WriteLimits, type WriteRejection } from '../../src/wire/write.js'
import { isJurisdictionCode } from '../../src/wire/jurisdiction.js'
import { ANNOUNCE_MAX_ADDRS } from './constants.js'

/** A write waiting for its gossip message. */
export interface QueuedWrite { record: RepramRecord, inline: boolean, bytes: number }

/** Bounds of one batch. */
export interface BatchLimits {
  /** Most writes per message. */
  maxWrites: number
  /** Most (estimated) bytes per message. */
  maxBytes: number
}

/** Accumulates writes and cuts them into batches that respect {@link BatchLimits}. */
export class GossipBatcher {
  private queue: QueuedWrite[] = []
  private bytes = 0

  constructor (private readonly limits: BatchLimits) {}

  get length (): number { return this.queue.length }

  /** Adds a write; returns the batches that are full and must be sent now (usually none). */
  add (w: QueuedWrite): QueuedWrite[][] {
    const out: QueuedWrite[][] = []
    if (this.queue.length > 0 && this.bytes + w.bytes > this.limits.maxBytes) out.push(this.take())
    this.queue.push(w)
    this.bytes += w.bytes
    if (this.queue.length >= this.limits.maxWrites || this.bytes >= this.limits.maxBytes) out.push(this.take())
    return out
  }

  /** Takes whatever is queued. */
  take (): QueuedWrite[] {
    const out = this.queue
    this.queue = []
    this.bytes = 0
    return out
  }
}

/** The topic validator's verdict (gossipsub's Accept / Reject / Ignore). */
export type GossipVerdict = 'accept' | 'reject' | 'ignore'

/** Why a gossip message was rejected. A small enum: used in debug logs. */
export type GossipRejection = 'unsigned' | 'oversized' | 'schema' | 'enclave' | 'write'

/** What the validator checks a message against. */
export interface GossipLimits extends WriteLimits {
  network: string
  enclave: string
  maxMessageBytes: number
  /** Most writes a message may carry. */
  batchSize: number
}

/** The outcome of checking one message: the decoded message when it may be accepted. */
export type GossipCheck =
  /** `live`: the writes to deliver; `expired`: how many were dropped alone (expired in transit). */
  | { verdict: 'accept', message: GossipMessage, live: Write[], expired: number }
  /** Every write of the message expired in transit: not forwarded, and no fault of the sender. */
  | { verdict: 'ignore', reason: 'expired', expired: number }
  | { verdict: 'reject', reason: GossipRejection, write?: WriteRejection }

/**
 * Checks a received gossip message (DESIGN §4), without the duplicate rule (that needs
 * the actor's cache). What no honest node produces (unsigned, oversized, malformed, another
 * enclave, a write that is invalid, created beyond the skew or expiring beyond
 * `maxTtl` + skew) rejects the whole message, which lowers the sender's gossipsub score.
 * A write that merely expired in transit (valid in every other way: {@link checkWrite}
 * checks expiry last) is dropped alone and counted; the rest of the message is kept. A
 * message whose writes all expired is ignored: not forwarded, not held against the sender.
 */
export function checkGossip (data: Uint8Array, signed: boolean, now: number, limits: GossipLimits): GossipCheck {
  if (!signed) return { verdict: 'reject', reason: 'unsigned' }
  if (data.byteLength > limits.maxMessageBytes) return { verdict: 'reject', reason: 'oversized' }
  let m: GossipMessage
  try {
    m = GossipMessage.decode(data, { limits: { writes: limits.batchSize, announce: { addrs: ANNOUNCE_MAX_ADDRS } } as any })
  } catch {
    return { verdict: 'reject', reason: 'schema' }
  }
  if (m.network !== limits.network || m.enclave !== limits.enclave) return { verdict: 'reject', reason: 'enclave' }
  if (m.announce?.jurisdiction !== undefined && !isJurisdictionCode(m.announce.jurisdiction)) return { verdict: 'reject', reason: 'schema' }
  let live = m.writes
  let expired = 0
  for (const w of m.writes) {
    const why = checkWrite(w, now, limits)
    if (why === 'expired') expired++
    else if (why !== undefined) return { verdict: 'reject', reason: 'write', write: why }
  }
  if (expired > 0) {
    if (expired === m.writes.length) return { verdict: 'ignore', reason: 'expired', expired }
    live = m.writes.filter(w => !droppable(w, now))
  }
  return { verdict: 'accept', message: m, live, expired }
}

/** Whether a write of an accepted message is dropped alone: it expired in transit. */
export function droppable (w: Write, now: number): boolean {
  return w.expiresAt <= now
}

/** Announced addresses as text, the unreadable ones left out, at most {@link ANNOUNCE_MAX_ADDRS}. */
export function announcedAddresses (addrs: readonly Uint8Array[]): string[] {
  const out: string[] = []
  for (const b of addrs.slice(0, ANNOUNCE_MAX_ADDRS)) {
    try { out.push(multiaddr(b).toString()) } catch {}
  }
  return out
}
