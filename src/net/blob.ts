/**
 * `/repram/blob/1.0.0`: values above the gossip inline threshold travel here, one value
 * per stream, in chunks, so neither the gossip mesh nor the pipelined replicate stream
 * ever carries megabytes. Gossip, direct replication and anti-entropy announce a large
 * write as `(key, writeId, size, sha256, createdAt, expiresAt)`; a peer pulls the value
 * from any holder and keeps it only when its sha256 matches the announcement.
 *
 * @example
 * const client = new BlobClient({ network, enclave, maxValueBytes, timeoutMs: 10_000, open })
 * const rec = await client.pull(peerId, announcedWrite) // verified, or throws BlobError
 */
import { anySignal } from 'any-signal'
import { createHash } from 'node:crypto'
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { BlobRequest, BlobResponse, type Write } from '../wire/pb/repram.js'
import type { RepramRecord } from '../record.js'
import { copyProof, valueHash, withJurisdictions } from '../wire/write.js'
import { BudgetExceededError, framedBytes, meterStream, type BudgetAccount, type PeerBudgets } from './budget.js'

export { valueHash }

/** Bytes of value per frame: bounds every message of the protocol. */
export const BLOB_CHUNK_BYTES = 256 * 1024

/** Pulls one client runs at once; more wait their turn (bounded below). */
export const BLOB_PULL_CONCURRENCY = 4

/**
 * Pulls running at once from one peer: a peer that never answers can hold at most this
 * many of the {@link BLOB_PULL_CONCURRENCY} slots (until the idle timeout), never all.
 */
export const BLOB_PULL_PER_PEER = 2

/** Pulls that may wait; beyond this a pull fails at once (anti-entropy repairs later). */
export const BLOB_PULL_QUEUE_MAX = 1024

/** Pulls that may wait on behalf of one peer (its announcements): one peer cannot fill the queue. */
export const BLOB_PULL_QUEUE_PER_PEER = 64

/** Room for the protobuf fields around a chunk or a header. */
const FRAME_SLACK_BYTES = 16 * 1024

/** A failed pull. `reason` is a small enum (metrics label). */
export class BlobError extends Error {
  override readonly name = 'BlobError'
  /**
   * `hash`: the peer confirmed the announced write (size and sha256) and then sent bytes
   * that do not make it: no honest holder does that. The others can happen to an honest
   * peer (it no longer holds the write, a slow link, a forged announcement it never made).
   */
  constructor (readonly reason: 'not_found' | 'mismatch' | 'hash' | 'busy' | 'budget' | 'timeout' | 'stream', message: string) {
    super(message)
  }
}

/** What both sides need. */
export interface BlobInit {
  network: string
  enclave: string
  maxValueBytes: number
  maxKeyBytes: number
}

/** Client options. */
export interface BlobClientInit extends BlobInit {
  /** Bound on one whole pull, from the call (time waiting for a slot included) to the last chunk. */
  timeoutMs: number
  /** Bound on each step of a pull (open, header, each chunk): a peer that stops answering fails fast. @default timeoutMs */
  idleTimeoutMs?: number
  /** Memory budgets: a value being received is charged to the peer it is pulled for. */
  budgets?: PeerBudgets
  /** Opens a stream to a peer on the blob protocol. */
  open: (peerId: string, signal: AbortSignal) => Promise<Stream>
  /** Bytes received, for metrics. */
  onBytes?: (n: number) => void
}

function lpOpts (init: BlobInit): Parameters<typeof lpStream>[1] {
  const max = BLOB_CHUNK_BYTES + init.maxKeyBytes * 4 + FRAME_SLACK_BYTES
  return { maxDataLength: max, maxBufferSize: max * 2 } as Parameters<typeof lpStream>[1]
}

interface WaitingPull { peer: string, owner: string, start: () => void }

/**
 * Pulls announced values, a bounded number at a time: {@link BLOB_PULL_CONCURRENCY} at
 * once, {@link BLOB_PULL_PER_PEER} from one peer; up to {@link BLOB_PULL_QUEUE_MAX}
 * waiting, {@link BLOB_PULL_QUEUE_PER_PEER} on behalf of one peer. A pull's deadline
 * (`timeoutMs`) runs from the call, so time spent waiting counts; each step has the idle
 * timeout. The value being received is charged to the budget of the peer it is pulled for.
 */
export class BlobClient {
  private active = 0
  private readonly activeBy = new Map<string, number>()
  private readonly waiting: WaitingPull[] = []
  private readonly waitingBy = new Map<string, number>()
  private closed = false

  constructor (private readonly init: BlobClientInit) {}

  /** Pulls running and waiting (tests, metrics). */
  get load (): { active: number, waiting: number } {
    return { active: this.active, waiting: this.waiting.length }
  }

