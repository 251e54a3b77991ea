/**
 * Where a shard keeps its small values: copied end to end into off-heap segments, a
 * small log-structured store.
 *
 * Why not strings or typed arrays on the V8 heap: every stored value is a survivor, and
 * V8's young-generation collector copies each survivor twice (once within the young
 * generation, once into the old one). Under a stream of writes that copying was most of
 * a node's GC time (issue 15: 6.4 µs of collector time per 1 KiB PUT, against 3.4 µs when
 * the values were not kept at all). A value copied once into a segment is not touched by
 * the collector again.
 *
 * - **Writing** appends to the current segment ({@link SEGMENT_BYTES}); a value that does
 *   not fit starts a new one. Bytes once written are never written over: a segment is
 *   dropped (to the garbage collector) rather than reused.
 * - **Freeing.** A segment whose values have all left is dropped. Records that leave
 *   together (the usual case: one TTL for a burst of writes) free whole segments
 *   without moving anything.
 * - **Bound.** A segment other than the current one with less than half of
 *   {@link SEGMENT_BYTES} live is *sparse*. When the segments hold more than twice the
 *   live bytes plus {@link ARENA_SLACK_SEGMENTS} segments, the oldest sparse segments
 *   have their values moved to the current one and are dropped, until they do not. So
 *   the arena holds at most twice its live bytes plus that slack, and moves nothing
 *   while records leave in the order they came. A move copies less than half a segment.
 * - **Ownership.** Owners never hand out views into a segment: reads copy. An owner that
 *   released its value may still read it: the arena forgets the owner (it is not moved
 *   any more), but its segment's bytes stay as they were for as long as it holds the
 *   segment. So a record that left the shard reads the same bytes for whoever still
 *   holds it (a reply in flight, a watcher, a replication queue), and leaving copies nothing.
 *
 * One arena per shard, owned by the shard's actor: nothing here is shared or locked.
 */

/** Largest value kept in the arena; bigger values keep a buffer of their own. */
export const ARENA_MAX_VALUE = 16 * 1024

/** Bytes of one segment. */
export const SEGMENT_BYTES = 64 * 1024

/** Segments the arena may hold beyond twice its live bytes before it moves values. */
export const ARENA_SLACK_SEGMENTS = 4

/** What the arena needs of a value's owner. */
export interface ArenaOwner {
  /** Where the value starts in its segment. */
  readonly slot: number
  /** The value's length. */
  readonly size: number
  /** The value now lives in `seg` at `at`, as the segment's owner number `idx`. */
  placed: (seg: Segment, at: number, idx: number) => void
}

/** A run of values, appended end to end. */
export class Segment {
  readonly bytes = Buffer.allocUnsafeSlow(SEGMENT_BYTES)
  /** Bytes appended so far. */
  used = 0
  /** Bytes of values still held. */
  live = 0
  /** Each value appended, by owner number; undefined once released. */
  owners: Array<ArenaOwner | undefined> = []

  constructor (private readonly arena: ValueArena) {}

  /** A fresh copy of `len` bytes at `at`. */
  read (at: number, len: number): Uint8Array {
    const out = Buffer.allocUnsafe(len)
    this.bytes.copy(out, 0, at, at + len)
    return new Uint8Array(out.buffer, out.byteOffset, len)
  }

  /** The byte at `at`. */
  byteAt (at: number): number {
    return this.bytes[at]
  }

  /** Gives back owner `idx`'s `len` bytes. */
  release (idx: number, len: number): void {
    this.owners[idx] = undefined
    this.live -= len
    this.arena.released(this, len)
  }
}

/** The segments of one shard. */
export class ValueArena {
  private current: Segment | undefined
  /** Every segment held, the current one included. */
  private readonly segments = new Set<Segment>()
  /** Segments (not the current one) under half live, oldest first. */
  private readonly sparse = new Set<Segment>()
  private liveBytes = 0
  private values = 0

  /** Bytes of segments held. */
  get bytes (): number { return this.segments.size * SEGMENT_BYTES }
  /** Bytes of values held. */
  get live (): number { return this.liveBytes }
  /** Values held. */
  get count (): number { return this.values }
  /** Segments held. */
  get segmentCount (): number { return this.segments.size }

  /** Copies `value` (1 to {@link ARENA_MAX_VALUE} bytes) in for `owner`, and tells it where. */
  put (owner: ArenaOwner, value: Uint8Array): void {
    this.liveBytes += value.byteLength
    this.values++
    this.append(owner, value, value.byteLength)
    this.compact()
  }

  /** Called by a segment after a release. */
  released (seg: Segment, len: number): void {
    this.values--
    this.liveBytes -= len
    if (seg !== this.current) this.check(seg)
    this.compact()
  }

  private append (owner: ArenaOwner, src: Uint8Array, len: number): void {
    let seg = this.current
    if (seg === undefined || seg.used + len > SEGMENT_BYTES) {
      const full = seg
      seg = this.current = new Segment(this)
      this.segments.add(seg)
      if (full !== undefined) this.check(full)
    }
    const at = seg.used
    seg.bytes.set(src, at)
    seg.used += len
    seg.live += len
    owner.placed(seg, at, seg.owners.push(owner) - 1)
  }

  /** Drops a segment that is not the current one when it is empty; marks it sparse under half live. */
  private check (seg: Segment): void {
    if (seg.live === 0) {
      this.segments.delete(seg)
      this.sparse.delete(seg)
    } else if (seg.live * 2 < SEGMENT_BYTES) this.sparse.add(seg)
  }

  /** Moves the values of the oldest sparse segments out while the segments hold more than the bound. */
  private compact (): void {
    while (this.sparse.size > 0 && this.bytes > 2 * this.liveBytes + ARENA_SLACK_SEGMENTS * SEGMENT_BYTES) {
      const seg = this.sparse.values().next().value as Segment
      this.sparse.delete(seg)
      this.segments.delete(seg)
      const owners = seg.owners
      seg.owners = []
      seg.live = 0
      for (const o of owners) {
        if (o === undefined) continue
        this.append(o, seg.bytes.subarray(o.slot, o.slot + o.size), o.size)
      }
    }
  }
}
