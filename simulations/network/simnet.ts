/**
 * `simnet`: an in-process libp2p transport for network simulations, modelled on
 * `@libp2p/memory` (same `/memory/<name>` addresses) with what a simulation needs and
 * the memory transport lacks:
 *
 * - **Per-link latency, pipelined.** `@libp2p/memory`'s `latency` awaits a delay per
 *   chunk *in series*, so a link with 10 ms latency carries at most 100 chunks/s and
 *   queues grow without bound under gossip. Here every chunk is stamped
 *   `deliverAt = max(now + latency(link), previous deliverAt)` and delivered in order by
 *   one timer per direction: latency without a throughput cap.
 * - **Loss, TCP-like.** libp2p streams are reliable byte streams, so dropping bytes would
 *   only corrupt yamux. A lost chunk is instead retransmitted after `rtoMs` (TCP's
 *   minimum RTO is 200 ms), and everything behind it on that connection waits
 *   (head-of-line blocking), which is what a lossy link does to TCP. Message-level loss
 *   of gossip (as over a datagram transport) is modelled separately by the cluster
 *   (`lossMode: 'drop'`), by dropping published messages of received gossipsub RPCs.
 * - **Partitions.** {@link SimNet.cut} refuses dials across a cut and aborts the
 *   connections that cross it; {@link SimNet.heal} lifts it.
 * - **No handshake.** Both ends are in one process, so the transport knows both peer ids
 *   and upgrades with `skipEncryption`: no noise, no plaintext exchange. This is part of
 *   the documented simulation profile (see simulations/network/README.md); production
 *   nodes use noise over TCP (DESIGN §4).
 * - **Byte accounting** per node (sent), for traffic per write and per node.
 * - **Shards.** A network can span worker threads ({@link RemoteNet}): a dial to a name
 *   hosted by another shard opens a connection whose two ends live in two threads; its
 *   bytes cross in per-turn batches over a MessagePort, after the sender's link delay.
 */
