/**
 * Builds the libp2p node of a standalone REPRAM node (DESIGN §4): TCP (and the memory
 * transport for `/memory/...` addresses), noise, yamux, identify, ping, gossipsub with
 * StrictSign, optional pnet and mDNS. Bootstrap dialling is done by the replicator
 * (at once, then with backoff), not by `@libp2p/bootstrap`.
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { memory } from '@libp2p/memory'
import { lightNoise } from './noise.js'
import { guardedYamux } from './muxer.js'
import { coalescing } from './coalesce.js'
import { identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { mdns } from '@libp2p/mdns'
import { preSharedKey } from '@libp2p/pnet'
import { gossipsub, StrictSign, type GossipSub } from '@libp2p/gossipsub'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { register as globalRegistry, type Metric, type Registry } from 'prom-client'
import { createPeerScoreParams, createTopicScoreParams } from '@libp2p/gossipsub/score'
import type { Identify } from '@libp2p/identify'
import type { PrivateKey, PeerDiscovery, Transport, ComponentLogger, ConnectionGater } from '@libp2p/interface'
import type { RepramConfig } from '../config.js'
import { pskFromSecret } from './pnet.js'
import { jurisdictionTopic, topicFor } from './topic.js'
import { libp2pLogger } from './libp2p-logger.js'
import { gossipThresholds } from './reputation.js'
import { directFirstSorter, publicParts } from './public.js'
import { dnsFromServers } from './dns.js'
import { CONNECTION_MONITOR_INTERVALS, pingTimeoutMs } from './constants.js'

/** Services of a REPRAM libp2p node. */
export type RepramLibp2pServices = {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
}

/** A libp2p node as built by {@link createRepramLibp2p}. */
export type RepramLibp2p = Libp2p<RepramLibp2pServices>

/** Options beyond the config. */
export interface CreateRepramLibp2pOptions {
  privateKey: PrivateKey
  /** Added latency of the memory transport, in ms (simulations). @default 0 */
  memoryLatencyMs?: number
  /** Connection gater (tests partition a cluster with it). @default libp2p's */
  connectionGater?: ConnectionGater
  /**
   * Registry for libp2p's own metrics (`libp2p_*`, through `@libp2p/prometheus-metrics`),
   * served next to the `repram_*` ones on `/v1/metrics`. @default none: libp2p metrics off
   */
  registry?: Registry
  /** gossipsub's application-specific score of a peer (the node's reputation of it). @default none */
  appScore?: (peerId: string) => number
}

/**
 * gossipsub's fast message id: author and sequence number, which make the spec'd message
 * id under StrictSign (so it names the same messages, computed without a hash). A message
 * without them fails validation and is never cached under its fast id.
 */
export function fastMessageId (msg: { from?: Uint8Array, seqno?: Uint8Array }): string {
  if (msg.from === undefined || msg.seqno === undefined) return ''
  return `${base64(msg.from)}:${base64(msg.seqno)}`
}

function base64 (b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
}

/**
 * gossipsub's mesh bounds from the mesh degree D, in the proportions of its defaults
 * (D 6: Dlo 4, Dhi 12, Dout 2). Dout must stay below Dlo and at most D/2.
 */
export function meshDegrees (D: number): { D: number, Dlo: number, Dhi: number, Dout: number } {
  const Dlo = Math.ceil(2 * D / 3)
  return { D, Dlo, Dhi: 2 * D, Dout: Math.max(0, Math.min(2, Dlo - 1, Math.floor(D / 2))) }
}

/** Gossipsub settings shared by standalone nodes (embedding apps choose their own). */
/**
 * libp2p's connection monitor: members are pinged every interval on their replicate stream
 * (transport.ts); the monitor, whose every ping opens a stream from both ends, finds dead
 * connections to anyone else {@link CONNECTION_MONITOR_INTERVALS} ping intervals apart. A
 * ping slower than membership's ping timeout aborts the connection (a busy peer is not a
 * dead one).
 */
export function connectionMonitorOptions (config: Pick<RepramConfig, 'pingIntervalMs' | 'dialTimeoutMs'>): { pingInterval: number, pingTimeout: { minTimeout: number } } {
  return { pingInterval: config.pingIntervalMs * CONNECTION_MONITOR_INTERVALS, pingTimeout: { minTimeout: pingTimeoutMs(config) } }
}

