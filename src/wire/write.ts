/**
 * The wire form of a write and its checks: shared by every path a record takes between
 * nodes (gossip, direct replication, anti-entropy, read-through, blob pulls). Pure: `now`
 * comes from the node's injected clock. Below both `actors/` and `src/net/`.
 */
import { utf8Length, type RepramRecord } from '../record.js'
import type { RepramConfig } from '../config.js'
import type { Write } from './pb/repram.js'
import { createHash } from 'node:crypto'

/** Why a write was refused. A small enum: used as a metrics label. */
export type WriteRejection =
  | 'bad_key'
  | 'bad_write_id'
  | 'value_too_large'
  | 'bad_size'
  | 'bad_times'
  | 'ttl_too_long'
  | 'from_future'
  | 'expired'
  | 'bad_hash'

/** The limits a peer's write is checked against. */
export type WriteLimits = Pick<RepramConfig, 'maxKeyBytes' | 'maxValueBytes' | 'maxTtl' | 'maxClockSkewMs' | 'gossipInlineBytes'>

/** Write ids are 1..64 printable ASCII characters. */
const WRITE_ID = /^[\x21-\x7e]{1,64}$/

/**
 * Checks one write from a peer. Returns undefined when acceptable, else the reason.
 * `inline: false` allows an announced write (no value, `size` set).
 */
export function checkWrite (w: Write, now: number, limits: WriteLimits): WriteRejection | undefined {
  const keyLen = w.key.length === 0 ? 0 : utf8Length(w.key)
  if (keyLen <= 0 || keyLen > limits.maxKeyBytes) return 'bad_key'
  if (!WRITE_ID.test(w.writeId)) return 'bad_write_id'
  if (w.size !== undefined) {
    // Announced (pulled later): no inline value, and a size that is worth announcing.
    if (w.value.byteLength !== 0 || w.size > limits.maxValueBytes || w.size <= limits.gossipInlineBytes) return 'bad_size'
    if (w.hash?.byteLength !== 32) return 'bad_hash'
  } else if (w.value.byteLength > limits.maxValueBytes) {
    return 'value_too_large'
  }
  if (!Number.isSafeInteger(w.createdAt) || !Number.isSafeInteger(w.expiresAt) || w.createdAt <= 0 || w.expiresAt <= w.createdAt) return 'bad_times'
  const maxTtlMs = limits.maxTtl * 1000
  if (w.expiresAt - w.createdAt > maxTtlMs + limits.maxClockSkewMs) return 'ttl_too_long'
  if (w.expiresAt > now + maxTtlMs + limits.maxClockSkewMs) return 'ttl_too_long'
  if (w.createdAt > now + limits.maxClockSkewMs) return 'from_future'
  if (w.expiresAt <= now) return 'expired'
  return undefined
}

/** Wire form of a record. */
export function toWire (rec: RepramRecord, origin: Uint8Array, inline = true): Write {
  return inline
    ? { key: rec.key, value: rec.value as Uint8Array<ArrayBuffer>, createdAt: rec.createdAt, expiresAt: rec.expiresAt, writeId: rec.writeId, origin: origin as Uint8Array<ArrayBuffer> }
    : { key: rec.key, value: new Uint8Array(0), createdAt: rec.createdAt, expiresAt: rec.expiresAt, writeId: rec.writeId, origin: origin as Uint8Array<ArrayBuffer>, size: rec.value.byteLength, hash: valueHash(rec) }
}

/** Record form of an inline wire write. */
export function fromWire (w: Write): RepramRecord {
  return { key: w.key, value: w.value, createdAt: w.createdAt, expiresAt: w.expiresAt, writeId: w.writeId }
}

/** Rough encoded size of a write, for batching bounds. */
export function wireSize (rec: RepramRecord, inline: boolean): number {
  return rec.key.length * 3 + (inline ? rec.value.byteLength : 0) + rec.writeId.length + 80
}

/** sha256 of stored values, by record object. */
const hashes = new WeakMap<object, Uint8Array>()

/** sha256 of a record's value, computed once per stored record object. */
export function valueHash (rec: RepramRecord): Uint8Array<ArrayBuffer> {
  let h = hashes.get(rec)
  if (h === undefined) {
    h = new Uint8Array(createHash('sha256').update(rec.value).digest())
    hashes.set(rec, h)
  }
  return h as Uint8Array<ArrayBuffer>
}

