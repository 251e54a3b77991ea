/**
 * Key material of the SDK: 256-bit symmetric keys, recipient key pairs
 * (X25519 or post-quantum X-Wing), their text and JWK forms, and opaque
 * storage keys derived with HMAC-SHA256 so nodes never see logical names.
 *
 * Text forms (see docs/encryption.md §Keys):
 * - symmetric key: base64url of the 32 bytes, no padding (standard base64 is
 *   also accepted on import), or a JWK `{kty:"oct", alg:"A256GCM", k}`;
 * - recipient keys: `"<suite>:<base64url>"`, suite `x25519` or `xwing`, e.g.
 *   `x25519:9a1Q…`; public keys without the prefix are accepted on import and
 *   typed by their length (32 → x25519, 1216 → xwing). X25519 keys also have
 *   a JWK form (RFC 8037, `{kty:"OKP", crv:"X25519", x, d?}`); X-Wing has no
 *   standard JWK form yet, so it has none here.
 *
 * @example
 * ```ts
 * import { generateRecipientKeyPair, exportRecipientPublicKey, deriveStorageKey, generateKey } from 'repram/sdk'
 * const pair = await generateRecipientKeyPair({ pq: true })
 * const shareable = exportRecipientPublicKey(pair.publicKey)   // 'xwing:…'
 * const secret = generateKey()
 * const storageKey = deriveStorageKey(secret, 'invoices/2024-06')   // 64 hex chars
 * ```
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { fromBase64, toBase64Url, toHex, utf8 } from './encoding.js'
import { InvalidRequestError, KeyFormatError } from './errors.js'
import { recipientSuite, SUITE_SIZES, type RecipientSuite } from './hpke.js'

export type { RecipientSuite } from './hpke.js'

/** Length of a symmetric key in bytes (AES-256). */
export const SYMMETRIC_KEY_BYTES = 32

/** A recipient's public key: anyone may encrypt to it. */
export interface RecipientPublicKey {
  /** Discriminant. */
  readonly type: 'recipient-public'
  /** KEM suite the key belongs to. */
  readonly suite: RecipientSuite
  /** Serialised key (RFC 9180 `SerializePublicKey`): 32 bytes (x25519) or 1216 bytes (xwing). */
  readonly bytes: Uint8Array
}

/** A recipient's private key: the only key that opens envelopes sealed to its public key. */
export interface RecipientPrivateKey {
  /** Discriminant. */
  readonly type: 'recipient-private'
  /** KEM suite the key belongs to. */
  readonly suite: RecipientSuite
  /** Serialised key (RFC 9180 `SerializePrivateKey`; the 32-byte seed for X-Wing). */
  readonly bytes: Uint8Array
}

/** A recipient key pair. */
export interface RecipientKeyPair {
  /** Share this. */
  readonly publicKey: RecipientPublicKey
  /** Keep this secret. */
  readonly privateKey: RecipientPrivateKey
}

/** Options of {@link generateRecipientKeyPair} and {@link deriveRecipientKeyPair}. */
export interface RecipientKeyOptions {
  /**
   * Post-quantum: an X-Wing (ML-KEM-768 + X25519) key pair instead of X25519.
   * @default false
   */
  pq?: boolean
}

/** `n` bytes from the platform CSPRNG (`crypto.getRandomValues`). */
export function randomBytes (n: number): Uint8Array {
  const out = new Uint8Array(n)
  // getRandomValues fills at most 65536 bytes per call
  for (let off = 0; off < n; off += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)))
  }
  return out
}

/** A fresh random 256-bit symmetric key (for the envelope's key mode or {@link deriveStorageKey}). */
export function generateKey (): Uint8Array {
  return randomBytes(SYMMETRIC_KEY_BYTES)
}

/**
 * Check that `key` is a 32-byte symmetric key.
 * @throws KeyFormatError otherwise
 */
export function assertSymmetricKey (key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== SYMMETRIC_KEY_BYTES) {
    throw new KeyFormatError(`a symmetric key must be ${SYMMETRIC_KEY_BYTES} bytes`)
  }
}