export function gossipsubOptions (config: RepramConfig, appScore?: (peerId: string) => number): Parameters<typeof gossipsub>[0] {
  const topics = [topicFor(config.network, config.enclave)]
  if (config.jurisdiction !== undefined) topics.push(jurisdictionTopic(config.network, config.enclave, config.jurisdiction))
  return {
    globalSignaturePolicy: StrictSign,
    emitSelf: false,
    fallbackToFloodsub: false,
    allowPublishToZeroTopicPeers: true,
    floodPublish: config.gossipFloodPublish,
    // Behind a NAT the first connection to a peer is relayed (limited): gossip runs on it too (docs/public-network.md).
    runOnLimitedConnection: config.relayClient,
    ...meshDegrees(config.gossipD),
    Dlazy: config.gossipDlazy,
    gossipFactor: config.gossipFactor,
    // Without it gossipsub checks the signature of every copy it receives before it looks
    // the message up in its seen cache: with D mesh peers each message was verified about
    // D times per node. Only validated messages enter the fast cache, so a forged copy
    // cannot mask the real one.
    fastMsgIdFn: fastMessageId,
    maxInboundDataLength: config.maxGossipMessageBytes + 16 * 1024,
    // Invalid messages on our topic cost the sender score (DESIGN §4); what this node
    // observed of the peer (reputation.ts) is the application-specific score, weight 1.
    // The topic of this node's jurisdiction (restricted writes) is scored the same way.
    scoreParams: createPeerScoreParams({
      ...(appScore === undefined ? {} : { appSpecificScore: appScore, appSpecificWeight: 1 }),
      topics: Object.fromEntries(topics.map(t => [t, createTopicScoreParams({
        topicWeight: 1,
        timeInMeshWeight: 0,
        firstMessageDeliveriesWeight: 0,
        meshMessageDeliveriesWeight: 0,
        meshFailurePenaltyWeight: 0,
        invalidMessageDeliveriesWeight: -100,
        invalidMessageDeliveriesDecay: 0.5
      })]))
    }),
    // Below peerGraylistScore a peer's RPCs are ignored; gossip and publish thresholds in gossipsub's proportions.
    scoreThresholds: gossipThresholds(config.peerGraylistScore)
  }
}

/** Creates (and starts) the libp2p node for `config`. */
export async function createRepramLibp2p (config: RepramConfig, opts: CreateRepramLibp2pOptions): Promise<RepramLibp2p> {
  const all = [...config.listen, ...config.peers]
  const useMemory = all.some(a => a.startsWith('/memory/'))
  const useTcp = all.length === 0 || all.some(a => !a.startsWith('/memory/'))
  const transports: Array<(c: any) => Transport> = []
  if (useTcp) transports.push(coalescing(tcp()))
  if (useMemory) transports.push(memory({ latency: opts.memoryLatencyMs }))
  // DHT, relay, DCUtR, AutoNAT, UPnP, WebSockets: only those the config asks for (public.ts).
  const pub = publicParts(config)
  transports.push(...pub.transports)
  const peerDiscovery: Array<(c: { logger: ComponentLogger } & Record<string, any>) => PeerDiscovery> = []
  if (config.mdns) peerDiscovery.push(mdns({ interval: Math.min(10_000, config.pingIntervalMs * 4) }) as any)
  // @libp2p/prometheus-metrics keeps its metrics in a module-wide map and clears it (and
  // prom-client's global registry) per node unless told to preserve them; preserving would
  // leave a second node of this process without libp2p metrics. So it clears, and the
  // global registry's metrics (an embedding app's) are put back after.
  const globalMetrics = opts.registry !== undefined ? globalRegistry.getMetricsAsArray() as unknown as Array<Metric & { name: string }> : []
  const restoreGlobal = (): void => {
    for (const m of globalMetrics) if (globalRegistry.getSingleMetric(m.name) === undefined) globalRegistry.registerMetric(m)
  }
  const created = createLibp2p({
    privateKey: opts.privateKey,
    logger: libp2pLogger(),
    addresses: { listen: [...config.listen, ...pub.listen], appendAnnounce: config.announce },
    transports,
    // noise, minus a freshly built RangeError per received chunk (noise.ts).
    connectionEncrypters: [lightNoise()],
    streamMuxers: [guardedYamux()],
    connectionProtector: config.clusterSecret !== undefined ? preSharedKey({ psk: pskFromSecret(config.clusterSecret), timeout: config.dialTimeoutMs }) : undefined,
    peerDiscovery,
    connectionManager: {
      dialTimeout: config.dialTimeoutMs,
      maxConnections: config.maxConnections,
      inboundConnectionThreshold: config.inboundConnectionRate,
      // With the relay transport: a direct address before any relayed one (public.ts).
      addressSorter: config.relayClient || config.dcutr ? directFirstSorter : undefined
    },
    connectionMonitor: connectionMonitorOptions(config),
    connectionGater: opts.connectionGater,
    // /dnsaddr bootstrap addresses: the configured DNS servers, else the system's (dns.ts).
    dns: dnsFromServers(config.dnsServers),
    // Process metrics are already on the registry as repram_process_* / repram_nodejs_*.
    metrics: opts.registry !== undefined ? prometheusMetrics({ registry: opts.registry, collectDefaultMetrics: false }) : undefined,
    services: {
      identify: identify(),
      // One outbound ping stream per connection by default: the DHT's routing table and the
      // connection monitor ping the same peer at once, and a refused ping keeps a
      // peer out of the DHT's routing table for good (TooManyOutboundProtocolStreamsError).
      ping: ping({ maxOutboundStreams: 8, maxInboundStreams: 8 }),
      pubsub: gossipsub(gossipsubOptions(config, opts.appScore)),
      ...pub.services
    }
  })
  try {
    return await created
  } finally {
    restoreGlobal()
  }
}
