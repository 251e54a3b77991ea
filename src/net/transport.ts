/**
 * The libp2p side of the actors' transports: what the quorum coordinator, membership,
 * the gossip peer and inbound writes ask of the network, done on a {@link NetHost}. It
 * holds only connection plumbing: the peer-id cache, one reused replicate stream per peer
 * ({@link ReplicateClient}), the blob client, and the addresses merged into the peer
 * store. It decides nothing: every rule lives in the actor that calls it.
 *
 * @example
 * const transport = new Libp2pTransport(host, config)
 * const rtt = await transport.ping(peerId, { dial: true })
 * transport.close()
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { toString as bytesToString } from 'uint8arrays/to-string'
import { lpStream } from '@libp2p/utils'
import { anySignal } from 'any-signal'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { RepramConfig } from '../config.js'
import type { RepramRecord } from '../record.js'
import { ReplicateRequest, ReplicateResponse, WriteResult, type PeerInfo, type Write } from '../wire/pb/repram.js'
import { toWire } from '../wire/write.js'
import type { CoordinatorTransport } from '../../actors/quorum-coordinator/index.js'
import type { KnownPeer, MembershipTransport, PingOptions } from '../../actors/membership/index.js'
import type { InboundTransport } from '../../actors/inbound-writes/index.js'
import { ANNOUNCE_MAX_ADDRS } from '../../actors/gossip-peer/index.js'
import { PEER_EXCHANGE_MAX } from '../../actors/membership/index.js'
import { BLOB_PROTOCOL, FRAME_OVERHEAD_BYTES, REPLICATE_PROTOCOL, SYNC_PROTOCOL, pingTimeoutMs } from './constants.js'
import { ReplicateClient } from './replicate.js'
import { BlobClient, BlobError } from './blob.js'
import { PeerBudgets } from './budget.js'
import { PeerRateLimiter, PeerReputation } from './reputation.js'
import { SYNC_MAX_STREAMS } from './sync.js'
import type { NetHost } from './host.js'

/** The transports of every network actor, on libp2p. */
export class Libp2pTransport implements CoordinatorTransport, MembershipTransport, InboundTransport {
  private readonly peerIds = new Map<string, PeerId>()
  private readonly clients = new Map<string, ReplicateClient>()
  private readonly origin: Uint8Array
  readonly blobs: BlobClient
  /** Memory held on behalf of each peer (`peerMemoryBudgetBytes`): charged by the protocol handlers and the blob client. */
  readonly budgets: PeerBudgets
  /** What this node observed of each peer (`reputation.ts`): sends, pings, pulls and budget refusals feed it here. */
  readonly reputation: PeerReputation
  /** Token buckets on the writes each peer sends (`peerWriteRate`, `peerByteRate`). */
  readonly rates: PeerRateLimiter
  private closed = false
  /** Aborted by {@link close}: ends streams being opened. */
  private readonly halt = new AbortController()

  constructor (readonly host: NetHost, private readonly config: RepramConfig, reputation?: PeerReputation, clock: { now: () => number } = Date) {
    this.origin = host.peerId.toMultihash().bytes
    this.reputation = reputation ?? new PeerReputation({ clock, graylistScore: config.peerGraylistScore, disconnectScore: config.peerDisconnectScore })
    this.rates = new PeerRateLimiter({ writesPerSec: config.peerWriteRate, bytesPerSec: config.peerByteRate, maxWriteBytes: config.maxValueBytes + config.maxKeyBytes * 4 }, clock)
    this.budgets = new PeerBudgets({ capBytes: config.peerMemoryBudgetBytes, onRefusal: (peer) => this.reputation.penalise(peer, 'budget') })
    this.blobs = new BlobClient({
      network: config.network,
      enclave: config.enclave,
      maxValueBytes: config.maxValueBytes,
      maxKeyBytes: config.maxKeyBytes,
      timeoutMs: config.syncTimeoutMs,
      // A holder that stops answering (or never does) fails a step after this, not after the whole timeout.
      idleTimeoutMs: Math.min(config.syncTimeoutMs, 2 * config.dialTimeoutMs),
      budgets: this.budgets,
      open: async (id, signal) => await this.openStream(id, BLOB_PROTOCOL, signal)
    })
  }

  /** Largest replicate frame either side accepts. */
  get maxFrameBytes (): number {
    return this.config.maxValueBytes + this.config.maxKeyBytes * 4 + FRAME_OVERHEAD_BYTES
  }

