/**
 * Verification of deletion attestations, browser-safe (`@libp2p/peer-id`,
 * `@libp2p/crypto`, `@noble/hashes`; no Node APIs).
 *
 * @example
 * ```ts
 * import { verifyAttestation } from 'repram/sdk'
 * const r = await verifyAttestation(att, { key: 'app/session/42', writeId: put.writeId })
 * if (!r.valid) console.log(r.reason, r.message)
 * ```
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { publicKeyFromProtobuf } from '@libp2p/crypto/keys'
import type { PublicKey } from '@libp2p/interface'
import { fromHex, toHex } from '../encoding.js'
import { attestationShapeError, canonicalAttestationBytes, type Attestation } from './canonical.js'

/** Lower-case hex SHA-256 of the key's UTF-8 bytes: the only form of a key an attestation holds. */
export function keyHashOf (key: string): string {
  return toHex(sha256(new TextEncoder().encode(key)))
}

/** What the verifier expects the attestation to be about. Every field is optional; give what you know. */
export interface ExpectedAttestation {
  /** The key in clear: its hash must equal `keyHash`. */
  key?: string
  /** The key hash (when you only have the hash). */
  keyHash?: string
  /**
   * The write the proof must be for (the `writeId` returned by `PUT`). Give it: without it a
   * proof for an earlier write of the same key would also pass.
   */
  writeId?: string
  /** The node that must have signed. */
  nodeId?: string
  /**
   * The jurisdictions the write was restricted to (its `X-Jurisdiction`): the signer must
   * have declared one of them in the proof (version 2). A version 1 proof, or one from
   * another jurisdiction, fails with `jurisdiction_mismatch`.
   */
  jurisdictions?: readonly string[]
  /**
   * Hex protobuf of the signer's public key, for peer ids that do not embed their key
   * (RSA). Ed25519 peer ids embed it, and then this is ignored.
   */
  publicKey?: string
}

/** Why verification failed. A small, stable enum. */
export type AttestationFailure =
  | 'malformed'
  | 'key_mismatch'
  | 'write_mismatch'
  | 'node_mismatch'
  | 'jurisdiction_mismatch'
  | 'unknown_public_key'
  | 'bad_signature'

/** The outcome of {@link verifyAttestation}. */
export type AttestationVerification =
  | { valid: true, attestation: Attestation }
  | { valid: false, reason: AttestationFailure, message: string }

function fail (reason: AttestationFailure, message: string): AttestationVerification {
  return { valid: false, reason, message }
}

/**
 * Checks one attestation (version 1, or version 2 with the signer's `jurisdiction`): its
 * shape, that it is about the expected key, write, node and jurisdictions, and its
 * signature over the canonical bytes by the key of its `nodeId`. Never throws on bad
 * input: a forged or altered attestation resolves `{ valid: false, reason }`.
 */
export async function verifyAttestation (att: unknown, expected: ExpectedAttestation = {}): Promise<AttestationVerification> {
  const shape = attestationShapeError(att)
  if (shape !== undefined) return fail('malformed', shape)
  const a = att as Attestation
  if (typeof a.signature !== 'string') return fail('malformed', 'signature is missing')
  if (expected.key !== undefined && keyHashOf(expected.key) !== a.keyHash) return fail('key_mismatch', 'the attestation is about another key')
  if (expected.keyHash !== undefined && expected.keyHash.toLowerCase() !== a.keyHash) return fail('key_mismatch', 'the attestation is about another key hash')
  if (expected.writeId !== undefined && expected.writeId !== a.writeId) return fail('write_mismatch', 'the attestation is about another write of this key')
  if (expected.nodeId !== undefined && expected.nodeId !== a.nodeId) return fail('node_mismatch', 'the attestation was signed by another node')
  if (expected.jurisdictions !== undefined && (a.jurisdiction === undefined || !expected.jurisdictions.includes(a.jurisdiction))) {
    return fail('jurisdiction_mismatch', a.jurisdiction === undefined ? 'the signer declares no jurisdiction' : `the signer is in jurisdiction ${a.jurisdiction}, not one of ${expected.jurisdictions.join(',')}`)
  }
  let key: PublicKey | undefined
  try {
    const peer = peerIdFromString(a.nodeId)
    key = peer.publicKey
    if (key === undefined && expected.publicKey !== undefined) {
      const pk = publicKeyFromProtobuf(fromHex(expected.publicKey))
      if (!peerIdFromPublicKey(pk).equals(peer)) return fail('node_mismatch', 'the public key does not belong to nodeId')
      key = pk
    }
  } catch (err) {
    return fail('malformed', `nodeId is not a peer id: ${(err as Error).message}`)
  }
  if (key === undefined) return fail('unknown_public_key', 'nodeId does not embed its public key and none was given')
  try {
    const ok = await key.verify(canonicalAttestationBytes(a), fromHex(a.signature))
    return ok ? { valid: true, attestation: pickAttestation(a) } : fail('bad_signature', 'the signature does not match the attestation')
  } catch (err) {
    return fail('bad_signature', `the signature cannot be checked: ${(err as Error).message}`)
  }
}

/** A copy holding only the attestation fields (drops anything else a server added); `jurisdiction` in version 2. */
export function pickAttestation (a: Attestation): Attestation {
  const out: Attestation = { keyHash: a.keyHash, writeId: a.writeId, createdAt: a.createdAt, expiredAt: a.expiredAt, deletedAt: a.deletedAt, nodeId: a.nodeId, cycle: a.cycle, signature: a.signature }
  if (a.jurisdiction !== undefined) out.jurisdiction = a.jurisdiction
  return out
}