import { ConnectionFailedError, ListenError, serviceCapabilities, transportSymbol, StreamResetError } from '@libp2p/interface'
import type { ComponentLogger, CreateListenerOptions, DialTransportOptions, Listener, ListenerEvents, Logger, MultiaddrConnection, PeerId, Transport, Upgrader, AbortOptions } from '@libp2p/interface'
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import { multiaddr, CODE_P2P, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { TypedEventEmitter } from 'main-event'
import type { Uint8ArrayList } from 'uint8arraylist'

/** Link properties between two nodes (by listen address name). */
export interface LinkModel {
  /** One-way latency of the link from `a` to `b`, in ms. */
  latencyMs: (a: string, b: string) => number
  /** Probability that a chunk on the link is lost (and retransmitted after `rtoMs`). */
  loss: (a: string, b: string) => number
  /** Retransmission delay of a lost chunk. @default 200 */
  rtoMs?: number
}

interface Endpoint { name: string, peerId: PeerId, upgrader: Upgrader, listener: SimListener }

/** Messages between the shards of one network (connection id `id` is unique network-wide). */
export type ShardWire =
  | { t: 'dial', id: string, from: string, fromPeer: string, to: string }
  | { t: 'accept', id: string }
  | { t: 'refuse', id: string, reason: string }
  | { t: 'data', id: string, b: Uint8Array }
  | { t: 'end', id: string, err: boolean }
  | { t: 'listen', name: string, peerId: string }
  | { t: 'unlisten', name: string }

/** How a shard reaches the rest of a network that spans threads. */
export interface RemoteNet {
  /** This shard's number. */
  self: number
  /** Number of shards (0 … shards − 1). */
  shards: number
  /** Sends a batch of messages to shard `shard` (in order). */
  send: (shard: number, batch: ShardWire[], transfer: ArrayBuffer[]) => void
}

/** One end of a pipe: what delivered bytes and the close reach. */
interface PipeTarget {
  deliver: (buf: Uint8Array | Uint8ArrayList) => void
  remoteClosed: (err?: Error) => void
}

/** Shared state of one simulated network: listeners, live connections, cuts, counters. */
export class SimNet {
  readonly endpoints = new Map<string, Endpoint>()
  readonly conns = new Set<SimConnection>()
  /** Bytes sent by each node (by address name), all protocols. */
  readonly bytesSent = new Map<string, number>()
  /** Chunks sent by each node. */
  readonly chunksSent = new Map<string, number>()
  private readonly cuts = new Set<string>()
  rng: () => number
  /** Set when the network spans shards. */
  readonly remote: RemoteNet | undefined
  /** Connection ends whose other end is in another shard, by connection id. */
  readonly remoteConns = new Map<string, SimConnection>()
  /** Listeners of other shards: name → shard and peer id (told by each shard as its nodes listen). */
  readonly directory = new Map<string, { shard: number, peerId: string }>()
  private readonly accepts = new Map<string, { resolve: () => void, reject: (err: Error) => void }>()
  private readonly outbox = new Map<number, { batch: ShardWire[], transfer: ArrayBuffer[] }>()
  private flushing = false
  private nextId = 0

  constructor (public link: LinkModel, rng: () => number = Math.random, remote?: RemoteNet) {
    this.rng = rng
    this.remote = remote
  }

  /** Queues a message to another shard; one batch per shard per event-loop turn. */
  post (shard: number, msg: ShardWire, transfer?: ArrayBuffer): void {
    let box = this.outbox.get(shard)
    if (box === undefined) { box = { batch: [], transfer: [] }; this.outbox.set(shard, box) }
    box.batch.push(msg)
    if (transfer !== undefined) box.transfer.push(transfer)
    if (!this.flushing) {
      this.flushing = true
      setImmediate(() => {
        this.flushing = false
        const boxes = [...this.outbox]
        this.outbox.clear()
        for (const [to, b] of boxes) this.remote?.send(to, b.batch, b.transfer)
      })
    }
  }

  /** Tells every other shard that `name` listens here (before any of its traffic leaves). */
  tellShards (msg: ShardWire): void {
    const r = this.remote
    if (r === undefined) return
    for (let i = 0; i < r.shards; i++) if (i !== r.self) this.post(i, msg)
  }

  /** A network-wide connection id. */
  newRemoteId (): string {
    return `${this.remote?.self ?? 0}:${this.nextId++}`
  }

  /** Waits for the other shard to accept dial `id`. */
  async awaitAccept (id: string, signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => { this.accepts.delete(id); reject(new ConnectionFailedError('simnet: dial aborted')) }
      signal.addEventListener('abort', onAbort, { once: true })
      this.accepts.set(id, {
        resolve: () => { signal.removeEventListener('abort', onAbort); resolve() },
        reject: (err) => { signal.removeEventListener('abort', onAbort); reject(err) }
      })
    })
  }

  /** Handles a batch of messages from shard `from`. */
  receive (from: number, batch: ShardWire[]): void {
    for (const m of batch) {
      switch (m.t) {
        case 'data':
          this.remoteConns.get(m.id)?.deliver(m.b)
          break
        case 'end': {
          const c = this.remoteConns.get(m.id)
          this.remoteConns.delete(m.id)
          c?.remoteClosed(m.err ? new StreamResetError() : undefined)
          break
        }
        case 'accept':
          this.accepts.get(m.id)?.resolve()
          this.accepts.delete(m.id)
          break
        case 'refuse':
          this.accepts.get(m.id)?.reject(new ConnectionFailedError(m.reason))
          this.accepts.delete(m.id)
          break
        case 'dial':
          this.acceptRemote(from, m)
          break
        case 'listen':
          this.directory.set(m.name, { shard: from, peerId: m.peerId })
          break
        case 'unlisten':
          this.directory.delete(m.name)
          break
      }
    }
  }

  /** The listening end of a dial from another shard. */
  private acceptRemote (shard: number, m: { id: string, from: string, fromPeer: string, to: string }): void {
    const ep = this.endpoints.get(m.to)
    if (ep === undefined) { this.post(shard, { t: 'refuse', id: m.id, reason: `no simnet listener at /memory/${m.to}` }); return }
    if (this.blocked(m.from, m.to)) { this.post(shard, { t: 'refuse', id: m.id, reason: 'simnet: link is cut' }); return }
    const ba = new Pipe(this, m.to, m.from)
    ba.target = new RemoteEnd(this, shard, m.id)
    const listener = new SimConnection(this, m.to, m.from, ba, { remoteAddr: multiaddr(`/memory/${m.from}-outgoing/p2p/${m.fromPeer}`), direction: 'inbound', log: ep.listener.log.newScope('in') } as any)
    this.remoteConns.set(m.id, listener)
    this.post(shard, { t: 'accept', id: m.id })
    ep.upgrader.upgradeInbound(listener as unknown as MultiaddrConnection, { skipEncryption: true, remotePeer: peerIdFromString(m.fromPeer), signal: AbortSignal.timeout(10_000) } as any).catch((err: Error) => listener.abort(err))
  }

  /** A libp2p transport factory on this network. */
  transport (): (components: { peerId: PeerId, logger: ComponentLogger }) => Transport {
    return (components) => new SimTransport(this, components)
  }

  blocked (a: string, b: string): boolean {
    return this.cuts.has(a < b ? `${a}|${b}` : `${b}|${a}`)
  }

  /** Cuts every link between `side` and `other` and aborts connections across. */
  cut (side: string[], other: string[]): void {
    for (const a of side) for (const b of other) this.cuts.add(a < b ? `${a}|${b}` : `${b}|${a}`)
    for (const c of [...this.conns]) if (this.blocked(c.from, c.to)) c.abort(new ConnectionFailedError('partition'))
  }

  /** Lifts every cut. */
  heal (): void {
    this.cuts.clear()
  }

  count (from: string, bytes: number): void {
    this.bytesSent.set(from, (this.bytesSent.get(from) ?? 0) + bytes)
    this.chunksSent.set(from, (this.chunksSent.get(from) ?? 0) + 1)
  }

  /** Total bytes sent by all nodes so far. */
  totalBytes (): number {
    let n = 0
    for (const v of this.bytesSent.values()) n += v
    return n
  }
}

