/**
 * Envelope format v1: what the SDK stores instead of plaintext. Specified byte
 * by byte in docs/encryption.md; in short:
 *
 * ```
 * flags(1) "RPE"(3) version=1(1) mode(1) mode-params(…) ‖ ciphertext ‖ tag(16)
 * ```
 *
 * - flags bit 7 = compliance-tracked (the only bit nodes read), bits 6..0 = 0;
 * - mode 1 passphrase: kdf(1) kdf-params salt(16) nonce(12), AES-256-GCM;
 * - mode 2 key: nonce(12), AES-256-GCM with a raw 256-bit key;
 * - mode 3 recipient X25519: enc(32), HPKE base mode DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM;
 * - mode 4 recipient X-Wing: enc(1120), HPKE base mode X-Wing, HKDF-SHA256, AES-256-GCM.
 *
 * AAD = header ‖ u32be(len(K)) ‖ K, with K the UTF-8 storage key, so a changed
 * header bit or a blob moved to another key fails to open.
 *
 * @example
 * ```ts
 * import { seal, open, generateKey } from 'repram/sdk'
 * const key = generateKey()
 * const blob = await seal('hello', { storageKey: 'notes/1', key })
 * const { plaintext } = await open(blob, { storageKey: 'notes/1', key })
 * ```
 */
import { asBufferSource, concatBytes, fromUtf8, toArrayBufferView, utf8 } from './encoding.js'
import { DecryptionError, EncryptionError, KeyFormatError, type DecryptionFailureReason } from './errors.js'
import { COMPLIANCE_FLAG, ENVELOPE_MAGIC, RESERVED_FLAGS_MASK } from './flags.js'
import { recipientSuite, SUITE_SIZES, type RecipientSuite } from './hpke.js'
import {
  DEFAULT_ARGON2ID_PARAMS, DEFAULT_KDF_LIMITS, deriveKeyFromPassphrase, KDF_ID_ARGON2ID, KDF_ID_SCRYPT,
  kdfLimitsProblem, kdfParamsProblem, type KdfLimits, type KdfParams
} from './kdf.js'
import {
  assertSymmetricKey, checkRecipientKey, importRecipientPrivateKey, importRecipientPublicKey, importSymmetricKey, randomBytes,
  type RecipientPrivateKey, type RecipientPublicKey
} from './keys.js'

/** The envelope format version this module writes and reads. */
export const ENVELOPE_VERSION = 1

/** Modes of an envelope, by name. */
export type EnvelopeMode = 'passphrase' | 'key' | 'recipient-x25519' | 'recipient-xwing'

/** Wire value of each mode (byte 5 of the envelope). Append-only. */
export const MODE_IDS: Readonly<Record<EnvelopeMode, number>> = Object.freeze({
  passphrase: 0x01,
  key: 0x02,
  'recipient-x25519': 0x03,
  'recipient-xwing': 0x04
})

/** Salt length of passphrase mode, bytes. */
export const SALT_BYTES = 16
/** AES-GCM nonce length, bytes. */
export const NONCE_BYTES = 12
/** AES-GCM tag length, bytes (also HPKE's AES-256-GCM tag). */
export const TAG_BYTES = 16
/** Length of the fixed prefix: flags, magic, version, mode. */
export const PREFIX_BYTES = 6
/** HPKE `info` of both recipient modes (ASCII). */
export const HPKE_INFO = 'REPRAM envelope v1'

const MODE_BY_ID = new Map<number, EnvelopeMode>(Object.entries(MODE_IDS).map(([k, v]) => [v, k as EnvelopeMode]))

interface SealCommon {
  /** The key the blob will be stored under (bound into the AAD). */
  storageKey: string
  /**
   * Set the compliance-tracked flag (bit 7 of byte 0): nodes then publish
   * signed deletion attestations when the record expires (DESIGN §6).
   * @default false
   */
  flagged?: boolean
}

