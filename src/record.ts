/**
 * Records and the rules every path applies to them: key validation, TTL resolution,
 * write ids and the last-writer-wins order.
 */
import { randomBytes } from 'node:crypto'
import { InvalidKeyError, InvalidTtlError, ValueTooLargeError } from './errors.js'

/** A stored record. Immutable once created: a write replaces the whole record. */
export interface RepramRecord {
  readonly key: string
  readonly value: Uint8Array
  /** ms since epoch, on the writing node's clock. */
  readonly createdAt: number
  /** Absolute expiry, ms since epoch. The record is gone at this instant. */
  readonly expiresAt: number
  /** Unique per write; breaks `createdAt` ties in last-writer-wins. */
  readonly writeId: string
  /**
   * The jurisdictions this write may live in, canonical (sorted, unique, 1-8 codes; see
   * `src/wire/jurisdiction.ts`); absent: anywhere in the enclave. Only nodes in one of them
   * store or replicate it (docs/compliance.md "Jurisdictions").
   */
  readonly jurisdictions?: readonly string[]
  /** The owner's proof of an owned key's write (docs/owned-keys.md); travels with the record. */
  readonly owner?: OwnerProof
}

/** An owner's signature over a write (src/wire/owner.ts defines the signed bytes). */
export interface OwnerProof {
  /** Ed25519 (64 bytes) or `personal_sign` (65 bytes `r ‖ s ‖ v`) signature. */
  readonly sig: Uint8Array
  /** A Sign-In with Ethereum message delegating to the Ed25519 session key that made `sig`. */
  readonly delegation?: string
  /** The owner's `personal_sign` signature of `delegation` (65 bytes). */
  readonly delegationSig?: Uint8Array
}

/** The limits every write is checked against. */
export interface RecordLimits {
  maxKeyBytes: number
  maxValueBytes: number
  minTtl: number
  maxTtl: number
  defaultTtl: number
  ttlPolicy: 'clamp' | 'reject'
}

/** UTF-8 length of a string without allocating. Returns -1 for lone surrogates. */
export function utf8Length (s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xD800 && c <= 0xDBFF) {
      const d = s.charCodeAt(i + 1)
      if (!(d >= 0xDC00 && d <= 0xDFFF)) return -1
      n += 4
      i++
    } else if (c >= 0xDC00 && c <= 0xDFFF) return -1
    else n += 3
  }
  return n
}

/** Throws {@link InvalidKeyError} unless the key is 1..maxKeyBytes of valid UTF-8. Returns its byte length. */
export function validateKey (key: unknown, maxKeyBytes: number): number {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidKeyError('key must not be empty')
  const len = utf8Length(key)
  if (len < 0) throw new InvalidKeyError('key is not valid UTF-8')
  if (len > maxKeyBytes) throw new InvalidKeyError(`key is ${len} bytes; the limit is ${maxKeyBytes}`)
  return len
}

/** Throws {@link ValueTooLargeError} if the value exceeds the limit. */
export function validateValue (value: Uint8Array, maxValueBytes: number): void {
  if (!(value instanceof Uint8Array)) throw new TypeError('value must be a Uint8Array')
  if (value.byteLength > maxValueBytes) throw new ValueTooLargeError(`value is ${value.byteLength} bytes; the limit is ${maxValueBytes}`)
}

/** A TTL as decimal text: optional sign, digits, optional fraction (no exponent, no hex, no units). */
const DECIMAL_TTL = /^[+-]?\d{1,32}(\.\d{1,32})?$/

/**
 * Resolves a requested TTL (seconds) to the applied one (DESIGN §1): the default when
 * absent; any number (or decimal text) is truncated to whole seconds and clamped into
 * [minTtl, maxTtl], so `0`, `-5` and `1800.5` apply as the reference node applies them;
 * under `ttlPolicy: 'reject'` a number outside the range is an {@link InvalidTtlError}.
 * Text that is not a decimal number (`abc`, `1e3`, `10s`, empty) and non-finite numbers
 * are always rejected.
 */
export function resolveTtl (requested: number | string | undefined, limits: RecordLimits): number {
  if (requested === undefined) return limits.defaultTtl
  let ttl: number
  if (typeof requested === 'string') {
    const text = requested.trim()
    if (!DECIMAL_TTL.test(text)) throw new InvalidTtlError(`TTL "${requested.slice(0, 32)}" is not a number of seconds`)
    ttl = Number(text)
  } else {
    ttl = requested
  }
  if (typeof ttl !== 'number' || !Number.isFinite(ttl)) throw new InvalidTtlError(`TTL ${String(requested).slice(0, 32)} is not a number of seconds`)
  ttl = Math.trunc(ttl)
  if (ttl < limits.minTtl || ttl > limits.maxTtl) {
    if (limits.ttlPolicy === 'reject') throw new InvalidTtlError(`TTL ${ttl} is outside [${limits.minTtl}, ${limits.maxTtl}] seconds`)
    return Math.min(limits.maxTtl, Math.max(limits.minTtl, ttl))
  }
  return ttl
}

const ID_BYTES = 12
let idPool = Buffer.alloc(0)
let idOffset = 0

/** A fresh write id: 12 random bytes as 16 base64url characters. */
export function newWriteId (): string {
  if (idOffset + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_BYTES * 256)
    idOffset = 0
  }
  const id = idPool.toString('base64url', idOffset, idOffset + ID_BYTES)
  idOffset += ID_BYTES
  return id
}

/** Last-writer-wins order: positive when `a` wins over `b`. */
export function compareWrites (a: { createdAt: number, writeId: string }, b: { createdAt: number, writeId: string }): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt
  return a.writeId < b.writeId ? -1 : a.writeId > b.writeId ? 1 : 0
}

/** Orders strings by their UTF-8 bytes (which is code point order, not UTF-16 order). */
export function compareUtf8 (a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, which sort after 0xE000-0xFFFF.
    const xs = x >= 0xD800 && x <= 0xDFFF
    const ys = y >= 0xD800 && y <= 0xDFFF
    if (xs !== ys) return xs ? (y >= 0xE000 ? 1 : (x - y)) : (x >= 0xE000 ? -1 : (x - y))
    return x - y
  }
  return a.length - b.length
}
