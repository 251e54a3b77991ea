/**
 * The state and behaviour of one storage shard: a map of live records, an expiry heap
 * over the same entries, and byte/record accounting against the shard's capacity.
 * Pure and synchronous, so it is tested without an actor system; the actor in
 * `index.ts` owns one instance and feeds it messages.
 */
import { createRequire } from 'node:module'
import { compareUtf8, compareWrites, utf8Length, type OwnerProof, type RepramRecord } from '../../src/record.js'
import { ExpiryHeap } from './expiry-heap.js'
import { BucketIndex, inScope, type PeerScope } from '../anti-entropy/digest.js'
import { ARENA_MAX_VALUE, Segment, ValueArena, type ArenaOwner } from './value-arena.js'

/**
 * sorted-btree is CommonJS with its class on `exports.default`; Node's ESM and vitest
 * disagree on what a default import of it is, so it is required.
 */
const BTree = (createRequire(import.meta.url)('sorted-btree') as typeof import('sorted-btree')).default

const EMPTY = new Uint8Array(0)

/** A stored entry: the record plus its position in the expiry heap. */
export class Entry implements RepramRecord, ArenaOwner {
  heapIndex = -1
  /** Links of the anti-entropy bucket list ({@link BucketIndex}), owned by the index. */
  bucketPrev: Entry | undefined = undefined
  bucketNext: Entry | undefined = undefined
  /** An owned key's proof (docs/owned-keys.md), served with the record to peers. */
  owner: OwnerProof | undefined = undefined
  /** Where the value starts in its arena segment (moved by the arena); -1 when not in the arena. */
  slot = -1
  /** The value's owner number in its segment; -1 once released (or never in the arena). */
  private idx = -1
  /** The value: the arena segment holding it, or (empty or over {@link ARENA_MAX_VALUE}) bytes of its own. */
  private data: Uint8Array | Segment
  private readonly length: number
  constructor (
    readonly key: string,
    value: Uint8Array,
    readonly createdAt: number,
    readonly expiresAt: number,
    readonly writeId: string,
    /** Where this write may live (canonical); undefined: anywhere. Shared, never copied: the set is immutable. */
    readonly jurisdictions: readonly string[] | undefined,
    /** The shard's arena, which takes the value when it is small. */
    arena: ValueArena
  ) {
    const n = value.byteLength
    this.length = n
    this.data = EMPTY
    if (n > 0 && n <= ARENA_MAX_VALUE) arena.put(this, value)
    // A view into a bigger buffer (a socket chunk, a gossip batch) would pin all of it.
    else if (n > 0) this.data = value.byteOffset === 0 && n === value.buffer.byteLength ? value : value.slice()
  }

  /** The value bytes. Values in the arena are copied out on each call: callers own the result. */
  get value (): Uint8Array {
    const d = this.data
    return d instanceof Segment ? d.read(this.slot, this.length) : d
  }

  /** Size of the value in bytes, without copying it. */
  get size (): number {
    return this.length
  }

  /** The first byte of the value (the SDK's compliance flag lives in its top bit), or -1 when empty. */
  get firstByte (): number {
    if (this.length === 0) return -1
    const d = this.data
    return d instanceof Segment ? d.byteAt(this.slot) : d[0]
  }

  /**
   * Gives the entry's value back to the arena as it leaves the shard. Whoever still holds
   * the entry (a reply in flight, a watcher, a replication queue) reads the same bytes as
   * before: the arena never writes over them (see {@link ValueArena}).
   */
  release (): void {
    const seg = this.data
    if (!(seg instanceof Segment) || this.idx < 0) return
    seg.release(this.idx, this.length)
    this.idx = -1
  }

  /** Called by the arena as it places (or moves) the value. */
  placed (seg: Segment, at: number, idx: number): void {
    this.data = seg
    this.slot = at
    this.idx = idx
  }
}

/** Outcome of a write. */
export type WriteOutcome =
  | { status: 'stored', record: RepramRecord, replaced: boolean }
  | { status: 'stale' }
  | { status: 'expired' }
  | { status: 'capacity', needed: number, free: number }

/** Why a record left the shard. */
export type RemovalReason = 'expired'

/** Called for each record the shard removes. */
export type RemovalListener = (record: RepramRecord, reason: RemovalReason) => void

export class ShardStore {
  private readonly records = new Map<string, Entry>()
  /** The keys in UTF-8 byte order, so a page of keys costs O(log n + page), not a scan and a sort. */
  private readonly order = new BTree<string, undefined>(undefined, compareUtf8)
  private readonly heap = new ExpiryHeap<Entry>()
  /** Where the small values live (see {@link ValueArena}). */
  readonly arena = new ValueArena()
  /** Per-bucket digests and lists for anti-entropy, updated on every write and delete. */
  readonly index = new BucketIndex<Entry>()
  private usedBytes = 0

  /**
   * @param maxAheadMs how far past `now` peers accept an `expiresAt` (`maxTtl` + `maxClockSkew`,
   * in ms): the bound of a local write's expiry when it has to move (see {@link write}).
   */
  constructor (readonly capacityBytes: number, private readonly onRemove: RemovalListener = () => {}, private readonly maxAheadMs = Infinity) {}

