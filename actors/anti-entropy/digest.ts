/**
 * The digest index of anti-entropy, kept by each storage shard. Keys are hashed into
 * {@link SYNC_BUCKETS} buckets (the same on every node, whatever its shard count); the
 * digest of a bucket is the XOR of a 64-bit hash of `(key, writeId, expiresAt)` over the
 * records in it, so a write or a delete updates it in O(1) and an idle node does no work.
 * {@link GROUP_SIZE} buckets form a group; the XOR of everything is the root. Digests of
 * several shards combine by XOR, so a node's digest is the XOR of its shards'.
 *
 * Each bucket also threads its entries on an intrusive doubly linked list (two pointers
 * per record), so listing a bucket costs the size of the bucket, not of the shard.
 *
 * Jurisdictions (docs/compliance.md "Jurisdictions"): a node holds only records it may
 * hold, so two nodes compare only what both may hold, else their digests would differ
 * forever over records one side must never take. Digests are therefore asked *for a peer*
 * ({@link PeerScope}): everything, less the restricted records whose set does not name the
 * peer's jurisdiction. The index keeps, besides the digests of every record, the digests
 * of the restricted ones (dense, allocated on the first) and, per jurisdiction named,
 * those of the restricted records naming it (sparse: one entry per non-empty bucket), so a
 * peer's view is `all ⊕ restricted ⊕ named(peer)` in O(buckets). A node that never holds
 * a restricted record pays nothing.
 *
 * @example
 * const index = new BucketIndex<MyEntry>()
 * index.add(entry)
 * const [lo, hi] = [index.rootLo, index.rootHi]
 */

/** Buckets per node: a protocol constant (peers with another count refuse to sync). */
export const SYNC_BUCKETS = 4096
/** Buckets per group: the second level of the digest tree. */
export const GROUP_SIZE = 64
/** Groups per node. */
export const SYNC_GROUPS = SYNC_BUCKETS / GROUP_SIZE

/**
 * Whom digests and listings are for: a peer in `jurisdiction` (null: it declares none).
 * Records restricted to jurisdictions that do not include it are left out.
 */
export interface PeerScope { jurisdiction: string | null }

/** Whether a record with `set` is in a peer's scope (`undefined` scope: every record). */
export function inScope (set: readonly string[] | undefined, scope: PeerScope | undefined): boolean {
  if (scope === undefined || set === undefined || set.length === 0) return true
  return scope.jurisdiction !== null && set.includes(scope.jurisdiction)
}

/** What the index needs of an entry: its identity and two link fields it owns. */
export interface BucketLinked {
  readonly key: string
  readonly writeId: string
  readonly expiresAt: number
  /** The record's jurisdictions (canonical); undefined or empty: unrestricted. */
  readonly jurisdictions?: readonly string[]
  bucketPrev: this | undefined
  bucketNext: this | undefined
}

function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** The bucket of a key: stable across processes and independent of the shard count. */
export function bucketOf (key: string): number {
  let h = 0x9747b28c
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x5bd1e995)
  return fmix32(h) % SYNC_BUCKETS
}

/** Scratch output of {@link recordHash}: `[lo, hi]`. */
export const HASH_OUT = new Uint32Array(2)

/**
 * The 64-bit hash of one record's identity, written to {@link HASH_OUT} as two 32-bit
 * halves (no allocation). Two independent 32-bit lanes, cross-mixed at the end.
 */
export function recordHash (key: string, writeId: string, expiresAt: number): Uint32Array {
  let a = 0x811c9dc5
  let b = 0x27d4eb2f
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
  }
  a = Math.imul(a ^ 0xff, 0x01000193)
  for (let i = 0; i < writeId.length; i++) {
    const c = writeId.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
  }
  const lo = expiresAt >>> 0
  const hi = Math.floor(expiresAt / 4294967296) >>> 0
  a = Math.imul(a ^ lo, 0x01000193)
  b = Math.imul(b ^ hi, 0x5bd1e995)
  a = Math.imul(a ^ hi, 0x01000193)
  b = Math.imul(b ^ lo, 0x5bd1e995)
  HASH_OUT[0] = fmix32(a ^ ((b << 13) | (b >>> 19)))
  HASH_OUT[1] = fmix32((b + Math.imul(a, 0x9e3779b1)) | 0)
  return HASH_OUT
}

/** Per-bucket digests and entry lists of one shard. */
export class BucketIndex<E extends BucketLinked> {
  /** `[lo, hi]` per bucket. */
  private readonly digests = new Uint32Array(SYNC_BUCKETS * 2)
  private readonly heads: Array<E | undefined> = new Array(SYNC_BUCKETS).fill(undefined)
  rootLo = 0
  rootHi = 0
  /** `[lo, hi]` per bucket over the restricted records only; allocated with the first one. */
  private restricted: Uint32Array | undefined
  private restrictedCount = 0
  /** Per jurisdiction: bucket → `[lo, hi]` over the restricted records that name it. */
  private readonly named = new Map<string, Map<number, Uint32Array>>()

  /** Adds an entry (it must not be in the index). */
  add (e: E): void {
    const b = bucketOf(e.key)
    const h = recordHash(e.key, e.writeId, e.expiresAt)
    this.xor(b, h[0], h[1])
    if (e.jurisdictions !== undefined && e.jurisdictions.length > 0) this.scope(b, h[0], h[1], e.jurisdictions, 1)
    const head = this.heads[b]
    e.bucketPrev = undefined
    e.bucketNext = head
    if (head !== undefined) head.bucketPrev = e
    this.heads[b] = e
  }

