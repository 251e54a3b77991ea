/**
 * The cluster layer of a node: implements the node's {@link Replicator} seam on libp2p.
 * It wires the gossip topic to the GossipPeer actor, the replicate protocol to the
 * QuorumCoordinator, and membership/health to the Membership actor; it dials bootstrap
 * peers (at once, then with backoff) and mDNS discoveries; and it announces a graceful
 * leave on stop.
 *
 * @example
 * import { createRepramNode } from 'repram'
 * // A networked node: libp2p is created from the config (listen, peers, mdns, secret).
 * const node = await createRepramNode({ config: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false }, network: true })
 * console.log(node.networkInfo().addresses)
 * await node.stop()
 */
import { start as startSystem, stop as stopSystem, dispatch, type Ref } from 'nact'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { toString as bytesToString } from 'uint8arrays/to-string'
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { Libp2p, PeerId, PrivateKey, Stream, Connection } from '@libp2p/interface'
import type { Replicator, RepramNode, TopologyPeer } from '../node/node.js'
import type { RepramConfig } from '../config.js'
import type { Logger } from '../logger.js'
import type { RepramRecord } from '../record.js'
import { Asker, Coalescer } from '../../actors/runtime/ask.js'
import { spawnMembership, announceIntervalMs, announceDue, announceWaitMs, type Member, type MembershipEvent, type MembershipMsg } from '../../actors/membership/index.js'
import { spawnQuorumCoordinator, type BeginWrite, type QuorumCoordinatorMsg } from '../../actors/quorum-coordinator/index.js'
import { spawnGossipPeer, type GossipPeerMsg } from '../../actors/gossip-peer/index.js'
import { GossipMessage, WriteResult, type PeerInfo, type Write } from '../wire/pb/repram.js'
import { ANNOUNCE_MAX_ADDRS, DEFAULT_PUBSUB_SERVICE, FRAME_OVERHEAD_BYTES, LEAVE_TIMEOUT_MS, REDIAL_MAX_MS, REDIAL_MIN_MS, REPLICATE_PROTOCOL, SEEN_WRITE_MAX, SEEN_WRITE_TTL_MS } from './constants.js'
import { createClusterMetrics, type ClusterMetrics } from './metrics.js'
import { ReplicateClient, serveReplicateStream } from './replicate.js'
import { SeenCache } from './seen-cache.js'
import { topicFor } from './topic.js'
import { checkWrite, fromWire, toWire, wireSize } from '../wire/write.js'
import { hostFromLibp2p, type NetHost } from './host.js'
import { BLOB_PROTOCOL, PEER_EXCHANGE_MAX, SYNC_PROTOCOL } from './constants.js'
import { BlobClient, serveBlobStream } from './blob.js'
import { SyncEngine, createSyncMetrics, SYNC_MAX_STREAMS, type SyncMetrics } from './sync.js'
import { spawnAntiEntropy, shuffle, type AntiEntropyMsg, type RoundReason } from '../../actors/anti-entropy/index.js'
import type { ConnectionGater } from '@libp2p/interface'

/** How a {@link ClusterReplicator} gets its libp2p node. */
export interface ClusterReplicatorInit {
  /** An existing, started libp2p node with gossipsub (it is not stopped by the node). */
  libp2p?: Libp2p<any>
  /** A prepared host (the `repram()` service passes its components). */
  host?: NetHost
  /** Name of the gossipsub service in `libp2p.services`. @default 'pubsub' */
  pubsubService?: string
  /** Identity when the replicator creates libp2p. @default loaded from (or created in) `config.dataDir` */
  privateKey?: PrivateKey
  /** Added latency of the memory transport, in ms (simulations). @default 0 */
  memoryLatencyMs?: number
  /** Connection gater of the libp2p node the replicator creates (tests partition with it). */
  connectionGater?: ConnectionGater
}

type RunState =
  | { code: 'stopped' }
  | { code: 'started', host: NetHost, owned: Libp2p<any> | undefined, system: ReturnType<typeof startSystem>, timers: NodeJS.Timeout[] }

interface BootstrapTarget { addr: Multiaddr, peerId: string | undefined, backoffMs: number, nextAt: number, dialing: boolean }

/** Why a gossip message was rejected. A small enum: used in debug logs. */
type GossipRejection = 'unsigned' | 'oversized' | 'schema' | 'enclave' | 'write'