/** Seal with a passphrase (memory-hard KDF, per-record salt, AES-256-GCM). */
export interface SealWithPassphrase extends SealCommon {
  /** The passphrase; a string is NFC-normalised, then UTF-8 encoded. */
  passphrase: string | Uint8Array
  /** KDF and parameters. @default DEFAULT_ARGON2ID_PARAMS */
  kdf?: KdfParams
  key?: never
  recipientPublicKey?: never
}

/** Seal with a raw 256-bit key (AES-256-GCM). */
export interface SealWithKey extends SealCommon {
  /** The 32-byte key, or its base64 / JWK text form. */
  key: Uint8Array | string
  passphrase?: never
  kdf?: never
  recipientPublicKey?: never
}

/** Seal to a recipient's public key (HPKE); the sender cannot open the result. */
export interface SealToRecipient extends SealCommon {
  /** The recipient's public key, or its `"<suite>:<base64url>"` text form. The suite picks mode 3 or 4. */
  recipientPublicKey: RecipientPublicKey | string
  passphrase?: never
  kdf?: never
  key?: never
}

/** Options of {@link seal}: the storage key, the flag, and exactly one of passphrase, key or recipient public key. */
export type SealOptions = SealWithPassphrase | SealWithKey | SealToRecipient

interface OpenCommon {
  /** The key the blob was read from (must equal the key it was sealed for). */
  storageKey: string
}

/** Open a passphrase envelope. */
export interface OpenWithPassphrase extends OpenCommon {
  /** The passphrase; a string is NFC-normalised, then UTF-8 encoded. */
  passphrase: string | Uint8Array
  /** Bounds on the header's KDF parameters. @default DEFAULT_KDF_LIMITS */
  kdfLimits?: Partial<KdfLimits>
  key?: never
  recipientPrivateKey?: never
}

/** Open a key-mode envelope. */
export interface OpenWithKey extends OpenCommon {
  /** The 32-byte key, or its base64 / JWK text form. */
  key: Uint8Array | string
  passphrase?: never
  kdfLimits?: never
  recipientPrivateKey?: never
}

/** Open a recipient-mode envelope. */
export interface OpenAsRecipient extends OpenCommon {
  /** The recipient's private key, or its `"<suite>:<base64url>"` text form. */
  recipientPrivateKey: RecipientPrivateKey | string
  passphrase?: never
  kdfLimits?: never
  key?: never
}

/** Options of {@link open}: the storage key and the matching key material. */
export type OpenOptions = OpenWithPassphrase | OpenWithKey | OpenAsRecipient

/** What {@link open} returns. */
export interface OpenResult {
  /** The authenticated plaintext. */
  plaintext: Uint8Array
  /** Whether the compliance-tracked flag is set. */
  flagged: boolean
  /** The envelope's mode. */
  mode: EnvelopeMode
  /** The KDF parameters, for passphrase mode. */
  kdf?: KdfParams
}

/** The plaintext header of an envelope, as {@link parseEnvelopeHeader} reads it. */
export interface EnvelopeHeader {
  /** Format version (1). */
  version: number
  /** Compliance-tracked flag. */
  flagged: boolean
  /** Mode. */
  mode: EnvelopeMode
  /** KDF parameters (passphrase mode). */
  kdf?: KdfParams
  /** Salt (passphrase mode). */
  salt?: Uint8Array
  /** AES-GCM nonce (passphrase and key modes). */
  nonce?: Uint8Array
  /** HPKE encapsulated key (recipient modes). */
  enc?: Uint8Array
  /** Length of the header in bytes; the ciphertext starts here. */
  length: number
}

/** A source of random bytes. Injected only to generate deterministic test vectors. */
export type RandomSource = (n: number) => Uint8Array

