/**
 * Regenerates test/sdk/vectors/envelope-v1.json, the published test vectors
 * of envelope format v1 (docs/encryption.md §Test vectors).
 *
 * Everything is deterministic: the "random" bytes of each vector are
 * SHA-256(label ‖ counter) expanded, recorded in the file as `random_hex`,
 * and recipient key pairs come from `DeriveKeyPair(ikm)`. Running this twice
 * gives the same file byte for byte; `test/sdk/vectors.test.ts` checks that
 * the committed file still matches the code.
 *
 * Run: `npx tsx test/sdk/vectors/generate.ts` (add `--check` to compare
 * without writing; exits 1 on any difference).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sha256 } from '@noble/hashes/sha2.js'
import { sealWithRandomness, envelopeAad, parseEnvelopeHeader, type SealOptions } from '../../../src/sdk/envelope.js'
import { concatBytes, toHex, utf8, fromHex } from '../../../src/sdk/encoding.js'
import { deriveRecipientKeyPair, exportRecipientPrivateKey, exportRecipientPublicKey, exportSymmetricKey } from '../../../src/sdk/keys.js'
import type { KdfParams } from '../../../src/sdk/kdf.js'
import { DEFAULT_ARGON2ID_PARAMS } from '../../../src/sdk/kdf.js'

/** Where the committed vectors live. */
export const VECTORS_PATH = fileURLToPath(new URL('./envelope-v1.json', import.meta.url))

/** A deterministic byte stream: SHA-256(label ‖ u32be(counter)) blocks, consumed in order. */
export function deterministicRandom (label: string): (n: number) => Uint8Array {
  let counter = 0
  let pool: Uint8Array = new Uint8Array(0)
  return (n: number) => {
    while (pool.length < n) {
      const c = new Uint8Array(4)
      new DataView(c.buffer).setUint32(0, counter++)
      pool = concatBytes(pool, sha256(concatBytes(utf8(label), c)))
    }
    const out = pool.slice(0, n)
    pool = pool.slice(n)
    return out
  }
}

/** Records every byte a random source hands out. */
function recording (source: (n: number) => Uint8Array): { random: (n: number) => Uint8Array, taken: () => Uint8Array } {
  const parts: Uint8Array[] = []
  return {
    random: (n: number) => { const b = source(n); parts.push(b); return b },
    taken: () => concatBytes(...parts)
  }
}

interface PositiveSpec {
  name: string
  description: string
  storageKey: string
  plaintext: Uint8Array
  flagged: boolean
  material:
  | { kind: 'key', key: Uint8Array }
  | { kind: 'passphrase', passphrase: string, kdf: KdfParams }
  | { kind: 'recipient', pq: boolean, ikm: Uint8Array }
}

/** One positive vector as stored in the JSON file. */
export interface PositiveVector {
  name: string
  description: string
  mode: string
  storage_key: string
  flagged: boolean
  plaintext_hex: string
  key_b64url?: string
  passphrase?: string
  kdf?: KdfParams
  recipient_ikm_hex?: string
  recipient_public_key?: string
  recipient_private_key?: string
  random_hex: string
  header_hex: string
  aad_hex: string
  blob_hex: string
}

/** One negative vector: must fail to open with `expect_reason`. */
export interface NegativeVector {
  name: string
  description: string
  storage_key: string
  blob_hex: string
  key_b64url?: string
  passphrase?: string
  recipient_private_key?: string
  expect_reason: string
}

/** The JSON file. */
export interface VectorFile {
  format: string
  version: number
  note: string
  vectors: PositiveVector[]
  invalid: NegativeVector[]
}

const LIGHT_ARGON2ID: KdfParams = { algorithm: 'argon2id', memoryKiB: 64, iterations: 1, parallelism: 1 }
const LIGHT_SCRYPT: KdfParams = { algorithm: 'scrypt', log2N: 10, r: 8, p: 1 }