/** The libp2p replication layer. One per node. */
export class ClusterReplicator implements Replicator {
  private state: RunState = { code: 'stopped' }
  private node!: RepramNode
  private config!: RepramConfig
  private log!: Logger
  private metrics!: ClusterMetrics
  private topic = ''
  private selfId = ''
  private view: readonly Member[] = []
  private membership!: Ref<MembershipMsg>
  private coordinator!: Ref<QuorumCoordinatorMsg>
  private gossip!: Ref<GossipPeerMsg>
  private readonly asker = new Asker(20)
  private readonly clients = new Map<string, ReplicateClient>()
  private readonly peerIds = new Map<string, PeerId>()
  private readonly merged = new SeenCache(SEEN_WRITE_TTL_MS, SEEN_WRITE_MAX)
  private readonly gossiped = new SeenCache(SEEN_WRITE_TTL_MS, SEEN_WRITE_MAX)
  private readonly decoded = new WeakMap<Uint8Array, GossipMessage>()
  private bootstrap: BootstrapTarget[] = []
  private announceSoon: NodeJS.Timeout | undefined
  private announceTimer: NodeJS.Timeout | undefined
  /** When this node last published on gossip (performance.now()): see {@link announceDue}. */
  private lastGossipAt = -Infinity
  /** Senders to the gossip and membership actors: one mailbox turn for all of a loop turn's messages. */
  private gossipIn!: Coalescer<GossipPeerMsg>
  private membershipIn!: Coalescer<MembershipMsg>
  /** Per member, the announced addresses last merged into the peer store. */
  private readonly mergedAddrs = new Map<string, string>()
  private stopping: Promise<void> | undefined
  private readonly listeners: Array<() => void> = []
  private queued: BeginWrite[] = []
  /** Writes sent only directly (every member was a direct target); gossiped if a send fails. */
  private readonly directOnly = new WeakSet<RepramRecord>()
  private flushQueued = false
  private antiEntropy!: Ref<AntiEntropyMsg>
  private sync!: SyncEngine
  private blobs!: BlobClient
  private syncMetrics!: SyncMetrics
  /** Aborted on stop: ends rounds, read-throughs and pulls in flight. */
  private halt = new AbortController()

  constructor (private readonly init: ClusterReplicatorInit = {}) {}

  /** The libp2p node this replicator created, if any (tests, tools). */
  get libp2p (): Libp2p<any> | undefined {
    return this.state.code === 'started' ? this.state.owned : undefined
  }

  async start (node: RepramNode): Promise<void> {
    if (this.state.code === 'started') return
    this.node = node
    this.config = node.config
    this.log = node.logger.child({ component: 'repram:cluster' })
    const c = this.config
    let owned: Libp2p<any> | undefined
    let host = this.init.host
    try {
      if (host === undefined) {
        let libp2p = this.init.libp2p
        if (libp2p === undefined) {
          const { createRepramLibp2p } = await import('./libp2p.js')
          const { loadOrCreateIdentity } = await import('./identity.js')
          const privateKey = this.init.privateKey ?? await loadOrCreateIdentity(c.dataDir)
          libp2p = owned = await createRepramLibp2p(c, { privateKey, memoryLatencyMs: this.init.memoryLatencyMs, connectionGater: this.init.connectionGater, registry: node.registry })
        }
        host = hostFromLibp2p(libp2p, this.init.pubsubService ?? DEFAULT_PUBSUB_SERVICE)
      }
      this.selfId = host.peerId.toString()
      this.topic = topicFor(c.network, c.enclave)
      this.metrics = createClusterMetrics(node.registry)
      this.syncMetrics ??= createSyncMetrics(node.registry)
      this.halt = new AbortController()
      const system = startSystem()
      this.state = { code: 'started', host, owned, system, timers: [] }
      this.spawnActors(host, system)
      await this.wire(host)
      this.log.info({ peerId: this.selfId, addresses: this.info().addresses, topic: this.topic }, 'cluster layer started')
    } catch (err) {
      await this.teardown(false)
      if (owned !== undefined && this.state.code === 'stopped') await Promise.resolve(owned.stop()).catch(() => {})
      throw err
    }
  }

  async replicate (record: RepramRecord): Promise<{ replicas: number, quorum: boolean }> {
    if (this.state.code !== 'started') return { replicas: 1, quorum: false }
    // Writes of one event-loop turn travel together: one gossip message and one
    // coordinator message per turn, not per write (nact handles one message per turn).
    return await new Promise(resolve => {
      this.queued.push({ record, replyTo: (r) => resolve({ replicas: r.replicas, quorum: r.quorum }) })
      if (!this.flushQueued) {
        this.flushQueued = true
        // One loop turn: the writes answered by every shard in this turn travel together.
        // (A microtask flush sent one frame per shard batch: more, smaller frames, and the
        // socket writes per frame cost more than the turn.)
        setImmediate(() => this.flushWrites())
      }
    })
  }

  /** Writes that skipped gossip but a direct send of which failed: gossip them now. */
  private gossipUndelivered (records: RepramRecord[]): void {
    const late = records.filter(r => this.directOnly.delete(r))
    if (late.length > 0 && this.state.code === 'started') this.gossipIn.send({ type: 'publish', records: late })
  }

  private flushWrites (): void {
    this.flushQueued = false
    const writes = this.queued
    this.queued = []
    if (writes.length === 0) return
    if (this.state.code !== 'started') {
      for (const w of writes) w.replyTo({ replicas: 1, quorum: false, outcome: 'shutdown' })
      return
    }
    // Gossip carries a write to the members direct replication does not reach. When every
    // member is a healthy direct target (an enclave no larger than R), it would deliver
    // only duplicates, at a signature per message and a verification per receiver: skip
    // it, and gossip a write after all if a direct send of it fails (see `send` above).
    // With R = 1 (or alone) there are no direct targets, so the write is gossiped.
    // Stored entries copy their value out on every read of `.value`: read it once here,
    // not once per target, per size check and per encoding.
    for (const w of writes) {
      const r = w.record
      w.record = { key: r.key, value: r.value, createdAt: r.createdAt, expiresAt: r.expiresAt, writeId: r.writeId }
    }
    const view = this.view
    const allDirect = view.length > 0 && view.length <= this.config.replication - 1 && view.every(m => m.healthy)
    if (allDirect) for (const w of writes) this.directOnly.add(w.record)
    else this.gossipIn.send({ type: 'publish', records: writes.map(w => w.record) })
    dispatch(this.coordinator, { type: 'begin', writes })
  }

