/**
 * `/repram/replicate/1.0.0`: direct replication, value pulls, membership pings and
 * graceful leaves. A client keeps one reused stream per peer and pipelines
 * length-prefixed {@link ReplicateRequest} frames on it; writes queued in the same tick
 * share one frame. The server answers each frame with a {@link ReplicateResponse}
 * carrying the same `id`.
 */
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { ReplicateRequest, ReplicateResponse, WriteResult, type PeerInfo, type Write } from '../wire/pb/repram.js'
import { proofBytes } from '../wire/write.js'
import { REPLICATE_BATCH_MAX, REPLICATE_SERVER_CONCURRENCY } from './constants.js'
import { framedBytes, meterStream, type BudgetAccount } from './budget.js'

/** Write frames a client keeps in flight per peer before later writes wait for one to return. */
export const WRITE_FRAMES_IN_FLIGHT = 2

/** Opens a new stream to the peer (with its own timeout). */
export type StreamOpener = (signal: AbortSignal) => Promise<Stream>

/** What a client is built from. */
export interface ReplicateClientInit {
  network: string
  enclave: string
  /** Largest frame in either direction. */
  maxFrameBytes: number
  /** A request unanswered this long fails (and the stream is reset). */
  timeoutMs: number
  /** Bound on opening the stream (dial included). */
  dialTimeoutMs: number
  open: StreamOpener
}

interface Waiting {
  deadline: number
  resolve: (r: ReplicateResponse) => void
  reject: (err: Error) => void
}

interface Queued { write: Write, bytes: number, resolve: (r: WriteResult) => void, reject: (err: Error) => void }

type Conn = { code: 'none' } | { code: 'opening', promise: Promise<LengthPrefixedStream<Stream>> } | { code: 'open', lp: LengthPrefixedStream<Stream>, stream: Stream }

/** The client side of one peer: a reused stream with pipelined, batched requests. */
export class ReplicateClient {
  private conn: Conn = { code: 'none' }
  private nextId = 1
  private readonly waiting = new Map<number, Waiting>()
  private queue: Queued[] = []
  private flushScheduled = false
  private framesInFlight = 0
  private sweeper: NodeJS.Timeout | undefined
  private closed = false

  constructor (private readonly init: ReplicateClientInit) {}

  /** Requests waiting for an answer (tests, metrics). */
  get inFlight (): number { return this.waiting.size + this.queue.length }

