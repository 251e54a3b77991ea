/**
 * A simulated REPRAM cluster: real nodes (storage shards, TTL reaper, gossip peer,
 * quorum coordinator, membership, anti-entropy; real gossipsub with StrictSign) in one
 * thread over {@link SimNet}: one shard of a network that spans worker threads
 * (shards.ts starts them; shard-worker.ts drives one). Each node gets its own libp2p node, built here with the
 * simulation profile (see README.md): the simnet transport (no connection encryption),
 * yamux, identify, ping and gossipsub with the production options of
 * `gossipsubOptions(config)`.
 *
 * Instrumentation: every node's `record:stored` events (when each write reached each
 * node), gossipsub RPCs sent (published-message transmissions, IHAVE/IWANT), and the
 * simnet byte counters.
 */
import '../../src/polyfill.js'
import { createLibp2p, type Libp2p } from 'libp2p'
import { guardedYamux } from '../../src/net/muxer.js'
import { noise } from '@chainsafe/libp2p-noise'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createRepramNode } from '../../src/create.js'
import { type RepramNode } from '../../src/node/index.js'
import { ClusterReplicator } from '../../src/net/cluster.js'
import { gossipsubOptions } from '../../src/net/libp2p.js'
import { libp2pLogger } from '../../src/net/libp2p-logger.js'
import { validateConfig, profileDefaults, type RepramConfig, type RepramConfigInput } from '../../src/config.js'
import { GossipMessage } from '../../src/wire/pb/repram.js'
import { SimNet, type LinkModel, type RemoteNet } from './simnet.js'
import { rng } from './stats.js'

export { rng }

/**
 * The simulation profile: the `test` profile (TTLs from 1 s, no mDNS, silent) with timing
 * that a hundred nodes on one core can carry. Each difference from production is a
 * simulation choice, listed in README.md.
 */
export const SIM_PROFILE: RepramConfigInput = {
  profile: 'test',
  mdns: false,
  logLevel: 'silent',
  minTtl: 1,
  // Pings go to each node's connections (libp2p's connection monitor opens a stream per
  // ping) and announces are enclave-wide (N per memberTtl/3 at these sizes, each delivered
  // to N nodes): pingInterval 30 s and memberTtl 180 s, as docs/scaling.md advises for
  // large enclaves. A dead peer is unhealthy after two missed pings (60 s).
  pingIntervalMs: 30_000,
  pingFailures: 2,
  memberTtlMs: 180_000,
  dialTimeoutMs: 3000,
  writeTimeoutMs: 3000,
  // The production default (the test profile's 1 s would be 100 rounds/s at 100 nodes).
  syncIntervalMs: 10_000,
  syncTimeoutMs: 10_000,
  readThroughPeers: 2,
  readThroughTimeoutMs: 500,
  maxStorageMb: 16,
  shards: 2,
  // Sim default: one 2 ms batch window (the production default).
  gossipBatchDelayMs: 2,
  gossipBatchSize: 256,
  // The large-enclave settings of docs/scaling.md (production defaults: D 6, Dlazy 6,
  // gossip factor 0.25, flood publish on, 32 active peers): a partial view of 8 peers
  // instead of a connection to every member, a sparser mesh, less IHAVE, and the author
  // sending to its mesh instead of every peer. `--config` overrides any of them.
  activePeers: 8,
  gossipD: 4,
  gossipDlazy: 3,
  gossipFactor: 0.1,
  gossipFloodPublish: false
}

/** Options of a simulated cluster. */
export interface SimClusterInit {
  /** Config over {@link SIM_PROFILE}. */
  config?: RepramConfigInput
  /** One-way latency of every link, ms. @default 5 */
  latencyMs?: number
  /** Extra per-link latency, uniform in [0, jitter), fixed per link. @default 5 */
  jitterMs?: number
  /** Loss probability on lossy links. @default 0 */
  loss?: number
  /** `tcp`: a lost chunk is retransmitted after the RTO (streams stay reliable). `drop`: published gossip messages in a received RPC are dropped. @default 'tcp' */
  lossMode?: 'tcp' | 'drop'
  /** Fraction of links that are lossy. @default 1 */
  lossyFraction?: number
  /** Random seed. @default 1 */
  seed?: number
  /** When this cluster is one shard of a network that spans worker threads. */
  remote?: RemoteNet
  /** Every record stored on every node of this cluster (name, writeId, performance.now()). */
  onStored?: (name: string, writeId: string, at: number) => void
}

/** A node to bootstrap from, possibly in another shard. */
export interface SeedRef { name: string, peerId: string }