  /**
   * Pulls the value of the announced write `w` (size and hash set) from `peerId`, on
   * behalf of `owner` (the peer that announced it; `peerId` by default), whose budget
   * the value is charged to while it arrives. Resolves with the full, verified record;
   * rejects with {@link BlobError}.
   */
  async pull (peerId: string, w: Write, signal?: AbortSignal, owner: string = peerId): Promise<RepramRecord> {
    if (this.closed) throw new BlobError('stream', 'blob client closed')
    const signals = [AbortSignal.timeout(this.init.timeoutMs)]
    if (signal !== undefined) signals.push(signal)
    // any-signal, cleared when the pull ends: the caller's signal may live as long as the node
    // (gossip's), and AbortSignal.any would leave a WeakRef in it per pull (nodejs/node#55351).
    const deadline = anySignal(signals)
    try {
      if (!this.free(peerId)) await this.wait(peerId, owner, deadline)
    } catch (err) {
      deadline.clear()
      throw err
    }
    this.active++
    this.activeBy.set(peerId, (this.activeBy.get(peerId) ?? 0) + 1)
    try {
      return await this.pullNow(peerId, w, deadline, owner)
    } finally {
      deadline.clear()
      this.active--
      const n = (this.activeBy.get(peerId) ?? 1) - 1
      if (n === 0) this.activeBy.delete(peerId)
      else this.activeBy.set(peerId, n)
      this.next()
    }
  }

  /** Fails waiting pulls; running ones end with their streams. */
  close (): void {
    this.closed = true
    for (const w of this.waiting.splice(0)) w.start()
    this.waitingBy.clear()
  }

  private free (peerId: string): boolean {
    return this.active < BLOB_PULL_CONCURRENCY && (this.activeBy.get(peerId) ?? 0) < BLOB_PULL_PER_PEER
  }

  /** Waits for a slot, within the pull's deadline and the queue's bounds. */
  private async wait (peer: string, owner: string, deadline: AbortSignal): Promise<void> {
    if (this.waiting.length >= BLOB_PULL_QUEUE_MAX) throw new BlobError('busy', 'too many pulls waiting')
    if ((this.waitingBy.get(owner) ?? 0) >= BLOB_PULL_QUEUE_PER_PEER) throw new BlobError('busy', 'too many pulls waiting for this peer')
    this.waitingBy.set(owner, (this.waitingBy.get(owner) ?? 0) + 1)
    try {
      await new Promise<void>((resolve, reject) => {
        const entry: WaitingPull = { peer, owner, start: () => { deadline.removeEventListener('abort', onAbort); resolve() } }
        const onAbort = (): void => {
          const i = this.waiting.indexOf(entry)
          if (i >= 0) this.waiting.splice(i, 1)
          reject(new BlobError('timeout', 'the pull waited past its deadline'))
        }
        if (deadline.aborted) { onAbort(); return }
        deadline.addEventListener('abort', onAbort, { once: true })
        this.waiting.push(entry)
      })
    } finally {
      const n = (this.waitingBy.get(owner) ?? 1) - 1
      if (n === 0) this.waitingBy.delete(owner)
      else this.waitingBy.set(owner, n)
    }
    if (this.closed) throw new BlobError('stream', 'blob client closed')
  }

  /** Starts the first waiting pull whose peer has a free slot. */
  private next (): void {
    if (this.active >= BLOB_PULL_CONCURRENCY) return
    const i = this.waiting.findIndex(w => (this.activeBy.get(w.peer) ?? 0) < BLOB_PULL_PER_PEER)
    if (i < 0) return
    const [w] = this.waiting.splice(i, 1)
    w.start()
  }