  get bytes (): number { return this.usedBytes }
  get count (): number { return this.records.size }

  /** The earliest `expiresAt` in the shard, or Infinity when empty. */
  get nextExpiry (): number { return this.heap.peek()?.expiresAt ?? Infinity }

  /**
   * Writes a record. `local` writes are new writes made on this node: if what the shard
   * holds would win last-writer-wins (a peer's clock ran ahead, within the skew
   * allowance), the new write's `createdAt` is moved just past it so a later write on this
   * node always wins. Remote writes (`local` false) are merged: the loser is dropped as
   * `stale`.
   *
   * A record never ends before it begins (issue 16 §4). The expiry the client asked is
   * kept when it still lies after the moved `createdAt`: a record never lives longer than
   * asked just because a stranger's clock ran ahead, and with `minTtl` above the skew
   * allowance (every profile but `test`) this is always the case. Otherwise (a TTL
   * shorter than the jump) the TTL is kept instead: `expiresAt` moves by the same amount,
   * bounded by what peers accept (`now + maxTtl + maxClockSkew`), and the caller reports
   * the moved `expiresAt`. Refusing the write was the other choice; it would let anyone
   * whose clock runs ahead lock short-TTL writes of a key out for up to the skew.
   */
  write (rec: RepramRecord, now: number, local: boolean): WriteOutcome {
    if (rec.expiresAt <= now) return { status: 'expired' }
    const old = this.live(rec.key, now)
    let createdAt = rec.createdAt
    let expiresAt = rec.expiresAt
    if (old !== undefined && compareWrites(rec, old) <= 0) {
      if (!local) return { status: 'stale' }
      createdAt = old.createdAt + 1
      if (expiresAt <= createdAt) {
        expiresAt = Math.max(createdAt + 1, Math.min(createdAt + (rec.expiresAt - rec.createdAt), now + this.maxAheadMs))
      }
    }
    const size = utf8Length(rec.key) + rec.value.byteLength
    const oldSize = old === undefined ? 0 : utf8Length(old.key) + old.size
    const free = this.capacityBytes - this.usedBytes + oldSize
    if (size > free) return { status: 'capacity', needed: size, free }
    const entry = new Entry(rec.key, rec.value, createdAt, expiresAt, rec.writeId, rec.jurisdictions, this.arena)
    if (rec.owner !== undefined) entry.owner = rec.owner
    this.records.set(rec.key, entry)
    if (old === undefined) {
      this.heap.push(entry)
      this.order.set(entry.key, undefined)
    } else this.heap.replace(old, entry)
    if (old !== undefined) {
      this.index.remove(old)
      old.release()
    }
    this.index.add(entry)
    this.usedBytes += size - oldSize
    return { status: 'stored', record: entry, replaced: old !== undefined }
  }

  /** The live record under `key`; an expired one is removed on the spot and never returned. */
  live (key: string, now: number): Entry | undefined {
    const e = this.records.get(key)
    if (e === undefined) return undefined
    if (e.expiresAt <= now) {
      this.delete(e, 'expired')
      return undefined
    }
    return e
  }

  /** Removes every record whose `expiresAt` is at or before `now`. Returns how many. */
  sweep (now: number): number {
    let n = 0
    for (let e = this.heap.peek(); e !== undefined && e.expiresAt <= now; e = this.heap.peek()) {
      this.delete(e, 'expired')
      n++
    }
    return n
  }

  /**
   * Live keys that start with `prefix` and sort after `after` (UTF-8 byte order),
   * at most `limit` of them, sorted.
   */
  keys (prefix: string, after: string | undefined, limit: number, now: number): string[] {
    const out: string[] = []
    // Every key with the prefix sorts at or after the prefix itself, and all of them together.
    const from = after !== undefined && compareUtf8(after, prefix) > 0 ? after : prefix
    for (const k of this.order.keys(from)) {
      if (!k.startsWith(prefix)) break
      if (k === after) continue
      // Expired but not yet swept: skipped here, removed by the reaper's next sweep.
      if ((this.records.get(k) as Entry).expiresAt <= now) continue
      out.push(k)
      if (out.length >= limit) break
    }
    return out
  }

  /** Live records of the given anti-entropy buckets (see {@link BucketIndex}), those in `scope` only (default: all). */
  bucketRecords (buckets: readonly number[], now: number, scope?: PeerScope): Entry[] {
    const out: Entry[] = []
    for (const b of buckets) {
      for (const e of this.index.entries(b)) if (e.expiresAt > now && inScope(e.jurisdictions, scope)) out.push(e)
    }
    return out
  }

  /** Every live record, for anti-entropy and tests. */
  * liveRecords (now: number): IterableIterator<RepramRecord> {
    for (const e of this.records.values()) if (e.expiresAt > now) yield e
  }

  private delete (e: Entry, reason: RemovalReason): void {
    if (this.records.get(e.key) !== e) return
    this.records.delete(e.key)
    this.order.delete(e.key)
    this.heap.remove(e)
    this.index.remove(e)
    this.usedBytes -= utf8Length(e.key) + e.size
    e.release()
    this.onRemove(e, reason)
  }
}