  /** The PeerId of a peer id text (cached), or undefined when it is not one. */
  peerId (id: string): PeerId | undefined {
    let p = this.peerIds.get(id)
    if (p === undefined) {
      try { p = peerIdFromString(id) } catch { return undefined }
      this.peerIds.set(id, p)
    }
    return p
  }

  /** Caches a PeerId that arrived with a connection or message. */
  learn (peer: PeerId): string {
    const id = peer.toString()
    if (!this.peerIds.has(id)) this.peerIds.set(id, peer)
    return id
  }

  // ---- coordinator -----------------------------------------------------------------------

  async send (peerId: string, records: RepramRecord[]): Promise<boolean[]> {
    const cl = this.client(peerId)
    const inline = this.config.gossipInlineBytes
    // Values above the inline threshold are announced: the replica pulls them over the blob protocol and acks once it holds them.
    let failed = false
    const results = await Promise.all(records.map(async r => await cl.send(toWire(r, this.origin, r.value.byteLength <= inline)).catch(() => { failed = true; return WriteResult.FAILED })))
    const held = results.map(r => r === WriteResult.HELD)
    // An answered batch is a sign of reliability; a send that failed (no answer, a reset stream) is a flaky sign.
    if (held.includes(true)) this.reputation.reward(peerId, 'replicate_held')
    if (failed && !this.closed) this.reputation.penalise(peerId, 'replicate_failed')
    return held
  }

  /** Tells a peer directly that this node leaves, within `timeoutMs`. */
  async leave (peerId: string, timeoutMs: number): Promise<void> {
    await Promise.race([this.client(peerId).leave(), new Promise((_resolve, reject) => setTimeout(reject, timeoutMs).unref())])
  }

  // ---- membership ------------------------------------------------------------------------

