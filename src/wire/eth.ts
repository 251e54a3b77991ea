/**
 * Ethereum signatures as wallets make them: EIP-191 `personal_sign` (version 0x45) over
 * bytes, and the signer's address recovered from a 65-byte `r ‖ s ‖ v` signature with
 * secp256k1 (`@noble/curves`) and keccak-256 (`@noble/hashes`). Browser-safe: no Node APIs.
 *
 * @example
 * ```ts
 * const addr = recoverPersonalSign(new TextEncoder().encode('hello world'), sig) // '0xf39f…2266' (lower case) or undefined
 * ```
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'

const PREFIX = '\x19Ethereum Signed Message:\n'
const enc = new TextEncoder()

/** keccak-256 of `"\x19Ethereum Signed Message:\n" ‖ decimal(len(message)) ‖ message` (EIP-191 version 0x45). */
export function personalMessageHash (message: Uint8Array): Uint8Array {
  const head = enc.encode(PREFIX + String(message.byteLength))
  const all = new Uint8Array(head.byteLength + message.byteLength)
  all.set(head, 0)
  all.set(message, head.byteLength)
  return keccak_256(all)
}

/** The lower-case `0x` address of an uncompressed (65-byte) or compressed (33-byte) secp256k1 public key. */
export function addressOfPublicKey (publicKey: Uint8Array): string {
  const point = publicKey.byteLength === 65 ? publicKey : secp256k1.Point.fromBytes(publicKey).toBytes(false)
  const h = keccak_256(point.subarray(1))
  return '0x' + hex(h.subarray(12))
}

/**
 * The lower-case address that made `signature` (65 bytes `r ‖ s ‖ v`, v 27/28 or 0/1,
 * s in the lower half as every wallet makes it) over `message` with `personal_sign`;
 * undefined when the signature is malformed or recovers no key.
 */
export function recoverPersonalSign (message: Uint8Array, signature: Uint8Array): string | undefined {
  if (signature.byteLength !== 65) return undefined
  const v = signature[64]
  const recovery = v >= 27 ? v - 27 : v
  if (recovery !== 0 && recovery !== 1) return undefined
  const sig = new Uint8Array(65)
  sig[0] = recovery
  sig.set(signature.subarray(0, 64), 1)
  try {
    const s = secp256k1.Signature.fromBytes(sig, 'recovered')
    if (s.hasHighS()) return undefined
    const pub = secp256k1.recoverPublicKey(sig, personalMessageHash(message), { prehash: false })
    return addressOfPublicKey(pub)
  } catch {
    return undefined
  }
}

/** Signs `message` with `personal_sign` under a secp256k1 private key: 65 bytes `r ‖ s ‖ v` (v 27/28). For tests and local keys. */
export function personalSign (message: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const rec = secp256k1.sign(personalMessageHash(message), privateKey, { prehash: false, format: 'recovered' })
  const out = new Uint8Array(65)
  out.set(rec.subarray(1), 0)
  out[64] = rec[0] + 27
  return out
}

/** Lower-case hex of bytes, no prefix. */
export function hex (b: Uint8Array): string {
  let s = ''
  for (const x of b) s += x.toString(16).padStart(2, '0')
  return s
}

/** Bytes of an even-length hex string, with or without `0x`; throws on anything else. */
export function fromHex (s: string): Uint8Array {
  const h = s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new TypeError('not a hex string')
  const out = new Uint8Array(h.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16)
  return out
}
