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
import { createHash } from 'node:crypto'
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { BlobRequest, BlobResponse, type Write } from '../wire/pb/repram.js'
import type { RepramRecord } from '../record.js'
import { valueHash } from '../wire/write.js'

export { valueHash }

/** Bytes of value per frame: bounds every message of the protocol. */
export const BLOB_CHUNK_BYTES = 256 * 1024

/** Pulls one client runs at once; more wait their turn (bounded below). */
export const BLOB_PULL_CONCURRENCY = 4

/** Pulls that may wait; beyond this a pull fails at once (anti-entropy repairs later). */
export const BLOB_PULL_QUEUE_MAX = 1024

/** Room for the protobuf fields around a chunk or a header. */
const FRAME_SLACK_BYTES = 16 * 1024

/** A failed pull. `reason` is a small enum (metrics label). */
export class BlobError extends Error {
  override readonly name = 'BlobError'
  constructor (readonly reason: 'not_found' | 'mismatch' | 'hash' | 'busy' | 'stream', message: string) {
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
  /** Bound on one whole pull (open, header, every chunk). */
  timeoutMs: number
  /** Opens a stream to a peer on the blob protocol. */
  open: (peerId: string, signal: AbortSignal) => Promise<Stream>
  /** Bytes received, for metrics. */
  onBytes?: (n: number) => void
}

function lpOpts (init: BlobInit): Parameters<typeof lpStream>[1] {
  const max = BLOB_CHUNK_BYTES + init.maxKeyBytes * 4 + FRAME_SLACK_BYTES
  return { maxDataLength: max, maxBufferSize: max * 2 } as Parameters<typeof lpStream>[1]
}

/** Pulls announced values, a bounded number at a time. */
export class BlobClient {
  private active = 0
  private readonly waiting: Array<() => void> = []
  private closed = false

  constructor (private readonly init: BlobClientInit) {}

  /**
   * Pulls the value of the announced write `w` (size and hash set) from `peerId`.
   * Resolves with the full, verified record; rejects with {@link BlobError}.
   */
  async pull (peerId: string, w: Write, signal?: AbortSignal): Promise<RepramRecord> {
    if (this.closed) throw new BlobError('stream', 'blob client closed')
    if (this.active >= BLOB_PULL_CONCURRENCY) {
      if (this.waiting.length >= BLOB_PULL_QUEUE_MAX) throw new BlobError('busy', 'too many pulls waiting')
      await new Promise<void>(resolve => this.waiting.push(resolve))
      if (this.closed) throw new BlobError('stream', 'blob client closed')
    }
    this.active++
    try {
      return await this.pullNow(peerId, w, signal)
    } finally {
      this.active--
      this.waiting.shift()?.()
    }
  }

  /** Fails waiting pulls; running ones end with their streams. */
  close (): void {
    this.closed = true
    for (const wake of this.waiting.splice(0)) wake()
  }

  private async pullNow (peerId: string, w: Write, outer?: AbortSignal): Promise<RepramRecord> {
    const size = w.size ?? -1
    if (size < 0 || size > this.init.maxValueBytes || w.hash?.byteLength !== 32) throw new BlobError('mismatch', 'not a valid announcement')
    const signals = [AbortSignal.timeout(this.init.timeoutMs)]
    if (outer !== undefined) signals.push(outer)
    const signal = AbortSignal.any(signals)
    let stream: Stream | undefined
    try {
      stream = await this.init.open(peerId, signal)
      const lp = lpStream(stream, lpOpts(this.init))
      await lp.write(BlobRequest.encode({ network: this.init.network, enclave: this.init.enclave, key: w.key, writeId: w.writeId }), { signal })
      const head = BlobResponse.decode(await lp.read({ signal }))
      if (head.error !== undefined || head.record === undefined) throw new BlobError('not_found', 'the peer does not hold this write')
      const r = head.record
      if (r.key !== w.key || r.writeId !== w.writeId || r.size !== size || r.createdAt !== w.createdAt || r.expiresAt !== w.expiresAt || r.hash === undefined || !equalBytes(r.hash, w.hash)) {
        throw new BlobError('mismatch', 'the peer announced another write')
      }
      const value = new Uint8Array(size)
      const hash = createHash('sha256')
      let got = 0
      while (got < size) {
        const buf = await lp.read({ signal })
        this.init.onBytes?.(buf.byteLength)
        const chunk = BlobResponse.decode(buf).chunk
        if (chunk.byteLength === 0 || got + chunk.byteLength > size) throw new BlobError('mismatch', 'chunks do not add up to the announced size')
        value.set(chunk, got)
        hash.update(chunk)
        got += chunk.byteLength
      }
      if (!equalBytes(new Uint8Array(hash.digest()), w.hash)) throw new BlobError('hash', 'the value does not match its sha256')
      await stream.close({ signal }).catch(() => {})
      return { key: w.key, value, createdAt: w.createdAt, expiresAt: w.expiresAt, writeId: w.writeId }
    } catch (err) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
      if (err instanceof BlobError) throw err
      throw new BlobError('stream', `pull failed: ${(err as Error)?.message ?? String(err)}`)
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
}

/** Serves one inbound blob stream. Never throws. */
export async function serveBlobStream (stream: Stream, init: BlobServerInit): Promise<void> {
  const signal = AbortSignal.timeout(init.timeoutMs)
  try {
    const lp = lpStream(stream, lpOpts(init))
    const req = BlobRequest.decode(await lp.read({ signal }))
    const rec = req.network === init.network && req.enclave === init.enclave ? await init.lookup(req.key) : undefined
    // Never serve an expired record, whatever the sweep state.
    if (rec === undefined || rec.writeId !== req.writeId || rec.expiresAt <= init.now()) {
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
  }
}

function equalBytes (a: Uint8Array, b: Uint8Array | undefined): boolean {
  if (b === undefined || a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
