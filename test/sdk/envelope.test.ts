import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  DecryptionError, DEFAULT_ARGON2ID_PARAMS, EncryptionError, generateKey, generateRecipientKeyPair, isComplianceFlagged,
  KeyFormatError, looksLikeEnvelope, open, openText, parseEnvelopeHeader, seal, exportRecipientPrivateKey,
  exportSymmetricKey, type OpenOptions, type SealOptions, type RecipientKeyPair
} from '../../src/sdk/index.js'
import { sealWithRandomness } from '../../src/sdk/envelope.js'
import { LIGHT_ARGON2ID, LIGHT_SCRYPT } from './helpers.js'

const enc = new TextEncoder()
const dec = new TextDecoder()

/** Assert that `p` rejects with a DecryptionError, optionally of a given reason. */
async function expectDecryptionError (p: Promise<unknown>, reason?: string): Promise<DecryptionError> {
  let caught: unknown
  try { await p } catch (err) { caught = err }
  expect(caught, 'expected a DecryptionError, got success').toBeInstanceOf(DecryptionError)
  const err = caught as DecryptionError
  expect(err.name).toBe('DecryptionError')
  if (reason !== undefined) expect(err.reason).toBe(reason)
  return err
}

interface ModeCase {
  name: string
  seal: (storageKey: string) => Omit<SealOptions, 'storageKey'>
  open: () => Omit<OpenOptions, 'storageKey'>
  wrong: () => Omit<OpenOptions, 'storageKey'>
}

const key = generateKey()
const otherKey = generateKey()
const pairs: Record<string, RecipientKeyPair> = {
  x25519: await generateRecipientKeyPair(),
  x25519b: await generateRecipientKeyPair(),
  xwing: await generateRecipientKeyPair({ pq: true }),
  xwingb: await generateRecipientKeyPair({ pq: true })
}

const modes: ModeCase[] = [
  {
    name: 'key',
    seal: () => ({ key }),
    open: () => ({ key }),
    wrong: () => ({ key: otherKey })
  },
  {
    name: 'passphrase (argon2id)',
    seal: () => ({ passphrase: 'hunter2 is not a passphrase', kdf: LIGHT_ARGON2ID }),
    open: () => ({ passphrase: 'hunter2 is not a passphrase' }),
    wrong: () => ({ passphrase: 'hunter3 is not a passphrase' })
  },
  {
    name: 'passphrase (scrypt)',
    seal: () => ({ passphrase: 'scrypt passphrase', kdf: LIGHT_SCRYPT }),
    open: () => ({ passphrase: 'scrypt passphrase' }),
    wrong: () => ({ passphrase: 'scrypt passphrasE' })
  },
  {
    name: 'recipient x25519',
    seal: () => ({ recipientPublicKey: pairs.x25519.publicKey }),
    open: () => ({ recipientPrivateKey: pairs.x25519.privateKey }),
    wrong: () => ({ recipientPrivateKey: pairs.x25519b.privateKey })
  },
  {
    name: 'recipient x-wing (post-quantum)',
    seal: () => ({ recipientPublicKey: pairs.xwing.publicKey }),
    open: () => ({ recipientPrivateKey: pairs.xwing.privateKey }),
    wrong: () => ({ recipientPrivateKey: pairs.xwingb.privateKey })
  }
]

const S = (o: object, storageKey: string): SealOptions => ({ ...o, storageKey }) as SealOptions
const O = (o: object, storageKey: string): OpenOptions => ({ ...o, storageKey }) as OpenOptions

