/**
 * Where each protocol enters the node: this file turns libp2p traffic and events into
 * actor messages, and decides nothing itself.
 * - gossip topics (the enclave's, and the topic of this node's jurisdiction, which only
 *   nodes in it subscribe to): the validator asks the gossip peer for its verdict; delivered messages
 *   go to the gossip peer with the peer that carried them (gossipsub's propagation
 *   source: membership verifies an author only on its own connection); a peer subscribing
 *   to the topic goes to membership (a member is seen, anyone else is asked the REPRAM
 *   handshake);
 * - `/repram/replicate/1.0.0`: writes to inbound writes (acked per write), fetches from
 *   the store, leaves and signs of life to membership, peer exchange from membership;
 * - `/repram/sync/1.0.0`: the {@link SyncEngine} (anti-entropy server, read-through);
 * - `/repram/blob/1.0.0`: values by key and writeId from the store (never one restricted to
 *   jurisdictions the asking peer is not known to be in);
 * - libp2p `peer:connect` / `peer:disconnect` to membership; mDNS discoveries are dialled.
 * Every inbound replicate, sync and blob stream is charged to its peer's memory budget
 * (`budget.ts`): a peer at its cap has new streams refused, and a stream that takes it
 * past the cap is reset.
 * It returns the function that undoes all of it.
 */
import type { Ref } from 'nact'
import { TopicValidatorResult, type GossipsubMessage } from '@libp2p/gossipsub'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { LocalStore } from '../node/store.js'
import type { Logger } from '../logger.js'
import { Coalescer, type Asker } from '../../actors/runtime/ask.js'
import { writeBytes, type GossipPeerMsg, type GossipVerdict } from '../../actors/gossip-peer/index.js'
import type { KnownPeer, MembershipMsg } from '../../actors/membership/index.js'
import type { InboundWritesMsg } from '../../actors/inbound-writes/index.js'
import type { QuorumCoordinatorMsg } from '../../actors/quorum-coordinator/index.js'
import type { AntiEntropyMsg } from '../../actors/anti-entropy/index.js'
import { WriteResult, type Write } from '../wire/pb/repram.js'
import { toWire } from '../wire/write.js'
import { admits } from '../wire/jurisdiction.js'
import { BLOB_PROTOCOL, LEAVE_TIMEOUT_MS, REPLICATE_PROTOCOL, SYNC_PROTOCOL } from './constants.js'
import { serveReplicateStream } from './replicate.js'
import { serveBlobStream } from './blob.js'
import { budgetMetrics, type BudgetProtocol } from './budget.js'
import { SYNC_MAX_STREAMS, type SyncEngine } from './sync.js'
import type { ClusterMetrics } from './metrics.js'
import type { NetHost } from './host.js'
import type { Libp2pTransport } from './transport.js'

/** The network actors of one node (spawned by `cluster.ts`). */
export interface ClusterActors {
  membership: Ref<MembershipMsg>
  coordinator: Ref<QuorumCoordinatorMsg>
  gossip: Ref<GossipPeerMsg>
  inbound: Ref<InboundWritesMsg>
  antiEntropy: Ref<AntiEntropyMsg>
}

/** Undoes {@link wireHandlers}. */
export type Unwire = () => Promise<void>

/** What the handlers are wired to. */
export interface HandlersInit {
  store: LocalStore
  host: NetHost
  transport: Libp2pTransport
  actors: ClusterActors
  sync: SyncEngine
  asker: Asker
  topic: string
  /** The topic of this node's jurisdiction, when it declares one: subscribed to like the enclave topic. */
  jurisdictionTopic?: string
  /** What this node knows of a member's jurisdiction (null: none; undefined: not known). */
  peerJurisdiction: (peer: string) => string | null | undefined
  metrics: ClusterMetrics
  log: Logger
}

const VERDICTS: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  reject: TopicValidatorResult.Reject,
  ignore: TopicValidatorResult.Ignore
}

/** Most writes in one replicate frame the server accepts. */
const MAX_WRITES_PER_FRAME = 1024