/** The text form of a symmetric key: base64url, no padding (43 characters). */
export function exportSymmetricKey (key: Uint8Array): string {
  assertSymmetricKey(key)
  return toBase64Url(key)
}

/** A symmetric key as a JWK (`kty: "oct"`, `alg: "A256GCM"`), as WebCrypto exports it. */
export function symmetricKeyToJwk (key: Uint8Array): JsonWebKey {
  assertSymmetricKey(key)
  return { kty: 'oct', k: toBase64Url(key), alg: 'A256GCM', ext: true, key_ops: ['encrypt', 'decrypt'] }
}

/**
 * Parse a symmetric key from its base64 / base64url text, a JWK object, or
 * the JSON text of a JWK.
 * @throws KeyFormatError when it is not exactly 32 bytes of key
 */
export function importSymmetricKey (input: string | JsonWebKey): Uint8Array {
  let text: string
  if (typeof input === 'string') {
    const t = input.trim()
    if (t.startsWith('{')) {
      let jwk: unknown
      try { jwk = JSON.parse(t) } catch { throw new KeyFormatError('the symmetric key is neither base64 nor a JSON JWK') }
      return importSymmetricKey(jwk as JsonWebKey)
    }
    text = t
  } else {
    if (input === null || typeof input !== 'object' || input.kty !== 'oct' || typeof input.k !== 'string') {
      throw new KeyFormatError('a symmetric JWK must have kty "oct" and a "k" member')
    }
    if (input.alg !== undefined && input.alg !== 'A256GCM') throw new KeyFormatError(`a symmetric JWK must have alg A256GCM, not ${input.alg}`)
    text = input.k
  }
  let bytes: Uint8Array
  try { bytes = fromBase64(text) } catch (err) { throw new KeyFormatError('the symmetric key is not valid base64', { cause: err }) }
  if (bytes.length !== SYMMETRIC_KEY_BYTES) throw new KeyFormatError(`a symmetric key must be ${SYMMETRIC_KEY_BYTES} bytes, got ${bytes.length}`)
  return bytes
}

/** Output encodings of {@link deriveStorageKey}. */
export type StorageKeyEncoding = 'hex' | 'base64url'

/** Options of {@link deriveStorageKey}. */
export interface DeriveStorageKeyOptions {
  /**
   * `hex`: 64 lower-case hex characters; `base64url`: 43 characters, no padding.
   * @default 'hex'
   */
  encoding?: StorageKeyEncoding
  /**
   * A literal prefix put before the digest, e.g. `'app/'`, so records can still
   * be listed by prefix. It is visible to nodes.
   * @default ''
   */
  prefix?: string
}

/**
 * An opaque storage key for a logical name: `prefix + encode(HMAC-SHA256(secret, UTF-8(name)))`.
 * Nodes see only the digest; without `secret` they cannot recover or confirm
 * names. Deterministic, so every holder of `secret` finds the same record.
 *
 * Use a secret of at least 32 random bytes (e.g. {@link generateKey}), and
 * preferably not the same key that encrypts the records.
 *
 * @param secret - the HMAC key (bytes, or a string taken as its UTF-8 bytes)
 * @param name - the logical name
 * @param options - output encoding and prefix
 * @returns the storage key
 */
export function deriveStorageKey (secret: Uint8Array | string, name: string, options: DeriveStorageKeyOptions = {}): string {
  const key = typeof secret === 'string' ? utf8(secret) : secret
  if (key.length === 0) throw new InvalidRequestError('deriveStorageKey needs a non-empty secret')
  const mac = hmac(sha256, key, utf8(name))
  const encoding = options.encoding ?? 'hex'
  let digest: string
  switch (encoding) {
    case 'hex': digest = toHex(mac); break
    case 'base64url': digest = toBase64Url(mac); break
    default: throw new InvalidRequestError(`unknown storage key encoding ${String(encoding)}`)
  }
  return (options.prefix ?? '') + digest
}

function toArrayBuffer (bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer
}

async function pairFromCryptoKeys (suite: RecipientSuite, pair: CryptoKeyPair): Promise<RecipientKeyPair> {
  const kem = recipientSuite(suite).kem
  const pub = new Uint8Array(await kem.serializePublicKey(pair.publicKey))
  const priv = new Uint8Array(await kem.serializePrivateKey(pair.privateKey))
  return {
    publicKey: { type: 'recipient-public', suite, bytes: pub },
    privateKey: { type: 'recipient-private', suite, bytes: priv }
  }
}