  info (): { nodeId: string, addresses: string[], peers: number } {
    if (this.state.code !== 'started') return { nodeId: this.selfId, addresses: [], peers: 0 }
    const suffix = `/p2p/${this.selfId}`
    const addresses = this.state.host.getMultiaddrs().map(ma => {
      const s = ma.toString()
      return s.endsWith(suffix) ? s : `${s}${suffix}`
    })
    return { nodeId: this.selfId, addresses, peers: this.view.length }
  }

  topology (): TopologyPeer[] {
    const host = this.state.code === 'started' ? this.state.host : undefined
    return this.view.map(m => ({
      id: m.id,
      addresses: m.addresses.length > 0 ? m.addresses : connAddresses(host, this.peerIds.get(m.id)),
      enclave: this.config.enclave,
      rtt_ms: m.rttMs === null ? null : Math.round(m.rttMs * 100) / 100,
      healthy: m.healthy,
      last_seen: m.lastSeen
    }))
  }

  /** Graceful stop: announces the leave, answers pending writes as 202, stops libp2p if owned. */
  async stop (): Promise<void> {
    this.stopping ??= this.teardown(true)
    await this.stopping
  }

  /**
   * Stops without announcing a leave, as a crash would look to peers (tests, simulations).
   * Peers keep counting this node until `memberTtl` passes.
   */
  async crash (): Promise<void> {
    this.stopping ??= this.teardown(false)
    await this.stopping
  }

  // ---- wiring ---------------------------------------------------------------------------

  private spawnActors (host: NetHost, system: ReturnType<typeof startSystem>): void {
    const c = this.config
    const origin = host.peerId.toMultihash().bytes
    this.membership = spawnMembership(system, {
      memberTtlMs: c.memberTtlMs,
      pingFailures: c.pingFailures,
      activePeers: c.activePeers,
      self: this.selfId,
      now: () => Date.now(),
      ping: async (id, opts) => await this.ping(id, opts.dial),
      onView: (members) => this.onView(members),
      onEvent: (e) => this.onMembershipEvent(e)
    })
    this.membershipIn = new Coalescer(this.membership, batch => ({ type: 'batch', batch }))
    this.coordinator = spawnQuorumCoordinator(system, {
      replication: c.replication,
      writeTimeoutMs: c.writeTimeoutMs,
      members: () => this.view,
      send: async (peerId, records) => {
        const cl = this.client(peerId)
        // Values above the inline threshold are announced: the replica pulls them over the blob protocol and acks once it holds them.
        const results = await Promise.all(records.map(async r => await cl.send(toWire(r, origin, r.value.byteLength <= c.gossipInlineBytes)).catch(() => WriteResult.FAILED)))
        const held = results.map(r => r === WriteResult.HELD)
        this.gossipUndelivered(records.filter((_, i) => !held[i]))
        return held
      },
      onOutcome: (outcome) => this.metrics.quorumOutcomes.inc({ outcome }),
      onAck: (ok, ms) => this.metrics.replicationLatency.observe({ result: ok ? 'ok' : 'failed' }, ms / 1000)
    })
    this.gossip = spawnGossipPeer(system, {
      batchSize: c.gossipBatchSize,
      batchDelayMs: c.gossipBatchDelayMs,
      maxMessageBytes: c.maxGossipMessageBytes,
      inlineBytes: c.gossipInlineBytes,
      toWire: (rec, inline) => toWire(rec, origin, inline),
      sizeOf: wireSize,
      publish: async (m) => {
        const data = GossipMessage.encode({ network: c.network, enclave: c.enclave, ...m })
        const res = await host.pubsub.publish(this.topic, data)
        return res.recipients.length
      },
      merge: (rec) => { void this.mergeRemote(rec, 'gossip') },
      pull: (from, w) => { void this.pull(from, w) },
      firstSight: (id) => this.merged.add(id),
      seen: (peerId, addrs) => this.seen(peerId, addrs),
      left: (peerId) => this.membershipIn.send({ type: 'leave', peerId }),
      onPublished: (result, writes) => {
        if (result === 'published') this.lastGossipAt = performance.now()
        this.metrics.gossipMessages.inc({ direction: 'out', result })
        this.metrics.gossipWrites.inc({ direction: 'out', result }, writes)
      }
    })
    this.gossipIn = new Coalescer(this.gossip, batch => ({ type: 'batch', batch }))
    this.blobs = new BlobClient({
      network: c.network,
      enclave: c.enclave,
      maxValueBytes: c.maxValueBytes,
      maxKeyBytes: c.maxKeyBytes,
      timeoutMs: c.syncTimeoutMs,
      open: async (id, signal) => await this.openStream(id, BLOB_PROTOCOL, signal)
    })
    this.sync = new SyncEngine({
      node: this.node,
      open: async (id, signal) => await this.openStream(id, SYNC_PROTOCOL, signal),
      blobs: this.blobs,
      metrics: this.syncMetrics,
      log: this.log
    })
    this.antiEntropy = spawnAntiEntropy(system, { round: async (id, reason) => await this.syncRound(id, reason) })
  }