/** One simulated node. */
export interface SimNode {
  index: number
  name: string
  node: RepramNode
  replicator: ClusterReplicator
  libp2p: Libp2p<any>
  alive: boolean
  startedAt: number
}

/** One write as tracked by the simulation. */
export interface TrackedWrite {
  key: string
  writeId: string
  createdAt: number
  expiresAt: number
  /** When put() was called (performance.now()). */
  t0: number
  /** Writer node name. */
  writer: string
  /** Node name → arrival time (performance.now()). */
  arrivals: Map<string, number>
}

/** Gossipsub traffic counters over all nodes. */
export interface GossipCounters {
  rpcs: number
  /** Transmissions of published messages (flood publish, mesh forwards, IWANT replies). */
  messages: number
  /** Of those, transmissions of messages that carry writes (not announces or leaves). */
  writeMessages: number
  /** Message ids advertised in IHAVE. */
  ihave: number
  iwant: number
  graft: number
  prune: number
  /** Published messages dropped by the `drop` loss model. */
  dropped: number
}

const carries = new WeakMap<Uint8Array, boolean>()

/** Whether gossip payload `data` holds writes; one decode per message object (forwards reuse it). */
function carriesWrites (data: Uint8Array | undefined): boolean {
  if (data === undefined) return false
  let v = carries.get(data)
  if (v === undefined) {
    try { v = GossipMessage.decode(data).writes.length > 0 } catch { v = false }
    carries.set(data, v)
  }
  return v
}

function hash (s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return (h >>> 0) / 4294967296
}

/** N real nodes in one process. */
export class SimCluster {
  readonly net: SimNet
  readonly nodes: SimNode[] = []
  readonly writes = new Map<string, TrackedWrite>()
  readonly gossip: GossipCounters = { rpcs: 0, messages: 0, writeMessages: 0, ihave: 0, iwant: 0, graft: 0, prune: 0, dropped: 0 }
  readonly config: RepramConfig
  readonly random: () => number
  private readonly init: SimClusterInit
  private counter = 0
  private readonly runId = Math.random().toString(36).slice(2, 8)

  constructor (init: SimClusterInit = {}) {
    this.init = init
    this.random = rng(init.seed ?? 1)
    const lat = init.latencyMs ?? 5
    const jitter = init.jitterMs ?? 5
    const loss = init.loss ?? 0
    const lossyFraction = init.lossyFraction ?? 1
    const tcpLoss = (init.lossMode ?? 'tcp') === 'tcp' ? loss : 0
    const link: LinkModel = {
      latencyMs: (a, b) => lat + jitter * hash(a < b ? a + b : b + a),
      loss: (a, b) => tcpLoss > 0 && hash((a < b ? a + b : b + a) + 'loss') < lossyFraction ? tcpLoss : 0
    }
    this.net = new SimNet(link, rng((init.seed ?? 1) + 7 + (init.remote?.self ?? 0) * 1009), init.remote)
    this.config = validateConfig({ ...profileDefaults('test'), ...SIM_PROFILE, ...init.config })
  }

  get live (): SimNode[] {
    return this.nodes.filter(n => n.alive)
  }