/**
 * A fresh recipient key pair: X25519 by default, X-Wing with `{ pq: true }`.
 * Share the public key; anyone can then seal to it, and only the private key
 * opens the result (the sender cannot).
 */
export async function generateRecipientKeyPair (options: RecipientKeyOptions = {}): Promise<RecipientKeyPair> {
  const suite: RecipientSuite = options.pq === true ? 'xwing' : 'x25519'
  try {
    return await pairFromCryptoKeys(suite, await recipientSuite(suite).kem.generateKeyPair())
  } catch (err) {
    throw new KeyFormatError(`could not generate a ${suite} key pair`, { cause: err })
  }
}

/**
 * A recipient key pair derived deterministically from input keying material
 * (RFC 9180 `DeriveKeyPair` for X25519; X-Wing's seed = SHAKE256(ikm) for
 * `pq`). Same `ikm`, same pair. `ikm` must hold at least 32 bytes of entropy.
 */
export async function deriveRecipientKeyPair (ikm: Uint8Array, options: RecipientKeyOptions = {}): Promise<RecipientKeyPair> {
  const suite: RecipientSuite = options.pq === true ? 'xwing' : 'x25519'
  if (ikm.length < 32) throw new KeyFormatError('deriveRecipientKeyPair needs at least 32 bytes of input keying material')
  try {
    return await pairFromCryptoKeys(suite, await recipientSuite(suite).kem.deriveKeyPair(toArrayBuffer(ikm)))
  } catch (err) {
    throw new KeyFormatError(`could not derive a ${suite} key pair`, { cause: err })
  }
}

/** The text form of a recipient public key: `"<suite>:<base64url>"`. */
export function exportRecipientPublicKey (key: RecipientPublicKey): string {
  checkRecipientKey(key, 'recipient-public')
  return `${key.suite}:${toBase64Url(key.bytes)}`
}

/** The text form of a recipient private key: `"<suite>:<base64url>"`. Keep it secret. */
export function exportRecipientPrivateKey (key: RecipientPrivateKey): string {
  checkRecipientKey(key, 'recipient-private')
  return `${key.suite}:${toBase64Url(key.bytes)}`
}

function parseSuitePrefixed (text: string, what: string): { suite: RecipientSuite | undefined, bytes: Uint8Array } {
  const t = text.trim()
  const m = /^(x25519|xwing):(.*)$/s.exec(t)
  const body = m === null ? t : m[2]
  let bytes: Uint8Array
  try { bytes = fromBase64(body) } catch (err) { throw new KeyFormatError(`the ${what} is not "<suite>:<base64>"`, { cause: err }) }
  return { suite: m === null ? undefined : m[1] as RecipientSuite, bytes }
}

/**
 * Parse a recipient public key from `"<suite>:<base64url>"`, or from bare
 * base64 / base64url typed by length (32 bytes → x25519, 1216 → xwing).
 * @throws KeyFormatError on anything else
 */
export function importRecipientPublicKey (text: string): RecipientPublicKey {
  const { suite: named, bytes } = parseSuitePrefixed(text, 'recipient public key')
  const suite: RecipientSuite | undefined = named ??
    (bytes.length === SUITE_SIZES.x25519.publicKey ? 'x25519' : bytes.length === SUITE_SIZES.xwing.publicKey ? 'xwing' : undefined)
  if (suite === undefined || bytes.length !== SUITE_SIZES[suite].publicKey) {
    throw new KeyFormatError(`a recipient public key must be 32 bytes (x25519) or 1216 bytes (xwing), got ${bytes.length}${named === undefined ? '' : ` for ${named}`}`)
  }
  return { type: 'recipient-public', suite, bytes }
}

/**
 * Parse a recipient private key from `"<suite>:<base64url>"`. Bare base64 is
 * accepted only with an explicit `suite`, since X25519 and X-Wing private keys
 * are both 32 bytes.
 * @throws KeyFormatError on anything else
 */
