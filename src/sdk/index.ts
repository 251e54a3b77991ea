/**
 * `repram/sdk`: the REPRAM client and end-to-end encryption, for Node ≥ 20
 * and browsers alike (fetch, WebCrypto, `@noble/*`, `@hpke/*`; no Node-only
 * APIs). Nodes only ever see envelopes: the SDK does all the cryptography.
 * Format: docs/encryption.md. Usage: docs/sdk.md.
 *
 * @example
 * ```ts
 * import {
 *   RepramClient, generateKey, generateRecipientKeyPair, deriveStorageKey, seal, open
 * } from 'repram/sdk'
 *
 * const client = new RepramClient(['http://127.0.0.1:8080', 'http://127.0.0.1:8081'])
 *
 * // plaintext
 * await client.put('hello', 'world', { ttl: 300 })
 * console.log(new TextDecoder().decode((await client.get('hello'))!.value))
 *
 * // raw 256-bit key, opaque storage key: nodes see neither the name nor the data
 * const key = generateKey()
 * const storageKey = deriveStorageKey(key, 'diary/2024-06-01')
 * await client.putEncrypted(storageKey, 'dear diary', { key, ttl: 300 })
 * const rec = await client.getDecrypted(storageKey, { key })
 *
 * // to a recipient (post-quantum hybrid); the sender cannot open it
 * const bob = await generateRecipientKeyPair({ pq: true })
 * const blob = await seal('for Bob', { storageKey: 'inbox/bob/1', recipientPublicKey: bob.publicKey, flagged: true })
 * await client.put('inbox/bob/1', blob, { ttl: 300 })
 * const { plaintext } = await open(blob, { storageKey: 'inbox/bob/1', recipientPrivateKey: bob.privateKey })
 * ```
 */

export {
  RepramClient, encodeKeyPath, parseRetryAfter, httpErrorFor, defaultSleep,
  DEFAULT_MAX_429_RETRIES, DEFAULT_MAX_RETRY_AFTER_MS, DEFAULT_RETRY_AFTER_MS, DEFAULT_TIMEOUT_MS,
  type FetchLike, type SleepFn, type RetryOptions, type RepramClientOptions, type CallOptions, type PutOptions,
  type PutResult, type RecordInfo, type GetResult, type KeysOptions, type KeysPage, type NodeStatus, type NodeHealth,
  type PutEncryptedOptions, type GetDecryptedOptions, type DecryptedRecord
} from './client.js'
export { SseParser, type WatchEvent, type WatchHandle, type WatchOptions } from './watch.js'

export {
  seal, open, openText, parseEnvelopeHeader, envelopeAad,
  ENVELOPE_VERSION, MODE_IDS, SALT_BYTES, NONCE_BYTES, TAG_BYTES, PREFIX_BYTES, HPKE_INFO,
  type EnvelopeMode, type SealOptions, type SealWithPassphrase, type SealWithKey, type SealToRecipient,
  type OpenOptions, type OpenWithPassphrase, type OpenWithKey, type OpenAsRecipient, type OpenResult, type EnvelopeHeader
} from './envelope.js'

export {
  DEFAULT_ARGON2ID_PARAMS, DEFAULT_SCRYPT_PARAMS, DEFAULT_KDF_LIMITS, KDF_ID_ARGON2ID, KDF_ID_SCRYPT,
  type KdfParams, type Argon2idParams, type ScryptParams, type KdfLimits
} from './kdf.js'

export {
  generateKey, randomBytes, exportSymmetricKey, importSymmetricKey, symmetricKeyToJwk, SYMMETRIC_KEY_BYTES,
  generateRecipientKeyPair, deriveRecipientKeyPair, exportRecipientPublicKey, exportRecipientPrivateKey,
  importRecipientPublicKey, importRecipientPrivateKey, recipientKeyToJwk, recipientKeyFromJwk,
  deriveStorageKey,
  type RecipientSuite, type RecipientPublicKey, type RecipientPrivateKey, type RecipientKeyPair, type RecipientKeyOptions,
  type StorageKeyEncoding, type DeriveStorageKeyOptions
} from './keys.js'

export { isComplianceFlagged, looksLikeEnvelope, COMPLIANCE_FLAG, RESERVED_FLAGS_MASK, ENVELOPE_MAGIC } from './flags.js'

export {
  RepramSdkError, RepramHttpError, BadRequestError, NotFoundError, MethodNotAllowedError, PayloadTooLargeError,
  RateLimitedError, UnavailableError, CapacityError, NetworkError, ProtocolError, InvalidRequestError,
  KeyFormatError, EncryptionError, DecryptionError, type DecryptionFailureReason
} from './errors.js'

export { toBase64, toBase64Url, fromBase64, toHex, fromHex, utf8, fromUtf8 } from './encoding.js'

export * from './attest/index.js'

export { parseJurisdictions, isJurisdictionCode, formatJurisdictions, jurisdictionSetError, admits, JURISDICTION_CODE, MAX_JURISDICTIONS } from '../wire/jurisdiction.js'

export {
  generateSigningKey, ed25519Signer, eip1193Signer, signInWithEthereum, signWrite, SignerError,
  type WriteSigner, type SessionSigner, type SignInOptions, type Eip1193Provider, type OwnerProof
} from './owned.js'
export {
  writeSigningBytes, verifyOwnedWrite, ownerOfKey, ownedKeyError, isReservedKey, ed25519Namespace, ethNamespace, verifyDelegation,
  base64url, fromBase64url, WRITE_SIGNING_DOMAIN, SESSION_RESOURCE, PREFIX_RESOURCE, ED25519_MARKER, ETH_MARKER,
  type Owner, type SignedWriteFields, type OwnerRefusal, type Delegation
} from '../wire/owner.js'
export { parseSiwe, serializeSiwe, toChecksumAddress, SiweError, type SiweMessage } from '../wire/siwe.js'
export { personalMessageHash, recoverPersonalSign, personalSign, addressOfPublicKey } from '../wire/eth.js'
