/**
 * The public network's libp2p parts (issue 17), added to a standalone node by
 * `libp2p.ts` when the config asks for them: the Kademlia DHT under REPRAM's own protocol
 * (`/repram/kad/1.0.0`), the circuit relay v2 transport (reservations, `/p2p-circuit`
 * addresses) and service (bounded), DCUtR, AutoNAT v2, UPnP (opt-in) and WebSockets (for
 * browsers, when a `/ws` address is listened on or dialled). Also what `/v1/status` and
 * `/v1/metrics` show of them: reachability, relay addresses, the DHT's routing table.
 *
 * @example
 * const parts = publicParts(loadConfig({ profile: 'public' }))
 * // parts.transports, parts.services, parts.listen → createLibp2p({ ... })
 */
import { kadDHT, passthroughMapper, removePrivateAddressesMapper, type KadDHT } from '@libp2p/kad-dht'
import { circuitRelayServer, circuitRelayTransport, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { autoNATv2 } from '@libp2p/autonat-v2'
import { uPnPNAT } from '@libp2p/upnp-nat'
import { webSockets } from '@libp2p/websockets'
import { identifyPush } from '@libp2p/identify'
import { circuitRelayAddressesLast, isPrivate, loopbackAddressLast, publicAddressesFirst, reliableTransportsFirst } from '@libp2p/utils'
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Address } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { RepramConfig } from '../config.js'

/** The DHT protocol: REPRAM's own network, never the IPFS DHT. */
export const DHT_PROTOCOL = '/repram/kad/1.0.0'

/** Whether a node is dialable from the internet, as far as it knows. */
export type Reachability = 'public' | 'private' | 'unknown'

/** What status shows of the public network (`/v1/status` → `public_network`). */
export interface PublicNetworkInfo {
  reachability: Reachability
  /** Advertised `/p2p-circuit` addresses (reservations on relays). */
  relay_addresses: string[]
  /** Peers in the DHT routing table; null without the DHT. */
  dht_routing_table: number | null
  /** The DHT's mode now; null without the DHT. */
  dht_mode: 'server' | 'client' | null
  /** Reservations this node's relay service holds for others; null when it offers none. */
  relay_reservations: number | null
  /**
   * Open libp2p connections: `direct` (a transport address) and `relayed` (through a relay,
   * `/p2p-circuit`). A relayed connection that DCUtR upgrades becomes a direct one.
   */
  connections: { direct: number, relayed: number }
}

/** The libp2p options the public network adds. */
export interface PublicParts {
  transports: Array<(components: any) => any>
  services: Record<string, (components: any) => unknown>
  /** Extra listen addresses (`/p2p-circuit` for the relay client). */
  listen: string[]
}

/** Whether any address of `addrs` is a WebSocket one. */
export function wantsWebSockets (addrs: readonly string[]): boolean {
  return addrs.some(a => /\/wss?(\/|$)/.test(a) || a.includes('/tls/ws'))
}

/** The transports and services the config asks for (none for a plain private node). */
export function publicParts (config: RepramConfig): PublicParts {
  const transports: PublicParts['transports'] = []
  const services: PublicParts['services'] = {}
  const listen: string[] = []
  if (wantsWebSockets([...config.listen, ...config.peers])) transports.push(webSockets())
  // The relay transport dials /p2p-circuit addresses; the client also listens on one (a reservation).
  // Reservations keep libp2p's completion timeout (10 s): tied to a short dial timeout they failed under load and were not retried soon.
  if (config.relayClient || config.dcutr) transports.push(circuitRelayTransport())
  if (config.relayClient) listen.push('/p2p-circuit')
  if (config.dht) {
    services.dht = kadDHT({
      protocol: DHT_PROTOCOL,
      // auto: kad-dht's own rule (server once the node has a public, non-relayed address).
      clientMode: config.dhtMode === 'auto' ? undefined : config.dhtMode === 'client',
      // On the internet private addresses in records only waste dials; on a LAN or a test network they are the only ones.
      peerInfoMapper: config.dhtPrivateAddresses ? passthroughMapper : removePrivateAddressesMapper,
      // The first query waits for the self-query otherwise (1 s after start).
      initialQuerySelfInterval: 0,
      datastorePrefix: '/repram-dht',
      metricsPrefix: 'libp2p_repram_kad_dht'
    })
    // Auto mode registers the DHT protocol only when the node turns server (AutoNAT verified a
    // public address), after its peers identified it: identify push tells them, so they add it
    // to their routing tables (without it a bootstrap node in auto mode was never queried).
    services.identifyPush = identifyPush()
  }
  if (config.relayServer) {
    services.relay = circuitRelayServer({
      reservations: {
        maxReservations: config.relayMaxReservations,
        applyDefaultLimit: true,
        defaultDurationLimit: config.relayMaxDurationMs,
        defaultDataLimit: BigInt(config.relayMaxBytes)
      }
    })
  }
  if (config.autonat) services.autonat = autoNATv2()
  if (config.dcutr) services.dcutr = dcutr()
  // upnp-nat requires an '@libp2p/autonat' service unless it confirms mapped addresses itself:
  // without AutoNAT a node with --upnp did not start. Without AutoNAT it trusts the gateway
  // (the mapped address is announced at once; a private external address is still refused).
  if (config.upnp) services.upnp = uPnPNAT({ autoConfirmAddress: !config.autonat })
  return { transports, services, listen }
}