  private async pullNow (peerId: string, w: Write, deadline: AbortSignal, owner: string): Promise<RepramRecord> {
    const size = w.size ?? -1
    if (size < 0 || size > this.init.maxValueBytes || w.hash?.byteLength !== 32) throw new BlobError('mismatch', 'not a valid announcement')
    const idle = this.init.idleTimeoutMs ?? this.init.timeoutMs
    const step = (): AbortSignal => AbortSignal.any([deadline, AbortSignal.timeout(idle)])
    const account = this.init.budgets?.account(owner, 'blob')
    let stream: Stream | undefined
    try {
      stream = await this.init.open(peerId, step())
      const lp = lpStream(stream, lpOpts(this.init))
      await lp.write(BlobRequest.encode({ network: this.init.network, enclave: this.init.enclave, key: w.key, writeId: w.writeId }), { signal: step() })
      const head = BlobResponse.decode(await lp.read({ signal: step() }))
      if (head.error !== undefined || head.record === undefined) throw new BlobError('not_found', 'the peer does not hold this write')
      const r = head.record
      if (r.key !== w.key || r.writeId !== w.writeId || r.size !== size || r.createdAt !== w.createdAt || r.expiresAt !== w.expiresAt || r.hash === undefined || !equalBytes(r.hash, w.hash)) {
        throw new BlobError('mismatch', 'the peer announced another write')
      }
      // The whole value is allocated now: charge it before, or fail.
      if (account !== undefined && !account.charge(size)) throw new BlobError('budget', 'the peer is over its memory budget')
      const value = new Uint8Array(size)
      const hash = createHash('sha256')
      let got = 0
      while (got < size) {
        const buf = await lp.read({ signal: step() })
        this.init.onBytes?.(buf.byteLength)
        const chunk = BlobResponse.decode(buf).chunk
        if (chunk.byteLength === 0 || got + chunk.byteLength > size) throw new BlobError('hash', 'chunks do not add up to the announced size')
        value.set(chunk, got)
        hash.update(chunk)
        got += chunk.byteLength
      }
      if (!equalBytes(new Uint8Array(hash.digest()), w.hash)) throw new BlobError('hash', 'the value does not match its sha256')
      await stream.close({ signal: step() }).catch(() => {})
      // The announcement's jurisdictions travel with the pulled value.
      return withJurisdictions(w.owner === undefined
        ? { key: w.key, value, createdAt: w.createdAt, expiresAt: w.expiresAt, writeId: w.writeId }
        : { key: w.key, value, createdAt: w.createdAt, expiresAt: w.expiresAt, writeId: w.writeId, owner: copyProof(w.owner) }, w)
    } catch (err) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
      if (err instanceof BlobError) throw err
      if (deadline.aborted) throw new BlobError('timeout', 'the pull passed its deadline')
      throw new BlobError('stream', `pull failed: ${(err as Error)?.message ?? String(err)}`)
    } finally {
      // The value now belongs to the caller (the store, once merged), or to nobody.
      account?.close()
    }
  }
}

/** Server options. */
export interface BlobServerInit extends BlobInit {
  timeoutMs: number
  /** The live record under `key` from local state, or undefined. */
  lookup: (key: string) => Promise<RepramRecord | undefined>
  /** The node's clock. */
  now: () => number
  onBytes?: (n: number) => void
  /**
   * Whether the asking peer may hold this record (its jurisdictions). A record it may not
   * hold is answered `not_found`, as if it were not here, and `withheld` is called.
   * @default every record
   */
  admits?: (rec: RepramRecord) => boolean
  withheld?: () => void
  /**
   * The asking peer's budget: the request as it arrives, then the chunk being sent
   * (encoded, in the stream's send buffer) while the value is served. Over the cap the
   * stream is reset.
   */
  account?: BudgetAccount
}

/** Serves one inbound blob stream. Never throws. */
export async function serveBlobStream (stream: Stream, init: BlobServerInit): Promise<void> {
  const signal = AbortSignal.timeout(init.timeoutMs)
  const account = init.account
  const stopMetering = account === undefined ? () => {} : meterStream(stream, account)
  try {
    const lp = lpStream(stream, lpOpts(init))
    const req = BlobRequest.decode(await lp.read({ signal }))
    // One request per stream: stop metering, give the request back, charge the chunk in flight instead.
    stopMetering()
    account?.release(account.charged)
    if (account !== undefined && !account.charge(framedBytes(BLOB_CHUNK_BYTES + FRAME_SLACK_BYTES))) throw new BudgetExceededError('blob')
    const rec = req.network === init.network && req.enclave === init.enclave ? await init.lookup(req.key) : undefined
    // Never serve an expired record, whatever the sweep state.
    const refused = rec !== undefined && init.admits !== undefined && !init.admits(rec)
    if (refused) init.withheld?.()
    if (rec === undefined || rec.writeId !== req.writeId || rec.expiresAt <= init.now() || refused) {
      await lp.write(BlobResponse.encode({ chunk: new Uint8Array(0), error: 'not_found' }), { signal })
      await stream.close({ signal })
      return
    }
    const value = rec.value
    await lp.write(BlobResponse.encode({
      chunk: new Uint8Array(0),
      record: { key: rec.key, value: new Uint8Array(0), createdAt: rec.createdAt, expiresAt: rec.expiresAt, writeId: rec.writeId, origin: new Uint8Array(0), size: value.byteLength, hash: valueHash(rec) }
    }), { signal })
    for (let off = 0; off < value.byteLength; off += BLOB_CHUNK_BYTES) {
      const chunk = value.subarray(off, Math.min(value.byteLength, off + BLOB_CHUNK_BYTES)) as Uint8Array<ArrayBuffer>
      await lp.write(BlobResponse.encode({ chunk }), { signal })
      init.onBytes?.(chunk.byteLength)
    }
    await stream.close({ signal })
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  } finally {
    stopMetering()
    account?.close()
  }
}

function equalBytes (a: Uint8Array, b: Uint8Array | undefined): boolean {
  if (b === undefined || a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