/** Ordered, pipelined delivery of one direction of a connection. */
class Pipe {
  private readonly queue: Array<{ at: number, buf: Uint8Array | Uint8ArrayList }> = []
  private timer: NodeJS.Timeout | undefined
  private last = 0
  target: PipeTarget | undefined
  closed = false

  constructor (private readonly net: SimNet, private readonly from: string, private readonly to: string) {}

  push (buf: Uint8Array | Uint8ArrayList): void {
    const now = performance.now()
    let delay = this.net.link.latencyMs(this.from, this.to)
    const p = this.net.link.loss(this.from, this.to)
    const rto = this.net.link.rtoMs ?? 200
    // Each loss of the same chunk doubles the timeout (TCP backoff).
    for (let k = 0; p > 0 && this.net.rng() < p && k < 6; k++) delay += rto * 2 ** k
    const at = Math.max(now + delay, this.last)
    this.last = at
    this.queue.push({ at, buf })
    this.schedule()
  }

  private schedule (): void {
    if (this.timer !== undefined || this.queue.length === 0) return
    const wait = Math.max(0, this.queue[0].at - performance.now())
    const run = (): void => {
      this.timer = undefined
      const now = performance.now()
      while (this.queue.length > 0 && this.queue[0].at <= now + 1) {
        const { buf } = this.queue.shift()!
        if (!this.closed) this.target?.deliver(buf)
      }
      this.schedule()
    }
    this.timer = wait < 1 ? (setImmediate(run) as unknown as NodeJS.Timeout) : setTimeout(run, wait)
  }

  /** Ends the pipe once everything queued is delivered. */
  end (err?: Error): void {
    const finish = (): void => { if (!this.closed) { this.closed = true; this.target?.remoteClosed(err) } }
    if (this.queue.length === 0 || err !== undefined) { this.queue.length = 0; finish(); return }
    const at = this.last
    const check = (): void => { if (this.queue.length === 0) finish(); else setTimeout(check, Math.max(1, at - performance.now())) }
    setTimeout(check, Math.max(1, at - performance.now()))
  }
}

