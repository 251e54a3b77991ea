/**
 * Owned keys (docs/owned-keys.md): a key under an owner's namespace is stored only with
 * a valid signature by that owner over the write. This file is the whole rule, shared by
 * the node (HTTP PUT and every peer path, through `checkWrite`) and the SDK (which signs):
 * the key syntax, the signed bytes, and the verification of a proof, delegations included.
 * Browser-safe: no Node APIs (`@noble/*` only); a node passes its native Ed25519 verify.
 *
 * Namespaces (the only keys this touches; every other key is a plain key, as before):
 * - `~ed25519:<43 base64url characters: the 32-byte public key, unpadded>/<anything>`
 * - `~eth:0x<40 lower-case hex digits: the address>/<anything>`
 * A key that starts with `~ed25519:` or `~eth:` and does not match its form is malformed
 * (refused as a bad key), so no key can look owned without being owned.
 *
 * Signed bytes of a write ({@link writeSigningBytes}):
 * ```text
 * "repram-owned-write/1\n"                 21 bytes ASCII (domain separation)
 * u32 big-endian: byte length of the key   4 bytes
 * the key, UTF-8                           that many bytes
 * sha256(value)                            32 bytes
 * createdAt, ms since epoch, u64 BE        8 bytes
 * expiresAt, ms since epoch, u64 BE        8 bytes
 * u8: byte length of writeId               1 byte
 * writeId, ASCII                           that many bytes
 * ```
 *
 * @example
 * ```ts
 * const owner = ownerOfKey('~eth:0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266/app/x') // { kind: 'eth', address, namespace }
 * const bytes = writeSigningBytes({ key, createdAt, expiresAt, writeId }, sha256(value))
 * const refusal = verifyOwnedWrite({ key, createdAt, expiresAt, writeId }, sha256(value), proof) // undefined when valid
 * ```
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import type { OwnerProof } from '../record.js'
import { hex, recoverPersonalSign } from './eth.js'
import { parseDateTime, parseSiwe, SiweError, type SiweMessage } from './siwe.js'

export type { OwnerProof } from '../record.js'

/** Marker of an Ed25519-owned namespace. */
export const ED25519_MARKER = '~ed25519:'
/** Marker of an Ethereum-owned namespace. */
export const ETH_MARKER = '~eth:'
/** Domain separation of the signed bytes: no other REPRAM signature starts with it. */
export const WRITE_SIGNING_DOMAIN = 'repram-owned-write/1\n'
/** Resource URI prefix naming the delegated Ed25519 session key (43 base64url characters follow). */
export const SESSION_RESOURCE = 'urn:repram:session:ed25519:'
/** Resource URI prefix naming the delegated key prefix, percent-encoded (encodeURIComponent), inside the owner's namespace. */
export const PREFIX_RESOURCE = 'urn:repram:prefix:'

/** The owner a key belongs to. `namespace` is the key's owner part with its `/`. */
export type Owner =
  | { kind: 'ed25519', publicKey: Uint8Array, namespace: string }
  | { kind: 'eth', address: string, namespace: string }

/** The fields of a write that are signed besides its value's hash. */
export interface SignedWriteFields { key: string, createdAt: number, expiresAt: number, writeId: string }

/** Why an owned write is refused: a small enum (metrics label, HTTP error code). */
export type OwnerRefusalReason = 'unsigned' | 'bad_signature' | 'bad_delegation'

/** A refusal with a sentence that never holds the key or the value. */
export interface OwnerRefusal { reason: OwnerRefusalReason, message: string }