/**
 * The dial order of a node that can dial relayed addresses: libp2p's default order with
 * relayed addresses last *before* public addresses first. libp2p's own sorter puts public
 * addresses first, and a `/p2p-circuit` address through a public relay counts as public: a
 * peer on the same LAN that offers its LAN address and a relayed one was dialled through
 * the relay (and stayed relayed: DCUtR skips private addresses), and every byte between
 * the two went out to the relay and back, within the relay's byte and time limits.
 * With this order a direct address is tried before any relayed one.
 */
export function directFirstSorter (a: Address, b: Address): -1 | 0 | 1 {
  return loopbackAddressLast(a.multiaddr, b.multiaddr) ||
    circuitRelayAddressesLast(a.multiaddr, b.multiaddr) ||
    publicAddressesFirst(a.multiaddr, b.multiaddr) ||
    (a.isCertified === b.isCertified ? 0 : a.isCertified ? -1 : 1) ||
    reliableTransportsFirst(a.multiaddr, b.multiaddr)
}

/** The libp2p surface {@link publicInfo} reads (a full node, or a stand-in in tests). */
export interface PublicSource {
  getMultiaddrs: () => Multiaddr[]
  /** Every address with whether it was verified (libp2p's address manager). */
  addressesWithMetadata: () => Array<{ multiaddr: Multiaddr, verified: boolean }>
  services: Record<string, unknown>
  /** The remote addresses of the open connections (none known: counts of 0). */
  connections?: () => Multiaddr[]
}

function isCircuit (ma: Multiaddr): boolean {
  return ma.toString().includes('/p2p-circuit')
}

/**
 * Reachability from the node's own addresses: `public` when a non-relayed address that
 * is not private is verified (by AutoNAT, or announced by the operator); `unknown` when
 * such addresses exist but none is verified yet (AutoNAT has not confirmed them, or no
 * peer could try); `private` when every address is private, loopback or relayed.
 */
export function reachabilityOf (addrs: Array<{ multiaddr: Multiaddr, verified: boolean }>): Reachability {
  const candidates = addrs.filter(a => !isCircuit(a.multiaddr) && !isPrivate(a.multiaddr))
  if (candidates.some(a => a.verified)) return 'public'
  return candidates.length > 0 ? 'unknown' : 'private'
}

/** What status and metrics show of the public network. */
export function publicInfo (src: PublicSource): PublicNetworkInfo {
  const dht = src.services.dht as (KadDHT & { routingTable?: { size: number } }) | undefined
  const relay = src.services.relay as CircuitRelayService | undefined
  return {
    reachability: reachabilityOf(src.addressesWithMetadata()),
    relay_addresses: src.getMultiaddrs().filter(isCircuit).map(ma => ma.toString()),
    dht_routing_table: dht?.routingTable?.size ?? null,
    dht_mode: dht !== undefined ? dht.getMode() : null,
    relay_reservations: relay !== undefined ? relay.reservations.size : null,
    connections: countConnections(src.connections?.() ?? [])
  }
}

/** Open connections by kind: relayed (`/p2p-circuit` remote address) or direct. */
export function countConnections (remoteAddrs: Multiaddr[]): { direct: number, relayed: number } {
  const relayed = remoteAddrs.filter(isCircuit).length
  return { direct: remoteAddrs.length - relayed, relayed }
}

/** Counters of the enclave rendezvous. */
export interface PublicMetrics {
  rendezvousRounds: Counter<'result'>
  rendezvousProviders: Counter
}

/**
 * The public network's metrics. Gauges read at scrape time: `repram_reachability{state}`
 * (1 for the current state), `repram_relay_addresses`, `repram_dht_routing_table_peers`,
 * `repram_relay_reservations`, `repram_connections{kind}` (direct, relayed); counters of the rendezvous: `repram_rendezvous_rounds_total
 * {result}` and `repram_rendezvous_providers_total`. `read` answers undefined while the
 * network is down.
 */
