import { createDecipheriv, scryptSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { sealWithRandomness } from '../../src/sdk/envelope.js'
import {
  DecryptionError, deriveRecipientKeyPair, exportRecipientPrivateKey, exportRecipientPublicKey, fromHex,
  importSymmetricKey, open, parseEnvelopeHeader, toHex, type OpenOptions, type SealOptions
} from '../../src/sdk/index.js'
import { buildVectorFile, serialise, VECTORS_PATH, type NegativeVector, type PositiveVector, type VectorFile } from './vectors/generate.js'

const text = readFileSync(VECTORS_PATH, 'utf8')
const file = JSON.parse(text) as VectorFile

function openOptions (v: PositiveVector | NegativeVector): OpenOptions {
  if (v.key_b64url !== undefined) return { storageKey: v.storage_key, key: v.key_b64url }
  if (v.passphrase !== undefined) return { storageKey: v.storage_key, passphrase: v.passphrase }
  return { storageKey: v.storage_key, recipientPrivateKey: v.recipient_private_key as string }
}

describe('committed envelope v1 test vectors', () => {
  it('cover every mode, with and without the flag, plus invalid cases', () => {
    expect(file.version).toBe(1)
    expect(new Set(file.vectors.map(v => v.mode))).toEqual(new Set(['key', 'passphrase', 'recipient-x25519', 'recipient-xwing']))
    expect(file.vectors.some(v => v.flagged)).toBe(true)
    expect(file.vectors.some(v => !v.flagged)).toBe(true)
    expect(file.invalid.length).toBeGreaterThanOrEqual(20)
  })

  it.each(file.vectors.map(v => [v.name, v] as const))('%s decrypts to its plaintext', async (_name, v) => {
    const blob = fromHex(v.blob_hex)
    const r = await open(blob, openOptions(v))
    expect(toHex(r.plaintext)).toBe(v.plaintext_hex)
    expect(r.flagged).toBe(v.flagged)
    expect(r.mode).toBe(v.mode)
    expect(toHex(blob.subarray(0, parseEnvelopeHeader(blob).length))).toBe(v.header_hex)
  })

  it.each(file.vectors.map(v => [v.name, v] as const))('%s is reproduced byte for byte from its recorded randomness', async (_name, v) => {
    const random = fromHex(v.random_hex)
    let used = 0
    const source = (n: number): Uint8Array => { const b = random.slice(used, used + n); used += n; if (b.length !== n) throw new Error('vector randomness exhausted'); return b }
    let options: SealOptions
    if (v.key_b64url !== undefined) options = { storageKey: v.storage_key, flagged: v.flagged, key: v.key_b64url }
    else if (v.passphrase !== undefined) options = { storageKey: v.storage_key, flagged: v.flagged, passphrase: v.passphrase, kdf: v.kdf }
    else {
      // the recipient key pair itself is derived from the recorded IKM
      const pair = await deriveRecipientKeyPair(fromHex(v.recipient_ikm_hex as string), { pq: v.mode === 'recipient-xwing' })
      expect(exportRecipientPublicKey(pair.publicKey)).toBe(v.recipient_public_key)
      expect(exportRecipientPrivateKey(pair.privateKey)).toBe(v.recipient_private_key)
      options = { storageKey: v.storage_key, flagged: v.flagged, recipientPublicKey: pair.publicKey }
    }
    const blob = await sealWithRandomness(fromHex(v.plaintext_hex), options, source)
    expect(used).toBe(random.length)
    expect(toHex(blob)).toBe(v.blob_hex)
  })

  it.each(file.invalid.map(v => [v.name, v] as const))('invalid vector %s fails with its DecryptionError reason', async (_name, v) => {
    const err = await open(fromHex(v.blob_hex), openOptions(v)).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(DecryptionError)
    expect((err as DecryptionError).reason).toBe(v.expect_reason)
  })

  it('the committed file is exactly what the generator produces', async () => {
    expect(serialise(await buildVectorFile())).toBe(text)
  })

  // The spec, not just the SDK: re-derive key-mode and scrypt vectors with node:crypto alone.
  it('key and scrypt vectors verify with an independent AES-GCM and scrypt (node:crypto)', () => {
    const checked: string[] = []
    for (const v of file.vectors) {
      const blob = Buffer.from(v.blob_hex, 'hex')
      let key: Buffer
      let headerLen: number
      if (v.mode === 'key') {
        key = Buffer.from(importSymmetricKey(v.key_b64url as string))
        headerLen = 6 + 12
      } else if (v.mode === 'passphrase' && v.kdf?.algorithm === 'scrypt') {
        expect(blob[6]).toBe(0x02)
        const [log2N, r, p] = [blob[7], blob[8], blob[9]]
        const salt = blob.subarray(10, 26)
        key = scryptSync(Buffer.from(v.passphrase!.normalize('NFC'), 'utf8'), salt, 32, { N: 2 ** log2N, r, p })
        headerLen = 6 + 4 + 16 + 12
      } else {
        continue
      }
      const header = blob.subarray(0, headerLen)
      const nonce = header.subarray(headerLen - 12)
      const sk = Buffer.from(v.storage_key, 'utf8')
      const len = Buffer.alloc(4)
      len.writeUInt32BE(sk.length)
      const aad = Buffer.concat([header, len, sk])
      expect(aad.toString('hex')).toBe(v.aad_hex)
      const body = blob.subarray(headerLen)
      const d = createDecipheriv('aes-256-gcm', key, nonce)
      d.setAAD(aad)
      d.setAuthTag(body.subarray(body.length - 16))
      const pt = Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()])
      expect(pt.toString('hex')).toBe(v.plaintext_hex)
      checked.push(v.name)
    }
    expect(checked.length).toBeGreaterThanOrEqual(4)
  })
})
