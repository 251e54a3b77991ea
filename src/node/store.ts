/**
 * The seam between a node and its network layer (DESIGN §3, STYLE "dependencies point one
 * way"). The node defines both sides here and imports nothing of the network:
 * - {@link LocalStore}: the narrow view of the node a network layer gets: merge a peer's
 *   record, look one up, the anti-entropy digests, peer events, and the node's clock,
 *   config, logger, metrics registry, actor system and crash reporter;
 * - {@link Replicator}: what a network layer offers the node: spread a write to a quorum,
 *   read through on a miss, and say who its peers are.
 * `src/net/cluster.ts` implements `Replicator` on libp2p; the entry point (`src/create.ts`)
 * chooses it, so the node runs with it, with another, or alone.
 *
 * @example
 * const replicator: Replicator = {
 *   async start (store) { store.logger.info('no network') },
 *   async replicate () { return { replicas: 1, quorum: true } },
 *   info: () => ({ nodeId: 'solo', addresses: [], peers: 0 }),
 *   topology: () => [],
 *   async stop () {}
 * }
 */
import type { Registry } from 'prom-client'
import type { Clock } from '../clock.js'
import type { RepramConfig } from '../config.js'
import type { Logger } from '../logger.js'
import type { RepramRecord } from '../record.js'
import type { WriteOutcome } from '../../actors/storage-shard/index.js'
import type { CrashReporter } from '../../actors/runtime/supervise.js'
import type { ActorParent } from '../../actors/runtime/ask.js'
import type { PeerScope } from '../../actors/anti-entropy/digest.js'

/** Payload of `peer:joined` and `peer:left`. */
export interface PeerEvent { peerId: string, enclave?: string, reason?: string }

/** One peer as shown by `/v1/topology`. */
export interface TopologyPeer {
  id: string
  addresses: string[]
  enclave: string
  rtt_ms: number | null
  healthy: boolean
  /** ms since epoch. */
  last_seen: number
  /** This node's reputation of the peer (0: nothing held for or against it; below `peerGraylistScore`: graylisted). */
  score?: number
  /**
   * The jurisdiction the peer declared in something it said itself (its signed announce,
   * its own sync stream): a code, null when it declares none; absent while not known yet.
   */
  jurisdiction?: string | null
  /** How this node is connected to the peer now: direct, relayed (through a circuit relay only), or none. */
  connection?: 'direct' | 'relayed' | 'none'
}

/** Paths a record takes between nodes, for the jurisdiction counters (a small enum: metrics label). */
export type JurisdictionPath = 'http' | 'replicate' | 'gossip' | 'sync' | 'read_through' | 'blob'

/** What every service that runs inside a node gets of it (the network layer, the attestation service). */
export interface NodeContext {
  readonly config: RepramConfig
  /** Record time: expiry checks, createdAt, and the actors' timers. */
  readonly clock: Clock
  readonly logger: Logger
  /** The node's Prometheus registry: every component's metrics register here. */
  readonly registry: Registry
  /** The node's actor system: every actor is spawned under it (one system per node). */
  readonly system: ActorParent
  /** Where actors report crashes (logged and counted by the node). */
  readonly crashes: CrashReporter
}

/** What a network layer may use of the node. */
export interface LocalStore extends NodeContext {
  /** Merges a record from a peer by last-writer-wins (expired and losing records are dropped). */
  merge: (record: RepramRecord) => Promise<WriteOutcome>
  /** The live record under `key` on this node only (never reads through), or undefined. */
  lookup: (key: string) => Promise<RepramRecord | undefined>
  /**
   * Anti-entropy digests over every shard, XOR-combined: without `groups`,
   * `[rootLo, rootHi, group digests…]`; with `groups`, the bucket digests of those groups.
   * With `scope`, over the records a peer in that jurisdiction may hold only.
   */
  digest: (groups?: number[], scope?: PeerScope) => Promise<Uint32Array>
  /** Live records of the given anti-entropy buckets, from every shard (those in `scope` only, when given). */
  buckets: (buckets: number[], scope?: PeerScope) => Promise<RepramRecord[]>
  /**
   * Counts records kept from the wrong jurisdiction (docs/compliance.md "Jurisdictions"):
   * `refused`, arrived here and not stored (this node is outside their set); `withheld`,
   * not sent to a peer outside their set.
   */
  outOfJurisdiction: (kind: 'refused' | 'withheld', path: JurisdictionPath, n?: number) => void
  /** Reports a peer joining or leaving the enclave (the node emits it). */
  peerEvent: (type: 'peer:joined' | 'peer:left', event: PeerEvent) => void
}

/** What status shows of the network (`publicNetwork`: reachability, relay addresses, DHT; issue 17). */
export interface NetworkInfo {
  nodeId: string
  addresses: string[]
  peers: number
  publicNetwork?: {
    reachability: 'public' | 'private' | 'unknown'
    relay_addresses: string[]
    dht_routing_table: number | null
    dht_mode: 'server' | 'client' | null
    relay_reservations: number | null
    connections: { direct: number, relayed: number }
  }
}

/**
 * Replication seam: a network layer implements this. A single node without one
 * confirms every write alone.
 */
export interface Replicator {
  /** Called once the node's storage is up. */
  start: (store: LocalStore) => Promise<void>
  /** Spreads a write that was stored locally; resolves at quorum or at the write timeout. */
  replicate: (record: RepramRecord) => Promise<{ replicas: number, quorum: boolean }>
  /** Peer id, listen addresses and peers, for status; the public network's state when it has one. */
  info: () => NetworkInfo
  /** Known peers with health, for `/v1/topology`. */
  topology: () => TopologyPeer[]
  /**
   * Read-through on a local GET miss: asks a bounded number of peers (from their local
   * state only) and resolves with the winning live record, already validated, or undefined.
   */
  readThrough?: (key: string) => Promise<RepramRecord | undefined>
  /**
   * Healthy, verified members whose declared jurisdiction is in `set` (this node not
   * counted): a write restricted to `set` that this node may not hold is refused with 421
   * when there are some, 422 when there are none.
   */
  jurisdictionMembers?: (set: readonly string[]) => number
  /** Stops networking. Pending writes resolve as not-quorum. */
  stop: () => Promise<void>
}