describe.each(modes)('envelope mode $name', (m) => {
  it('round-trips text, binary, empty and 1 MiB values', async () => {
    const sk = 'app/records/1'
    const big = new Uint8Array(1024 * 1024)
    for (let i = 0; i < big.length; i += 65536) globalThis.crypto.getRandomValues(big.subarray(i, i + 65536))
    for (const value of [enc.encode('hello'), new Uint8Array([0, 255, 1, 254]), new Uint8Array(0), big]) {
      const blob = await seal(value, S(m.seal(sk), sk))
      expect(looksLikeEnvelope(blob)).toBe(true)
      const r = await open(blob, O(m.open(), sk))
      // Buffer.equals: vitest's deep equality is slow on a 1 MiB array
      expect(r.plaintext.length).toBe(value.length)
      expect(Buffer.from(r.plaintext).equals(value)).toBe(true)
      expect(r.flagged).toBe(false)
    }
    expect(await openText(await seal('grüße 🔑', S(m.seal(sk), sk)), O(m.open(), sk))).toBe('grüße 🔑')
  })

  it('sets the compliance flag in the first bit only when asked', async () => {
    const sk = 'flags/1'
    const flagged = await seal('x', { ...S(m.seal(sk), sk), flagged: true })
    const plain = await seal('x', S(m.seal(sk), sk))
    expect(flagged[0]).toBe(0x80)
    expect(plain[0]).toBe(0x00)
    expect(isComplianceFlagged(flagged)).toBe(true)
    expect(isComplianceFlagged(plain)).toBe(false)
    expect((await open(flagged, O(m.open(), sk))).flagged).toBe(true)
  })

  it('fails with DecryptionError when the blob is moved to another storage key', async () => {
    const blob = await seal('moving', S(m.seal('a/1'), 'a/1'))
    await expectDecryptionError(open(blob, O(m.open(), 'a/2')), 'authentication')
    await expectDecryptionError(open(blob, O(m.open(), 'a/1 ')), 'authentication')
  })

  it('fails with DecryptionError when the compliance flag is flipped', async () => {
    const blob = await seal('flag', S(m.seal('k'), 'k'))
    blob[0] ^= 0x80
    await expectDecryptionError(open(blob, O(m.open(), 'k')), 'authentication')
  })

  it('fails with DecryptionError with the wrong key material', async () => {
    const blob = await seal('secret', S(m.seal('k'), 'k'))
    await expectDecryptionError(open(blob, O(m.wrong(), 'k')), 'authentication')
  })

  it('fails with DecryptionError when any single bit of the blob changes', async () => {
    const blob = await seal('tamper me', S(m.seal('k'), 'k'))
    // every byte for short blobs; for X-Wing's 1.1 KiB header, a spread of positions plus the tail
    const positions = blob.length <= 128
      ? [...blob.keys()]
      : [...new Set([0, 1, 4, 5, 6, 7, 100, 500, 1000, 1125, 1126, ...Array.from({ length: 16 }, (_, i) => blob.length - 1 - i)])]
    for (const i of positions) {
      // alternate the low and the high bit, so both ends of every byte region are covered
      const t = blob.slice()
      t[i] ^= i % 2 === 0 ? 0x01 : 0x80
      await expectDecryptionError(open(t, O(m.open(), 'k')))
    }
  })

  it('fails with DecryptionError when truncated or extended', async () => {
    const blob = await seal('truncate me', S(m.seal('k'), 'k'))
    const lengths = blob.length <= 128 ? [...blob.keys()] : [0, 3, 6, 7, 37, 38, 100, 1125, 1126, 1141, blob.length - 2, blob.length - 1]
    for (const n of lengths) await expectDecryptionError(open(blob.subarray(0, n), O(m.open(), 'k')))
    const longer = new Uint8Array(blob.length + 1)
    longer.set(blob)
    await expectDecryptionError(open(longer, O(m.open(), 'k')), 'authentication')
  })

  it('uses fresh randomness: the same plaintext seals differently each time', async () => {
    const a = await seal('same', S(m.seal('k'), 'k'))
    const b = await seal('same', S(m.seal('k'), 'k'))
    expect(a).not.toEqual(b)
  })
})

describe('recipient modes', () => {
  it('the sender cannot open what it sealed to a recipient', async () => {
    const sender = await generateRecipientKeyPair()
    const recipient = await generateRecipientKeyPair()
    const blob = await seal('for your eyes only', { storageKey: 'mail/1', recipientPublicKey: recipient.publicKey })
    // the sender has its own private key, the recipient's public key, and the blob
    await expectDecryptionError(open(blob, { storageKey: 'mail/1', recipientPrivateKey: sender.privateKey }), 'authentication')
    await expectDecryptionError(open(blob, { storageKey: 'mail/1', recipientPrivateKey: recipient.publicKey as never }), 'invalid_options')
    await expectDecryptionError(open(blob, { storageKey: 'mail/1', key: recipient.publicKey.bytes.slice(0, 32) }), 'key_mismatch')
    // and the recipient can
    expect(dec.decode((await open(blob, { storageKey: 'mail/1', recipientPrivateKey: recipient.privateKey })).plaintext)).toBe('for your eyes only')
  })

  it('the post-quantum sender cannot open what it sealed either', async () => {
    const sender = await generateRecipientKeyPair({ pq: true })
    const recipient = await generateRecipientKeyPair({ pq: true })
    const blob = await seal('pq', { storageKey: 'mail/2', recipientPublicKey: recipient.publicKey })
    await expectDecryptionError(open(blob, { storageKey: 'mail/2', recipientPrivateKey: sender.privateKey }), 'authentication')
  })

  it('an X-Wing envelope refuses an X25519 private key and vice versa', async () => {
    const pq = await seal('pq', { storageKey: 'k', recipientPublicKey: pairs.xwing.publicKey })
    const classic = await seal('c', { storageKey: 'k', recipientPublicKey: pairs.x25519.publicKey })
    await expectDecryptionError(open(pq, { storageKey: 'k', recipientPrivateKey: pairs.x25519.privateKey }), 'key_mismatch')
    await expectDecryptionError(open(classic, { storageKey: 'k', recipientPrivateKey: pairs.xwing.privateKey }), 'key_mismatch')
  })

  it('accepts keys in their text form', async () => {
    const blob = await seal('text keys', { storageKey: 'k', recipientPublicKey: `x25519:${Buffer.from(pairs.x25519.publicKey.bytes).toString('base64url')}` })
    const r = await open(blob, { storageKey: 'k', recipientPrivateKey: exportRecipientPrivateKey(pairs.x25519.privateKey) })
    expect(dec.decode(r.plaintext)).toBe('text keys')
    expect(r.mode).toBe('recipient-x25519')
  })

  it('puts the 32-byte X25519 and 1120-byte X-Wing encapsulations in the header', async () => {
    const a = parseEnvelopeHeader(await seal('', { storageKey: 'k', recipientPublicKey: pairs.x25519.publicKey }))
    const b = parseEnvelopeHeader(await seal('', { storageKey: 'k', recipientPublicKey: pairs.xwing.publicKey }))
    expect([a.mode, a.enc?.length, a.length]).toEqual(['recipient-x25519', 32, 38])
    expect([b.mode, b.enc?.length, b.length]).toEqual(['recipient-xwing', 1120, 1126])
  })
})