  /** Removes an entry; does nothing when it is not in the index. */
  remove (e: E): void {
    const b = bucketOf(e.key)
    if (e.bucketPrev === undefined && this.heads[b] !== e) return
    const h = recordHash(e.key, e.writeId, e.expiresAt)
    this.xor(b, h[0], h[1])
    if (e.jurisdictions !== undefined && e.jurisdictions.length > 0) this.scope(b, h[0], h[1], e.jurisdictions, -1)
    if (e.bucketPrev !== undefined) e.bucketPrev.bucketNext = e.bucketNext
    else this.heads[b] = e.bucketNext
    if (e.bucketNext !== undefined) e.bucketNext.bucketPrev = e.bucketPrev
    e.bucketPrev = undefined
    e.bucketNext = undefined
  }

  /** Entries of one bucket (of every scope: filter with {@link inScope}). */
  * entries (bucket: number): IterableIterator<E> {
    for (let e = this.heads[bucket]; e !== undefined; e = e.bucketNext) yield e
  }

  /** Root then every group digest: `[rootLo, rootHi, g0lo, g0hi, …]`, over the records in `scope` (default: all). */
  groups (scope?: PeerScope): Uint32Array {
    const out = new Uint32Array(2 + SYNC_GROUPS * 2)
    const d = this.scoped(scope)
    let rootLo = 0
    let rootHi = 0
    for (let g = 0; g < SYNC_GROUPS; g++) {
      let lo = 0
      let hi = 0
      for (let b = g * GROUP_SIZE, end = b + GROUP_SIZE; b < end; b++) {
        lo ^= d[b * 2]
        hi ^= d[b * 2 + 1]
      }
      out[2 + g * 2] = lo >>> 0
      out[3 + g * 2] = hi >>> 0
      rootLo ^= lo
      rootHi ^= hi
    }
    out[0] = rootLo >>> 0
    out[1] = rootHi >>> 0
    return out
  }

  /** Bucket digests of the given groups, group after group: `GROUP_SIZE * 2` numbers each, over the records in `scope`. */
  buckets (groups: readonly number[], scope?: PeerScope): Uint32Array {
    const out = new Uint32Array(groups.length * GROUP_SIZE * 2)
    const d = this.scoped(scope)
    groups.forEach((g, i) => {
      if (g >= 0 && g < SYNC_GROUPS) out.set(d.subarray(g * GROUP_SIZE * 2, (g + 1) * GROUP_SIZE * 2), i * GROUP_SIZE * 2)
    })
    return out
  }

  /** Bucket digests over the records in `scope`: the index's own array when nothing is left out. */
  private scoped (scope: PeerScope | undefined): Uint32Array {
    if (scope === undefined || this.restricted === undefined) return this.digests
    const out = this.digests.slice()
    xorInto(out, this.restricted)
    const named = scope.jurisdiction === null ? undefined : this.named.get(scope.jurisdiction)
    if (named !== undefined) {
      for (const [b, d] of named) {
        out[b * 2] ^= d[0]
        out[b * 2 + 1] ^= d[1]
      }
    }
    return out
  }

  /** Adds (`n` 1) or removes (-1) a restricted record's hash in the restricted and per-jurisdiction digests. */
  private scope (b: number, lo: number, hi: number, set: readonly string[], n: 1 | -1): void {
    this.restricted ??= new Uint32Array(SYNC_BUCKETS * 2)
    this.restricted[b * 2] ^= lo
    this.restricted[b * 2 + 1] ^= hi
    for (const j of set) {
      let m = this.named.get(j)
      if (m === undefined) this.named.set(j, m = new Map())
      let d = m.get(b)
      if (d === undefined) m.set(b, d = new Uint32Array(2))
      d[0] ^= lo
      d[1] ^= hi
      if (d[0] === 0 && d[1] === 0) {
        m.delete(b)
        if (m.size === 0) this.named.delete(j)
      }
    }
    this.restrictedCount += n
    if (this.restrictedCount === 0) {
      // No restricted record left: back to the path that costs nothing.
      this.restricted = undefined
      this.named.clear()
    }
  }

  private xor (b: number, lo: number, hi: number): void {
    this.digests[b * 2] ^= lo
    this.digests[b * 2 + 1] ^= hi
    this.rootLo = (this.rootLo ^ lo) >>> 0
    this.rootHi = (this.rootHi ^ hi) >>> 0
  }
}

/** XORs `src` into `dst` (same length). */
export function xorInto (dst: Uint32Array, src: Uint32Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] ^= src[i]
}

/** 8-byte big-endian wire form of `[lo, hi]` pairs. */
export function digestBytes (words: Uint32Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(words.length * 4)
  const v = new DataView(out.buffer)
  for (let i = 0; i < words.length; i += 2) {
    v.setUint32(i * 4, words[i + 1])
    v.setUint32(i * 4 + 4, words[i])
  }
  return out
}

/** Inverse of {@link digestBytes}. Throws on a length that is not a multiple of 8. */
export function digestWords (bytes: Uint8Array): Uint32Array {
  if (bytes.byteLength % 8 !== 0) throw new Error('digest bytes are not a multiple of 8')
  const out = new Uint32Array(bytes.byteLength / 4)
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < out.length; i += 2) {
    out[i + 1] = v.getUint32(i * 4)
    out[i] = v.getUint32(i * 4 + 4)
  }
  return out
}
