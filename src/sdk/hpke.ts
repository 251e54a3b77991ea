/**
 * The two HPKE (RFC 9180) cipher suites of the envelope's recipient modes,
 * built once and shared:
 * - `x25519`: DHKEM(X25519, HKDF-SHA256) + HKDF-SHA256 + AES-256-GCM
 *   (`@hpke/dhkem-x25519`, portable: no WebCrypto X25519 needed);
 * - `xwing`: X-Wing (ML-KEM-768 + X25519) + HKDF-SHA256 + AES-256-GCM
 *   (`@hpke/hybridkem-x-wing`).
 *
 * @example
 * ```ts
 * import { recipientSuite } from './hpke.js'
 * const suite = recipientSuite('x25519')
 * const pair = await suite.kem.generateKeyPair()
 * ```
 */
import { Aes256Gcm, CipherSuite, HkdfSha256 } from '@hpke/core'
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519'
import { XWing } from '@hpke/hybridkem-x-wing'

/** Recipient key suites: classic X25519, or the post-quantum hybrid X-Wing. */
export type RecipientSuite = 'x25519' | 'xwing'

/** Sizes of the keys and encapsulations of each suite, in bytes. */
export const SUITE_SIZES: Readonly<Record<RecipientSuite, { publicKey: number, privateKey: number, enc: number, ekm: number }>> = Object.freeze({
  x25519: { publicKey: 32, privateKey: 32, enc: 32, ekm: 32 },
  xwing: { publicKey: 1216, privateKey: 32, enc: 1120, ekm: 64 }
})

const suites = new Map<RecipientSuite, CipherSuite>()

/** The (memoised) HPKE cipher suite of a recipient suite. */
export function recipientSuite (suite: RecipientSuite): CipherSuite {
  let s = suites.get(suite)
  if (s === undefined) {
    const kem = suite === 'x25519' ? new DhkemX25519HkdfSha256() : new XWing()
    s = new CipherSuite({ kem, kdf: new HkdfSha256(), aead: new Aes256Gcm() })
    suites.set(suite, s)
  }
  return s
}