  /** One anti-entropy round with a peer, bounded by `syncTimeoutMs` and by stop. */
  private async syncRound (peerId: string, reason: RoundReason): Promise<void> {
    if (this.state.code !== 'started') return
    const signal = AbortSignal.any([AbortSignal.timeout(this.config.syncTimeoutMs), this.halt.signal])
    try {
      const r = await this.sync.round(peerId, signal)
      if (!r.inSync) this.log.debug({ peer: peerId, reason, pulled: r.pulled, pushed: r.pushed, bytesIn: r.bytesIn, bytesOut: r.bytesOut }, 'sync round repaired')
    } catch (err) {
      this.syncMetrics.rounds.inc({ result: 'failed' })
      this.log.debug({ peer: peerId, reason, err: (err as Error)?.message }, 'sync round failed')
    }
  }

  private async openStream (id: string, protocol: string, signal: AbortSignal): Promise<Stream> {
    if (this.state.code !== 'started') throw new Error('cluster layer stopped')
    const peer = this.peerId(id)
    if (peer === undefined) throw new Error('bad peer id')
    return await this.state.host.newStream(peer, protocol, { signal: AbortSignal.any([signal, this.halt.signal]), maxOutboundStreams: SYNC_MAX_STREAMS })
  }

  /** Read-through on a local GET miss: up to `readThroughPeers` healthy peers, from their local state. */
  async readThrough (key: string): Promise<RepramRecord | undefined> {
    const k = this.config?.readThroughPeers ?? 0
    if (this.state.code !== 'started' || k <= 0) return undefined
    const peers = shuffle(this.view.filter(m => m.healthy && m.active).map(m => m.id)).slice(0, k)
    return await this.sync.readThrough(key, peers)
  }