export function importRecipientPrivateKey (text: string, suite?: RecipientSuite): RecipientPrivateKey {
  const { suite: named, bytes } = parseSuitePrefixed(text, 'recipient private key')
  if (named !== undefined && suite !== undefined && named !== suite) throw new KeyFormatError(`the private key is ${named}, not ${suite}`)
  const s = named ?? suite
  if (s === undefined) throw new KeyFormatError('a bare base64 recipient private key needs its suite: write it as "x25519:<base64>" or "xwing:<base64>"')
  if (bytes.length !== SUITE_SIZES[s].privateKey) throw new KeyFormatError(`a ${s} private key must be ${SUITE_SIZES[s].privateKey} bytes, got ${bytes.length}`)
  return { type: 'recipient-private', suite: s, bytes }
}

/**
 * An X25519 public key, or a whole key pair, as an RFC 8037 JWK
 * (`{kty:"OKP", crv:"X25519", x}` plus `d` for a pair).
 * @throws KeyFormatError for X-Wing keys, which have no standard JWK form
 */
export function recipientKeyToJwk (key: RecipientPublicKey | RecipientKeyPair): JsonWebKey {
  const pub = 'type' in key ? key : key.publicKey
  checkRecipientKey(pub, 'recipient-public')
  if (pub.suite !== 'x25519') throw new KeyFormatError('X-Wing keys have no standard JWK form; use the "xwing:<base64url>" text form')
  const jwk: JsonWebKey = { kty: 'OKP', crv: 'X25519', x: toBase64Url(pub.bytes) }
  if (!('type' in key)) {
    checkRecipientKey(key.privateKey, 'recipient-private')
    if (key.privateKey.suite !== 'x25519') throw new KeyFormatError('the key pair mixes suites')
    jwk.d = toBase64Url(key.privateKey.bytes)
  }
  return jwk
}

/**
 * Parse an RFC 8037 X25519 JWK: the public key, plus the private key when
 * `d` is present.
 * @throws KeyFormatError on anything else
 */
export function recipientKeyFromJwk (jwk: JsonWebKey): { publicKey: RecipientPublicKey, privateKey?: RecipientPrivateKey } {
  if (jwk === null || typeof jwk !== 'object' || jwk.kty !== 'OKP' || jwk.crv !== 'X25519' || typeof jwk.x !== 'string') {
    throw new KeyFormatError('a recipient JWK must have kty "OKP", crv "X25519" and an "x" member')
  }
  let x: Uint8Array
  try { x = fromBase64(jwk.x) } catch (err) { throw new KeyFormatError('the JWK "x" is not base64url', { cause: err }) }
  if (x.length !== 32) throw new KeyFormatError('the JWK "x" must be 32 bytes')
  const publicKey: RecipientPublicKey = { type: 'recipient-public', suite: 'x25519', bytes: x }
  if (jwk.d === undefined) return { publicKey }
  let d: Uint8Array
  try { d = fromBase64(jwk.d) } catch (err) { throw new KeyFormatError('the JWK "d" is not base64url', { cause: err }) }
  if (d.length !== 32) throw new KeyFormatError('the JWK "d" must be 32 bytes')
  return { publicKey, privateKey: { type: 'recipient-private', suite: 'x25519', bytes: d } }
}

/**
 * Check the shape of a recipient key object.
 * @throws KeyFormatError when it is not a key of the expected type
 */
export function checkRecipientKey (key: RecipientPublicKey | RecipientPrivateKey, type: 'recipient-public' | 'recipient-private'): void {
  if (key === null || typeof key !== 'object' || key.type !== type || !(key.bytes instanceof Uint8Array) ||
    (key.suite !== 'x25519' && key.suite !== 'xwing')) {
    throw new KeyFormatError(`expected a ${type === 'recipient-public' ? 'recipient public' : 'recipient private'} key object`)
  }
  const size = type === 'recipient-public' ? SUITE_SIZES[key.suite].publicKey : SUITE_SIZES[key.suite].privateKey
  if (key.bytes.length !== size) throw new KeyFormatError(`a ${key.suite} ${type === 'recipient-public' ? 'public' : 'private'} key must be ${size} bytes`)
}