describe('passphrase mode', () => {
  it('defaults to Argon2id m=19456 KiB t=2 p=1 and records it in the header', async () => {
    expect(DEFAULT_ARGON2ID_PARAMS).toEqual({ algorithm: 'argon2id', memoryKiB: 19456, iterations: 2, parallelism: 1 })
    const t0 = performance.now()
    const blob = await seal('default cost', { storageKey: 'k', passphrase: 'pw' })
    const sealMs = performance.now() - t0
    const h = parseEnvelopeHeader(blob)
    expect(h.kdf).toEqual(DEFAULT_ARGON2ID_PARAMS)
    expect(h.salt?.length).toBe(16)
    expect(h.nonce?.length).toBe(12)
    expect(h.length).toBe(6 + 7 + 16 + 12)
    // the default must cost at least ~50 ms (it is ~250–300 ms on the project machine)
    expect(sealMs).toBeGreaterThan(50)
    expect(dec.decode((await open(blob, { storageKey: 'k', passphrase: 'pw' })).plaintext)).toBe('default cost')
  })

  it('NFC-normalises string passphrases, so composed and decomposed forms agree', async () => {
    const blob = await seal('x', { storageKey: 'k', passphrase: 'caf\u00e9', kdf: LIGHT_SCRYPT })
    expect(dec.decode((await open(blob, { storageKey: 'k', passphrase: 'cafe\u0301' })).plaintext)).toBe('x')
  })

  it('refuses hostile KDF parameters before doing the work', async () => {
    const blob = await seal('x', { storageKey: 'k', passphrase: 'pw', kdf: LIGHT_ARGON2ID })
    const hostile = blob.slice()
    new DataView(hostile.buffer).setUint32(9, 4 * 1024 * 1024) // m = 4 GiB
    const t0 = performance.now()
    const err = await expectDecryptionError(open(hostile, { storageKey: 'k', passphrase: 'pw' }), 'kdf_limits')
    expect(performance.now() - t0).toBeLessThan(1000)
    expect(err.message).toMatch(/memory/)
    // heavy-but-legitimate parameters open once the caller raises the limits
    const heavy = await seal('y', { storageKey: 'k', passphrase: 'pw', kdf: { algorithm: 'scrypt', log2N: 11, r: 8, p: 1 } })
    await expectDecryptionError(open(heavy, { storageKey: 'k', passphrase: 'pw', kdfLimits: { scryptMaxWork: 1024 } }), 'kdf_limits')
    expect(dec.decode((await open(heavy, { storageKey: 'k', passphrase: 'pw', kdfLimits: { scryptMaxWork: 2 ** 14 } })).plaintext)).toBe('y')
  })

  it('rejects an empty passphrase and invalid KDF parameters when sealing', async () => {
    await expect(seal('x', { storageKey: 'k', passphrase: '' })).rejects.toBeInstanceOf(EncryptionError)
    await expect(seal('x', { storageKey: 'k', passphrase: 'pw', kdf: { algorithm: 'argon2id', memoryKiB: 4, iterations: 1, parallelism: 1 } })).rejects.toThrow(/memoryKiB/)
    await expect(seal('x', { storageKey: 'k', passphrase: 'pw', kdf: { algorithm: 'scrypt', log2N: 0, r: 8, p: 1 } })).rejects.toThrow(/log2N/)
  })
})