  private async wire (host: NetHost): Promise<void> {
    const c = this.config
    const pubsub = host.pubsub
    pubsub.topicValidators.set(this.topic, (peer, msg) => this.validate(msg))
    const onMessage = (evt: CustomEvent<Message>): void => this.onGossip(evt.detail)
    const onSubs = (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void => {
      const { peerId, subscriptions } = evt.detail
      if (subscriptions.some(s => s.topic === this.topic && s.subscribe)) {
        this.peerIds.set(peerId.toString(), peerId)
        this.seen(peerId.toString())
      }
    }
    pubsub.addEventListener('message', onMessage as any)
    pubsub.addEventListener('subscription-change', onSubs as any)
    this.listeners.push(() => {
      pubsub.removeEventListener('message', onMessage as any)
      pubsub.removeEventListener('subscription-change', onSubs as any)
      pubsub.topicValidators.delete(this.topic)
    })
    pubsub.subscribe(this.topic)

    const maxFrameBytes = c.maxValueBytes + c.maxKeyBytes * 4 + FRAME_OVERHEAD_BYTES
    await host.handle(REPLICATE_PROTOCOL, (stream: Stream, connection: Connection) => {
      const from = connection.remotePeer.toString()
      this.peerIds.set(from, connection.remotePeer)
      void serveReplicateStream(stream, from, {
        network: c.network,
        enclave: c.enclave,
        maxFrameBytes,
        maxWritesPerFrame: 1024,
        handler: {
          writes: async (writes) => await this.onDirectWrites(writes, from),
          fetch: async (key, writeId) => await this.onFetch(key, writeId),
          leave: (peerId) => this.membershipIn.send({ type: 'leave', peerId }),
          seen: (peerId) => this.seen(peerId),
          members: (peerId) => this.exchangeList(peerId),
          refused: (reason) => this.metrics.replicateFrames.inc({ result: reason })
        }
      })
    }, { maxInboundStreams: c.maxReplicateStreams, maxOutboundStreams: c.maxReplicateStreams })
    await host.handle(SYNC_PROTOCOL, (stream: Stream, connection: Connection) => {
      void this.sync.serve(stream, connection.remotePeer.toString())
    }, { maxInboundStreams: SYNC_MAX_STREAMS, maxOutboundStreams: SYNC_MAX_STREAMS })
    await host.handle(BLOB_PROTOCOL, (stream: Stream) => {
      void serveBlobStream(stream, {
        network: c.network,
        enclave: c.enclave,
        maxValueBytes: c.maxValueBytes,
        maxKeyBytes: c.maxKeyBytes,
        timeoutMs: c.syncTimeoutMs,
        now: () => this.node.clock.now(),
        lookup: async (key) => await this.node.get(key, { local: true })
      })
    }, { maxInboundStreams: SYNC_MAX_STREAMS, maxOutboundStreams: SYNC_MAX_STREAMS })

    const onConnect = (evt: CustomEvent<PeerId>): void => {
      const id = evt.detail.toString()
      this.membershipIn.send({ type: 'connected', peerId: id })
      // A reconnect (restart, healed partition) of a known member: sync at once. New peers sync when they join.
      if (this.view.some(m => m.id === id)) dispatch(this.antiEntropy, { type: 'trigger', peerId: id })
    }
    const onDisconnect = (evt: CustomEvent<PeerId>): void => {
      this.membershipIn.send({ type: 'disconnected', peerId: evt.detail.toString() })
    }
    host.events.addEventListener('peer:connect', onConnect as any)
    host.events.addEventListener('peer:disconnect', onDisconnect as any)
    this.listeners.push(() => {
      host.events.removeEventListener('peer:connect', onConnect as any)
      host.events.removeEventListener('peer:disconnect', onDisconnect as any)
    })

    if (c.mdns) {
      const onDiscovery = (evt: CustomEvent<{ id: PeerId }>): void => {
        const id = evt.detail.id
        if (id.equals(host.peerId) || host.getConnections(id).length > 0) return
        host.dial(id, { signal: AbortSignal.timeout(c.dialTimeoutMs) }).catch(() => this.metrics.dialFailures.inc({ kind: 'discovery' }))
      }
      host.events.addEventListener('peer:discovery', onDiscovery as any)
      this.listeners.push(() => host.events.removeEventListener('peer:discovery', onDiscovery as any))
    }

    const now = Date.now()
    this.bootstrap = c.peers.flatMap(s => {
      try {
        const addr = multiaddr(s)
        const peerId = /\/p2p\/([^/]+)$/.exec(s)?.[1]
        if (peerId === this.selfId) return []
        return [{ addr, peerId, backoffMs: REDIAL_MIN_MS, nextAt: now, dialing: false }]
      } catch {
        this.log.warn('ignoring a bootstrap address that is not a multiaddr')
        return []
      }
    })
    this.maintainBootstrap()

    if (this.state.code !== 'started') return
    const timers = this.state.timers
    timers.push(setInterval(() => {
      this.membershipIn.send({ type: 'tick' })
      this.maintainBootstrap()
      this.pruneConnections()
    }, c.pingIntervalMs))
    this.scheduleAnnounce()
    if (c.syncIntervalMs > 0) timers.push(setInterval(() => dispatch(this.antiEntropy, { type: 'tick' }), c.syncIntervalMs))
    for (const t of timers) t.unref()
  }

  // ---- gossip ---------------------------------------------------------------------------

  /** The topic validator (DESIGN §4): Reject invalid messages, Ignore pure duplicates. */
  private validate (msg: Message): TopicValidatorResult {
    const c = this.config
    const reject = (reason: GossipRejection): TopicValidatorResult => {
      this.metrics.gossipMessages.inc({ direction: 'in', result: 'reject' })
      this.log.debug({ reason }, 'rejected a gossip message')
      return TopicValidatorResult.Reject
    }
    if (msg.type !== 'signed') return reject('unsigned')
    if (msg.data.byteLength > c.maxGossipMessageBytes) return reject('oversized')
    let m: GossipMessage
    try {
      m = GossipMessage.decode(msg.data, { limits: { writes: c.gossipBatchSize, announce: { addrs: ANNOUNCE_MAX_ADDRS } } as any })
    } catch {
      return reject('schema')
    }
    if (m.network !== c.network || m.enclave !== c.enclave) return reject('enclave')
    const now = this.node.clock.now()
    let dup = m.writes.length > 0
    for (const w of m.writes) {
      const why = checkWrite(w, now, c)
      if (why !== undefined) {
        this.metrics.gossipWrites.inc({ direction: 'in', result: why === 'expired' ? 'expired' : 'invalid' })
        return reject('write')
      }
      if (!this.gossiped.has(w.writeId)) dup = false
    }
    if (dup) {
      this.metrics.gossipMessages.inc({ direction: 'in', result: 'ignore' })
      return TopicValidatorResult.Ignore
    }
    for (const w of m.writes) this.gossiped.add(w.writeId)
    this.decoded.set(msg.data, m)
    this.metrics.gossipMessages.inc({ direction: 'in', result: 'accept' })
    return TopicValidatorResult.Accept
  }

  private onGossip (msg: Message): void {
    if (msg.topic !== this.topic || msg.type !== 'signed') return
    const from = msg.from.toString()
    if (from === this.selfId) return
    this.peerIds.set(from, msg.from)
    let m = this.decoded.get(msg.data)
    if (m === undefined) {
      try { m = GossipMessage.decode(msg.data) } catch { return }
    }
    this.gossipIn.send({ type: 'inbound', from, message: m })
  }

  /**
   * The announce timer: fires after a jittered wait of at most {@link announceIntervalMs}
   * for the current enclave size and announces unless this node published gossip within
   * that wait (then it fires again when the wait would be up; see {@link announceDue}).
   */
  private scheduleAnnounce (waitMs?: number, delayMs?: number): void {
    const interval = (): number => announceIntervalMs(this.config.memberTtlMs, this.config.pingIntervalMs, this.view.length)
    const wait = waitMs ?? announceWaitMs(interval())
    this.announceTimer = setTimeout(() => {
      if (this.state.code !== 'started') return
      // Any gossip this node published (writes, signed by it) kept it alive for everyone.
      const due = announceDue(interval(), wait, performance.now() - this.lastGossipAt)
      if (due.announce) this.announce()
      else this.metrics.announces.inc({ result: 'skipped' })
      this.scheduleAnnounce(due.waitMs, due.delayMs)
    }, delayMs ?? wait)
    this.announceTimer.unref()
  }

  private announce (): void {
    if (this.state.code !== 'started') return
    const addrs = this.state.host.getMultiaddrs().slice(0, ANNOUNCE_MAX_ADDRS).map(ma => ma.bytes)
    this.lastGossipAt = performance.now()
    this.metrics.announces.inc({ result: 'sent' })
    this.gossipIn.send({ type: 'announce', addresses: addrs })
  }

  /** A sign of life; announced addresses are remembered for dialling. */
  private seen (peerId: string, addrs?: Uint8Array[]): void {
    if (peerId === this.selfId) return
    const id = this.peerId(peerId)
    const host = this.state.code === 'started' ? this.state.host : undefined
    let addresses: string[] | undefined
    if (addrs !== undefined && addrs.length > 0 && host !== undefined) {
      const mas: Multiaddr[] = []
      for (const b of addrs.slice(0, ANNOUNCE_MAX_ADDRS)) {
        try { mas.push(multiaddr(b)) } catch {}
      }
      addresses = mas.map(ma => ma.toString())
      // Announces repeat the same addresses: merge them into the peer store only when they change.
      const key = addresses.join(' ')
      if (id !== undefined && mas.length > 0 && this.mergedAddrs.get(peerId) !== key) {
        this.mergedAddrs.set(peerId, key)
        Promise.resolve(host.peerStore.merge(id, { multiaddrs: mas.map(ma => withoutP2p(ma)) })).catch(() => {})
      }
    }
    const connected = host !== undefined && id !== undefined && host.getConnections(id).length > 0
    this.membershipIn.send({ type: 'seen', peerId, addresses, connected })
  }

  // ---- peer exchange ---------------------------------------------------------------------

  /**
   * Peer exchange, server side: the healthy members we know with their announced
   * addresses, except the asker. At most {@link PEER_EXCHANGE_MAX} entries.
   */
  private exchangeList (asker: string): PeerInfo[] {
    const out: PeerInfo[] = []
    for (const m of this.view) {
      if (out.length >= PEER_EXCHANGE_MAX) break
      if (m.id === asker || !m.healthy || m.addresses.length === 0) continue
      const id = this.peerId(m.id)
      if (id === undefined) continue
      const addrs: Array<Uint8Array<ArrayBuffer>> = []
      for (const a of m.addresses.slice(0, ANNOUNCE_MAX_ADDRS)) {
        try { addrs.push(Uint8Array.from(multiaddr(a).bytes)) } catch {}
      }
      out.push({ id: Uint8Array.from(id.toMultihash().bytes), addrs })
    }
    return out
  }

  /**
   * Peer exchange, client side: a node that was alone asks its first peer for the members
   * it knows, so it learns the enclave (and picks its active view from all of it) at once
   * rather than one periodic announce at a time. They count as seen now: a dead one is
   * forgotten after `memberTtl` like any other.
   */
  private exchangePeers (from: string): void {
    this.client(from).members().then(list => {
      this.metrics.peerExchanges.inc({ result: 'ok' })
      for (const p of list.slice(0, PEER_EXCHANGE_MAX)) {
        let id: string
        // A peer id's text form is the base58btc of its multihash bytes.
        try { id = peerIdFromString(bytesToString(p.id, 'base58btc')).toString() } catch { continue }
        if (id === this.selfId) continue
        this.seen(id, p.addrs)
      }
    }, () => this.metrics.peerExchanges.inc({ result: 'failed' }))
  }

  // ---- writes from peers ----------------------------------------------------------------

  private async mergeRemote (rec: RepramRecord, via: 'gossip' | 'pull'): Promise<WriteResult> {
    try {
      const out = await this.node.merge(rec)
      if (via !== 'pull') this.metrics.gossipWrites.inc({ direction: 'in', result: out.status })
      switch (out.status) {
        case 'stored': case 'stale': return WriteResult.HELD
        case 'expired': return WriteResult.EXPIRED
        case 'capacity': return WriteResult.CAPACITY
      }
    } catch {
      return WriteResult.FAILED
    }
  }

  private async onDirectWrites (writes: Write[], from: string): Promise<WriteResult[]> {
    const now = this.node.clock.now()
    return await Promise.all(writes.map(async (w) => {
      const why = checkWrite(w, now, this.config)
      if (why === 'expired') return WriteResult.EXPIRED
      if (why !== undefined) {
        this.metrics.replicateFrames.inc({ result: 'invalid_write' })
        return WriteResult.INVALID
      }
      this.merged.add(w.writeId)
      try {
        // A large value is announced: pull it from the coordinator (hash checked) before acking, so the quorum counts pulled copies.
        const rec = w.size === undefined ? fromWire(w) : await this.blobs.pull(from, w, this.halt.signal)
        const out = await this.node.merge(rec)
        switch (out.status) {
          case 'stored': case 'stale': return WriteResult.HELD
          case 'expired': return WriteResult.EXPIRED
          case 'capacity': return WriteResult.CAPACITY
        }
      } catch {
        return WriteResult.FAILED
      }
    }))
  }

  private async onFetch (key: string, writeId: string): Promise<Write | undefined> {
    if (this.state.code !== 'started') return undefined
    const rec = await this.node.get(key).catch(() => undefined)
    if (rec === undefined || rec.writeId !== writeId) return undefined
    return toWire(rec, this.state.host.peerId.toMultihash().bytes)
  }

  /**
   * Pulls an announced large value over the blob protocol, from the author first, then
   * from other healthy peers (any holder of that writeId), checking its sha256.
   */
  private async pull (from: string, w: Write): Promise<void> {
    const others = shuffle(this.view.filter(m => m.healthy && m.active && m.id !== from).map(m => m.id)).slice(0, 2)
    for (const peer of [from, ...others]) {
      if (this.state.code !== 'started') return
      try {
        const rec = await this.blobs.pull(peer, w, this.halt.signal)
        const result = await this.mergeRemote(rec, 'pull')
        this.metrics.gossipWrites.inc({ direction: 'in', result: result === WriteResult.HELD ? 'pulled' : 'pull_failed' })
        return
      } catch {}
    }
    // Anti-entropy repairs it later.
    this.metrics.gossipWrites.inc({ direction: 'in', result: 'pull_failed' })
  }

  // ---- peers ----------------------------------------------------------------------------

  private peerId (id: string): PeerId | undefined {
    let p = this.peerIds.get(id)
    if (p === undefined) {
      try { p = peerIdFromString(id) } catch { return undefined }
      this.peerIds.set(id, p)
    }
    return p
  }

  private client (id: string): ReplicateClient {
    let cl = this.clients.get(id)
    if (cl === undefined) {
      if (this.state.code !== 'started') throw new Error('cluster layer stopped')
      const host = this.state.host
      const c = this.config
      const peer = this.peerId(id)
      if (peer === undefined) throw new Error('bad peer id')
      cl = new ReplicateClient({
        network: c.network,
        enclave: c.enclave,
        maxFrameBytes: c.maxValueBytes + c.maxKeyBytes * 4 + FRAME_OVERHEAD_BYTES,
        // Longer than the write timeout: the coordinator answers 202 first; this only unsticks a hung stream.
        timeoutMs: c.writeTimeoutMs + c.dialTimeoutMs,
        dialTimeoutMs: c.dialTimeoutMs,
        open: async (signal) => await host.newStream(peer, REPLICATE_PROTOCOL, { signal, maxOutboundStreams: c.maxReplicateStreams })
      })
      this.clients.set(id, cl)
    }
    return cl
  }

  /** RTT to `id`; undefined when `dial` is false and no connection is open. */
  private async ping (id: string, dial = true): Promise<number | undefined> {
    if (this.state.code !== 'started') throw new Error('stopped')
    const host = this.state.host
    const peer = this.peerId(id)
    if (peer === undefined) throw new Error('bad peer id')
    // libp2p's connection monitor already pings every open connection (and aborts one
    // whose ping fails): while such a connection is open, its last RTT is our answer and
    // no stream is opened. Pinging again here doubled the streams a node opens per
    // interval, the main idle cost of a large enclave. Without an open, monitored
    // connection we ping, which dials.
    const conns = host.getConnections(peer).filter(conn => conn.status === 'open')
    for (const conn of conns) {
      if (typeof conn.rtt === 'number' && Number.isFinite(conn.rtt)) return conn.rtt
    }
    if (!dial && conns.length === 0) return undefined
    // A ping may take up to a dial: a short interval must not turn a busy peer unhealthy.
    const signal = AbortSignal.timeout(Math.max(this.config.pingIntervalMs, this.config.dialTimeoutMs))
    if (host.ping !== undefined) return await host.ping(peer, { signal })
    return await this.client(id).ping()
  }

  private onView (members: readonly Member[]): void {
    this.view = members
    dispatch(this.antiEntropy, { type: 'peers', healthy: members.filter(m => m.healthy && m.active).map(m => m.id) })
    let healthy = 0
    for (const m of members) if (m.healthy) healthy++
    this.metrics.peersActive.set({ state: 'healthy' }, healthy)
    this.metrics.peersActive.set({ state: 'unhealthy' }, members.length - healthy)
  }

  private onMembershipEvent (e: MembershipEvent): void {
    switch (e.type) {
      case 'joined':
        this.metrics.peerJoins.inc()
        this.log.info({ peer: e.member.id }, 'peer joined')
        this.node.emit('peer:joined', { peerId: e.member.id, enclave: this.config.enclave })
        // A newcomer, a restarted peer or one back from a partition: compare digests now
        // (members outside the active view are not dialled for it).
        if (e.member.active) dispatch(this.antiEntropy, { type: 'trigger', peerId: e.member.id })
        // We were alone (starting, or cut off): tell the enclave we are here without
        // waiting for the next round. Members that hear it ping us, which connects us and
        // shows us them in turn. Members do not announce when someone else joins: that made
        // a forming cluster of N nodes send O(N²) announces, each delivered to every node.
        if (this.view.length === 0) this.exchangePeers(e.member.id)
        if (this.view.length === 0 && this.announceSoon === undefined) {
          this.announceSoon = setTimeout(() => { this.announceSoon = undefined; this.announce() }, 50)
          this.announceSoon.unref()
        }
        break
      case 'left': {
        this.metrics.peerEvictions.inc({ reason: e.reason })
        this.log.info({ peer: e.peerId, reason: e.reason }, 'peer left')
        const cl = this.clients.get(e.peerId)
        this.clients.delete(e.peerId)
        this.mergedAddrs.delete(e.peerId)
        cl?.close()
        this.node.emit('peer:left', { peerId: e.peerId, enclave: this.config.enclave, reason: e.reason })
        break
      }
      case 'unhealthy':
        this.log.warn({ peer: e.peerId }, 'peer unhealthy')
        break
      case 'recovered':
        this.log.info({ peer: e.peerId }, 'peer recovered')
        dispatch(this.antiEntropy, { type: 'trigger', peerId: e.peerId })
        break
      case 'ping-failed':
        this.metrics.pingFailures.inc()
        break
    }
  }

  /**
   * Closes connections this node opened to members outside its preferred view (those it
   * dialled while the enclave was small, or for a sync or a write); bootstrap peers stay.
   * Connections other nodes opened to us stay: they are in someone's view, and closing
   * them would only make that node dial again. So each node holds about `activePeers`
   * outbound and as many inbound connections, not one per member.
   */
  private pruneConnections (): void {
    if (this.state.code !== 'started' || this.config.activePeers <= 0) return
    const host = this.state.host
    // Bootstrap peers are re-dialled whenever they are not connected: keep them.
    const bootstrap = new Set(this.bootstrap.map(t => t.peerId))
    for (const m of this.view) {
      if (m.preferred || bootstrap.has(m.id)) continue
      const id = this.peerIds.get(m.id)
      if (id === undefined) continue
      for (const conn of host.getConnections(id)) {
        if (conn.direction === 'outbound' && conn.status === 'open') void conn.close().catch(() => {})
      }
    }
  }

  /** Dials bootstrap peers that are not connected, with exponential backoff per address. */
  private maintainBootstrap (): void {
    if (this.state.code !== 'started') return
    const host = this.state.host
    const now = Date.now()
    for (const t of this.bootstrap) {
      if (t.dialing || t.nextAt > now) continue
      const known = t.peerId !== undefined ? this.peerId(t.peerId) : undefined
      if (known !== undefined && host.getConnections(known).length > 0) {
        t.backoffMs = REDIAL_MIN_MS
        continue
      }
      t.dialing = true
      host.dial(t.addr, { signal: AbortSignal.timeout(this.config.dialTimeoutMs) }).then(conn => {
        t.dialing = false
        t.peerId = conn.remotePeer.toString()
        this.peerIds.set(t.peerId, conn.remotePeer)
        t.backoffMs = REDIAL_MIN_MS
        t.nextAt = Date.now()
      }, () => {
        t.dialing = false
        this.metrics.dialFailures.inc({ kind: 'bootstrap' })
        t.nextAt = Date.now() + t.backoffMs
        t.backoffMs = Math.min(REDIAL_MAX_MS, t.backoffMs * 2)
      })
    }
  }

  // ---- shutdown -------------------------------------------------------------------------

  private async teardown (graceful: boolean): Promise<void> {
    const s = this.state
    if (s.code !== 'started') return
    if (graceful) {
      // Announce the leave on gossip (for peers we are not connected to) and directly.
      const gossip = this.asker.ask<number, GossipPeerMsg>(this.gossip, replyTo => ({ type: 'leave', replyTo }), LEAVE_TIMEOUT_MS, 'gossip peer').catch(() => 0)
      const direct = Promise.allSettled(this.view.map(async m => {
        await Promise.race([this.client(m.id).leave(), new Promise((_resolve, reject) => setTimeout(reject, LEAVE_TIMEOUT_MS).unref())])
      }))
      await Promise.all([gossip, direct])
    }
    this.flushWrites()
    dispatch(this.coordinator, { type: 'shutdown' })
    dispatch(this.gossip, { type: 'halt' })
    dispatch(this.antiEntropy, { type: 'halt' })
    this.halt.abort(new Error('cluster layer stopping'))
    this.blobs.close()
    // Let the coordinator answer pending writes (202) before the system stops.
    await new Promise(resolve => setImmediate(resolve))
    await new Promise(resolve => setImmediate(resolve))
    for (const t of s.timers) clearInterval(t)
    if (this.announceSoon !== undefined) clearTimeout(this.announceSoon)
    if (this.announceTimer !== undefined) clearTimeout(this.announceTimer)
    for (const off of this.listeners.splice(0)) off()
    try { s.host.pubsub.unsubscribe(this.topic) } catch {}
    await s.host.unhandle(REPLICATE_PROTOCOL).catch(() => {})
    await s.host.unhandle(SYNC_PROTOCOL).catch(() => {})
    await s.host.unhandle(BLOB_PROTOCOL).catch(() => {})
    for (const cl of this.clients.values()) cl.close()
    this.clients.clear()
    this.asker.close()
    stopSystem(s.system)
    this.state = { code: 'stopped' }
    this.view = []
    if (s.owned !== undefined) await Promise.resolve(s.owned.stop()).catch((err: unknown) => this.log.warn({ err }, 'libp2p stop failed'))
  }
}

function withoutP2p (ma: Multiaddr): Multiaddr {
  const s = ma.toString()
  const i = s.lastIndexOf('/p2p/')
  return i > 0 ? multiaddr(s.slice(0, i)) : ma
}

function connAddresses (host: NetHost | undefined, peer: PeerId | undefined): string[] {
  if (host === undefined || peer === undefined) return []
  return host.getConnections(peer).map(c => `${c.remoteAddr.toString()}/p2p/${peer.toString()}`)
}