/** An Ed25519 verify: the node passes Node's native one (~10× faster than the pure-JS default). */
export type Ed25519Verify = (sig: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean

const B64URL = /^[A-Za-z0-9_-]{43}$/
const ETH_NS = /^~eth:0x[0-9a-f]{40}\//
const enc = new TextEncoder()

/** Unpadded base64url of bytes. */
export function base64url (b: Uint8Array): string {
  let bin = ''
  for (const x of b) bin += String.fromCharCode(x)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Bytes of unpadded base64url text; throws TypeError when it is not canonical base64url. */
export function fromBase64url (s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new TypeError('not base64url')
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - s.length % 4) % 4))
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  if (base64url(out) !== s) throw new TypeError('not canonical base64url')
  return out
}

/** True when the key starts with an owner marker (well-formed or not). */
export function isReservedKey (key: string): boolean {
  return key.startsWith('~') && (key.startsWith(ED25519_MARKER) || key.startsWith(ETH_MARKER))
}

/** Why a reserved key is malformed, or undefined when it is not reserved or is well formed. */
export function ownedKeyError (key: string): string | undefined {
  if (!isReservedKey(key)) return undefined
  if (key.startsWith(ETH_MARKER)) {
    return ETH_NS.test(key) ? undefined : 'a key starting with ~eth: must be ~eth:0x<40 lower-case hex digits>/…'
  }
  const slash = ED25519_MARKER.length + 43
  const b64 = key.slice(ED25519_MARKER.length, slash)
  if (key[slash] !== '/' || !B64URL.test(b64)) return 'a key starting with ~ed25519: must be ~ed25519:<43 base64url characters>/…'
  try { fromBase64url(b64) } catch { return 'the public key of a ~ed25519: key is not canonical base64url' }
  return undefined
}

/** The owner of `key`; undefined for a plain key (or a malformed reserved one: see {@link ownedKeyError}). */
export function ownerOfKey (key: string): Owner | undefined {
  if (!isReservedKey(key) || ownedKeyError(key) !== undefined) return undefined
  if (key.startsWith(ETH_MARKER)) return { kind: 'eth', address: key.slice(ETH_MARKER.length, ETH_MARKER.length + 42), namespace: key.slice(0, ETH_MARKER.length + 43) }
  const b64 = key.slice(ED25519_MARKER.length, ED25519_MARKER.length + 43)
  return { kind: 'ed25519', publicKey: fromBase64url(b64), namespace: key.slice(0, ED25519_MARKER.length + 44) }
}

/** The namespace (with its `/`) of an Ed25519 public key. */
export function ed25519Namespace (publicKey: Uint8Array): string {
  if (publicKey.byteLength !== 32) throw new TypeError('an Ed25519 public key is 32 bytes')
  return `${ED25519_MARKER}${base64url(publicKey)}/`
}

/** The namespace (with its `/`) of an Ethereum address (any case in). */
export function ethNamespace (address: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new TypeError('an Ethereum address is 0x and 40 hex digits')
  return `${ETH_MARKER}${address.toLowerCase()}/`
}

function u64 (view: DataView, at: number, n: number): void {
  view.setUint32(at, Math.floor(n / 2 ** 32))
  view.setUint32(at + 4, n >>> 0)
}

/** The bytes an owner signs for a write (layout in this file's header). */
export function writeSigningBytes (w: SignedWriteFields, valueSha256: Uint8Array): Uint8Array {
  const key = enc.encode(w.key)
  const id = enc.encode(w.writeId)
  if (valueSha256.byteLength !== 32) throw new TypeError('the value hash is 32 bytes (sha256)')
  if (id.byteLength > 255) throw new TypeError('a writeId is at most 255 bytes')
  if (!Number.isSafeInteger(w.createdAt) || w.createdAt < 0 || !Number.isSafeInteger(w.expiresAt) || w.expiresAt < 0) throw new TypeError('createdAt and expiresAt are non-negative integers (ms)')
  const domain = enc.encode(WRITE_SIGNING_DOMAIN)
  const out = new Uint8Array(domain.byteLength + 4 + key.byteLength + 32 + 16 + 1 + id.byteLength)
  const view = new DataView(out.buffer)
  let at = 0
  out.set(domain, at); at += domain.byteLength
  view.setUint32(at, key.byteLength); at += 4
  out.set(key, at); at += key.byteLength
  out.set(valueSha256, at); at += 32
  u64(view, at, w.createdAt); at += 8
  u64(view, at, w.expiresAt); at += 8
  out[at++] = id.byteLength
  out.set(id, at)
  return out
}

