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

/** What the index needs of an entry: its identity and two link fields it owns. */
export interface BucketLinked {
  readonly key: string
  readonly writeId: string
  readonly expiresAt: number
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

  /** Adds an entry (it must not be in the index). */
  add (e: E): void {
    const b = bucketOf(e.key)
    const h = recordHash(e.key, e.writeId, e.expiresAt)
    this.xor(b, h[0], h[1])
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
    if (e.bucketPrev !== undefined) e.bucketPrev.bucketNext = e.bucketNext
    else this.heads[b] = e.bucketNext
    if (e.bucketNext !== undefined) e.bucketNext.bucketPrev = e.bucketPrev
    e.bucketPrev = undefined
    e.bucketNext = undefined
  }

  /** Entries of one bucket. */
  * entries (bucket: number): IterableIterator<E> {
    for (let e = this.heads[bucket]; e !== undefined; e = e.bucketNext) yield e
  }

  /** Root then every group digest: `[rootLo, rootHi, g0lo, g0hi, …]`. */
  groups (): Uint32Array {
    const out = new Uint32Array(2 + SYNC_GROUPS * 2)
    out[0] = this.rootLo
    out[1] = this.rootHi
    const d = this.digests
    for (let g = 0; g < SYNC_GROUPS; g++) {
      let lo = 0
      let hi = 0
      for (let b = g * GROUP_SIZE, end = b + GROUP_SIZE; b < end; b++) {
        lo ^= d[b * 2]
        hi ^= d[b * 2 + 1]
      }
      out[2 + g * 2] = lo >>> 0
      out[3 + g * 2] = hi >>> 0
    }
    return out
  }

  /** Bucket digests of the given groups, group after group: `GROUP_SIZE * 2` numbers each. */
  buckets (groups: readonly number[]): Uint32Array {
    const out = new Uint32Array(groups.length * GROUP_SIZE * 2)
    groups.forEach((g, i) => {
      if (g >= 0 && g < SYNC_GROUPS) out.set(this.digests.subarray(g * GROUP_SIZE * 2, (g + 1) * GROUP_SIZE * 2), i * GROUP_SIZE * 2)
    })
    return out
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
