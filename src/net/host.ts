/**
 * What the cluster layer needs from libp2p, whether it owns the libp2p node (standalone)
 * or runs inside another application's node as a service (embedding). Two adapters:
 * {@link hostFromLibp2p} and {@link hostFromComponents}.
 */
import type { Connection, Libp2p, Libp2pEvents, PeerId, PrivateKey, Stream, StreamHandler, StreamHandlerOptions, TypedEventTarget, PeerStore } from '@libp2p/interface'
import type { ConnectionManager, Registrar, AddressManager } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { GossipSub } from '@libp2p/gossipsub'
import type { RendezvousRouting } from './rendezvous.js'
import { RELAY_HOP_PROTOCOL, type PublicSource, type RelayKeeperHost } from './public.js'
import { multiaddr } from '@multiformats/multiaddr'

/** The libp2p surface used by the replicator. */
export interface NetHost {
  readonly peerId: PeerId
  readonly privateKey?: PrivateKey
  readonly pubsub: GossipSub
  readonly events: TypedEventTarget<Libp2pEvents>
  readonly peerStore: PeerStore
  getMultiaddrs(): Multiaddr[]
  handle(protocol: string, handler: StreamHandler, opts: StreamHandlerOptions): Promise<void>
  unhandle(protocol: string): Promise<void>
  newStream(peer: PeerId, protocol: string, opts: { signal: AbortSignal, maxOutboundStreams: number }): Promise<Stream>
  dial(target: PeerId | Multiaddr | Multiaddr[], opts: { signal: AbortSignal }): Promise<Connection>
  getConnections(peer?: PeerId): Connection[]
  /** Content routing (the DHT) for the enclave rendezvous, when the node has a DHT service. */
  contentRouting?: RendezvousRouting
  /** What status reads of the public network (addresses, DHT, relay). */
  publicSource?: PublicSource
  /** What the relay keeper needs (a node that owns its libp2p: standalone). */
  relayKeeper?: RelayKeeperHost
}

/**
 * REPRAM's streams open on relayed (limited) connections too, within the relay's limits
 * (docs/public-network.md): a NATed peer is reached through a relay before DCUtR upgrades.
 */
const LIMITED_OK = { runOnLimitedConnection: true } as const

/**
 * An open connection to stream on: a direct one first, else a relayed (limited) one.
 * libp2p's own dial never reuses a limited connection (it opens another relayed
 * connection on every `dialProtocol`), so streams go on the connection we have.
 */
function openConnection (conns: Connection[]): Connection | undefined {
  const open = conns.filter(c => c.status === 'open')
  return open.find(c => c.limits === undefined) ?? open[0]
}

type AddressManagerLike = { getAddressesWithMetadata?: () => Array<{ multiaddr: Multiaddr, verified: boolean }> } | undefined

function publicSource (getMultiaddrs: () => Multiaddr[], addressManager: AddressManagerLike, services: Record<string, unknown>, connections?: () => Multiaddr[]): PublicSource {
  return {
    getMultiaddrs,
    connections,
    addressesWithMetadata: () => addressManager?.getAddressesWithMetadata?.() ?? getMultiaddrs().map(multiaddr => ({ multiaddr, verified: true })),
    services
  }
}

function routingOf (services: Record<string, unknown>, routing: { provide: RendezvousRouting['provide'], findProviders: RendezvousRouting['findProviders'] } | undefined): RendezvousRouting | undefined {
  if (services.dht === undefined || routing === undefined) return undefined
  return { provide: async (key, opts) => { await routing.provide(key, opts) }, findProviders: (key, opts) => routing.findProviders(key, opts) }
}

/** Finds a gossipsub service among a node's services: by name, else by shape. */
function findPubsub (services: Record<string, unknown>, name: string): GossipSub {
  const byName = services[name] as GossipSub | undefined
  if (byName != null && typeof byName.publish === 'function') return byName
  for (const s of Object.values(services)) {
    const g = s as GossipSub
    if (g != null && typeof g.publish === 'function' && typeof g.subscribe === 'function' && g.topicValidators instanceof Map) return g
  }
  throw new Error(`the libp2p node has no gossipsub service (looked for services.${name}): add \`${name}: gossipsub()\` from @libp2p/gossipsub`)
}

