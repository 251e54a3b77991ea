/**
 * The GossipPeer actor: this node's side of the enclave topic
 * (`/repram/<network>/<enclave>/1`). It owns everything gossip decides:
 * - **validation** (`validate`, asked by the topic validator for every received message):
 *   {@link checkGossip} (what no honest node sends rejects the message; a write that merely
 *   expired in transit is dropped alone and counted), then the jurisdiction rule (a message
 *   whose writes all name jurisdictions this node is not in is ignored: neither stored nor
 *   forwarded, no penalty), then the duplicate rule: a message
 *   whose live writes were all accepted before is ignored (not forwarded again);
 * - **receive** (`received`, an accepted message): a leave goes to membership; any other
 *   message is a sign of life (with the announced addresses); its writes go to the
 *   inbound-writes actor, the one path into the store;
 * - **batching and publish** (`publish`): writes share one signed message per
 *   `batchDelayMs` or per `batchSize` writes / `maxMessageBytes`; a write restricted to
 *   jurisdictions goes, instead of the enclave topic, to the topic of each of them (only
 *   nodes in a jurisdiction subscribe to its topic, so no node outside ever receives it
 *   from an honest publisher); announces (with this node's jurisdiction) and the leave
 *   notice (`announce`, `leave`); every write message that reached peers is reported to
 *   membership (`published`), since a signed message is a sign of life for everyone who
 *   gets it (announces are timed by membership, which asked for them).
 * The network is the injected {@link GossipTransport}; time is the injected clock.
 */
import { dispatch, spawn, type Ref } from 'nact'
import type { Clock, TimerHandle } from '../../src/clock.js'
import type { RepramRecord } from '../../src/record.js'
import { GossipMessage, type Announce, type Write } from '../../src/wire/pb/repram.js'
import { toWire, wireJurisdictions, wireSize } from '../../src/wire/write.js'
import { admits } from '../../src/wire/jurisdiction.js'
import { assertNever, handleBatch, type Batch, type ReplyTo, type Sender } from '../runtime/ask.js'
import { batchCrash, supervise, type CrashReporter } from '../runtime/supervise.js'
import { SeenCache } from '../runtime/seen-cache.js'
import { MESSAGE_SLACK_BYTES, SEEN_GOSSIP_MAX, SEEN_GOSSIP_TTL_MS, type GOSSIP_RESULTS } from './constants.js'
import { GossipBatcher, announcedAddresses, checkGossip, droppable, type GossipLimits, type GossipRejection, type GossipVerdict, type QueuedWrite } from './gossip-peer.js'
import type { InboundWritesMsg } from '../inbound-writes/index.js'

/** Bytes a write costs against its sender's rate: key and value, or the announced size of a value pulled later. */
export function writeBytes (w: Write): number {
  return w.key.length + Math.max(w.value.byteLength, w.size ?? 0)
}

export { GossipBatcher, checkGossip, droppable, announcedAddresses, type QueuedWrite, type BatchLimits, type GossipVerdict, type GossipRejection, type GossipLimits, type GossipCheck } from './gossip-peer.js'
export * from './constants.js'

/** Every message the gossip peer understands. */
export type GossipPeerMsg =
  /**
   * From the topic validator: the verdict on a received message, before gossipsub forwards
   * it. `carrier` is the peer whose connection delivered it, `author` the peer that signed it.
   */
  | { type: 'validate', data: Uint8Array, signed: boolean, carrier?: string, author?: string, replyTo: ReplyTo<GossipVerdict> }
  /** The membership view: who is a verified member (an announce by anyone else is taken only from its author). */
  | { type: 'view', members: ReadonlyArray<{ id: string }> }
  /**
   * A message gossipsub accepted and delivered, signed by `from`; `carrier` is the peer whose
   * connection delivered it (gossipsub's propagation source): `from` itself, or a relay.
   */
  | { type: 'received', from: string, data: Uint8Array, carrier?: string }
  | { type: 'publish', records: RepramRecord[] }
  | { type: 'flush' }
  | { type: 'announce', addresses: Uint8Array[] }
  /** Publishes what is queued, then the leave notice; answers with its recipient count. */
  | { type: 'leave', replyTo: ReplyTo<number> }
  | { type: 'halt' }
  /** Several messages handled in one turn (see `Coalescer`): gossip comes one message per received RPC. */
  | { type: 'batch', batch: Batch<GossipPeerMsg> }

