/**
 * The GossipPeer actor: the bridge between the enclave topic
 * (`/repram/<network>/<enclave>/1`) and the node. Outbound, it batches writes into one
 * signed gossip message per `gossipBatchDelayMs` or `gossipBatchSize` writes, and sends
 * membership announces and the leave notice. Inbound (after the topic validator), it
 * hands writes to the node (deduplicated by writeId), pulls announced large values, and
 * reports signs of life and leaves to membership.
 */
import { dispatch, spawn, type Ref } from 'nact'
import { assertNever, handleBatch, type Batch, type ReplyTo } from '../runtime/ask.js'
import type { RepramRecord } from '../../src/record.js'
import { GossipBatcher, type QueuedWrite } from './gossip-peer.js'
import type { GossipMessage, Write } from '../../src/wire/pb/repram.js'

export { GossipBatcher, type QueuedWrite, type BatchLimits } from './gossip-peer.js'
export { GOSSIP_RESULTS } from './constants.js'

/** Every message the gossip peer understands. */
export type GossipPeerMsg =
  | { type: 'publish', records: RepramRecord[] }
  /** Several messages handled in one turn (see `Coalescer`): inbound gossip comes one message per received RPC. */
  | { type: 'batch', batch: Batch<GossipPeerMsg> }
  | { type: 'flush' }
  | { type: 'announce', addresses: Uint8Array[] }
  | { type: 'leave', replyTo: ReplyTo<number> }
  | { type: 'inbound', from: string, message: GossipMessage }
  | { type: 'halt' }

/** What the gossip peer is built from. */
export interface GossipPeerInit {
  batchSize: number
  batchDelayMs: number
  maxMessageBytes: number
  inlineBytes: number
  /** Builds a write's wire form. */
  toWire: (record: RepramRecord, inline: boolean) => Write
  /** Wire size estimate. */
  sizeOf: (record: RepramRecord, inline: boolean) => number
  /** Encodes and publishes a message on the topic; resolves with the recipient count. */
  publish: (message: Omit<GossipMessage, 'network' | 'enclave'>) => Promise<number>
  /** Stores a received inline write. */
  merge: (record: RepramRecord) => void
  /** Pulls an announced write from its author. */
  pull: (from: string, write: Write) => void
  /** Whether a writeId was already received (marks it when not). */
  firstSight: (writeId: string) => boolean
  seen: (peerId: string, addresses?: Uint8Array[]) => void
  left: (peerId: string) => void
  /** Metrics hook for outbound messages. */
  onPublished?: (result: 'published' | 'no_peers' | 'error', writes: number) => void
}

interface GossipState { batcher: GossipBatcher, timer: NodeJS.Timeout | undefined, halted: boolean }

/** Spawns the gossip peer under `parent`. */
export function spawnGossipPeer (parent: Parameters<typeof spawn>[0], init: GossipPeerInit): Ref<GossipPeerMsg> {
  let self: Ref<GossipPeerMsg> | undefined

  const send = (batch: QueuedWrite[]): void => {
    if (batch.length === 0) return
    const writes = batch.map(q => init.toWire(q.record, q.inline))
    init.publish({ writes }).then(
      n => init.onPublished?.(n > 0 ? 'published' : 'no_peers', writes.length),
      () => init.onPublished?.('error', writes.length)
    )
  }

  const handle = (s: GossipState, msg: GossipPeerMsg): GossipState => {
    switch (msg.type) {
      case 'batch':
        return handleBatch(s, msg.batch, handle)
      case 'publish': {
        if (s.halted) return s
        for (const record of msg.records) {
          const inline = record.value.byteLength <= init.inlineBytes
          for (const batch of s.batcher.add({ record, inline, bytes: init.sizeOf(record, inline) })) send(batch)
        }
        if (s.batcher.length > 0 && s.timer === undefined) {
          s.timer = setTimeout(() => { if (self !== undefined) dispatch(self, { type: 'flush' }) }, init.batchDelayMs)
        }
        return s
      }
      case 'flush':
        s.timer = undefined
        send(s.batcher.take())
        return s
      case 'announce':
        if (s.halted) return s
        init.publish({ writes: [], announce: { addrs: msg.addresses as Array<Uint8Array<ArrayBuffer>> } }).catch(() => {})
        return s
      case 'leave':
        if (s.timer !== undefined) clearTimeout(s.timer)
        s.timer = undefined
        send(s.batcher.take())
        init.publish({ writes: [], leave: true }).then(msg.replyTo, () => msg.replyTo(0))
        return s
      case 'inbound': {
        const m = msg.message
        if (m.leave === true) {
          init.left(msg.from)
          return s
        }
        init.seen(msg.from, m.announce?.addrs)
        for (const w of m.writes) {
          if (!init.firstSight(w.writeId)) continue
          if (w.size === undefined) init.merge({ key: w.key, value: w.value, createdAt: w.createdAt, expiresAt: w.expiresAt, writeId: w.writeId })
          else init.pull(msg.from, w)
        }
        return s
      }
      case 'halt':
        if (s.timer !== undefined) clearTimeout(s.timer)
        s.timer = undefined
        s.halted = true
        return s
      default:
        return assertNever(msg)
    }
  }
  self = spawn(parent, handle, 'gossip-peer', {
    initialState: { batcher: new GossipBatcher({ maxWrites: init.batchSize, maxBytes: init.maxMessageBytes - 1024 }), timer: undefined, halted: false },
    // A bad inbound message must never stop replication: keep the queue and go on.
    onCrash: (_msg, _err, ctx) => ctx.resume
  })
  return self
}