/** The far end of a pipe whose connection end lives in another shard. */
class RemoteEnd implements PipeTarget {
  constructor (private readonly net: SimNet, private readonly shard: number, private readonly id: string) {}

  deliver (buf: Uint8Array | Uint8ArrayList): void {
    // A copy the receiver owns (a Uint8Array may be a view of a pooled buffer).
    const b = buf.slice()
    this.net.post(this.shard, { t: 'data', id: this.id, b }, b.buffer as ArrayBuffer)
  }

  remoteClosed (err?: Error): void {
    this.net.post(this.shard, { t: 'end', id: this.id, err: err !== undefined })
  }
}

/** One end of a simulated connection. */
class SimConnection extends AbstractMultiaddrConnection {
  constructor (private readonly net: SimNet, readonly from: string, readonly to: string, private readonly out: Pipe, init: ConstructorParameters<typeof AbstractMultiaddrConnection>[0]) {
    super(init)
    net.conns.add(this)
  }

  deliver (buf: Uint8Array | Uint8ArrayList): void {
    this.onData(buf)
  }

  remoteClosed (err?: Error): void {
    this.net.conns.delete(this)
    if (err !== undefined) this.abort(err)
    else this.onTransportClosed()
  }

  sendData (data: Uint8ArrayList): { sentBytes: number, canSendMore: boolean } {
    this.net.count(this.from, data.byteLength)
    this.out.push(data)
    return { sentBytes: data.byteLength, canSendMore: true }
  }

  sendReset (): void {
    this.net.conns.delete(this)
    this.out.end(new StreamResetError())
  }

  async sendClose (options?: AbortOptions): Promise<void> {
    this.net.conns.delete(this)
    this.out.end()
    options?.signal?.throwIfAborted()
  }

  sendPause (): void {}
  sendResume (): void {}
}

function nameOf (ma: Multiaddr): string | undefined {
  const c = ma.getComponents().find(x => x.name === 'memory')
  return c?.value
}

class SimTransport implements Transport {
  readonly [transportSymbol] = true
  readonly [Symbol.toStringTag] = 'simnet'
  readonly [serviceCapabilities] = ['@libp2p/transport']
  readonly log: Logger
  /** This node's listen name (set by its listener). */
  name: string | undefined

  constructor (private readonly net: SimNet, private readonly components: { peerId: PeerId, logger: ComponentLogger }) {
    this.log = components.logger.forComponent('repram:simnet')
  }

