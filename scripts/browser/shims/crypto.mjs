// node:crypto for the browser build: sha256 hashes (@noble/hashes), random bytes and UUIDs
// (WebCrypto), Ed25519 public keys and verification (@noble/curves). Signing with a
// KeyObject (deletion attestations) is not available in the browser.
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { Buffer } from 'buffer'

const HASHES = { sha256, sha512 }

export function createHash (alg) {
  const h = HASHES[alg]
  if (h === undefined) throw new Error(`createHash(${alg}) is not available in the browser build`)
  const state = h.create()
  const hash = {
    update (data, enc) { state.update(typeof data === 'string' ? Buffer.from(data, enc ?? 'utf8') : data); return hash },
    digest (enc) { const out = Buffer.from(state.digest()); return enc === undefined ? out : out.toString(enc) }
  }
  return hash
}

export function randomBytes (n) {
  const out = Buffer.alloc(n)
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)))
  return out
}

export function randomUUID () { return crypto.randomUUID() }
export function randomInt (a, b) { const [lo, hi] = b === undefined ? [0, a] : [a, b]; return lo + Math.floor(Math.random() * (hi - lo)) }

/** Ed25519 public keys only, as raw bytes (DER SPKI or a { key, format: 'jwk' }). */
export function createPublicKey (input) {
  const der = input?.key ?? input
  if (input?.format === 'jwk') return { type: 'public', raw: Buffer.from(input.key.x, 'base64url') }
  const bytes = Buffer.from(der)
  return { type: 'public', raw: bytes.subarray(bytes.length - 32) }
}

export function verify (_alg, data, key, sig) {
  try { return ed25519.verify(sig, data, key.raw ?? key) } catch { return false }
}

const fromB64url = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - s.length % 4) % 4)), c => c.charCodeAt(0))

/** Ed25519 private keys as a JWK (deletion attestations sign with them). */
export function createPrivateKey (input) {
  if (input?.format !== 'jwk' || input.key?.crv !== 'Ed25519') throw new Error('only Ed25519 JWK private keys are available in the browser build')
  return { type: 'private', seed: fromB64url(input.key.d) }
}

export function sign (_alg, data, key) {
  if (key?.seed === undefined) throw new Error('node:crypto sign takes an Ed25519 key from createPrivateKey in the browser build')
  return Buffer.from(ed25519.sign(data, key.seed))
}
export function generateKeyPairSync () { throw new Error('node:crypto key generation is not available in the browser build') }
export const webcrypto = globalThis.crypto
export default { createHash, randomBytes, randomUUID, randomInt, createPublicKey, verify, sign, createPrivateKey, generateKeyPairSync, webcrypto }