/** What the gossip peer tells membership. */
export type GossipMembershipMsg =
  /**
   * A sign of life from `peerId`, delivered by `carrier` (membership verifies a peer only on
   * its own connection). `jurisdiction`: what its announce declares (signed by it; null:
   * none); absent when the message was no announce.
   */
  | { type: 'seen', peerId: string, addresses?: string[], carrier?: string, jurisdiction?: string | null }
  | { type: 'leave', peerId: string }
  | { type: 'published' }

/** How the gossip peer reaches the topic. */
export interface GossipTransport {
  /**
   * Publishes an encoded message on the enclave topic, or on the topic of `jurisdiction`
   * (writes restricted to it); resolves with the recipient count.
   */
  publish: (data: Uint8Array, jurisdiction?: string) => Promise<number>
}

/**
 * What the gossip peer holds against the peer that delivered a message (reputation,
 * `src/net/reputation.ts`): a rejected message, writes past the peer's rate.
 */
export interface GossipGuard {
  /** Takes the peer's tokens for writes of these sizes; returns how many fit (a prefix). */
  admit: (peer: string, sizes: readonly number[]) => number
  penalise: (peer: string, reason: 'invalid_gossip' | 'rate_limited') => void
}

/** Result of a gossip message, in or out (a metrics label). */
export type GossipResult = typeof GOSSIP_RESULTS[number]

/** Counters the actor moves; labels are small enums. */
export interface GossipCounters {
  message: (direction: 'in' | 'out', result: GossipResult) => void
  writes: (direction: 'out', result: 'published' | 'no_peers' | 'error', n: number) => void
  /** A rejected message, with why (debug log). */
  rejected?: (reason: GossipRejection) => void
  /** The write that made a message rejected (invalid: no honest node sends it). */
  rejectedWrite?: (result: 'invalid') => void
  /** Writes dropped alone, the rest of their message kept: they expired in transit (no fault of the sender). */
  droppedWrites?: (reason: 'expired_in_transit', n: number) => void
  /** Writes of a message ignored because every write in it names jurisdictions this node is not in. */
  outOfJurisdiction?: (n: number) => void
}

/** What the gossip peer is built from. */
export interface GossipPeerInit {
  limits: GossipLimits
  /** Gossip's batch delay (ms of the clock). */
  batchDelayMs: number
  /** Values above this are announced (pulled by receivers) instead of carried inline. */
  inlineBytes: number
  /** This node's peer id as multihash bytes (the `origin` of its writes). */
  origin: Uint8Array
  /** This node's declared jurisdiction, sent in its announces (null: none). @default null */
  jurisdiction?: string | null
  clock: Clock
  transport: GossipTransport
  inbound: Sender<InboundWritesMsg>
  membership: Sender<GossipMembershipMsg>
  counters: GossipCounters
  /** Reputation and per-peer rates. @default none: no rate, no penalty beyond gossipsub's own */
  guard?: GossipGuard
  crashed: CrashReporter
}

interface GossipState {
  /** Verified members (from the membership view). */
  members: Set<string>
  /** Writes waiting for a message, per topic: '' the enclave topic, else a jurisdiction's. */
  batchers: Map<string, GossipBatcher>
  timer: TimerHandle | undefined
  halted: boolean
  /** WriteIds of accepted messages: a message of only these is a duplicate. */
  gossiped: SeenCache
  /** Messages checked by `validate` and their live writes, so `received` does not decode them again. */
  decoded: WeakMap<Uint8Array, { message: GossipMessage, live: Write[] }>
}

const ACTOR = 'gossip-peer'

/** The topics of an unrestricted write: the enclave topic alone. */
const ENCLAVE_TOPIC: readonly string[] = ['']