  /** Sends one write; resolves with the peer's result. Writes queued in one tick share a frame. */
  send (write: Write): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new Error('replicate client closed'))
    return new Promise((resolve, reject) => {
      this.queue.push({ write, bytes: write.key.length * 3 + write.value.byteLength + 128 + proofBytes(write), resolve, reject })
      if (!this.flushScheduled) {
        this.flushScheduled = true
        // The coordinator sends a whole batch synchronously: a microtask is enough to
        // gather it into one frame, without waiting a loop turn.
        queueMicrotask(() => { this.flushScheduled = false; this.flush() })
      }
    })
  }

  /** Pulls a record by key and writeId; undefined when the peer does not hold it. */
  async fetch (key: string, writeId: string): Promise<Write | undefined> {
    const res = await this.request({ writes: [], fetch: { key, writeId } })
    return res.record
  }

  /** An empty request: proves the peer answers on the protocol; resolves with the RTT. */
  async ping (): Promise<number> {
    const t = performance.now()
    await this.request({ writes: [] })
    return performance.now() - t
  }

  /** Peer exchange: the enclave members the peer knows. */
  async members (): Promise<PeerInfo[]> {
    const res = await this.request({ writes: [], members: true })
    return res.members
  }

  /** Tells the peer this node is leaving. */
  async leave (): Promise<void> {
    await this.request({ writes: [], leave: true })
  }

  /** Fails everything pending and closes the stream. Safe to call twice. */
  close (): void {
    this.closed = true
    this.reset(new Error('replicate client closed'))
    for (const q of this.queue.splice(0)) q.reject(new Error('replicate client closed'))
  }

  private flush (): void {
    // At most WRITE_FRAMES_IN_FLIGHT write frames per peer: writes that arrive while
    // they are out wait and leave together in the next frame. Under load this grows
    // frames instead of their number (each frame costs socket writes and an ack); when
    // idle, a write still leaves at once.
    while (this.queue.length > 0 && this.framesInFlight < WRITE_FRAMES_IN_FLIGHT) {
      let bytes = 0
      let n = 0
      while (n < this.queue.length && n < REPLICATE_BATCH_MAX && (n === 0 || bytes + this.queue[n].bytes <= this.init.maxFrameBytes)) {
        bytes += this.queue[n].bytes
        n++
      }
      const batch = this.queue.splice(0, n)
      this.framesInFlight++
      this.request({ writes: batch.map(q => q.write) }).then(res => {
        batch.forEach((q, i) => {
          const r = res.error !== undefined ? WriteResult.INVALID : res.results[i]
          q.resolve(r ?? WriteResult.FAILED)
        })
      }, (err: Error) => { for (const q of batch) q.reject(err) }).finally(() => {
        this.framesInFlight--
        if (this.queue.length > 0) this.flush()
      })
    }
  }

  private async request (body: Omit<ReplicateRequest, 'id' | 'network' | 'enclave'>): Promise<ReplicateResponse> {
    if (this.closed) throw new Error('replicate client closed')
    const id = this.nextId++
    const frame = ReplicateRequest.encode({ id, network: this.init.network, enclave: this.init.enclave, ...body })
    const lp = await this.stream()
    return await new Promise<ReplicateResponse>((resolve, reject) => {
      this.waiting.set(id, { deadline: Date.now() + this.init.timeoutMs, resolve, reject })
      this.armSweeper()
      lp.write(frame).catch((err: Error) => this.reset(err))
    })
  }

  private async stream (): Promise<LengthPrefixedStream<Stream>> {
    const c = this.conn
    if (c.code === 'open') return c.lp
    if (c.code === 'opening') return await c.promise
    const promise = (async () => {
      const stream = await this.init.open(AbortSignal.timeout(this.init.dialTimeoutMs))
      const lp = lpStream(stream, { maxDataLength: this.init.maxFrameBytes, maxBufferSize: this.init.maxFrameBytes * 2 } as Parameters<typeof lpStream>[1])
      if (this.closed) {
        stream.abort(new Error('replicate client closed'))
        throw new Error('replicate client closed')
      }
      this.conn = { code: 'open', lp, stream }
      void this.readLoop(lp, stream)
      return lp
    })()
    this.conn = { code: 'opening', promise }
    try {
      return await promise
    } catch (err) {
      if (this.conn.code === 'opening' && this.conn.promise === promise) this.conn = { code: 'none' }
      throw err
    }
  }

  private async readLoop (lp: LengthPrefixedStream<Stream>, stream: Stream): Promise<void> {
    try {
      for (;;) {
        const buf = await lp.read()
        const res = ReplicateResponse.decode(buf)
        const w = this.waiting.get(res.id)
        if (w === undefined) continue
        this.waiting.delete(res.id)
        w.resolve(res)
      }
    } catch (err) {
      if (this.conn.code === 'open' && this.conn.stream === stream) this.reset(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** Drops the stream and fails every request waiting on it. */
  private reset (err: Error): void {
    if (this.conn.code === 'open') {
      try { this.conn.stream.abort(err) } catch {}
    }
    this.conn = { code: 'none' }
    for (const w of this.waiting.values()) w.reject(err)
    this.waiting.clear()
  }

  private armSweeper (): void {
    if (this.sweeper !== undefined) return
    this.sweeper = setInterval(() => {
      const now = Date.now()
      let late = false
      for (const w of this.waiting.values()) if (w.deadline <= now) late = true
      if (late) this.reset(new Error('replicate request timed out'))
      if (this.waiting.size === 0 && this.sweeper !== undefined) {
        clearInterval(this.sweeper)
        this.sweeper = undefined
      }
    }, Math.max(50, Math.min(1000, Math.floor(this.init.timeoutMs / 2))))
    this.sweeper.unref()
  }
}

/** What the server does with a request. */
export interface ReplicateHandler {
  /**
   * Results for the writes, one per write, in order. `signal` aborts when the stream closes
   * or the frame's time is up: pulls made for these writes end with it.
   */
  writes: (writes: Write[], from: string, signal: AbortSignal) => Promise<WriteResult[]>
  fetch: (key: string, writeId: string) => Promise<Write | undefined>
  leave: (from: string) => void
  /** Any frame in our enclave is a sign of life. */
  seen: (from: string) => void
  /** Peer exchange: the members to tell `from` about (bounded by the caller). */
  members?: (from: string) => PeerInfo[] | Promise<PeerInfo[]>
  /** Counts refused frames (wrong network/enclave, undecodable). */
  refused: (reason: 'schema' | 'enclave' | 'too_many') => void
}

/** Server options. */
export interface ReplicateServerInit {
  network: string
  enclave: string
  maxFrameBytes: number
  maxWritesPerFrame: number
  /**
   * Longest a frame's work may take (its pulls included); then it is answered with what
   * is done and the rest FAILED. Shorter than the client's own request timeout.
   */
  frameTimeoutMs: number
  /**
   * The sender's memory budget: every byte read from the stream is charged to it as it
   * arrives (see {@link meterStream}) and released when its frame is answered. Past the
   * cap the stream is reset.
   */
  account?: BudgetAccount
  handler: ReplicateHandler
}

/**
 * Serves one inbound stream until it ends. Never throws.
 *
 * Bounds: at most {@link REPLICATE_SERVER_CONCURRENCY} frames in work per stream, each
 * for at most `frameTimeoutMs`; every byte read is charged to the sender's budget until
 * its frame is answered. A frame is not kept while its announced values are pulled: the
 * work holds only the compact announcements (see the inbound-writes actor).
 */
export async function serveReplicateStream (stream: Stream, from: string, init: ReplicateServerInit): Promise<void> {
  const account = init.account
  const stopMetering = account === undefined ? () => {} : meterStream(stream, account)
  const lp = lpStream(stream, { maxDataLength: init.maxFrameBytes, maxBufferSize: init.maxFrameBytes * 2 } as Parameters<typeof lpStream>[1])
  // Each frame in work has its own controller, aborted at its deadline or when the stream
  // closes (nobody is left to read the answers). Not AbortSignal.any over a per-stream
  // signal: in Node 20 every call leaves a WeakRef in the long-lived signal's dependants
  // until the stream ends (nodejs/node#55351), which a soak showed as ~0.8 MiB/min per node.
  const inWork = new Set<AbortController>()
  let closed = false
  const onClose = (): void => {
    closed = true
    const reason = new Error('replicate stream closed')
    for (const c of inWork) c.abort(reason)
  }
  stream.addEventListener('close', onClose)
  let active = 0
  /** Bytes of frames read and not yet answered (charged to the account). */
  let inFrames = 0
  let ended = false
  let wake: (() => void) | undefined
  const reply = (res: Omit<ReplicateResponse, 'members'> & { members?: PeerInfo[] }): void => {
    lp.write(ReplicateResponse.encode({ members: [], ...res })).catch(() => {})
  }
  const settle = (): void => {
    if (ended && active === 0) {
      stream.removeEventListener('close', onClose)
      account?.close()
    }
  }
  try {
    for (;;) {
      while (active >= REPLICATE_SERVER_CONCURRENCY) await new Promise<void>(resolve => { wake = resolve })
      const buf = await lp.read()
      const frameBytes = framedBytes(buf.byteLength)
      let req: ReplicateRequest
      try {
        req = ReplicateRequest.decode(buf, { limits: { writes: init.maxWritesPerFrame } })
      } catch {
        init.handler.refused('schema')
        stream.abort(new Error('undecodable replicate frame'))
        return
      }
      const id = req.id
      if (req.network !== init.network || req.enclave !== init.enclave) {
        account?.release(frameBytes)
        init.handler.refused('enclave')
        reply({ id, results: [], error: 'wrong network or enclave' })
        continue
      }
      if (req.leave === true) {
        account?.release(frameBytes)
        init.handler.leave(from)
        reply({ id, results: [] })
        continue
      }
      init.handler.seen(from)
      if (req.members === true) {
        account?.release(frameBytes)
        Promise.resolve(init.handler.members?.(from) ?? []).then(members => reply({ id, results: [], members }), () => reply({ id, results: [], members: [] }))
        continue
      }
      if (req.writes.length === 0 && req.fetch === undefined) {
        // A ping (or the handshake): answered at once, with no deadline or work to track.
        account?.release(frameBytes)
        reply({ id, results: [] })
        continue
      }
      active++
      inFrames += frameBytes
      const n = req.writes.length
      const frame = new AbortController()
      if (closed) frame.abort(new Error('replicate stream closed'))
      inWork.add(frame)
      const timer = setTimeout(() => { frame.abort(new DOMException('frame deadline passed', 'TimeoutError')) }, init.frameTimeoutMs)
      timer.unref?.()
      const signal = frame.signal
      // Only `id`, `n` and the writes (handed over) are kept: the decoded request is not.
      const work = req.fetch !== undefined
        ? init.handler.fetch(req.fetch.key, req.fetch.writeId).then(record => ({ id, results: [], record }))
        : init.handler.writes(req.writes, from, signal).then(results => ({ id, results }))
      work.then(reply, () => reply({ id, results: Array.from({ length: n }, () => WriteResult.FAILED) })).finally(() => {
        clearTimeout(timer)
        inWork.delete(frame)
        active--
        inFrames -= frameBytes
        account?.release(frameBytes)
        const w = wake
        wake = undefined
        w?.()
        settle()
      })
    }
  } catch {
    // EOF, reset, oversized frame or over budget: the stream is done.
    if (stream.status === 'open') stream.abort(new Error('replicate stream ended'))
  } finally {
    stopMetering()
    ended = true
    // Bytes received but never read as a frame go back now; frames in work give theirs back as they are answered.
    account?.release(account.charged - inFrames)
    settle()
  }
}