  /**
   * RTT to `id`; undefined when `dial` is false and no connection is open.
   *
   * The ping is an empty frame on the replicate stream this node keeps to the peer (the
   * one writes use; opened, and dialled, when there is none), answered by the peer's
   * replicate server. libp2p's ping, and its connection monitor, open a new stream for every
   * ping from both ends of a connection: multistream-select, a peer-store update under a
   * write lock, timers. At 7 nodes, idle, that was a quarter of a node's CPU.
   *
   * A ping unanswered within the ping timeout ({@link pingTimeoutMs}) fails and aborts the connections it
   * went over, as libp2p's connection monitor does: a silent peer is redialled, not waited on.
   */
  async ping (id: string, opts: PingOptions): Promise<number | undefined> {
    const peer = this.peerId(id)
    if (peer === undefined || this.closed) throw new Error('cannot ping')
    const conns = this.host.getConnections(peer).filter(conn => conn.status === 'open')
    if (!opts.dial && conns.length === 0) return undefined
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new PingTimeoutError()), this.pingTimeoutMs)
    })
    try {
      const rtt = await Promise.race([this.client(id).ping(), timedOut])
      this.reputation.reward(id, 'ping_ok')
      return rtt
    } catch (err) {
      if (!this.closed) {
        this.reputation.penalise(id, 'ping_failed')
        if (err instanceof PingTimeoutError) for (const conn of this.host.getConnections(peer)) conn.abort(err)
      }
      throw err
    } finally {
      clearTimeout(timer)
    }
  }

  /** How long a ping waits for its answer (see {@link ping}). */
  get pingTimeoutMs (): number {
    return pingTimeoutMs(this.config)
  }

  async dial (addr: string): Promise<string> {
    const conn = await this.host.dial(multiaddr(addr), { signal: AbortSignal.timeout(this.config.dialTimeoutMs) })
    return this.learn(conn.remotePeer)
  }

  /**
   * The REPRAM handshake (membership's verification): dials `addresses` (with this peer's
   * `/p2p/` id, so the noise handshake proves the key) when given and not connected, then
   * sends one empty replicate frame in this node's network and enclave on a stream of its
   * own. True when the peer answered it without error within `dialTimeoutMs`. A failed
   * handshake closes the connection it dialled. Never rejects.
   */
  async verify (id: string, addresses: string[] | undefined): Promise<boolean> {
    const peer = this.peerId(id)
    if (peer === undefined || this.closed) return false
    // any-signal, not AbortSignal.any: the halt signal lives as long as the node (nodejs/node#55351).
    const signal = anySignal([AbortSignal.timeout(this.config.dialTimeoutMs), this.halt.signal])
    let dialled: Connection | undefined
    let ok = false
    try {
      if (addresses !== undefined && this.host.getConnections(peer).length === 0) {
        const mas: Multiaddr[] = []
        for (const a of addresses.slice(0, ANNOUNCE_MAX_ADDRS)) {
          try { mas.push(multiaddr(`${withoutP2p(multiaddr(a)).toString()}/p2p/${id}`)) } catch {}
        }
        if (mas.length === 0) return false
        dialled = await this.host.dial(mas, { signal })
        if (!dialled.remotePeer.equals(peer)) return false
      }
      const stream = await this.host.newStream(peer, REPLICATE_PROTOCOL, { signal, maxOutboundStreams: this.config.maxReplicateStreams })
      try {
        const lp = lpStream(stream, { maxDataLength: HANDSHAKE_MAX_BYTES } as Parameters<typeof lpStream>[1])
        await lp.write(ReplicateRequest.encode({ id: 1, network: this.config.network, enclave: this.config.enclave, writes: [] }), { signal } as never)
        const res = ReplicateResponse.decode(await lp.read({ signal } as never))
        ok = res.id === 1 && res.error === undefined
      } finally {
        await stream.close({ signal } as never).catch(() => { stream.abort(new Error('handshake over')) })
      }
    } catch {
      ok = false
    } finally {
      signal.clear()
      if (!ok && dialled !== undefined) void dialled.close().catch(() => {})
    }
    return ok
  }

  connected (id: string): boolean {
    const peer = this.peerIds.get(id)
    return peer !== undefined && this.host.getConnections(peer).length > 0
  }

  closeOutbound (id: string): void {
    const peer = this.peerIds.get(id)
    if (peer === undefined) return
    for (const conn of this.host.getConnections(peer)) {
      if (conn.direction === 'outbound' && conn.status === 'open') void conn.close().catch(() => {})
    }
  }

  /** Closes every connection to a peer (reputation: below `peerDisconnectScore`). */
  hangUp (id: string): void {
    const peer = this.peerIds.get(id)
    if (peer === undefined) return
    for (const conn of this.host.getConnections(peer)) void conn.close().catch(() => {})
  }

  async exchange (id: string): Promise<KnownPeer[]> {
    const list = await this.client(id).members()
    const out: KnownPeer[] = []
    for (const p of list.slice(0, PEER_EXCHANGE_MAX)) {
      // A peer id's text form is the base58btc of its multihash bytes.
      let pid: string
      try { pid = peerIdFromString(bytesToString(p.id, 'base58btc')).toString() } catch { continue }
      const addresses: string[] = []
      for (const a of p.addrs.slice(0, ANNOUNCE_MAX_ADDRS)) {
        try { addresses.push(multiaddr(a).toString()) } catch {}
      }
      out.push({ id: pid, addresses })
    }
    return out
  }

  /** Peer exchange, server side: the wire form of membership's answer. */
  exchangeWire (peers: KnownPeer[]): PeerInfo[] {
    const out: PeerInfo[] = []
    for (const p of peers) {
      const id = this.peerId(p.id)
      if (id === undefined) continue
      const addrs: Array<Uint8Array<ArrayBuffer>> = []
      for (const a of p.addresses.slice(0, ANNOUNCE_MAX_ADDRS)) {
        try { addrs.push(Uint8Array.from(multiaddr(a).bytes)) } catch {}
      }
      out.push({ id: Uint8Array.from(id.toMultihash().bytes), addrs })
    }
    return out
  }

  remember (id: string, addresses: string[]): void {
    const peer = this.peerId(id)
    if (peer === undefined) return
    const mas: Multiaddr[] = []
    for (const a of addresses) {
      try { mas.push(withoutP2p(multiaddr(a))) } catch {}
    }
    if (mas.length > 0) Promise.resolve(this.host.peerStore.merge(peer, { multiaddrs: mas })).catch(() => {})
  }

  forget (id: string): void {
    const cl = this.clients.get(id)
    this.clients.delete(id)
    cl?.close()
  }

  addresses (): Uint8Array[] {
    return this.host.getMultiaddrs().slice(0, ANNOUNCE_MAX_ADDRS).map(ma => ma.bytes)
  }

  /** Full listen multiaddrs with this node's `/p2p/` suffix. */
  listenAddresses (): string[] {
    const suffix = `/p2p/${this.host.peerId.toString()}`
    return this.host.getMultiaddrs().map(ma => {
      const s = ma.toString()
      return s.endsWith(suffix) ? s : `${s}${suffix}`
    })
  }

  /** Addresses of the open connections to a peer (topology, when it announced none). */
  connectionAddresses (id: string): string[] {
    const peer = this.peerIds.get(id)
    if (peer === undefined) return []
    return this.host.getConnections(peer).map(c => `${c.remoteAddr.toString()}/p2p/${id}`)
  }

  /** How this node is connected to a peer now: `direct` when any open connection is not through a relay, else `relayed`, else `none`. */
  connectionKind (id: string): 'direct' | 'relayed' | 'none' {
    const peer = this.peerIds.get(id)
    const open = peer === undefined ? [] : this.host.getConnections(peer).filter(c => c.status === 'open')
    if (open.length === 0) return 'none'
    return open.some(c => !c.remoteAddr.toString().includes('/p2p-circuit')) ? 'direct' : 'relayed'
  }

  // ---- inbound writes, sync ----------------------------------------------------------------

  async pull (id: string, w: Write, signal: AbortSignal, owner: string): Promise<RepramRecord> {
    try {
      return await this.blobs.pull(id, w, signal, owner)
    } catch (err) {
      // Only a pull that failed on its own (not one we gave up on) is held against the holder.
      // A fault when no honest holder does it: it confirmed the write and then sent other bytes
      // (`hash`), or it contradicts its own announcement (`mismatch` from the announcer itself).
      // Otherwise a flaky sign: it may no longer hold the write, the link may be bad, or a third
      // peer may have forged the announcement.
      const fault = err instanceof BlobError && (err.reason === 'hash' || (err.reason === 'mismatch' && owner === id))
      if (!signal.aborted && !this.closed) this.reputation.penalise(id, fault ? 'invalid_write' : 'pull_failed')
      throw err
    }
  }

  /** Opens a stream on a REPRAM protocol, bounded by `signal` and by {@link close}. */
  async openStream (id: string, protocol: string, signal: AbortSignal): Promise<Stream> {
    if (this.closed) throw new Error('transport closed')
    const peer = this.peerId(id)
    if (peer === undefined) throw new Error('bad peer id')
    const bounded = anySignal([signal, this.halt.signal])
    try {
      return await this.host.newStream(peer, protocol, { signal: bounded, maxOutboundStreams: protocol === REPLICATE_PROTOCOL ? this.config.maxReplicateStreams : SYNC_MAX_STREAMS })
    } finally {
      bounded.clear()
    }
  }

  /** Opens a sync stream (anti-entropy, read-through). */
  async openSync (id: string, signal: AbortSignal): Promise<Stream> {
    return await this.openStream(id, SYNC_PROTOCOL, signal)
  }

  /** Fails pending requests and pulls, and closes every replicate stream. Safe to call twice. */
  close (): void {
    this.closed = true
    this.halt.abort(new Error('transport closed'))
    this.blobs.close()
    for (const cl of this.clients.values()) cl.close()
    this.clients.clear()
  }

  private client (id: string): ReplicateClient {
    let cl = this.clients.get(id)
    if (cl === undefined) {
      if (this.closed) throw new Error('transport closed')
      const peer = this.peerId(id)
      if (peer === undefined) throw new Error('bad peer id')
      const c = this.config
      cl = new ReplicateClient({
        network: c.network,
        enclave: c.enclave,
        maxFrameBytes: this.maxFrameBytes,
        // Longer than the write timeout: the coordinator answers 202 first; this only unsticks a hung stream.
        timeoutMs: c.writeTimeoutMs + c.dialTimeoutMs,
        dialTimeoutMs: c.dialTimeoutMs,
        open: async (signal) => await this.openStream(id, REPLICATE_PROTOCOL, signal)
      })
      this.clients.set(id, cl)
    }
    return cl
  }
}

/** A ping that got no answer within the ping timeout. */
export class PingTimeoutError extends Error {
  override readonly name = 'PingTimeoutError'
  constructor () { super('ping timed out') }
}

/** Largest answer to a handshake frame (an empty response is a few bytes). */
const HANDSHAKE_MAX_BYTES = 4096

function withoutP2p (ma: Multiaddr): Multiaddr {
  // Only a trailing /p2p/<id>: a relayed address (…/p2p/<relay>/p2p-circuit) keeps its relay's id.
  const s = ma.toString()
  const m = /\/p2p\/[^/]+$/.exec(s)
  return m !== null && m.index > 0 ? multiaddr(s.slice(0, m.index)) : ma
}