function fail (reason: DecryptionFailureReason, message: string, cause?: unknown): never {
  throw new DecryptionError(reason, message, cause === undefined ? undefined : { cause })
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * The additional authenticated data of an envelope:
 * `header ‖ u32be(byteLength(K)) ‖ K` with K = UTF-8 of the storage key.
 */
export function envelopeAad (header: Uint8Array, storageKey: string): Uint8Array {
  const k = utf8(storageKey)
  const len = new Uint8Array(4)
  new DataView(len.buffer).setUint32(0, k.length)
  return concatBytes(header, len, k)
}

function kdfParamBytes (kdf: KdfParams): Uint8Array {
  switch (kdf.algorithm) {
    case 'argon2id': {
      const b = new Uint8Array(7)
      b[0] = KDF_ID_ARGON2ID
      b[1] = kdf.iterations
      b[2] = kdf.parallelism
      new DataView(b.buffer).setUint32(3, kdf.memoryKiB)
      return b
    }
    case 'scrypt':
      return new Uint8Array([KDF_ID_SCRYPT, kdf.log2N, kdf.r, kdf.p])
  }
}

function encodePassphrase (passphrase: string | Uint8Array): Uint8Array {
  return typeof passphrase === 'string' ? utf8(passphrase.normalize('NFC')) : passphrase
}

function prefix (flagged: boolean, mode: EnvelopeMode): Uint8Array {
  return new Uint8Array([flagged ? COMPLIANCE_FLAG : 0, ENVELOPE_MAGIC[0], ENVELOPE_MAGIC[1], ENVELOPE_MAGIC[2], ENVELOPE_VERSION, MODE_IDS[mode]])
}

async function aesGcmEncrypt (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
  const k = await globalThis.crypto.subtle.importKey('raw', toArrayBufferView(key), { name: 'AES-GCM' }, false, ['encrypt'])
  const ct = await globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: asBufferSource(nonce), additionalData: asBufferSource(aad), tagLength: 128 }, k, asBufferSource(plaintext))
  return new Uint8Array(ct)
}

async function aesGcmDecrypt (key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
  const k = await globalThis.crypto.subtle.importKey('raw', toArrayBufferView(key), { name: 'AES-GCM' }, false, ['decrypt'])
  const pt = await globalThis.crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: asBufferSource(nonce), additionalData: asBufferSource(aad), tagLength: 128 }, k, asBufferSource(ciphertext))
  return new Uint8Array(pt)
}

function validateStorageKey (storageKey: unknown): string | undefined {
  if (typeof storageKey !== 'string' || storageKey.length === 0) return 'storageKey must be a non-empty string'
  if (LONE_SURROGATE.test(storageKey)) return 'storageKey contains a lone UTF-16 surrogate and has no UTF-8 form'
  return undefined
}

/**
 * Seal `plaintext` into an envelope bound to `options.storageKey`. Exactly one
 * of `passphrase`, `key` or `recipientPublicKey` chooses the mode.
 *
 * @param plaintext - bytes, or a string taken as UTF-8
 * @param options - storage key, key material, flag
 * @returns the envelope bytes to store
 * @throws EncryptionError or KeyFormatError on invalid options
 */
export async function seal (plaintext: Uint8Array | string, options: SealOptions): Promise<Uint8Array> {
  return await sealWithRandomness(plaintext, options, randomBytes)
}

/**
 * {@link seal} with an injected random source, for deterministic test vectors
 * only. Randomness is drawn in a fixed order: passphrase mode salt(16) then
 * nonce(12); key mode nonce(12); recipient modes the ephemeral key material
 * (32 bytes for X25519, fed to `DeriveKeyPair`; 64 bytes for X-Wing).
 * Not re-exported from the package index: never use it in production.
 */