  async dial (ma: Multiaddr, options: DialTransportOptions): Promise<any> {
    options.signal.throwIfAborted()
    const to = nameOf(ma)
    const from = this.name ?? `dialer-${this.components.peerId.toString().slice(-8)}`
    // The listener is in this shard (ep) or, when the network spans threads, in another.
    const ep = to === undefined ? undefined : this.net.endpoints.get(to)
    const far = ep === undefined && to !== undefined ? this.net.directory.get(to) : undefined
    const peer = ep?.peerId.toString() ?? far?.peerId
    if (to === undefined || peer === undefined) throw new ConnectionFailedError(`no simnet listener at ${ma.toString()}`)
    if (this.net.blocked(from, to)) {
      // A partition: the SYN goes nowhere. Fail after a short while, as a dial timeout would.
      await new Promise(resolve => setTimeout(resolve, 50))
      throw new ConnectionFailedError('simnet: link is cut')
    }
    const p2p = ma.getComponents().findLast(c => c.code === CODE_P2P)?.value
    if (p2p !== undefined && p2p !== peer) throw new ConnectionFailedError('simnet: peer id mismatch')
    // Connection set-up costs one round trip.
    const rtt = this.net.link.latencyMs(from, to) + this.net.link.latencyMs(to, from)
    const roundTrip = async (): Promise<void> => { if (rtt > 0) await new Promise(resolve => setTimeout(resolve, rtt)) }
    const ab = new Pipe(this.net, from, to)
    const dialer = new SimConnection(this.net, from, to, ab, { remoteAddr: multiaddr(`/memory/${to}/p2p/${peer}`), direction: 'outbound', log: this.log.newScope('out') } as any)
    let remoteId: string | undefined
    try {
      if (ep !== undefined) {
        const ba = new Pipe(this.net, to, from)
        const listener = new SimConnection(this.net, to, from, ba, { remoteAddr: multiaddr(`/memory/${from}-outgoing/p2p/${this.components.peerId.toString()}`), direction: 'inbound', log: this.log.newScope('in') } as any)
        ab.target = listener
        ba.target = dialer
        await roundTrip()
        ep.upgrader.upgradeInbound(listener as unknown as MultiaddrConnection, { skipEncryption: true, remotePeer: this.components.peerId, signal: AbortSignal.timeout(10_000) } as any).catch((err: Error) => listener.abort(err))
        return await options.upgrader.upgradeOutbound(dialer as unknown as MultiaddrConnection, { ...options, skipEncryption: true, remotePeer: ep.peerId } as any)
      }
      // Another shard: the listening end is made there (SimNet.acceptRemote).
      const shard = (far as { shard: number }).shard
      remoteId = this.net.newRemoteId()
      ab.target = new RemoteEnd(this.net, shard, remoteId)
      this.net.remoteConns.set(remoteId, dialer)
      this.net.post(shard, { t: 'dial', id: remoteId, from, fromPeer: this.components.peerId.toString(), to })
      await this.net.awaitAccept(remoteId, options.signal)
      await roundTrip()
      return await options.upgrader.upgradeOutbound(dialer as unknown as MultiaddrConnection, { ...options, skipEncryption: true, remotePeer: peerIdFromString(peer) } as any)
    } catch (err) {
      if (remoteId !== undefined) this.net.remoteConns.delete(remoteId)
      dialer.abort(err as Error)
      throw err
    }
  }

  createListener (options: CreateListenerOptions): Listener {
    return new SimListener(this.net, this, this.components.peerId, options.upgrader)
  }

  listenFilter (multiaddrs: Multiaddr[]): Multiaddr[] {
    return multiaddrs.filter(ma => nameOf(ma) !== undefined)
  }

  dialFilter (multiaddrs: Multiaddr[]): Multiaddr[] {
    return this.listenFilter(multiaddrs)
  }
}

class SimListener extends TypedEventEmitter<ListenerEvents> implements Listener {
  private addr: Multiaddr | undefined
  private name: string | undefined
  readonly log: Logger

  constructor (private readonly net: SimNet, private readonly transport: SimTransport, private readonly peerId: PeerId, private readonly upgrader: Upgrader) {
    super()
    this.log = transport.log
  }

  async listen (ma: Multiaddr): Promise<void> {
    const name = nameOf(ma)
    if (name === undefined) throw new ListenError('simnet listens on /memory/<name> only')
    if (this.net.endpoints.has(name)) throw new ListenError(`simnet address ${name} already in use`)
    this.name = name
    this.transport.name = name
    this.addr = multiaddr(`/memory/${name}`)
    this.net.endpoints.set(name, { name, peerId: this.peerId, upgrader: this.upgrader, listener: this })
    this.net.tellShards({ t: 'listen', name, peerId: this.peerId.toString() })
    queueMicrotask(() => this.safeDispatchEvent('listening'))
  }

  getAddrs (): Multiaddr[] {
    return this.addr === undefined ? [] : [this.addr]
  }

  updateAnnounceAddrs (): void {}

  async close (): Promise<void> {
    if (this.name !== undefined) {
      this.net.endpoints.delete(this.name)
      this.net.tellShards({ t: 'unlisten', name: this.name })
      for (const c of [...this.net.conns]) if (c.from === this.name || c.to === this.name) c.abort(new ConnectionFailedError('listener closed'))
    }
    queueMicrotask(() => this.safeDispatchEvent('close'))
  }
}