/** What a verified delegation grants: a session key, a key prefix (full, namespace included) and a window. */
export interface Delegation {
  /** Lower-case address of the owner that signed it. */
  address: string
  sessionKey: Uint8Array
  /** Full key prefix the session key may write: the owner's namespace then the delegated prefix. */
  prefix: string
  /** Writes must have createdAt ≥ this (Not Before, else Issued At), ms. */
  notBefore: number
  /** Writes must have expiresAt ≤ this (Expiration Time), ms. */
  notAfter: number
}

/** Reads REPRAM's terms out of a parsed SIWE message; throws SiweError when they are missing or ambiguous. */
export function delegationTerms (m: SiweMessage): Omit<Delegation, 'address'> {
  const sessions = (m.resources ?? []).filter(r => r.startsWith(SESSION_RESOURCE))
  const prefixes = (m.resources ?? []).filter(r => r.startsWith(PREFIX_RESOURCE))
  if (sessions.length !== 1) throw new SiweError(`a delegation names exactly one session key (${SESSION_RESOURCE}…)`)
  if (prefixes.length !== 1) throw new SiweError(`a delegation names exactly one key prefix (${PREFIX_RESOURCE}…)`)
  const b64 = sessions[0].slice(SESSION_RESOURCE.length)
  if (!B64URL.test(b64)) throw new SiweError('the session key is not 43 base64url characters')
  let sessionKey: Uint8Array
  try { sessionKey = fromBase64url(b64) } catch { throw new SiweError('the session key is not canonical base64url') }
  const raw = prefixes[0].slice(PREFIX_RESOURCE.length)
  let rel: string
  try { rel = decodeURIComponent(raw) } catch { throw new SiweError('the key prefix is not percent-encoded UTF-8') }
  if (encodeURIComponent(rel) !== raw) throw new SiweError('the key prefix is not percent-encoded as encodeURIComponent does')
  if (m.expirationTime === undefined) throw new SiweError('a delegation has an Expiration Time')
  const notBefore = parseDateTime(m.notBefore ?? m.issuedAt)
  const notAfter = parseDateTime(m.expirationTime)
  if (notAfter <= notBefore) throw new SiweError('the Expiration Time is not after Not Before (or Issued At)')
  return { sessionKey, prefix: ethNamespace(m.address) + rel, notBefore, notAfter }
}

/** Verified delegations by signature and text: a delegation is checked (a ~1.5 ms secp256k1 recovery) once, not per write. */
const delegations = new Map<string, Delegation | string>()
/** Most delegations remembered: a bounded memo, oldest forgotten first. */
const DELEGATION_MEMO = 1024

/** Verifies a delegation (its EIP-4361 form, REPRAM's terms and the owner's personal_sign); the terms, or why not. */
export function verifyDelegation (text: string, sig: Uint8Array): Delegation | string {
  const memo = hex(sig) + '\n' + text
  const hit = delegations.get(memo)
  if (hit !== undefined) return hit
  let out: Delegation | string
  try {
    const m = parseSiwe(text)
    const terms = delegationTerms(m)
    const address = recoverPersonalSign(enc.encode(text), sig)
    out = address === m.address.toLowerCase() ? { address, ...terms } : 'the delegation is not signed by its address'
  } catch (err) {
    out = err instanceof SiweError ? `the delegation is malformed: ${err.message}` : 'the delegation is malformed'
  }
  if (delegations.size >= DELEGATION_MEMO) delegations.delete(delegations.keys().next().value as string)
  delegations.set(memo, out)
  return out
}

