/**
 * Batching of outbound gossip: writes that arrive close together share one message, so
 * throughput is not bounded by one signature per write. Pure: the actor owns the timer.
 */
import type { RepramRecord } from '../../src/record.js'

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
