import { createPrivateKey, createPublicKey } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  deriveRecipientKeyPair, deriveStorageKey, exportRecipientPrivateKey, exportRecipientPublicKey, exportSymmetricKey,
  fromBase64, fromHex, generateKey, generateRecipientKeyPair, importRecipientPrivateKey, importRecipientPublicKey,
  importSymmetricKey, InvalidRequestError, KeyFormatError, open, recipientKeyFromJwk, recipientKeyToJwk, seal,
  symmetricKeyToJwk, toBase64, toBase64Url, toHex
} from '../../src/sdk/index.js'

describe('deriveStorageKey', () => {
  it('is HMAC-SHA256 of the UTF-8 name (RFC 4231 test case 2)', () => {
    expect(deriveStorageKey('Jefe', 'what do ya want for nothing?'))
      .toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')
  })

  it('offers base64url and a visible prefix', () => {
    const hex = deriveStorageKey('Jefe', 'what do ya want for nothing?')
    expect(deriveStorageKey('Jefe', 'what do ya want for nothing?', { encoding: 'base64url' })).toBe(Buffer.from(hex, 'hex').toString('base64url'))
    expect(deriveStorageKey('Jefe', 'what do ya want for nothing?', { prefix: 'app/' })).toBe(`app/${hex}`)
  })

  it('is deterministic per secret and differs across secrets and names', () => {
    const a = generateKey()
    const b = generateKey()
    expect(deriveStorageKey(a, 'n')).toBe(deriveStorageKey(a, 'n'))
    expect(deriveStorageKey(a, 'n')).not.toBe(deriveStorageKey(b, 'n'))
    expect(deriveStorageKey(a, 'n')).not.toBe(deriveStorageKey(a, 'm'))
    expect(deriveStorageKey(a, 'n')).toMatch(/^[0-9a-f]{64}$/)
  })

  it('rejects an empty secret', () => {
    expect(() => deriveStorageKey('', 'n')).toThrow(InvalidRequestError)
  })
})

describe('symmetric keys', () => {
  it('generates distinct 32-byte keys', () => {
    const a = generateKey()
    expect(a.length).toBe(32)
    expect(toHex(a)).not.toBe(toHex(generateKey()))
  })

  it('exports as unpadded base64url and imports base64, base64url and JWK', () => {
    const k = generateKey()
    const text = exportSymmetricKey(k)
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(importSymmetricKey(text)).toEqual(k)
    expect(importSymmetricKey(Buffer.from(k).toString('base64'))).toEqual(k)
    expect(importSymmetricKey(` ${text}\n`)).toEqual(k)
    expect(importSymmetricKey(symmetricKeyToJwk(k))).toEqual(k)
    expect(importSymmetricKey(JSON.stringify(symmetricKeyToJwk(k)))).toEqual(k)
  })

  it('produces a JWK that WebCrypto imports as an AES-256-GCM key', async () => {
    const k = generateKey()
    const jwk = symmetricKeyToJwk(k)
    const ck = await crypto.subtle.importKey('jwk', jwk, { name: 'AES-GCM' }, true, ['encrypt'])
    expect(new Uint8Array(await crypto.subtle.exportKey('raw', ck))).toEqual(k)
    // and a JWK WebCrypto exports is accepted
    const exported = await crypto.subtle.exportKey('jwk', ck)
    expect(importSymmetricKey(exported)).toEqual(k)
  })

  it('rejects keys that are not 32 bytes, bad base64 and foreign JWKs', () => {
    expect(() => importSymmetricKey(toBase64Url(new Uint8Array(16)))).toThrow(KeyFormatError)
    expect(() => importSymmetricKey('@@@')).toThrow(KeyFormatError)
    expect(() => importSymmetricKey({ kty: 'RSA' })).toThrow(KeyFormatError)
    expect(() => importSymmetricKey({ kty: 'oct', k: toBase64Url(generateKey()), alg: 'A128GCM' })).toThrow(/A256GCM/)
    expect(() => exportSymmetricKey(new Uint8Array(8))).toThrow(KeyFormatError)
  })
})

