/**
 * The wire form of a write and its checks: shared by every path a record takes between
 * nodes (gossip, direct replication, anti-entropy, read-through, blob pulls). Pure: `now`
 * comes from the node's injected clock. Below both `actors/` and `src/net/`.
 */
import { utf8Length, type RepramRecord } from '../record.js'
import type { RepramConfig } from '../config.js'
import type { Write } from './pb/repram.js'
import { jurisdictionSetError } from './jurisdiction.js'
import { createHash, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto'
import { ownedKeyError, ownerOfKey, verifyOwnedWrite, type Ed25519Verify } from './owner.js'
import type { OwnerProof } from '../record.js'

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
  // A jurisdiction set that is not canonical (docs/compliance.md "Jurisdictions").
  | 'bad_jurisdiction'
  // Owned keys (docs/owned-keys.md): no proof, a proof that does not verify, a bad delegation.
  | 'unsigned'
  | 'bad_signature'
  | 'bad_delegation'

/** The limits a peer's write is checked against. */
export type WriteLimits = Pick<RepramConfig, 'maxKeyBytes' | 'maxValueBytes' | 'maxTtl' | 'maxClockSkewMs' | 'gossipInlineBytes'>

/** Write ids are 1..64 printable ASCII characters. */
export const WRITE_ID = /^[\x21-\x7e]{1,64}$/

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
  if (w.jurisdictions !== undefined && jurisdictionSetError(w.jurisdictions.codes) !== undefined) return 'bad_jurisdiction'
  if (!Number.isSafeInteger(w.createdAt) || !Number.isSafeInteger(w.expiresAt) || w.createdAt <= 0 || w.expiresAt <= w.createdAt) return 'bad_times'
  const maxTtlMs = limits.maxTtl * 1000
  if (w.expiresAt - w.createdAt > maxTtlMs + limits.maxClockSkewMs) return 'ttl_too_long'
  if (w.expiresAt > now + maxTtlMs + limits.maxClockSkewMs) return 'ttl_too_long'
  if (w.createdAt > now + limits.maxClockSkewMs) return 'from_future'
  if (w.expiresAt <= now) return 'expired'
  // Owned keys last: the only check that costs a signature verify (~0.1 ms Ed25519, ~1.5 ms secp256k1).
  if (w.key.charCodeAt(0) === 0x7e && ownedKeyError(w.key) !== undefined) return 'bad_key'
  if (w.key.charCodeAt(0) === 0x7e && ownerOfKey(w.key) !== undefined) {
    const h = w.size === undefined ? sha256(w.value) : w.hash as Uint8Array
    return verifyOwnedWrite(w, h, w.owner, nativeEd25519Verify)?.reason
  }
  return undefined
}

/** sha256 of bytes (Node's native hash). */
export function sha256 (b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b).digest())
}

/** DER prefix of an Ed25519 SubjectPublicKeyInfo: the 32 raw key bytes follow. */
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex')

/** Imported Ed25519 public keys by their bytes (hex): owners write many times; the import costs as much as a verify. */
const edKeys = new Map<string, KeyObject>()
/** Most imported keys remembered (oldest forgotten first). */
const ED_KEY_MEMO = 1024

/** Node's native Ed25519 verify (~0.1 ms, against ~1.5 ms in pure JS), with imported keys remembered. */
export const nativeEd25519Verify: Ed25519Verify = (sig, message, publicKey) => {
  if (publicKey.byteLength !== 32 || sig.byteLength !== 64) return false
  try {
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, 32).toString('hex')
    let key = edKeys.get(id)
    if (key === undefined) {
      key = createPublicKey({ key: Buffer.concat([ED25519_SPKI, publicKey]), format: 'der', type: 'spki' })
      if (edKeys.size >= ED_KEY_MEMO) edKeys.delete(edKeys.keys().next().value as string)
      edKeys.set(id, key)
    }
    return nodeVerify(null, message, key, sig)
  } catch {
    return false
  }
}

/** Encoded bytes of a write's owner proof (0 without one): frame bounds count it (a delegation is ~500 bytes). */
export function proofBytes (w: { owner?: OwnerProof }): number {
  const p = w.owner
  return p === undefined ? 0 : p.sig.byteLength + (p.delegation === undefined ? 0 : p.delegation.length * 3) + (p.delegationSig?.byteLength ?? 0) + 16
}

/** A copy of an owner proof that shares no memory with the frame it was decoded from. */
export function copyProof (p: OwnerProof | undefined): OwnerProof | undefined {
  if (p === undefined) return undefined
  return p.delegation === undefined
    ? { sig: p.sig.slice() }
    : { sig: p.sig.slice(), delegation: p.delegation, delegationSig: p.delegationSig?.slice() }
}

/** Wire form of a record. */
export function toWire (rec: RepramRecord, origin: Uint8Array, inline = true): Write {
  const w: Write = inline
    ? { key: rec.key, value: rec.value as Uint8Array<ArrayBuffer>, createdAt: rec.createdAt, expiresAt: rec.expiresAt, writeId: rec.writeId, origin: origin as Uint8Array<ArrayBuffer> }
    : { key: rec.key, value: new Uint8Array(0), createdAt: rec.createdAt, expiresAt: rec.expiresAt, writeId: rec.writeId, origin: origin as Uint8Array<ArrayBuffer>, size: rec.value.byteLength, hash: valueHash(rec) }
  if (rec.owner !== undefined) w.owner = rec.owner as Write['owner']
  if (rec.jurisdictions !== undefined) w.jurisdictions = { codes: rec.jurisdictions as string[] }
  return w
}

/** The jurisdictions of a wire write (absent, or an empty set: unrestricted). Strings share nothing with the frame. */
export function wireJurisdictions (w: Pick<Write, 'jurisdictions'>): readonly string[] | undefined {
  const codes = w.jurisdictions?.codes
  return codes === undefined || codes.length === 0 ? undefined : codes
}

/** `rec` with the jurisdictions of the wire write it came from (the same object when it has none). */
export function withJurisdictions<R extends RepramRecord> (rec: R, w: Pick<Write, 'jurisdictions'>): R {
  const j = wireJurisdictions(w)
  return j === undefined ? rec : { ...rec, jurisdictions: j }
}

/** Record form of an inline wire write. */
export function fromWire (w: Write): RepramRecord {
  return withJurisdictions(w.owner === undefined
    ? { key: w.key, value: w.value, createdAt: w.createdAt, expiresAt: w.expiresAt, writeId: w.writeId }
    : { key: w.key, value: w.value, createdAt: w.createdAt, expiresAt: w.expiresAt, writeId: w.writeId, owner: copyProof(w.owner) }, w)
}

/** Rough encoded size of a write, for batching bounds. */
export function wireSize (rec: RepramRecord, inline: boolean): number {
  return rec.key.length * 3 + (inline ? rec.value.byteLength : 0) + rec.writeId.length + 80 + (rec.jurisdictions === undefined ? 0 : rec.jurisdictions.length * 20) + (rec.owner === undefined ? 0 : rec.owner.sig.byteLength + (rec.owner.delegation?.length ?? 0) * 3 + 80)
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