/** Registers every handler and listener; resolves with the function that removes them. */
export async function wireHandlers (init: HandlersInit): Promise<Unwire> {
  const { store, host, transport, actors, asker, topic, metrics } = init
  const c = store.config
  const undo: Array<() => void | Promise<void>> = []
  const membership = new Coalescer<MembershipMsg>(actors.membership, batch => ({ type: 'batch', batch }))
  const gossip = new Coalescer<GossipPeerMsg>(actors.gossip, batch => ({ type: 'batch', batch }))
  const inbound = new Coalescer<InboundWritesMsg>(actors.inbound, batch => ({ type: 'batch', batch }))

  // ---- gossip ----------------------------------------------------------------------------
  const pubsub = host.pubsub
  const topics = init.jurisdictionTopic === undefined ? [topic] : [topic, init.jurisdictionTopic]
  const validator = async (peer: PeerId, msg: Parameters<Parameters<typeof pubsub.topicValidators.set>[1]>[1]): Promise<TopicValidatorResult> => {
    const carrier = transport.learn(peer)
    const author = msg.type === 'signed' ? transport.learn(msg.from) : undefined
    const verdict = await asker.ask<GossipVerdict, GossipPeerMsg>(gossip, replyTo => ({ type: 'validate', data: msg.data, signed: msg.type === 'signed', carrier, author, replyTo }), c.writeTimeoutMs, 'gossip peer').catch(() => 'ignore' as const)
    return VERDICTS[verdict]
  }
  for (const t of topics) pubsub.topicValidators.set(t, validator)
  const selfId = host.peerId.toString()
  // 'gossipsub:message' (not 'message'): it names the propagation source, the peer whose connection delivered the message.
  const onMessage = (evt: CustomEvent<GossipsubMessage>): void => {
    const { msg, propagationSource } = evt.detail
    if (!topics.includes(msg.topic) || msg.type !== 'signed') return
    const from = transport.learn(msg.from)
    if (from === selfId) return
    gossip.send({ type: 'received', from, data: msg.data, carrier: transport.learn(propagationSource) })
  }
  const onSubs = (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
    const { peerId, subscriptions } = evt.detail
    if (subscriptions.some(s => s.topic === topic && s.subscribe)) membership.send({ type: 'subscribed', peerId: transport.learn(peerId) })
  }
  pubsub.addEventListener('gossipsub:message', onMessage as any)
  pubsub.addEventListener('subscription-change', onSubs as any)
  for (const t of topics) pubsub.subscribe(t)
  undo.push(() => {
    pubsub.removeEventListener('gossipsub:message', onMessage as any)
    pubsub.removeEventListener('subscription-change', onSubs as any)
    for (const t of topics) {
      pubsub.topicValidators.delete(t)
      try { pubsub.unsubscribe(t) } catch {}
    }
  })

  // ---- budgets ---------------------------------------------------------------------------
  const budgets = transport.budgets
  const reputation = transport.reputation
  budgetMetrics(store.registry, budgets)
  /**
   * The account of a new inbound stream, or undefined (stream aborted) when its peer is at
   * its cap (a refusal, counted and held against it) or below `peerDisconnectScore`.
   */
  const admit = (stream: Stream, from: string, protocol: BudgetProtocol): ReturnType<typeof budgets.account> | undefined => {
    if (reputation.disconnected(from)) {
      stream.abort(new Error('peer below the disconnect score'))
      return undefined
    }
    if (!budgets.full(from)) return budgets.account(from, protocol)
    budgets.refused(protocol, from)
    stream.abort(new Error('peer over its memory budget'))
    return undefined
  }

  // ---- replicate -------------------------------------------------------------------------
  const origin = host.peerId.toMultihash().bytes
  const fetch = async (key: string, writeId: string): Promise<Write | undefined> => {
    const rec = await store.lookup(key).catch(() => undefined)
    if (rec === undefined || rec.writeId !== writeId) return undefined
    return toWire(rec, origin)
  }
  /**
   * A replicate frame's writes: those within the peer's rate (`peerWriteRate`,
   * `peerByteRate`) go to inbound writes, the rest are answered FAILED (not held: the
   * sender gossips them) and cost the peer a `rate_limited` penalty; a frame with an
   * invalid write costs it an `invalid_write` penalty.
   */
  const inboundReplicate = (writes: Write[], from: string, signal: AbortSignal): Promise<WriteResult[]> => {
    const n = transport.rates.admit(from, writes.map(writeBytes))
    if (n < writes.length) reputation.penalise(from, 'rate_limited')
    const refused = Array.from({ length: writes.length - n }, () => WriteResult.FAILED)
    if (n === 0) return Promise.resolve(refused)
    const admitted = n === writes.length ? writes : writes.slice(0, n)
    return asker.ask<WriteResult[], InboundWritesMsg>(inbound, replyTo => ({ type: 'writes', writes: admitted, from, via: 'replicate', signal, replyTo }), c.writeTimeoutMs + c.dialTimeoutMs, 'inbound writes').then(results => {
      if (results.includes(WriteResult.INVALID)) reputation.penalise(from, 'invalid_write')
      return refused.length === 0 ? results : [...results, ...refused]
    })
  }
  await host.handle(REPLICATE_PROTOCOL, (stream: Stream, connection: Connection) => {
    const from = transport.learn(connection.remotePeer)
    const account = admit(stream, from, 'replicate')
    if (account === undefined) return
    void serveReplicateStream(stream, from, {
      network: c.network,
      enclave: c.enclave,
      maxFrameBytes: transport.maxFrameBytes,
      maxWritesPerFrame: MAX_WRITES_PER_FRAME,
      // The sender's own request timeout (ReplicateClient): past it nobody waits for the answer.
      frameTimeoutMs: c.writeTimeoutMs + c.dialTimeoutMs,
      account,
      handler: {
        // Not async: the writes (views into the frame) are handed over, not kept here.
        writes: (writes, from, signal) => inboundReplicate(writes, from, signal),
        fetch,
        leave: (peerId) => membership.send({ type: 'leave', peerId }),
        // A valid frame in our enclave on the peer's own connection: it speaks REPRAM (verified).
        seen: (peerId) => membership.send({ type: 'seen', peerId, carrier: peerId }),
        members: async (peerId) => transport.exchangeWire(await asker.ask<KnownPeer[], MembershipMsg>(membership, replyTo => ({ type: 'exchange', asker: peerId, replyTo }), LEAVE_TIMEOUT_MS, 'membership').catch(() => [])),
        refused: (reason) => {
          metrics.replicateFrames.inc({ result: reason })
          // An undecodable frame is something no honest node sends; another enclave is a misconfiguration.
          if (reason === 'schema') reputation.penalise(from, 'invalid_write')
        }
      }
    })
  }, { maxInboundStreams: c.maxReplicateStreams, maxOutboundStreams: c.maxReplicateStreams, runOnLimitedConnection: true })
  undo.push(async () => { await host.unhandle(REPLICATE_PROTOCOL).catch(() => {}) })

  // ---- sync and blob ---------------------------------------------------------------------
  await host.handle(SYNC_PROTOCOL, (stream: Stream, connection: Connection) => {
    const from = transport.learn(connection.remotePeer)
    const account = admit(stream, from, 'sync')
    if (account !== undefined) void init.sync.serve(stream, from, account)
  }, { maxInboundStreams: SYNC_MAX_STREAMS, maxOutboundStreams: SYNC_MAX_STREAMS, runOnLimitedConnection: true })
  undo.push(async () => { await host.unhandle(SYNC_PROTOCOL).catch(() => {}) })
  await host.handle(BLOB_PROTOCOL, (stream: Stream, connection: Connection) => {
    const asking = transport.learn(connection.remotePeer)
    const account = admit(stream, asking, 'blob')
    if (account === undefined) return
    void serveBlobStream(stream, {
      account,
      network: c.network,
      enclave: c.enclave,
      maxValueBytes: c.maxValueBytes,
      maxKeyBytes: c.maxKeyBytes,
      timeoutMs: c.syncTimeoutMs,
      now: () => store.clock.now(),
      lookup: async (key) => await store.lookup(key),
      // Honest pullers only ask for what they may hold; a peer not known to be in the record's jurisdictions gets nothing.
      admits: (rec) => admits(rec.jurisdictions, init.peerJurisdiction(asking)),
      withheld: () => store.outOfJurisdiction('withheld', 'blob')
    })
  }, { maxInboundStreams: SYNC_MAX_STREAMS, maxOutboundStreams: SYNC_MAX_STREAMS, runOnLimitedConnection: true })
  undo.push(async () => { await host.unhandle(BLOB_PROTOCOL).catch(() => {}) })

  // ---- connections -----------------------------------------------------------------------
  const onConnect = (evt: CustomEvent<PeerId>): void => {
    const peerId = transport.learn(evt.detail)
    // Below the disconnect score: closed again until its score decays back.
    if (reputation.disconnected(peerId)) transport.hangUp(peerId)
    else membership.send({ type: 'connected', peerId })
  }
  const onDisconnect = (evt: CustomEvent<PeerId>): void => membership.send({ type: 'disconnected', peerId: evt.detail.toString() })
  host.events.addEventListener('peer:connect', onConnect as any)
  host.events.addEventListener('peer:disconnect', onDisconnect as any)
  undo.push(() => {
    host.events.removeEventListener('peer:connect', onConnect as any)
    host.events.removeEventListener('peer:disconnect', onDisconnect as any)
  })
  if (c.mdns) {
    // libp2p 3 does not dial what mDNS discovers (STACK.md): dial it, and membership admits it once it speaks REPRAM.
    const onDiscovery = (evt: CustomEvent<{ id: PeerId }>): void => {
      const id = evt.detail.id
      if (id.equals(host.peerId) || host.getConnections(id).length > 0) return
      host.dial(id, { signal: AbortSignal.timeout(c.dialTimeoutMs) }).catch(() => metrics.dialFailures.inc({ kind: 'discovery' }))
    }
    host.events.addEventListener('peer:discovery', onDiscovery as any)
    undo.push(() => host.events.removeEventListener('peer:discovery', onDiscovery as any))
  }

  return async () => {
    for (const u of undo.splice(0).reverse()) await u()
  }
}