describe('recipient keys', () => {
  it('generates X25519 (32/32 bytes) and X-Wing (1216/32 bytes) pairs', async () => {
    const c = await generateRecipientKeyPair()
    const q = await generateRecipientKeyPair({ pq: true })
    expect([c.publicKey.suite, c.publicKey.bytes.length, c.privateKey.bytes.length]).toEqual(['x25519', 32, 32])
    expect([q.publicKey.suite, q.publicKey.bytes.length, q.privateKey.bytes.length]).toEqual(['xwing', 1216, 32])
  })

  it('derives X25519 pairs per RFC 9180 DeriveKeyPair (test vector A.1.1, recipient)', async () => {
    const pair = await deriveRecipientKeyPair(fromHex('6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037'))
    expect(toHex(pair.privateKey.bytes)).toBe('4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8')
    expect(toHex(pair.publicKey.bytes)).toBe('3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d')
    // the public key is X25519(sk, 9), checked with node:crypto independently
    const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), pair.privateKey.bytes])
    const jwk = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' })
    expect(jwk.x).toBe(toBase64Url(pair.publicKey.bytes))
  })

  it('derives the same X-Wing pair from the same IKM', async () => {
    const ikm = new Uint8Array(32).fill(9)
    const a = await deriveRecipientKeyPair(ikm, { pq: true })
    const b = await deriveRecipientKeyPair(ikm, { pq: true })
    expect(toHex(a.publicKey.bytes)).toBe(toHex(b.publicKey.bytes))
    await expect(deriveRecipientKeyPair(new Uint8Array(16))).rejects.toBeInstanceOf(KeyFormatError)
  })

  it('round-trips the "<suite>:<base64url>" text forms', async () => {
    for (const pq of [false, true]) {
      const pair = await generateRecipientKeyPair({ pq })
      const pub = exportRecipientPublicKey(pair.publicKey)
      const priv = exportRecipientPrivateKey(pair.privateKey)
      expect(pub.startsWith(pq ? 'xwing:' : 'x25519:')).toBe(true)
      expect(importRecipientPublicKey(pub)).toEqual(pair.publicKey)
      expect(importRecipientPrivateKey(priv)).toEqual(pair.privateKey)
      // the imported keys work
      const blob = await seal('t', { storageKey: 'k', recipientPublicKey: importRecipientPublicKey(pub) })
      expect((await open(blob, { storageKey: 'k', recipientPrivateKey: importRecipientPrivateKey(priv) })).plaintext).toEqual(new TextEncoder().encode('t'))
    }
  })

  it('types bare public keys by length and wants the suite for bare private keys', async () => {
    const c = await generateRecipientKeyPair()
    const q = await generateRecipientKeyPair({ pq: true })
    expect(importRecipientPublicKey(toBase64(c.publicKey.bytes)).suite).toBe('x25519')
    expect(importRecipientPublicKey(toBase64Url(q.publicKey.bytes)).suite).toBe('xwing')
    expect(() => importRecipientPrivateKey(toBase64Url(c.privateKey.bytes))).toThrow(/suite/)
    expect(importRecipientPrivateKey(toBase64Url(c.privateKey.bytes), 'x25519')).toEqual(c.privateKey)
    expect(() => importRecipientPrivateKey(exportRecipientPrivateKey(c.privateKey), 'xwing')).toThrow(KeyFormatError)
    expect(() => importRecipientPublicKey('x25519:' + toBase64Url(q.publicKey.bytes))).toThrow(KeyFormatError)
    expect(() => importRecipientPublicKey(toBase64Url(new Uint8Array(33)))).toThrow(KeyFormatError)
  })

  it('converts X25519 keys to and from RFC 8037 JWKs, and refuses X-Wing', async () => {
    const c = await generateRecipientKeyPair()
    const pubJwk = recipientKeyToJwk(c.publicKey)
    expect(pubJwk).toEqual({ kty: 'OKP', crv: 'X25519', x: toBase64Url(c.publicKey.bytes) })
    const pairJwk = recipientKeyToJwk(c)
    expect(pairJwk.d).toBe(toBase64Url(c.privateKey.bytes))
    expect(recipientKeyFromJwk(pairJwk)).toEqual({ publicKey: c.publicKey, privateKey: c.privateKey })
    expect(recipientKeyFromJwk(pubJwk)).toEqual({ publicKey: c.publicKey })
    // WebCrypto (Node 20) accepts the public JWK as an X25519 key
    const ck = await crypto.subtle.importKey('jwk', pubJwk, { name: 'X25519' }, true, [])
    expect(new Uint8Array(await crypto.subtle.exportKey('raw', ck))).toEqual(c.publicKey.bytes)
    const q = await generateRecipientKeyPair({ pq: true })
    expect(() => recipientKeyToJwk(q.publicKey)).toThrow(/X-Wing/)
    expect(() => recipientKeyFromJwk({ kty: 'EC', crv: 'P-256' })).toThrow(KeyFormatError)
  })
})

describe('base64 encoding', () => {
  it('matches Buffer for every length up to 70, in both alphabets', () => {
    for (let n = 0; n <= 70; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n * 11) & 255)
      expect(toBase64(b)).toBe(Buffer.from(b).toString('base64'))
      expect(toBase64Url(b)).toBe(Buffer.from(b).toString('base64url'))
      expect(fromBase64(toBase64(b))).toEqual(b)
      expect(fromBase64(toBase64Url(b))).toEqual(b)
    }
  })

  it('rejects foreign characters and impossible lengths', () => {
    expect(() => fromBase64('ab$d')).toThrow(TypeError)
    expect(() => fromBase64('abcde')).toThrow(TypeError)
    expect(() => fromHex('abc')).toThrow(TypeError)
  })
})