  /** Starts one node bootstrapping from `seeds`; `as` names it (shards: names are network-wide). */
  async addNode (seeds: Array<SimNode | SeedRef>, as?: { index: number, name: string }): Promise<SimNode> {
    const index = as?.index ?? this.counter++
    const name = as?.name ?? `sim-${this.runId}-${index}`
    const config = validateConfig({
      ...this.config,
      listen: [`/memory/${name}`],
      peers: seeds.map(s => `/memory/${s.name}/p2p/${'libp2p' in s ? s.libp2p.peerId.toString() : s.peerId}`),
      dataDir: '/nonexistent-sim-data-dir'
    })
    const privateKey = await generateKeyPair('Ed25519')
    const libp2p = await createLibp2p({
      privateKey,
      logger: libp2pLogger(),
      addresses: { listen: config.listen },
      transports: [this.net.transport() as any],
      // Never used: simnet upgrades with skipEncryption. libp2p wants one configured.
      connectionEncrypters: [noise()],
      streamMuxers: [guardedYamux()],
      connectionManager: { dialTimeout: config.dialTimeoutMs, maxConnections: 2000, maxIncomingPendingConnections: 200, maxParallelDials: 200 } as any,
      connectionMonitor: { pingInterval: config.pingIntervalMs, pingTimeout: { minTimeout: Math.max(5000, config.pingIntervalMs) } },
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub(gossipsubOptions(config))
      }
    })
    this.instrument(name, libp2p)
    const replicator = new ClusterReplicator({ libp2p })
    const node = await createRepramNode({ config, libp2p, replicator })
    node.setMaxListeners(0)
    const sim: SimNode = { index, name, node, replicator, libp2p, alive: true, startedAt: performance.now() }
    node.on('record:stored', (e) => {
      this.init.onStored?.(name, e.writeId, performance.now())
      const w = this.writes.get(e.writeId)
      if (w !== undefined && !w.arrivals.has(name)) w.arrivals.set(name, performance.now())
    })
    this.nodes.push(sim)
    return sim
  }

  private instrument (name: string, libp2p: Libp2p<any>): void {
    const ps = libp2p.services.pubsub as any
    const g = this.gossip
    const sendRpc = ps.sendRpc.bind(ps)
    ps.sendRpc = (id: string, rpc: any): boolean => {
      const ok = sendRpc(id, rpc)
      if (ok !== false) {
        g.rpcs++
        g.messages += rpc.messages?.length ?? 0
        for (const m of rpc.messages ?? []) if (carriesWrites(m.data)) g.writeMessages++
        const c = rpc.control
        if (c != null) {
          for (const x of c.ihave ?? []) g.ihave += x.messageIDs?.length ?? 0
          for (const x of c.iwant ?? []) g.iwant += x.messageIDs?.length ?? 0
          g.graft += c.graft?.length ?? 0
          g.prune += c.prune?.length ?? 0
        }
      }
      return ok
    }
    if ((this.init.lossMode ?? 'tcp') === 'drop' && (this.init.loss ?? 0) > 0) {
      const p = this.init.loss ?? 0
      const frac = this.init.lossyFraction ?? 1
      const handle = ps.handleReceivedRpc.bind(ps)
      ps.handleReceivedRpc = async (from: any, rpc: any) => {
        const f = from.toString() as string
        const lossy = hash(name < f ? name + f : f + name) < frac
        if (lossy && rpc.messages?.length > 0 && this.random() < p) {
          g.dropped += rpc.messages.length
          rpc = { ...rpc, messages: [] }
        }
        return await handle(from, rpc)
      }
    }
  }

  /** Writes `value` under `key` on `node` with `ttl` seconds; tracks it. */
  async put (sim: SimNode, key: string, value: Uint8Array, ttl: number): Promise<TrackedWrite | undefined> {
    const t0 = performance.now()
    // The local store event fires inside put(): register the write by key first.
    const pending = { key, t0, writer: sim.name }
    let res
    try {
      const arrived = new Map<string, number>()
      const onStored = (e: { key: string, writeId: string, origin?: string }): void => {
        if (e.key === key && e.origin === 'local' && !this.writes.has(e.writeId)) {
          this.writes.set(e.writeId, { ...pending, writeId: e.writeId, createdAt: 0, expiresAt: 0, arrivals: arrived })
          arrived.set(sim.name, performance.now())
        }
      }
      sim.node.on('record:stored', onStored)
      try {
        res = await sim.node.put(key, value, { ttl })
      } finally {
        sim.node.off('record:stored', onStored)
      }
    } catch {
      return undefined
    }
    const w = this.writes.get(res.writeId)
    if (w === undefined) return undefined
    w.createdAt = res.createdAt
    w.expiresAt = res.expiresAt
    return w
  }

  /** Stops a node: gracefully (announced leave) or as a crash. */
  async stopNode (sim: SimNode, graceful: boolean): Promise<void> {
    if (!sim.alive) return
    sim.alive = false
    if (graceful) await sim.node.stop().catch(() => {})
    else {
      await sim.replicator.crash().catch(() => {})
      await sim.node.stop().catch(() => {})
    }
    await Promise.resolve(sim.libp2p.stop()).catch(() => {})
  }

  async stopAll (): Promise<void> {
    await Promise.all(this.nodes.map(async n => await this.stopNode(n, false)))
  }

  /** Per live node, expected records it does not hold (by snapshot). */
  async missing (expected: Map<string, Pick<TrackedWrite, 'writeId'>>): Promise<{ missing: number, checked: number, wrongWinner: number }> {
    let missing = 0
    let checked = 0
    let wrongWinner = 0
    for (const n of this.live) {
      const snap = await n.node.snapshot()
      const held = new Map(snap.map(r => [r.key, r.writeId]))
      for (const [k, w] of expected) {
        checked++
        const id = held.get(k)
        if (id === undefined) missing++
        else if (id !== w.writeId) wrongWinner++
      }
    }
    return { missing, checked, wrongWinner }
  }
}