const specs: PositiveSpec[] = [
  {
    name: 'key-basic',
    description: 'raw 256-bit key, ASCII plaintext, not flagged',
    storageKey: 'vectors/key-basic',
    plaintext: utf8('hello, REPRAM'),
    flagged: false,
    material: { kind: 'key', key: fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f') }
  },
  {
    name: 'key-empty-flagged',
    description: 'raw key, empty plaintext, compliance flag set (byte 0 = 0x80)',
    storageKey: 'vectors/key-empty-flagged',
    plaintext: new Uint8Array(0),
    flagged: true,
    material: { kind: 'key', key: fromHex('1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100') }
  },
  {
    name: 'key-unicode-storage-key',
    description: 'raw key, 256 binary bytes, a storage key with non-ASCII characters (AAD uses its UTF-8 bytes)',
    storageKey: 'vectors/ключ/🔑 space',
    plaintext: Uint8Array.from({ length: 256 }, (_, i) => i),
    flagged: false,
    material: { kind: 'key', key: sha256(utf8('repram vector key 3')) }
  },
  {
    name: 'passphrase-argon2id-light',
    description: 'passphrase, Argon2id with light parameters (m=64 KiB, t=1, p=1) so checks run fast',
    storageKey: 'vectors/passphrase-argon2id-light',
    plaintext: utf8('secret sauce'),
    flagged: false,
    material: { kind: 'passphrase', passphrase: 'correct horse battery staple', kdf: LIGHT_ARGON2ID }
  },
  {
    name: 'passphrase-scrypt-light',
    description: 'passphrase, scrypt with light parameters (N=2^10, r=8, p=1)',
    storageKey: 'vectors/passphrase-scrypt-light',
    plaintext: utf8('scrypt works too'),
    flagged: true,
    material: { kind: 'passphrase', passphrase: 'pässwörd (NFC)', kdf: LIGHT_SCRYPT }
  },
  {
    name: 'passphrase-argon2id-default',
    description: 'passphrase with the SDK default parameters (Argon2id m=19456 KiB, t=2, p=1)',
    storageKey: 'vectors/passphrase-argon2id-default',
    plaintext: utf8('default parameters'),
    flagged: false,
    material: { kind: 'passphrase', passphrase: 'a long and memorable passphrase', kdf: DEFAULT_ARGON2ID_PARAMS }
  },
  {
    name: 'recipient-x25519',
    description: 'HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM; recipient = DeriveKeyPair(ikm); ephemeral = DeriveKeyPair(random_hex)',
    storageKey: 'vectors/recipient-x25519',
    plaintext: utf8('for the recipient only'),
    flagged: true,
    material: { kind: 'recipient', pq: false, ikm: sha256(utf8('repram vector recipient x25519')) }
  },
  {
    name: 'recipient-xwing',
    description: 'HPKE base mode, X-Wing (ML-KEM-768 + X25519), HKDF-SHA256, AES-256-GCM; recipient seed = SHAKE256(ikm); encapsulation randomness = random_hex (64 bytes)',
    storageKey: 'vectors/recipient-xwing',
    plaintext: utf8('post-quantum hello'),
    flagged: false,
    material: { kind: 'recipient', pq: true, ikm: sha256(utf8('repram vector recipient xwing')) }
  }
]

async function positive (spec: PositiveSpec): Promise<PositiveVector> {
  const rec = recording(deterministicRandom(`repram envelope v1 vector ${spec.name}`))
  const base = { storageKey: spec.storageKey, flagged: spec.flagged }
  const out: Partial<PositiveVector> = {
    name: spec.name,
    description: spec.description,
    storage_key: spec.storageKey,
    flagged: spec.flagged,
    plaintext_hex: toHex(spec.plaintext)
  }
  let options: SealOptions
  switch (spec.material.kind) {
    case 'key':
      options = { ...base, key: spec.material.key }
      out.key_b64url = exportSymmetricKey(spec.material.key)
      break
    case 'passphrase':
      options = { ...base, passphrase: spec.material.passphrase, kdf: spec.material.kdf }
      out.passphrase = spec.material.passphrase
      out.kdf = spec.material.kdf
      break
    case 'recipient': {
      const pair = await deriveRecipientKeyPair(spec.material.ikm, { pq: spec.material.pq })
      options = { ...base, recipientPublicKey: pair.publicKey }
      out.recipient_ikm_hex = toHex(spec.material.ikm)
      out.recipient_public_key = exportRecipientPublicKey(pair.publicKey)
      out.recipient_private_key = exportRecipientPrivateKey(pair.privateKey)
      break
    }
  }
  const blob = await sealWithRandomness(spec.plaintext, options, rec.random)
  const header = parseEnvelopeHeader(blob)
  out.mode = header.mode
  out.random_hex = toHex(rec.taken())
  out.header_hex = toHex(blob.subarray(0, header.length))
  out.aad_hex = toHex(envelopeAad(blob.subarray(0, header.length), spec.storageKey))
  out.blob_hex = toHex(blob)
  // fixed key order, so the file diffs cleanly
  const ordered: PositiveVector = {
    name: out.name!,
    description: out.description!,
    mode: out.mode,
    storage_key: out.storage_key!,
    flagged: out.flagged!,
    plaintext_hex: out.plaintext_hex!,
    ...(out.key_b64url !== undefined ? { key_b64url: out.key_b64url } : {}),
    ...(out.passphrase !== undefined ? { passphrase: out.passphrase, kdf: out.kdf } : {}),
    ...(out.recipient_ikm_hex !== undefined
      ? { recipient_ikm_hex: out.recipient_ikm_hex, recipient_public_key: out.recipient_public_key, recipient_private_key: out.recipient_private_key }
      : {}),
    random_hex: out.random_hex,
    header_hex: out.header_hex,
    aad_hex: out.aad_hex,
    blob_hex: out.blob_hex
  }
  return ordered
}

function mutate (hex: string, f: (b: Uint8Array) => Uint8Array): string {
  return toHex(f(fromHex(hex)))
}

function negatives (v: PositiveVector[]): NegativeVector[] {
  const byName = new Map(v.map(x => [x.name, x]))
  const key = byName.get('key-basic')!
  const flaggedKey = byName.get('key-empty-flagged')!
  const unicode = byName.get('key-unicode-storage-key')!
  const pass = byName.get('passphrase-argon2id-light')!
  const x25519 = byName.get('recipient-x25519')!
  const xwing = byName.get('recipient-xwing')!
  const withKey = (name: string, description: string, blobHex: string, reason: string, storageKey = key.storage_key, k = key.key_b64url!): NegativeVector =>
    ({ name, description, storage_key: storageKey, blob_hex: blobHex, key_b64url: k, expect_reason: reason })
  const flip = (i: number, mask: number) => (b: Uint8Array): Uint8Array => { const c = b.slice(); c[i < 0 ? c.length + i : i] ^= mask; return c }
  return [
    withKey('moved-to-other-key', 'key-basic blob read from another storage key', key.blob_hex, 'authentication', 'vectors/somewhere-else'),
    withKey('flag-bit-set', 'key-basic with the compliance flag turned on (header is AAD)', mutate(key.blob_hex, flip(0, 0x80)), 'authentication'),
    withKey('flag-bit-cleared', 'key-empty-flagged with the compliance flag turned off', mutate(flaggedKey.blob_hex, flip(0, 0x80)), 'authentication', flaggedKey.storage_key, flaggedKey.key_b64url!),
    withKey('nonce-changed', 'key-basic with one nonce bit flipped', mutate(key.blob_hex, flip(6, 0x01)), 'authentication'),
    withKey('ciphertext-changed', 'key-basic with one ciphertext bit flipped', mutate(key.blob_hex, flip(18, 0x01)), 'authentication'),
    withKey('tag-changed', 'key-basic with the last tag bit flipped', mutate(key.blob_hex, flip(-1, 0x01)), 'authentication'),
    withKey('truncated-tag', 'key-basic without its last byte', key.blob_hex.slice(0, -2), 'authentication'),
    withKey('truncated-below-tag', 'key-basic cut to header plus 15 bytes', key.blob_hex.slice(0, (18 + 15) * 2), 'malformed'),
    withKey('truncated-header', 'key-basic cut inside its nonce', key.blob_hex.slice(0, 10 * 2), 'malformed'),
    withKey('wrong-key', 'key-basic opened with key-empty-flagged\'s key', key.blob_hex, 'authentication', key.storage_key, flaggedKey.key_b64url!),
    withKey('reserved-flag-bit', 'key-basic with reserved flag bit 0 set', mutate(key.blob_hex, flip(0, 0x01)), 'malformed'),
    withKey('bad-magic', 'key-basic with magic "RPF"', mutate(key.blob_hex, flip(3, 0x03)), 'malformed'),
    withKey('version-2', 'key-basic claiming version 2', mutate(key.blob_hex, b => { const c = b.slice(); c[4] = 2; return c }), 'unsupported'),
    withKey('unknown-mode', 'key-basic claiming mode 0x09', mutate(key.blob_hex, b => { const c = b.slice(); c[5] = 9; return c }), 'unsupported'),
    withKey('mode-changed-to-recipient', 'key-unicode-storage-key claiming mode 3 (recipient X25519), opened with the key', mutate(unicode.blob_hex, b => { const c = b.slice(); c[5] = 3; return c }), 'key_mismatch', unicode.storage_key, unicode.key_b64url!),
    {
      name: 'wrong-passphrase',
      description: 'passphrase-argon2id-light opened with another passphrase',
      storage_key: pass.storage_key,
      blob_hex: pass.blob_hex,
      passphrase: 'Correct horse battery staple',
      expect_reason: 'authentication'
    },
    {
      name: 'kdf-params-changed',
      description: 'passphrase-argon2id-light with t changed from 1 to 2',
      storage_key: pass.storage_key,
      blob_hex: mutate(pass.blob_hex, b => { const c = b.slice(); c[7] = 2; return c }),
      passphrase: pass.passphrase!,
      expect_reason: 'authentication'
    },
    {
      name: 'kdf-over-limits',
      description: 'passphrase-argon2id-light claiming m = 4 GiB - 1 KiB: refused before any KDF work',
      storage_key: pass.storage_key,
      blob_hex: mutate(pass.blob_hex, b => { const c = b.slice(); new DataView(c.buffer).setUint32(9, 0xffffffff); return c }),
      passphrase: pass.passphrase!,
      expect_reason: 'kdf_limits'
    },
    {
      name: 'x25519-enc-changed',
      description: 'recipient-x25519 with one bit of the encapsulated key flipped',
      storage_key: x25519.storage_key,
      blob_hex: mutate(x25519.blob_hex, flip(10, 0x01)),
      recipient_private_key: x25519.recipient_private_key!,
      expect_reason: 'authentication'
    },
    {
      name: 'x25519-moved',
      description: 'recipient-x25519 read from another storage key',
      storage_key: 'vectors/recipient-x25519-copy',
      blob_hex: x25519.blob_hex,
      recipient_private_key: x25519.recipient_private_key!,
      expect_reason: 'authentication'
    },
    {
      name: 'xwing-wrong-suite-key',
      description: 'recipient-xwing opened with the x25519 private key',
      storage_key: xwing.storage_key,
      blob_hex: xwing.blob_hex,
      recipient_private_key: x25519.recipient_private_key!,
      expect_reason: 'key_mismatch'
    },
    {
      name: 'xwing-ciphertext-changed',
      description: 'recipient-xwing with one ciphertext bit flipped',
      storage_key: xwing.storage_key,
      blob_hex: mutate(xwing.blob_hex, flip(1126, 0x80)),
      recipient_private_key: xwing.recipient_private_key!,
      expect_reason: 'authentication'
    }
  ]
}

/** Build the whole vector file. */
export async function buildVectorFile (): Promise<VectorFile> {
  const vectors: PositiveVector[] = []
  for (const s of specs) vectors.push(await positive(s))
  return {
    format: 'REPRAM envelope',
    version: 1,
    note: 'Specification: docs/encryption.md. Hex is lower case; keys are in the SDK text forms (base64url, "<suite>:<base64url>"). random_hex is every random byte seal() consumed, in order. Regenerate with: npx tsx test/sdk/vectors/generate.ts',
    vectors,
    invalid: negatives(vectors)
  }
}

/** The file's exact text: 2-space JSON plus a final newline. */
export function serialise (file: VectorFile): string {
  return JSON.stringify(file, null, 2) + '\n'
}

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]
if (invokedDirectly) {
  const text = serialise(await buildVectorFile())
  if (process.argv.includes('--check')) {
    const current = readFileSync(VECTORS_PATH, 'utf8')
    if (current !== text) {
      console.error('test/sdk/vectors/envelope-v1.json differs from what the code generates')
      process.exit(1)
    }
    console.log('vectors match')
  } else {
    writeFileSync(VECTORS_PATH, text)
    console.log(`wrote ${VECTORS_PATH}`)
  }
}