/** Spawns the gossip peer under `parent`. */
export function spawnGossipPeer (parent: Parameters<typeof spawn>[0], init: GossipPeerInit): Ref<GossipPeerMsg> {
  const { limits, clock, counters } = init
  const own = init.jurisdiction ?? null
  let self: Ref<GossipPeerMsg> | undefined

  const encode = (m: Omit<GossipMessage, 'network' | 'enclave'>): Uint8Array => GossipMessage.encode({ network: limits.network, enclave: limits.enclave, ...m })

  const publish = (m: Omit<GossipMessage, 'network' | 'enclave'>, topic = ''): Promise<number> => init.transport.publish(encode(m), topic === '' ? undefined : topic)

  const batcher = (s: GossipState, topic: string): GossipBatcher => {
    let b = s.batchers.get(topic)
    if (b === undefined) s.batchers.set(topic, b = new GossipBatcher({ maxWrites: limits.batchSize, maxBytes: limits.maxMessageBytes - MESSAGE_SLACK_BYTES }))
    return b
  }

  /** Sends what every topic has queued; the batchers of jurisdiction topics are dropped once empty. */
  const flushAll = (s: GossipState): void => {
    for (const [topic, b] of s.batchers) {
      send(b.take(), topic)
      if (topic !== '') s.batchers.delete(topic)
    }
  }

  const send = (batch: QueuedWrite[], topic: string): void => {
    if (batch.length === 0) return
    const writes = batch.map(q => toWire(q.record, init.origin, q.inline))
    publish({ writes }, topic).then(n => {
      // Published writes keep this node alive for every member: membership may skip an
      // announce. (An announce is timed by membership itself, when it asks for it.) Not
      // those on a jurisdiction's topic: members outside it never see them.
      if (n > 0 && topic === '') init.membership.send({ type: 'published' })
      const result = n > 0 ? 'published' : 'no_peers'
      counters.message('out', result)
      counters.writes('out', result, writes.length)
    }, () => {
      counters.message('out', 'error')
      counters.writes('out', 'error', writes.length)
    })
  }

  const validate = (s: GossipState, data: Uint8Array, signed: boolean, carrier: string | undefined, author: string | undefined): GossipVerdict => {
    const now = clock.now()
    const check = checkGossip(data, signed, now, limits)
    if (check.verdict === 'reject') {
      if (check.write !== undefined) counters.rejectedWrite?.('invalid')
      counters.message('in', 'reject')
      counters.rejected?.(check.reason)
      if (carrier !== undefined) init.guard?.penalise(carrier, 'invalid_gossip')
      return 'reject'
    }
    if (check.expired > 0) counters.droppedWrites?.('expired_in_transit', check.expired)
    if (check.verdict === 'ignore') {
      counters.message('in', 'ignore')
      return 'ignore'
    }
    const { message: m, live } = check
    if (relayedStranger(s, m, carrier, author)) {
      // Not forwarded: every node would otherwise check the signature of every forged
      // announce. A member that relayed it still vouches for a candidate here.
      init.membership.send({ type: 'seen', peerId: author as string, addresses: m.announce === undefined ? undefined : announcedAddresses(m.announce.addrs), carrier, ...(m.announce === undefined ? {} : { jurisdiction: m.announce.jurisdiction ?? null }) })
      counters.message('in', 'ignore')
      return 'ignore'
    }
    if (live.length > 0 && !live.some(w => admits(wireJurisdictions(w), own))) {
      // Every write is for jurisdictions this node is not in (a publisher that used the
      // enclave topic): not stored, not forwarded further, and no fault of the sender.
      counters.outOfJurisdiction?.(live.length)
      counters.message('in', 'ignore')
      return 'ignore'
    }
    let dup = live.length > 0
    for (const w of live) if (!s.gossiped.has(w.writeId)) dup = false
    if (dup) {
      counters.message('in', 'ignore')
      return 'ignore'
    }
    if (carrier !== undefined && init.guard !== undefined && live.length > 0) {
      const sizes = live.map(writeBytes)
      if (init.guard.admit(carrier, sizes) < sizes.length) {
        // Past the carrier's rate: not delivered nor forwarded (anti-entropy repairs what this drops).
        init.guard.penalise(carrier, 'rate_limited')
        counters.message('in', 'ignore')
        return 'ignore'
      }
    }
    for (const w of live) s.gossiped.add(w.writeId)
    s.decoded.set(data, { message: m, live })
    counters.message('in', 'accept')
    return 'accept'
  }

  /**
   * An announce (no writes, not a leave) whose author is neither a member nor the peer
   * that delivered it: a relayed announce of a stranger (a joiner's own announce, delivered
   * by itself, passes).
   */
  const relayedStranger = (s: GossipState, m: GossipMessage, carrier: string | undefined, author: string | undefined): boolean =>
    m.announce !== undefined && m.writes.length === 0 && m.leave !== true &&
    author !== undefined && carrier !== undefined && author !== carrier && !s.members.has(author)

  const receive = (s: GossipState, from: string, data: Uint8Array, carrier: string | undefined): void => {
    let checked = s.decoded.get(data)
    if (checked === undefined) {
      // Not checked here (a validator of another instance ran): check it now.
      const check = checkGossip(data, true, clock.now(), limits)
      if (check.verdict !== 'accept') return
      if (check.expired > 0) counters.droppedWrites?.('expired_in_transit', check.expired)
      checked = check
    }
    const m = checked.message
    if (m.leave === true) {
      init.membership.send({ type: 'leave', peerId: from })
      return
    }
    init.membership.send({ type: 'seen', peerId: from, addresses: m.announce === undefined ? undefined : announcedAddresses(m.announce.addrs), ...(carrier === undefined ? {} : { carrier }), ...(m.announce === undefined ? {} : { jurisdiction: m.announce.jurisdiction ?? null }) })
    // Writes that expired between validation and delivery are dropped alone too.
    const now = clock.now()
    const writes = checked.live.filter(w => !droppable(w, now))
    if (writes.length < checked.live.length) counters.droppedWrites?.('expired_in_transit', checked.live.length - writes.length)
    if (writes.length > 0) init.inbound.send({ type: 'writes', writes, from, via: 'gossip' })
  }

  const handle = (s: GossipState, msg: GossipPeerMsg): GossipState => {
    switch (msg.type) {
      case 'validate':
        msg.replyTo(validate(s, msg.data, msg.signed, msg.carrier, msg.author))
        return s
      case 'view':
        s.members = new Set(msg.members.map(m => m.id))
        return s
      case 'received':
        receive(s, msg.from, msg.data, msg.carrier)
        return s
      case 'publish': {
        if (s.halted) return s
        let queued = false
        for (const record of msg.records) {
          const inline = record.value.byteLength <= init.inlineBytes
          const w = { record, inline, bytes: wireSize(record, inline) }
          for (const topic of record.jurisdictions ?? ENCLAVE_TOPIC) {
            const b = batcher(s, topic)
            for (const batch of b.add(w)) send(batch, topic)
            if (b.length > 0) queued = true
          }
        }
        if (queued && s.timer === undefined) {
          s.timer = clock.setTimeout(() => { if (self !== undefined) dispatch(self, { type: 'flush' }) }, init.batchDelayMs)
        }
        return s
      }
      case 'flush':
        s.timer = undefined
        flushAll(s)
        return s
      case 'announce': {
        if (s.halted) return s
        const announce: Announce = { addrs: msg.addresses as Array<Uint8Array<ArrayBuffer>> }
        if (init.jurisdiction !== undefined && init.jurisdiction !== null) announce.jurisdiction = init.jurisdiction
        publish({ writes: [], announce }).catch(() => {})
        return s
      }
      case 'leave':
        if (s.timer !== undefined) clock.clearTimeout(s.timer)
        s.timer = undefined
        flushAll(s)
        publish({ writes: [], leave: true }).then(msg.replyTo, () => msg.replyTo(0))
        return s
      case 'halt':
        if (s.timer !== undefined) clock.clearTimeout(s.timer)
        s.timer = undefined
        s.halted = true
        return s
      case 'batch':
        return handleBatch(s, msg.batch, handle, batchCrash(ACTOR, init.crashed))
      default:
        return assertNever(msg)
    }
  }
  self = spawn(parent, handle, ACTOR, {
    initialState: {
      members: new Set<string>(),
      batchers: new Map(),
      timer: undefined,
      halted: false,
      gossiped: new SeenCache(SEEN_GOSSIP_TTL_MS, SEEN_GOSSIP_MAX, () => clock.now()),
      decoded: new WeakMap()
    },
    // A bad inbound message must never stop replication: the queue and caches stay valid
    // after a throw (a batch is taken in one step), so resume with the next message.
    onCrash: supervise(ACTOR, 'resume', init.crashed)
  })
  return self
}