/** Pure-JS Ed25519 verify (browsers, the SDK); strict (RFC 8032, not ZIP-215) as Node's native one is. */
export const nobleEd25519Verify: Ed25519Verify = (sig, message, publicKey) => {
  try { return ed25519.verify(sig, message, publicKey, { zip215: false }) } catch { return false }
}

/** Signatures verified valid, by signature, signer and sha256 of the signed bytes: a gossip copy is checked by the topic validator, then again on its way to the store. */
const verified = new Set<string>()
/** Most valid signatures remembered (oldest forgotten first). */
const VERIFIED_MEMO = 4096

/** `check()` once per (signature, signer, bytes): a valid answer is remembered, an invalid one is not. */
function once (sig: Uint8Array, signer: string, bytes: Uint8Array, check: () => boolean): boolean {
  const id = hex(sig) + signer + hex(sha256(bytes))
  if (verified.has(id)) return true
  if (!check()) return false
  if (verified.size >= VERIFIED_MEMO) verified.delete(verified.values().next().value as string)
  verified.add(id)
  return true
}

/**
 * Checks an owned write's proof. Undefined when `w.key` is not owned or the proof is
 * valid; else the refusal. `valueSha256` is sha256 of the value (an announced write's
 * `hash`). Call only for keys that passed {@link ownedKeyError}.
 */
export function verifyOwnedWrite (w: SignedWriteFields, valueSha256: Uint8Array, proof: OwnerProof | undefined, verify: Ed25519Verify = nobleEd25519Verify): OwnerRefusal | undefined {
  const owner = ownerOfKey(w.key)
  if (owner === undefined) return undefined
  if (proof === undefined || proof.sig.byteLength === 0) return { reason: 'unsigned', message: 'this key is owned: a write needs its owner\'s signature (docs/owned-keys.md)' }
  let bytes: Uint8Array
  try { bytes = writeSigningBytes(w, valueSha256) } catch { return { reason: 'bad_signature', message: 'the write cannot be signed as given' } }
  const bad: OwnerRefusal = { reason: 'bad_signature', message: 'the signature is not the owner\'s over this write' }
  if (owner.kind === 'ed25519') {
    if (proof.delegation !== undefined || proof.delegationSig !== undefined) return { reason: 'bad_delegation', message: 'an ~ed25519: key takes no delegation: sign with the key itself' }
    return proof.sig.byteLength === 64 && once(proof.sig, owner.namespace, bytes, () => verify(proof.sig, bytes, owner.publicKey)) ? undefined : bad
  }
  if (proof.delegation === undefined) {
    if (proof.delegationSig !== undefined) return { reason: 'bad_delegation', message: 'a delegation signature without its delegation' }
    return once(proof.sig, owner.address, bytes, () => recoverPersonalSign(bytes, proof.sig) === owner.address) ? undefined : bad
  }
  if (proof.delegationSig === undefined) return { reason: 'bad_delegation', message: 'a delegation without the owner\'s signature of it' }
  const d = verifyDelegation(proof.delegation, proof.delegationSig)
  if (typeof d === 'string') return { reason: 'bad_delegation', message: d }
  if (d.address !== owner.address) return { reason: 'bad_delegation', message: 'the delegation is signed by another address than the key\'s owner' }
  if (!w.key.startsWith(d.prefix)) return { reason: 'bad_delegation', message: 'the delegation does not cover this key (its prefix)' }
  if (w.createdAt < d.notBefore) return { reason: 'bad_delegation', message: 'the write was made before the delegation\'s window opened' }
  if (w.expiresAt > d.notAfter) return { reason: 'bad_delegation', message: 'the write would outlive the delegation\'s Expiration Time' }
  return proof.sig.byteLength === 64 && once(proof.sig, hex(d.sessionKey), bytes, () => verify(proof.sig, bytes, d.sessionKey)) ? undefined : bad
}