export async function sealWithRandomness (plaintext: Uint8Array | string, options: SealOptions, random: RandomSource): Promise<Uint8Array> {
  const keyProblem = validateStorageKey(options?.storageKey)
  if (keyProblem !== undefined) throw new EncryptionError(keyProblem)
  const pt = typeof plaintext === 'string' ? utf8(plaintext) : plaintext
  if (!(pt instanceof Uint8Array)) throw new EncryptionError('the plaintext must be a Uint8Array or a string')
  const flagged = options.flagged === true
  const given = [options.passphrase !== undefined, options.key !== undefined, options.recipientPublicKey !== undefined].filter(Boolean).length
  if (given !== 1) throw new EncryptionError('seal needs exactly one of passphrase, key or recipientPublicKey')

  if (options.passphrase !== undefined) {
    const kdf = options.kdf ?? DEFAULT_ARGON2ID_PARAMS
    const problem = kdfParamsProblem(kdf)
    if (problem !== undefined) throw new EncryptionError(`invalid KDF parameters: ${problem}`)
    const pass = encodePassphrase(options.passphrase)
    if (!(pass instanceof Uint8Array) || pass.length === 0) throw new EncryptionError('the passphrase must not be empty')
    const salt = random(SALT_BYTES)
    const nonce = random(NONCE_BYTES)
    const header = concatBytes(prefix(flagged, 'passphrase'), kdfParamBytes(kdf), salt, nonce)
    let key: Uint8Array
    try { key = await deriveKeyFromPassphrase(pass, salt, kdf) } catch (err) { throw new EncryptionError('the passphrase KDF failed', { cause: err }) }
    const ct = await wrapEncrypt(async () => await aesGcmEncrypt(key, nonce, pt, envelopeAad(header, options.storageKey)))
    key.fill(0)
    return concatBytes(header, ct)
  }

  if (options.key !== undefined) {
    const key = typeof options.key === 'string' ? importSymmetricKey(options.key) : options.key
    assertSymmetricKey(key)
    const nonce = random(NONCE_BYTES)
    const header = concatBytes(prefix(flagged, 'key'), nonce)
    const ct = await wrapEncrypt(async () => await aesGcmEncrypt(key, nonce, pt, envelopeAad(header, options.storageKey)))
    return concatBytes(header, ct)
  }

  const recipient = typeof options.recipientPublicKey === 'string'
    ? importRecipientPublicKey(options.recipientPublicKey)
    : options.recipientPublicKey as RecipientPublicKey
  checkRecipientKey(recipient, 'recipient-public')
  const mode: EnvelopeMode = recipient.suite === 'x25519' ? 'recipient-x25519' : 'recipient-xwing'
  const suite = recipientSuite(recipient.suite)
  let pk: CryptoKey
  try { pk = await suite.kem.deserializePublicKey(toArrayBufferView(recipient.bytes)) } catch (err) { throw new KeyFormatError(`invalid ${recipient.suite} public key`, { cause: err }) }
  const ekm = random(SUITE_SIZES[recipient.suite].ekm)
  // The header contains `enc`, which only exists after encapsulation, and the
  // AAD must cover the header. So encapsulate first with a context, then seal.
  const ctx = await wrapEncrypt(async () => await suite.createSenderContext({ recipientPublicKey: pk, info: toArrayBufferView(utf8(HPKE_INFO)), ekm: toArrayBufferView(ekm) }))
  const enc = new Uint8Array(ctx.enc)
  if (enc.length !== SUITE_SIZES[recipient.suite].enc) throw new EncryptionError(`unexpected ${recipient.suite} encapsulation length ${enc.length}`)
  const header = concatBytes(prefix(flagged, mode), enc)
  const ct = await wrapEncrypt(async () => new Uint8Array(await ctx.seal(asBufferSource(pt), asBufferSource(envelopeAad(header, options.storageKey)))))
  return concatBytes(header, ct)
}

async function wrapEncrypt<T> (f: () => Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (err) {
    if (err instanceof EncryptionError || err instanceof KeyFormatError) throw err
    throw new EncryptionError('encryption failed', { cause: err })
  }
}

/**
 * Parse the plaintext header of an envelope without decrypting anything. The
 * values are unauthenticated until {@link open} succeeds.
 *
 * @throws DecryptionError (`malformed` or `unsupported`) when it is not a v1 envelope
 */