/** Adapts a full libp2p node (created by us or passed in `createRepramNode({ libp2p })`). */
export function hostFromLibp2p (libp2p: Libp2p<Record<string, unknown>>, pubsubService: string): NetHost {
  const services = libp2p.services as Record<string, unknown>
  return {
    peerId: libp2p.peerId,
    pubsub: findPubsub(services, pubsubService),
    events: libp2p as unknown as TypedEventTarget<Libp2pEvents>,
    peerStore: libp2p.peerStore,
    getMultiaddrs: () => libp2p.getMultiaddrs(),
    handle: async (p, h, o) => { await libp2p.handle(p, h, o) },
    unhandle: async (p) => { await libp2p.unhandle(p) },
    newStream: async (peer, protocol, opts) => {
      const conn = openConnection(libp2p.getConnections(peer))
      return conn !== undefined ? await conn.newStream(protocol, { ...opts, ...LIMITED_OK }) : await libp2p.dialProtocol(peer, protocol, { ...opts, ...LIMITED_OK })
    },
    dial: async (target, opts) => await libp2p.dial(target, opts),
    getConnections: (peer) => libp2p.getConnections(peer),
    contentRouting: routingOf(services, libp2p.contentRouting as never),
    publicSource: publicSource(() => libp2p.getMultiaddrs(), (libp2p as unknown as { components?: { addressManager?: AddressManagerLike } }).components?.addressManager, services, () => libp2p.getConnections().map(c => c.remoteAddr)),
    relayKeeper: relayKeeperHost(libp2p)
  }
}

/** The relay keeper's view of a full libp2p node (its transport manager listens on a relay). */
function relayKeeperHost (libp2p: Libp2p<Record<string, unknown>>): RelayKeeperHost | undefined {
  const tm = (libp2p as unknown as { components?: { transportManager?: { listen: (addrs: Multiaddr[]) => Promise<void> } } }).components?.transportManager
  if (tm === undefined) return undefined
  return {
    addresses: () => libp2p.getMultiaddrs().map(ma => ma.toString()),
    relays: async () => {
      const out: string[] = []
      for (const c of libp2p.getConnections()) {
        if (c.status !== 'open' || c.limits !== undefined || c.direction !== 'outbound') continue
        const peer = await libp2p.peerStore.get(c.remotePeer).catch(() => undefined)
        if (peer?.protocols.includes(RELAY_HOP_PROTOCOL) === true) out.push(`${c.remoteAddr.toString().replace(/\/p2p\/[^/]+$/, '')}/p2p/${c.remotePeer.toString()}`)
      }
      return out
    },
    listen: async (addr) => { await tm.listen([multiaddr(addr)]) }
  }
}

/** The components a repram service reads (DESIGN §3 embedding). */
export interface HostComponents {
  peerId: PeerId
  privateKey: PrivateKey
  registrar: Registrar
  connectionManager: ConnectionManager
  addressManager: AddressManager
  peerStore: PeerStore
  events: TypedEventTarget<Libp2pEvents>
}

/**
 * Adapts the components of a libp2p service. Other services (gossipsub, the DHT, the relay)
 * are read from the components by name: libp2p registers every service as a component.
 */
export function hostFromComponents (components: HostComponents, pubsubService: string): NetHost {
  const lookup = (name: string): unknown => {
    try { return (components as unknown as Record<string, unknown>)[name] } catch { return undefined }
  }
  const pubsub = findPubsub({ [pubsubService]: lookup(pubsubService) }, pubsubService)
  return {
    peerId: components.peerId,
    privateKey: components.privateKey,
    pubsub,
    events: components.events,
    peerStore: components.peerStore,
    getMultiaddrs: () => components.addressManager.getAddresses(),
    handle: async (p, h, o) => { await components.registrar.handle(p, h, o) },
    unhandle: async (p) => { await components.registrar.unhandle(p) },
    newStream: async (peer, protocol, opts) => {
      const conn = openConnection(components.connectionManager.getConnections(peer))
      return conn !== undefined ? await conn.newStream(protocol, { ...opts, ...LIMITED_OK }) : await components.connectionManager.openStream(peer, protocol, { ...opts, ...LIMITED_OK })
    },
    dial: async (target, opts) => await components.connectionManager.openConnection(target, opts),
    getConnections: (peer) => components.connectionManager.getConnections(peer),
    publicSource: publicSource(() => components.addressManager.getAddresses(), components.addressManager as AddressManagerLike, { dht: lookup('dht'), relay: lookup('relay') }, () => components.connectionManager.getConnections().map(c => c.remoteAddr))
  }
}
