/**
 * The pure parts of the gossip peer: batching of outbound writes (writes that arrive close
 * together share one message, so throughput is not bounded by one signature per write)
 * and the checks of inbound messages. The actor in `index.ts` owns the timer and the caches.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { RepramRecord } from '../../src/record.js'
import { GossipMessage, type Write } from '../../src/wire/pb/repram.js'
import { checkWrite, type WriteLimits, type WriteRejection } from '../../src/wire/write.js'
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
  | { verdict: 'accept', message: GossipMessage }
  | { verdict: 'reject', reason: GossipRejection, write?: WriteRejection }

/**
 * Checks a received gossip message (DESIGN §4), without the duplicate rule (that needs
 * the actor's cache): a message that fails any check is rejected, which lowers the
 * sender's gossipsub score. Today that includes a write that expired in transit (the
 * whole message is rejected, as before the actors were split); DESIGN §4 asks for such a
 * write to be dropped alone, which the hostile-peers work changes together with its test.
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
  for (const w of m.writes) {
    const why = checkWrite(w, now, limits)
    if (why !== undefined) return { verdict: 'reject', reason: 'write', write: why }
  }
  return { verdict: 'accept', message: m }
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