export function parseEnvelopeHeader (blob: Uint8Array): EnvelopeHeader {
  if (!(blob instanceof Uint8Array)) fail('malformed', 'the envelope must be a Uint8Array')
  if (blob.length < PREFIX_BYTES) fail('malformed', 'the envelope is too short to hold a header')
  if (blob[1] !== ENVELOPE_MAGIC[0] || blob[2] !== ENVELOPE_MAGIC[1] || blob[3] !== ENVELOPE_MAGIC[2]) fail('malformed', 'not a REPRAM envelope (bad magic)')
  const version = blob[4]
  if (version !== ENVELOPE_VERSION) fail('unsupported', `unsupported envelope version ${version}`)
  if ((blob[0] & RESERVED_FLAGS_MASK) !== 0) fail('malformed', 'reserved flag bits are set')
  const flagged = (blob[0] & COMPLIANCE_FLAG) !== 0
  const mode = MODE_BY_ID.get(blob[5])
  if (mode === undefined) fail('unsupported', `unsupported envelope mode ${blob[5]}`)
  const need = (n: number): void => { if (blob.length < n) fail('malformed', 'the envelope is truncated inside its header') }
  let off = PREFIX_BYTES
  switch (mode) {
    case 'passphrase': {
      need(off + 1)
      const kdfId = blob[off]
      let kdf: KdfParams
      if (kdfId === KDF_ID_ARGON2ID) {
        need(off + 7)
        kdf = { algorithm: 'argon2id', iterations: blob[off + 1], parallelism: blob[off + 2], memoryKiB: new DataView(blob.buffer, blob.byteOffset + off + 3, 4).getUint32(0) }
        off += 7
      } else if (kdfId === KDF_ID_SCRYPT) {
        need(off + 4)
        kdf = { algorithm: 'scrypt', log2N: blob[off + 1], r: blob[off + 2], p: blob[off + 3] }
        off += 4
      } else {
        fail('unsupported', `unsupported KDF ${kdfId}`)
      }
      const problem = kdfParamsProblem(kdf)
      if (problem !== undefined) fail('malformed', `invalid KDF parameters: ${problem}`)
      need(off + SALT_BYTES + NONCE_BYTES)
      const salt = blob.slice(off, off + SALT_BYTES)
      const nonce = blob.slice(off + SALT_BYTES, off + SALT_BYTES + NONCE_BYTES)
      off += SALT_BYTES + NONCE_BYTES
      return { version, flagged, mode, kdf, salt, nonce, length: off }
    }
    case 'key': {
      need(off + NONCE_BYTES)
      const nonce = blob.slice(off, off + NONCE_BYTES)
      return { version, flagged, mode, nonce, length: off + NONCE_BYTES }
    }
    case 'recipient-x25519':
    case 'recipient-xwing': {
      const size = SUITE_SIZES[mode === 'recipient-x25519' ? 'x25519' : 'xwing'].enc
      need(off + size)
      return { version, flagged, mode, enc: blob.slice(off, off + size), length: off + size }
    }
  }
}

/**
 * Open an envelope read from `options.storageKey` with the matching key
 * material. Succeeds only if the header, the storage key and the ciphertext
 * are exactly as sealed and the key material is right.
 *
 * @param blob - the stored bytes
 * @param options - storage key and key material
 * @returns the plaintext, the flag and the mode
 * @throws DecryptionError on every failure, with a `reason`
 */