export function createPublicMetrics (registry: Registry, read: () => PublicNetworkInfo | undefined): PublicMetrics {
  const registers = [registry]
  /* eslint-disable no-new */
  new Gauge({
    name: 'repram_reachability',
    help: 'Whether this node is publicly dialable (1 for the current state): public, private, unknown',
    labelNames: ['state'] as const,
    registers,
    collect () {
      const r = read()?.reachability
      for (const s of ['public', 'private', 'unknown'] as const) this.set({ state: s }, r === s ? 1 : 0)
    }
  })
  new Gauge({ name: 'repram_relay_addresses', help: 'Advertised /p2p-circuit addresses (relay reservations held by this node)', registers, collect () { this.set(read()?.relay_addresses.length ?? 0) } })
  new Gauge({ name: 'repram_dht_routing_table_peers', help: 'Peers in the DHT routing table', registers, collect () { this.set(read()?.dht_routing_table ?? 0) } })
  new Gauge({
    name: 'repram_connections',
    help: 'Open libp2p connections by kind: direct, or relayed (through a circuit relay; DCUtR upgrades these to direct)',
    labelNames: ['kind'] as const,
    registers,
    collect () {
      const c = read()?.connections
      this.set({ kind: 'direct' }, c?.direct ?? 0)
      this.set({ kind: 'relayed' }, c?.relayed ?? 0)
    }
  })
  new Gauge({ name: 'repram_relay_reservations', help: 'Reservations this node\'s relay service holds for other nodes', registers, collect () { this.set(read()?.relay_reservations ?? 0) } })
  const rounds = new Counter({ name: 'repram_rendezvous_rounds_total', help: 'Enclave rendezvous rounds over the DHT (result: found other providers, none, failed)', labelNames: ['result'] as const, registers })
  for (const result of ['found', 'none', 'failed']) rounds.inc({ result }, 0)
  return {
    rendezvousRounds: rounds,
    rendezvousProviders: new Counter({ name: 'repram_rendezvous_providers_total', help: 'Providers of the enclave key found by rendezvous rounds (each offered to membership as a candidate)', registers })
  }
}

/** What {@link RelayKeeper} needs of libp2p. */
export interface RelayKeeperHost {
  /** This node's advertised addresses (text). */
  addresses: () => string[]
  /** Addresses (with `/p2p/<id>`) of directly connected peers that offer a relay service. */
  relays: () => Promise<string[]>
  /** Listens on one more address (here `<relay>/p2p-circuit`: a reservation on that relay). */
  listen: (addr: string) => Promise<void>
}

/**
 * Keeps a relay client holding a reservation. libp2p's relay client discovers each relay
 * once and gives up on it after one failed reservation: under load a node behind a NAT
 * could stay unreachable for good while connected to a working relay. Every `intervalMs`
 * without a `/p2p-circuit` address it asks for a reservation on a connected relay itself
 * (one at a time, round robin). Runs on the node's clock; `stop()` is safe to call twice.
 */
export class RelayKeeper {
  private timer: ReturnType<RelayKeeperInit['clock']['setTimeout']> | undefined
  private running = false
  private next = 0

  constructor (private readonly host: RelayKeeperHost, private readonly init: RelayKeeperInit) {}

  start (): void {
    if (this.running) return
    this.running = true
    this.arm()
  }

  stop (): void {
    this.running = false
    if (this.timer !== undefined) this.init.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private arm (): void {
    if (!this.running) return
    this.timer = this.init.clock.setTimeout(() => { void this.check().finally(() => this.arm()) }, this.init.intervalMs)
  }

  /** One check: a reservation is asked of a connected relay when the node advertises no relayed address. */
  async check (): Promise<boolean> {
    if (this.host.addresses().some(a => a.includes('/p2p-circuit'))) return false
    const relays = await this.host.relays().catch(() => [])
    if (relays.length === 0) return false
    const relay = relays[this.next++ % relays.length]
    this.init.onAttempt?.()
    await this.host.listen(`${relay}/p2p-circuit`).catch(() => {})
    return true
  }
}

/** Options of {@link RelayKeeper}. */
export interface RelayKeeperInit {
  clock: { setTimeout: (fn: () => void, ms: number) => unknown, clearTimeout: (h: any) => void }
  intervalMs: number
  onAttempt?: () => void
}

/** The relay service's protocol (a peer that speaks it can hold our reservation). */
export const RELAY_HOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/hop'
