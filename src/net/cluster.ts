/**
 * The cluster layer: the node's {@link Replicator} on libp2p. This file only assembles:
 * it gets a libp2p host (creates one, or uses the one given), spawns the network actors
 * under the node's actor system, connects them to each other and to the
 * {@link Libp2pTransport}, and registers the protocol handlers (`handlers.ts`) that turn
 * frames and libp2p events into actor messages. What each message means is decided by
 * the actors in `actors/` (see docs/architecture.md).
 *
 * @example
 * import { createRepramNode } from 'repram'
 * // A networked node: libp2p is created from the config (listen, peers, mdns, secret).
 * const node = await createRepramNode({ config: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false }, network: true })
 * console.log(node.networkInfo().addresses)
 * await node.stop()
 */
import { dispatch, stop as stopActor, type Ref } from 'nact'
import { multiaddr } from '@multiformats/multiaddr'
import { anySignal } from 'any-signal'
import type { ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface'
import type { LocalStore, Replicator, TopologyPeer } from '../node/store.js'
import type { RepramRecord } from '../record.js'
import type { Logger } from '../logger.js'
import { Asker, Coalescer, LateSender, replyChannel } from '../../actors/runtime/ask.js'
import { spawnMembership, type Member, type MembershipMsg } from '../../actors/membership/index.js'
import { spawnQuorumCoordinator, type BeginWrite, type QuorumCoordinatorMsg } from '../../actors/quorum-coordinator/index.js'
import { spawnGossipPeer, type GossipPeerMsg } from '../../actors/gossip-peer/index.js'
import { spawnInboundWrites, type InboundWritesMsg } from '../../actors/inbound-writes/index.js'
import { spawnAntiEntropy, shuffle, type RoundReason } from '../../actors/anti-entropy/index.js'
import { WriteResult } from '../wire/pb/repram.js'
import { DEFAULT_PUBSUB_SERVICE, LEAVE_TIMEOUT_MS } from './constants.js'
import { createClusterMetrics, type ClusterMetrics } from './metrics.js'
import { jurisdictionTopic, topicFor } from './topic.js'
import { admits } from '../wire/jurisdiction.js'
import { hostFromLibp2p, type NetHost } from './host.js'
import { SyncEngine, createSyncMetrics, type SyncMetrics } from './sync.js'
import { Libp2pTransport } from './transport.js'
import { wireHandlers, type ClusterActors, type Unwire } from './handlers.js'
import { PeerReputation, type ScoreBand } from './reputation.js'
import { createPublicMetrics, publicInfo, RelayKeeper, type PublicMetrics, type PublicNetworkInfo } from './public.js'
import { Rendezvous, rendezvousKey } from './rendezvous.js'

export type { ClusterActors } from './handlers.js'
import { clusterReports } from './report.js'

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
  | { code: 'started', store: LocalStore, host: NetHost, owned: Libp2p<any> | undefined, transport: Libp2pTransport, actors: ClusterActors, sync: SyncEngine, unwire: Unwire, halt: AbortController, rendezvous: Rendezvous | undefined, relayKeeper: RelayKeeper | undefined }

/** The libp2p replication layer. One per node. */
export class ClusterReplicator implements Replicator {
  private state: RunState = { code: 'stopped' }
  private log!: Logger
  private metrics!: ClusterMetrics
  private syncMetrics!: SyncMetrics
  private publicMetrics: PublicMetrics | undefined
  private selfId = ''
  /** The latest view membership published (frozen): read for status and read-through. */
  private view: readonly Member[] = []
  private readonly asker = new Asker(20)
  /** What this node observed of each peer (`reputation.ts`); one per start. */
  private reputation: PeerReputation | undefined
  private queued: BeginWrite[] = []
  private flushQueued = false
  private stopping: Promise<void> | undefined

  constructor (private readonly init: ClusterReplicatorInit = {}) {}

  /** The libp2p node this replicator created, if any (tests, tools). */
  get libp2p (): Libp2p<any> | undefined {
    return this.state.code === 'started' ? this.state.owned : undefined
  }

  async start (store: LocalStore): Promise<void> {
    if (this.state.code === 'started') return
    const c = store.config
    this.log = store.logger.child({ component: 'repram:cluster' })
    let owned: Libp2p<any> | undefined
    this.metrics ??= createClusterMetrics(store.registry)
    // Before libp2p: gossipsub reads it as its application-specific score.
    const reputation = new PeerReputation({
      clock: store.clock,
      graylistScore: c.peerGraylistScore,
      disconnectScore: c.peerDisconnectScore,
      onPenalty: (reason) => this.metrics.peerPenalties.inc({ reason }),
      onBand: (peer, band) => this.onBand(peer, band)
    })
    this.reputation = reputation
    try {
      let host = this.init.host
      if (host === undefined) {
        let libp2p = this.init.libp2p
        if (libp2p === undefined) {
          const { createRepramLibp2p } = await import('./libp2p.js')
          const { loadOrCreateIdentity } = await import('./identity.js')
          const privateKey = this.init.privateKey ?? await loadOrCreateIdentity(c.dataDir)
          libp2p = owned = await createRepramLibp2p(c, { privateKey, memoryLatencyMs: this.init.memoryLatencyMs, connectionGater: this.init.connectionGater, registry: store.registry, appScore: (id) => reputation.gossipScore(id) })
        }
        host = hostFromLibp2p(libp2p, this.init.pubsubService ?? DEFAULT_PUBSUB_SERVICE)
      }
      this.selfId = host.peerId.toString()
      this.syncMetrics ??= createSyncMetrics(store.registry)
      const halt = new AbortController()
      const transport = new Libp2pTransport(host, c, reputation, store.clock)
      const actors = this.spawnActors(store, transport, halt.signal)
      const sync = new SyncEngine({
        store,
        open: async (id, signal) => await transport.openSync(id, signal),
        blobs: transport.blobs,
        apply: async (writes, from, direction, signal) => {
          const results = await this.asker.ask<WriteResult[], InboundWritesMsg>(actors.inbound, replyTo => ({ type: 'writes', writes, from, via: direction, signal, replyTo }), c.syncTimeoutMs, 'inbound writes')
          // A record no honest node sends (a forged owned write, broken limits) pulled or pushed by anti-entropy costs its sender, as on replicate.
          if (results.includes(WriteResult.INVALID)) reputation.penalise(from, 'invalid_write')
          return results
        },
        penalise: (peer) => reputation.penalise(peer, 'invalid_write'),
        peerJurisdiction: (peer) => this.jurisdictionOf(peer),
        declared: (peerId, jurisdiction) => dispatch(actors.membership, { type: 'declared', peerId, jurisdiction }),
        metrics: this.syncMetrics,
        log: this.log
      })
      this.state = { code: 'started', store, host, owned, transport, actors, sync, halt, unwire: async () => {}, rendezvous: undefined, relayKeeper: undefined }
      this.state.unwire = await wireHandlers({
        store,
        host,
        transport,
        actors,
        sync,
        asker: this.asker,
        topic: topicFor(c.network, c.enclave),
        jurisdictionTopic: c.jurisdiction === undefined ? undefined : jurisdictionTopic(c.network, c.enclave, c.jurisdiction),
        peerJurisdiction: (peer) => this.jurisdictionOf(peer),
        metrics: this.metrics,
        log: this.log
      })
      // Peers can reach every protocol now: dial the bootstrap list.
      dispatch(actors.membership, { type: 'start' })
      this.publicMetrics ??= createPublicMetrics(store.registry, () => this.publicNetwork())
      this.state.rendezvous = await this.startRendezvous(store, host, actors)
      // libp2p's relay client gives up on a relay after one failed reservation: keep one (public.ts).
      if (c.relayClient && host.relayKeeper !== undefined) {
        this.state.relayKeeper = new RelayKeeper(host.relayKeeper, { clock: store.clock, intervalMs: Math.max(5000, c.pingIntervalMs * 4) })
        this.state.relayKeeper.start()
      }
      this.log.info({ peerId: this.selfId, addresses: transport.listenAddresses(), topic: topicFor(c.network, c.enclave) }, 'cluster layer started')
    } catch (err) {
      await this.teardown(false)
      if (owned !== undefined) await Promise.resolve(owned.stop()).catch(() => {})
      throw err
    }
  }

  /**
   * The enclave rendezvous over the DHT (`rendezvous.ts`) when the node has one: providers
   * of the enclave key go to membership as candidates of the `dht` source.
   */
  private async startRendezvous (store: LocalStore, host: NetHost, actors: ClusterActors): Promise<Rendezvous | undefined> {
    const c = store.config
    if (!c.dht || c.rendezvousIntervalMs <= 0 || host.contentRouting === undefined) return undefined
    const metrics = this.publicMetrics
    const rv = new Rendezvous({
      routing: host.contentRouting,
      key: await rendezvousKey(topicFor(c.network, c.enclave)),
      selfId: this.selfId,
      clock: store.clock,
      intervalMs: c.rendezvousIntervalMs,
      timeoutMs: Math.max(c.dialTimeoutMs * 2, Math.min(c.rendezvousIntervalMs, 30_000)),
      maxProviders: c.maxCandidatesPerSource,
      onProvider: (peerId, addresses) => {
        metrics?.rendezvousProviders.inc()
        dispatch(actors.membership, { type: 'discovered', peerId, addresses, source: 'dht' })
      },
      onRound: (result) => metrics?.rendezvousRounds.inc({ result }),
      // A relay client provides once it has a relayed address that peers behind other NATs can dial.
      ready: () => !c.relayClient || host.getMultiaddrs().some(ma => ma.toString().includes('/p2p-circuit'))
    })
    rv.start()
    return rv
  }

  /** Reachability, relay addresses and the DHT's routing table (status, metrics); undefined when stopped. */
  publicNetwork (): PublicNetworkInfo | undefined {
    if (this.state.code !== 'started' || this.state.host.publicSource === undefined) return undefined
    return publicInfo(this.state.host.publicSource)
  }

  private spawnActors (store: LocalStore, transport: Libp2pTransport, signal: AbortSignal): ClusterActors {
    const c = store.config
    const { system, clock, crashes: crashed } = store
    const reports = clusterReports(store, this.metrics, this.syncMetrics, this.log)
    // The actors talk both ways (gossip ↔ membership): senders are bound to refs spawned later.
    const refs: Partial<ClusterActors> = {}
    const membershipIn = new LateSender<MembershipMsg>(() => refs.membership, batch => ({ type: 'batch', batch }))
    const gossipIn = new LateSender<GossipPeerMsg>(() => refs.gossip, batch => ({ type: 'batch', batch }))
    refs.inbound = spawnInboundWrites(system, { limits: c, jurisdiction: c.jurisdiction ?? null, clock, merge: store.merge, transport, signal, count: reports.inbound, crashed })
    refs.antiEntropy = spawnAntiEntropy(system, { round: async (id, reason) => await this.syncRound(id, reason), clock, intervalMs: c.syncIntervalMs, crashed })
    refs.gossip = spawnGossipPeer(system, {
      limits: { ...c, maxMessageBytes: c.maxGossipMessageBytes, batchSize: c.gossipBatchSize },
      batchDelayMs: c.gossipBatchDelayMs,
      inlineBytes: c.gossipInlineBytes,
      origin: transport.host.peerId.toMultihash().bytes,
      jurisdiction: c.jurisdiction ?? null,
      clock,
      // Writes restricted to a jurisdiction go to its topic, which only nodes in it subscribe to.
      transport: { publish: async (data, j) => (await transport.host.pubsub.publish(j === undefined ? topicFor(c.network, c.enclave) : jurisdictionTopic(c.network, c.enclave, j), data)).recipients.length },
      inbound: new Coalescer<InboundWritesMsg>(refs.inbound, batch => ({ type: 'batch', batch })),
      membership: membershipIn,
      counters: reports.gossip,
      guard: { admit: (peer, sizes) => transport.rates.admit(peer, sizes), penalise: (peer, reason) => transport.reputation.penalise(peer, reason) },
      crashed
    })
    refs.coordinator = spawnQuorumCoordinator(system, { replication: c.replication, directFanout: c.directFanout, writeTimeoutMs: c.writeTimeoutMs, graylistScore: c.peerGraylistScore, clock, transport, gossip: gossipIn, ...reports.coordinator, crashed })
    refs.membership = spawnMembership(system, {
      self: this.selfId,
      memberTtlMs: c.memberTtlMs,
      pingFailures: c.pingFailures,
      pingIntervalMs: c.pingIntervalMs,
      activePeers: c.activePeers,
      bootstrap: this.bootstrapAddresses(c.peers),
      candidates: { max: c.maxCandidates, perSource: c.maxCandidatesPerSource, perRange: c.maxCandidatesPerRange, dialRate: c.candidateDialRate },
      clock,
      transport,
      gossip: gossipIn,
      onView: (members) => this.onView(members),
      onEvent: (e) => {
        // What an event means for sync, anti-entropy decides; the rest is logs, metrics, node events.
        if (this.state.code === 'started') dispatch(this.state.actors.antiEntropy, { type: 'membership', event: e })
        reports.membershipEvent(e)
      },
      counters: reports.membership,
      crashed
    })
    return refs as ClusterActors
  }

  /** The bootstrap list as valid multiaddrs; the others are logged once and left out. */
  private bootstrapAddresses (peers: string[]): string[] {
    return peers.filter(s => {
      try {
        multiaddr(s)
        return true
      } catch {
        this.log.warn('ignoring a bootstrap address that is not a multiaddr')
        return false
      }
    })
  }

  async replicate (record: RepramRecord): Promise<{ replicas: number, quorum: boolean }> {
    if (this.state.code !== 'started') return { replicas: 1, quorum: false }
    // Writes of one event-loop turn travel together: one coordinator message (and one
    // gossip batch) per turn, not per write (nact handles one message per turn). A
    // microtask flush sent one frame per shard batch: more, smaller frames.
    return await new Promise((resolve, reject) => {
      this.queued.push({ record, replyTo: replyChannel(r => resolve({ replicas: r.replicas, quorum: r.quorum }), reject) })
      if (!this.flushQueued) {
        this.flushQueued = true
        setImmediate(() => this.flushWrites())
      }
    })
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
    dispatch(this.state.actors.coordinator, { type: 'begin', writes })
  }

  /** Read-through on a local GET miss: up to `readThroughPeers` healthy peers, from their local state. */
  async readThrough (key: string): Promise<RepramRecord | undefined> {
    if (this.state.code !== 'started') return undefined
    const k = this.state.store.config.readThroughPeers
    if (k <= 0) return undefined
    const rep = this.state.transport.reputation
    const peers = shuffle(this.view.filter(m => m.healthy && m.active && !rep.graylisted(m.id)).map(m => m.id)).slice(0, k)
    const { store, sync } = this.state
    const found = await sync.readThrough(key, peers)
    // Peers leave out what we may not hold; one that did not is not believed (nor stored, nor proxied).
    if (found !== undefined && !admits(found.jurisdictions, store.config.jurisdiction)) {
      store.outOfJurisdiction('refused', 'read_through')
      return undefined
    }
    return found
  }

  /** Healthy members, not graylisted, whose declared jurisdiction is in `set` (see {@link Replicator.jurisdictionMembers}). */
  jurisdictionMembers (set: readonly string[]): number {
    if (this.state.code !== 'started') return 0
    const rep = this.state.transport.reputation
    let n = 0
    for (const m of this.view) if (m.healthy && !rep.graylisted(m.id) && admits(set, m.jurisdiction)) n++
    return n
  }

  /** What this node knows of a member's jurisdiction, from its own statements (null: none; undefined: not known). */
  private jurisdictionOf (peer: string): string | null | undefined {
    return this.view.find(m => m.id === peer)?.jurisdiction
  }

  info (): { nodeId: string, addresses: string[], peers: number, publicNetwork?: PublicNetworkInfo } {
    if (this.state.code !== 'started') return { nodeId: this.selfId, addresses: [], peers: 0 }
    const c = this.state.store.config
    // Shown on a node of the public network, or one with any of its parts on.
    const pub = c.network === 'public' || c.dht || c.relayClient || c.relayServer ? this.publicNetwork() : undefined
    return { nodeId: this.selfId, addresses: this.state.transport.listenAddresses(), peers: this.view.length, ...(pub !== undefined ? { publicNetwork: pub } : {}) }
  }

  topology (): TopologyPeer[] {
    if (this.state.code !== 'started') return []
    const { transport, store } = this.state
    return this.view.map(m => ({
      id: m.id,
      addresses: m.addresses.length > 0 ? m.addresses : transport.connectionAddresses(m.id),
      enclave: store.config.enclave,
      rtt_ms: m.rttMs === null ? null : Math.round(m.rttMs * 100) / 100,
      healthy: m.healthy,
      last_seen: m.lastSeen,
      score: Math.round(transport.reputation.score(m.id) * 100) / 100,
      connection: transport.connectionKind(m.id),
      ...(m.jurisdiction === undefined ? {} : { jurisdiction: m.jurisdiction })
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

  /** One anti-entropy round with a peer, bounded by `syncTimeoutMs` and by stop. */
  private async syncRound (peerId: string, reason: RoundReason): Promise<void> {
    if (this.state.code !== 'started') return
    // any-signal, cleared below: AbortSignal.any over the node-long halt signal leaks (nodejs/node#55351).
    const signal = anySignal([AbortSignal.timeout(this.state.store.config.syncTimeoutMs), this.state.halt.signal])
    try {
      const r = await this.state.sync.round(peerId, signal)
      if (!r.inSync) this.log.debug({ peer: peerId, reason, pulled: r.pulled, pushed: r.pushed, bytesIn: r.bytesIn, bytesOut: r.bytesOut }, 'sync round repaired')
    } catch (err) {
      this.syncMetrics.rounds.inc({ result: 'failed' })
      this.log.debug({ peer: peerId, reason, err: (err as Error)?.message }, 'sync round failed')
    } finally {
      signal.clear()
    }
  }

  /**
   * A new view: the actors that read it get it as a message, each member with its score
   * now (so scores reach the coordinator at least every ping interval, and at once when a
   * peer's band gets worse: {@link onBand}); status reads the frozen copy.
   */
  private onView (view: readonly Member[]): void {
    this.view = view
    if (this.state.code !== 'started') return
    const rep = this.state.transport.reputation
    const members = Object.freeze(view.map(m => ({ ...m, score: rep.score(m.id) })))
    const { coordinator, inbound, antiEntropy, gossip } = this.state.actors
    dispatch(coordinator, { type: 'view', members })
    dispatch(inbound, { type: 'view', members })
    dispatch(antiEntropy, { type: 'view', members })
    dispatch(gossip, { type: 'view', members })
    let healthy = 0
    for (const m of members) if (m.healthy) healthy++
    this.metrics.peersActive.set({ state: 'healthy' }, healthy)
    this.metrics.peersActive.set({ state: 'unhealthy' }, members.length - healthy)
  }

  /**
   * A peer's score fell into a worse band: the coordinator gets the scores at once (a
   * graylisted peer is no replica from the next write on); below the disconnect threshold
   * its connections are closed (its new streams are refused by the handlers).
   */
  private onBand (peer: string, band: ScoreBand): void {
    if (this.state.code !== 'started') return
    if (band === 'graylisted' || band === 'disconnected') {
      this.log.info({ peer, band, score: Math.round(this.state.transport.reputation.score(peer)) }, 'peer score fell below a threshold')
      this.onView(this.view)
    }
    if (band === 'disconnected') this.state.transport.hangUp(peer)
  }

  private async teardown (graceful: boolean): Promise<void> {
    const s = this.state
    if (s.code !== 'started') return
    const { actors, transport } = s
    await s.rendezvous?.stop()
    s.relayKeeper?.stop()
    if (graceful) {
      // Announce the leave on gossip (for peers we are not connected to) and directly.
      const gossip = this.asker.ask<number, GossipPeerMsg>(actors.gossip, replyTo => ({ type: 'leave', replyTo }), LEAVE_TIMEOUT_MS, 'gossip peer').catch(() => 0)
      const direct = Promise.allSettled(this.view.map(async m => await transport.leave(m.id, LEAVE_TIMEOUT_MS)))
      await Promise.all([gossip, direct])
    }
    this.flushWrites()
    for (const ref of [actors.gossip, actors.inbound, actors.antiEntropy, actors.membership] as Array<Ref<{ type: 'halt' }>>) dispatch(ref, { type: 'halt' })
    s.halt.abort(new Error('cluster layer stopping'))
    // Pending writes are answered (202) before the actors stop.
    await this.asker.ask<void, QuorumCoordinatorMsg>(actors.coordinator, replyTo => ({ type: 'shutdown', replyTo }), LEAVE_TIMEOUT_MS, 'quorum coordinator').catch(() => {})
    await s.unwire()
    transport.close()
    this.asker.close()
    for (const ref of Object.values(actors)) stopActor(ref)
    this.state = { code: 'stopped' }
    this.view = []
    if (s.owned !== undefined) await Promise.resolve(s.owned.stop()).catch((err: unknown) => this.log.warn({ err }, 'libp2p stop failed'))
  }
}