export async function open (blob: Uint8Array, options: OpenOptions): Promise<OpenResult> {
  const keyProblem = validateStorageKey(options?.storageKey)
  if (keyProblem !== undefined) fail('invalid_options', keyProblem)
  const given = [options.passphrase !== undefined, options.key !== undefined, options.recipientPrivateKey !== undefined].filter(Boolean).length
  if (given !== 1) fail('invalid_options', 'open needs exactly one of passphrase, key or recipientPrivateKey')
  const header = parseEnvelopeHeader(blob)
  if (blob.length < header.length + TAG_BYTES) fail('malformed', 'the envelope is truncated (shorter than header plus tag)')
  const headerBytes = blob.subarray(0, header.length)
  const body = blob.subarray(header.length)
  const aad = envelopeAad(headerBytes, options.storageKey)

  switch (header.mode) {
    case 'passphrase': {
      if (options.passphrase === undefined) fail('key_mismatch', 'this envelope is sealed with a passphrase')
      const kdf = header.kdf as KdfParams
      const limits: KdfLimits = { ...DEFAULT_KDF_LIMITS, ...(options.kdfLimits ?? {}) }
      const tooMuch = kdfLimitsProblem(kdf, limits)
      if (tooMuch !== undefined) fail('kdf_limits', `refusing to open: ${tooMuch}`)
      const pass = encodePassphrase(options.passphrase)
      if (!(pass instanceof Uint8Array) || pass.length === 0) fail('invalid_options', 'the passphrase must not be empty')
      let key: Uint8Array
      try { key = await deriveKeyFromPassphrase(pass, header.salt as Uint8Array, kdf) } catch (err) { fail('malformed', 'the passphrase KDF failed', err) }
      try {
        return { plaintext: await aesGcmDecrypt(key, header.nonce as Uint8Array, body, aad), flagged: header.flagged, mode: header.mode, kdf }
      } catch (err) {
        fail('authentication', 'the envelope does not authenticate: wrong passphrase, wrong storage key, or altered data', err)
      } finally {
        key.fill(0)
      }
    }
    // eslint-disable-next-line no-fallthrough
    case 'key': {
      if (options.key === undefined) fail('key_mismatch', 'this envelope is sealed with a raw key')
      let key: Uint8Array
      try {
        key = typeof options.key === 'string' ? importSymmetricKey(options.key) : options.key
        assertSymmetricKey(key)
      } catch (err) { fail('invalid_options', 'the key is not a 256-bit symmetric key', err) }
      try {
        return { plaintext: await aesGcmDecrypt(key, header.nonce as Uint8Array, body, aad), flagged: header.flagged, mode: header.mode }
      } catch (err) {
        fail('authentication', 'the envelope does not authenticate: wrong key, wrong storage key, or altered data', err)
      }
    }
    // eslint-disable-next-line no-fallthrough
    case 'recipient-x25519':
    case 'recipient-xwing': {
      const suiteName: RecipientSuite = header.mode === 'recipient-x25519' ? 'x25519' : 'xwing'
      if (options.recipientPrivateKey === undefined) fail('key_mismatch', `this envelope is sealed to a ${suiteName} recipient public key`)
      let sk: RecipientPrivateKey
      try {
        sk = typeof options.recipientPrivateKey === 'string' ? importRecipientPrivateKey(options.recipientPrivateKey) : options.recipientPrivateKey
        checkRecipientKey(sk, 'recipient-private')
      } catch (err) { fail('invalid_options', 'the recipient private key is malformed', err) }
      if (sk.suite !== suiteName) fail('key_mismatch', `this envelope is sealed to a ${suiteName} recipient, but the private key is ${sk.suite}`)
      const suite = recipientSuite(suiteName)
      try {
        const recipientKey = await suite.kem.deserializePrivateKey(toArrayBufferView(sk.bytes))
        const pt = await suite.open(
          { recipientKey, enc: toArrayBufferView(header.enc as Uint8Array), info: toArrayBufferView(utf8(HPKE_INFO)) },
          asBufferSource(body), asBufferSource(aad))
        return { plaintext: new Uint8Array(pt), flagged: header.flagged, mode: header.mode }
      } catch (err) {
        fail('authentication', 'the envelope does not authenticate: wrong recipient key, wrong storage key, or altered data', err)
      }
    }
  }
}

/** {@link open}, then decode the plaintext as UTF-8 (a `DecryptionError` if it is not valid UTF-8). */
export async function openText (blob: Uint8Array, options: OpenOptions): Promise<string> {
  const { plaintext } = await open(blob, options)
  try { return fromUtf8(plaintext) } catch (err) { fail('malformed', 'the plaintext is not valid UTF-8', err) }
}