describe('envelope header and options', () => {
  it('rejects an unknown version, an unknown mode and reserved flag bits', async () => {
    const blob = await seal('x', { storageKey: 'k', key })
    const v2 = blob.slice(); v2[4] = 2
    const m9 = blob.slice(); m9[5] = 9
    const r = blob.slice(); r[0] |= 0x40
    await expectDecryptionError(open(v2, { storageKey: 'k', key }), 'unsupported')
    await expectDecryptionError(open(m9, { storageKey: 'k', key }), 'unsupported')
    await expectDecryptionError(open(r, { storageKey: 'k', key }), 'malformed')
    await expectDecryptionError(open(enc.encode('plain text value'), { storageKey: 'k', key }), 'malformed')
  })

  it('fails on the wrong kind of key material with key_mismatch', async () => {
    const blob = await seal('x', { storageKey: 'k', key })
    await expectDecryptionError(open(blob, { storageKey: 'k', passphrase: 'pw' }), 'key_mismatch')
    await expectDecryptionError(open(blob, { storageKey: 'k', recipientPrivateKey: pairs.x25519.privateKey }), 'key_mismatch')
  })

  it('never throws anything but DecryptionError from open, even on nonsense options', async () => {
    const blob = await seal('x', { storageKey: 'k', key })
    await expectDecryptionError(open(blob, { storageKey: 'k' } as OpenOptions), 'invalid_options')
    await expectDecryptionError(open(blob, { storageKey: 'k', key, passphrase: 'pw' } as unknown as OpenOptions), 'invalid_options')
    await expectDecryptionError(open(blob, { storageKey: '', key }), 'invalid_options')
    await expectDecryptionError(open(blob, { storageKey: 'k', key: new Uint8Array(16) }), 'invalid_options')
    await expectDecryptionError(open(blob, { storageKey: 'k', key: 'not base64!' }), 'invalid_options')
    await expectDecryptionError(open('nope' as unknown as Uint8Array, { storageKey: 'k', key }), 'malformed')
  })

  it('accepts the base64url text form of a symmetric key', async () => {
    const blob = await seal('x', { storageKey: 'k', key: exportSymmetricKey(key) })
    expect((await open(blob, { storageKey: 'k', key })).plaintext).toEqual(enc.encode('x'))
  })

  it('validates seal options with typed errors', async () => {
    await expect(seal('x', { storageKey: 'k' } as SealOptions)).rejects.toBeInstanceOf(EncryptionError)
    await expect(seal('x', { storageKey: 'k', key, passphrase: 'pw' } as unknown as SealOptions)).rejects.toBeInstanceOf(EncryptionError)
    await expect(seal('x', { storageKey: '', key })).rejects.toBeInstanceOf(EncryptionError)
    await expect(seal('x', { storageKey: 'bad \ud800', key })).rejects.toThrow(/surrogate/)
    await expect(seal('x', { storageKey: 'k', key: new Uint8Array(31) })).rejects.toBeInstanceOf(KeyFormatError)
    await expect(seal('x', { storageKey: 'k', recipientPublicKey: 'x25519:AAAA' })).rejects.toBeInstanceOf(KeyFormatError)
  })

  it('lays out the key-mode header as flags, "RPE", version 1, mode 2, nonce', async () => {
    const nonce = Uint8Array.from({ length: 12 }, (_, i) => i + 1)
    const blob = await sealWithRandomness('abc', { storageKey: 'k', key, flagged: true }, (n) => nonce.slice(0, n))
    expect([...blob.subarray(0, 18)]).toEqual([0x80, 0x52, 0x50, 0x45, 0x01, 0x02, ...nonce])
    expect(blob.length).toBe(18 + 3 + 16)
  })
})

describe('flags module', () => {
  it('imports nothing, so nodes can read the flag without loading cryptography', () => {
    const src = readFileSync(fileURLToPath(new URL('../../src/sdk/flags.ts', import.meta.url)), 'utf8')
    expect(src).not.toMatch(/^\s*import\s/m)
    expect(src).not.toMatch(/\bimport\(/)
  })

  it('reads only the first bit', () => {
    expect(isComplianceFlagged(new Uint8Array([0x80]))).toBe(true)
    expect(isComplianceFlagged(new Uint8Array([0xff, 0, 0]))).toBe(true)
    expect(isComplianceFlagged(new Uint8Array([0x7f, 0x52, 0x50, 0x45]))).toBe(false)
    expect(isComplianceFlagged(new Uint8Array(0))).toBe(false)
  })
})
