/**
 * Owned keys at the wire level (src/wire/owner.ts, siwe.ts, eth.ts): published EIP-191,
 * EIP-55 and EIP-4361 vectors, the committed write-signature vectors
 * (test/unit/vectors/owned-write-v1.json), the key syntax, and every refusal of
 * verifyOwnedWrite. Sources of the published vectors are named at each one.
 */
import { readFileSync } from 'node:fs'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { fromHex, hex, personalMessageHash, personalSign, recoverPersonalSign } from '../../src/wire/eth.js'
import {
  base64url, ed25519Namespace, ethNamespace, nobleEd25519Verify, ownedKeyError, ownerOfKey, PREFIX_RESOURCE, SESSION_RESOURCE,
  verifyDelegation, verifyOwnedWrite, writeSigningBytes
} from '../../src/wire/owner.js'
import { parseSiwe, serializeSiwe, toChecksumAddress, type SiweMessage } from '../../src/wire/siwe.js'
import { checkWrite, nativeEd25519Verify, proofBytes } from '../../src/wire/write.js'
import { Write } from '../../src/wire/pb/repram.js'

const enc = new TextEncoder()
const VECTORS = JSON.parse(readFileSync(new URL('./vectors/owned-write-v1.json', import.meta.url), 'utf8'))

describe('EIP-191 personal_sign (published vectors)', () => {
  // viem, src/utils/signature/hashMessage.test.ts and signMessage.test.ts (also in viem's docs for
  // signMessage): Anvil/Hardhat account 0 signs "hello world".
  const ANVIL0 = fromHex('ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
  const HELLO_SIG = '0xa461f509887bd19e312c0c58467ce8ff8e300d3c1a90b608a760c5b80318eaf15fe57c96f9175d6cd4daad4663763baa7e78836e067d0163e9a2ccf2ff753f5b1b'

  it('hashes "hello world" to viem\'s hashMessage answer', () => {
    expect(hex(personalMessageHash(enc.encode('hello world')))).toBe('d9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68')
  })

  it('signs "hello world" with Anvil account 0 as viem does, and recovers 0xf39F…2266', () => {
    expect('0x' + hex(personalSign(enc.encode('hello world'), ANVIL0))).toBe(HELLO_SIG)
    expect(recoverPersonalSign(enc.encode('hello world'), fromHex(HELLO_SIG))).toBe('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')
  })

  it('signs an emoji message as viem does (UTF-8 length in the prefix)', () => {
    expect('0x' + hex(personalSign(enc.encode('🥵'), ANVIL0))).toBe('0x05c99bbbe9fac3ad61721a815d19d6771ad39f3e8dffa7ae7561358f20431d8e7f9e1d487c77355790c79c6eb0b0d63690f690615ef99ee3e4f25eef0317d0701b')
  })

  it('recovers the signer of ethers v5\'s "hello world" vector (tests, see etherscan.io/verifySig/57)', () => {
    const sig = fromHex('0xddd0a7290af9526056b4e35a077b9a11b513aa0028ec6c9880948544508f3c63265e99e47ad31bb2cab9646c504576b3abc6939a1710afc08cbf3034d73214b81c')
    expect(recoverPersonalSign(enc.encode('hello world'), sig)).toBe('0x14791697260e4c9a71f18484c9f997b308e59325')
  })

  it('refuses a signature over another message, a high-s twin, a bad v and a short one', () => {
    const sig = fromHex(HELLO_SIG)
    expect(recoverPersonalSign(enc.encode('hello worle'), sig)).not.toBe('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')
    const n = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141')
    const s = BigInt('0x' + hex(sig.subarray(32, 64)))
    const high = sig.slice()
    high.set(fromHex((n - s).toString(16).padStart(64, '0')), 32)
    high[64] = sig[64] === 27 ? 28 : 27
    expect(recoverPersonalSign(enc.encode('hello world'), high)).toBeUndefined()
    const badV = sig.slice(); badV[64] = 29
    expect(recoverPersonalSign(enc.encode('hello world'), badV)).toBeUndefined()
    expect(recoverPersonalSign(enc.encode('hello world'), sig.subarray(0, 64))).toBeUndefined()
  })
})

describe('EIP-55 checksums (vectors from the EIP-55 text)', () => {
  it.each([
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB', '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb'
  ])('checksums %s', (a) => {
    expect(toChecksumAddress(a.toLowerCase())).toBe(a)
  })
})

describe('EIP-4361 messages (published examples)', () => {
  // The three examples of ERC-4361 (ethereum/ERCs, ERCS/erc-4361.md, "Examples").
  const body = `0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2

I accept the ExampleOrg Terms of Service: https://example.com/tos

URI: https://example.com/login
Version: 1
Chain ID: 1
Nonce: 32891756
Issued At: 2021-09-30T16:25:24Z
Resources:
- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/
- https://example.com/my-web2-claim.json`
  const header = ' wants you to sign in with your Ethereum account:\n'
  it.each([
    ['an implicit scheme', 'example.com', undefined],
    ['an implicit scheme and explicit port', 'example.com:3388', undefined],
    ['an explicit scheme', 'https://example.com', 'https']
  ])('parses the example with %s and serialises it back byte for byte', (_name, origin, scheme) => {
    const text = origin + header + body
    const m = parseSiwe(text)
    expect(m).toEqual({
      ...(scheme !== undefined ? { scheme } : {}),
      domain: origin.replace('https://', ''),
      address: '0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2',
      statement: 'I accept the ExampleOrg Terms of Service: https://example.com/tos',
      uri: 'https://example.com/login',
      version: '1',
      chainId: 1,
      nonce: '32891756',
      issuedAt: '2021-09-30T16:25:24Z',
      resources: ['ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/', 'https://example.com/my-web2-claim.json']
    })
    expect(serializeSiwe(m)).toBe(text)
  })

  // siwe-rs (spruceid/siwe-rs, src/lib.rs, tests `parsing` and `verification`).
  const SIWE_RS = `localhost:4361 wants you to sign in with your Ethereum account:
0x6Da01670d8fc844e736095918bbE11fE8D564163

SIWE Notepad Example

URI: http://localhost:4361
Version: 1
Chain ID: 1
Nonce: kEWepMt9knR6lWJ6A
Issued At: 2021-12-07T18:28:18.807Z`
  it('verifies siwe-rs\'s signed message (EIP-191 over the message text) and refuses its altered signature', () => {
    const m = parseSiwe(SIWE_RS)
    expect(m.issuedAt).toBe('2021-12-07T18:28:18.807Z')
    const good = fromHex('6228b3ecd7bf2df018183aeab6b6f1db1e9f4e3cbe24560404112e25363540eb679934908143224d746bbb5e1aa65ab435684081f4dbb74a0fec57f98f40f5051c')
    const bad = fromHex('7228b3ecd7bf2df018183aeab6b6f1db1e9f4e3cbe24560404112e25363540eb679934908143224d746bbb5e1aa65ab435684081f4dbb74a0fec57f98f40f5051c')
    expect(recoverPersonalSign(enc.encode(SIWE_RS), good)).toBe(m.address.toLowerCase())
    expect(recoverPersonalSign(enc.encode(SIWE_RS), bad)).not.toBe(m.address.toLowerCase())
  })

  it('parses siwe-rs\'s message without a statement (two blank lines) and serialises it back', () => {
    const text = `service.org${header}0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2\n\n\nURI: https://service.org/login\nVersion: 1\nChain ID: 1\nNonce: 32891756\nIssued At: 2021-09-30T16:25:24Z`
    const m = parseSiwe(text)
    expect(m.statement).toBeUndefined()
    expect(serializeSiwe(m)).toBe(text)
  })

  const base = 'service.org' + header + body.replace(/ExampleOrg/g, 'ServiceOrg').replace(/example\.com\/(tos|login)/g, 'service.org/$1')
  it.each([
    ['fields out of order (siwe-rs: Nonce before Chain ID)', base.replace('Chain ID: 1\nNonce: 32891756', 'Nonce: 32891756\nChain ID: 1')],
    ['an address that is not EIP-55 checksummed', base.replace('0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2', '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2')],
    ['a trailing newline', base + '\n'],
    ['a nonce under 8 characters', base.replace('Nonce: 32891756', 'Nonce: 1234567')],
    ['version 2', base.replace('Version: 1', 'Version: 2')],
    ['a time that is not RFC 3339', base.replace('2021-09-30T16:25:24Z', '2021-09-30 16:25:24')],
    ['February 30th', base.replace('2021-09-30T16:25:24Z', '2021-02-30T16:25:24Z')],
    ['a resource that is not a URI', base.replace('- https://example.com/my-web2-claim.json', '- not a uri')],
    ['a statement with a control character', base.replace('I accept', 'I\taccept')],
    ['a domain with a space', base.replace('service.org wants', 'service org wants')],
    ['a lower-case tag', base.replace('URI: ', 'uri: ')]
  ])('refuses %s', (_name, text) => {
    expect(() => parseSiwe(text)).toThrow(/./)
  })
})

describe('the owned-key syntax', () => {
  const pub = fromHex(VECTORS.ed25519PublicKey)
  it('reads the owner of ~ed25519: and ~eth: keys, and nothing of plain keys', () => {
    const k = ed25519Namespace(pub) + 'a/b'
    expect(ownerOfKey(k)).toEqual({ kind: 'ed25519', publicKey: pub, namespace: ed25519Namespace(pub) })
    expect(ownerOfKey(ethNamespace(VECTORS.ethAddress) + 'x')).toEqual({ kind: 'eth', address: VECTORS.ethAddress, namespace: ethNamespace(VECTORS.ethAddress) })
    for (const plain of ['app/x', '~other:1/x', '~ETH:0x' + 'a'.repeat(40) + '/x', 'x~eth:0x' + 'a'.repeat(40) + '/']) {
      expect(ownerOfKey(plain)).toBeUndefined()
      expect(ownedKeyError(plain)).toBeUndefined()
    }
  })

  it.each([
    ['an upper-case address', '~eth:0x' + 'A'.repeat(40) + '/x'],
    ['a short address', '~eth:0x' + 'a'.repeat(39) + '/x'],
    ['no slash after the address', '~eth:0x' + 'a'.repeat(40)],
    ['no slash after the public key', '~ed25519:' + base64url(pub)],
    ['a padded public key', '~ed25519:' + base64url(pub) + '=/x'],
    ['a non-canonical last character', '~ed25519:' + base64url(pub).slice(0, 42) + 'p/x'],
    ['a hex public key', '~ed25519:' + hex(pub) + '/x']
  ])('calls a reserved key with %s malformed', (_name, key) => {
    expect(ownedKeyError(key)).toMatch(/~(eth|ed25519):/)
    expect(ownerOfKey(key)).toBeUndefined()
  })
})

describe('write signatures (committed vectors: test/unit/vectors/owned-write-v1.json)', () => {
  const cases: Array<[string, any]> = VECTORS.cases.map((c: any) => [c.name, c])
  it.each(cases)('%s: the signed bytes, the signature, and both verifies accept it', (_name: string, c: any) => {
    const h = sha256(enc.encode(c.value))
    expect(hex(h)).toBe(c.valueSha256)
    const bytes = writeSigningBytes(c, h)
    expect(hex(bytes)).toBe(c.signingBytes)
    const secret = fromHex(c.key.startsWith('~eth:') ? VECTORS.ethPrivateKey : VECTORS.ed25519SecretKey)
    const sig = c.key.startsWith('~eth:') ? personalSign(bytes, secret) : ed25519.sign(bytes, secret)
    expect(hex(sig)).toBe(c.signature)
    expect(verifyOwnedWrite(c, h, { sig }, nobleEd25519Verify)).toBeUndefined()
    expect(verifyOwnedWrite(c, h, { sig }, nativeEd25519Verify)).toBeUndefined()
  })

  it('a delegated write: the SIWE delegation, its personal_sign, the session key\'s signature, and its window', () => {
    const d = VECTORS.delegated
    expect(parseSiwe(d.delegation).resources).toEqual([`urn:repram:session:ed25519:${base64url(fromHex(d.sessionPublicKey))}`, 'urn:repram:prefix:chat%2F'])
    expect(hex(personalSign(enc.encode(d.delegation), fromHex(VECTORS.ethPrivateKey)))).toBe(d.delegationSignature)
    const terms = verifyDelegation(d.delegation, fromHex(d.delegationSignature))
    expect(terms).toMatchObject({ address: VECTORS.ethAddress, prefix: `~eth:${VECTORS.ethAddress}/chat/`, notBefore: Date.parse('2026-01-01T00:00:00Z'), notAfter: Date.parse('2026-01-01T01:00:00Z') })
    const h = sha256(enc.encode(d.value))
    expect(hex(writeSigningBytes(d, h))).toBe(d.signingBytes)
    const sig = ed25519.sign(writeSigningBytes(d, h), fromHex(d.sessionSecretKey))
    expect(hex(sig)).toBe(d.signature)
    const proof = { sig, delegation: d.delegation, delegationSig: fromHex(d.delegationSignature) }
    expect(verifyOwnedWrite(d, h, proof, nativeEd25519Verify)).toBeUndefined()
    expect(verifyOwnedWrite(d, h, proof, nobleEd25519Verify)).toBeUndefined()
  })

  it('lays the bytes out as documented: domain, u32 key length, key, sha256, two u64, u8 writeId length, writeId', () => {
    const bytes = writeSigningBytes({ key: 'k', createdAt: 2 ** 32 + 5, expiresAt: 7, writeId: 'ab' }, new Uint8Array(32).fill(0xee))
    expect(hex(bytes)).toBe(hex(enc.encode('repram-owned-write/1\n')) + '00000001' + '6b' + 'ee'.repeat(32) + '0000000100000005' + '0000000000000007' + '02' + '6162')
  })
})

describe('verifyOwnedWrite refuses', () => {
  const edSecret = fromHex(VECTORS.ed25519SecretKey)
  const ethSecret = fromHex(VECTORS.ethPrivateKey)
  const ns = ed25519Namespace(fromHex(VECTORS.ed25519PublicKey))
  const eth = ethNamespace(VECTORS.ethAddress)
  const T = Date.parse('2026-01-01T00:00:00Z')
  const write = (key: string, value = 'v'): { w: { key: string, createdAt: number, expiresAt: number, writeId: string }, h: Uint8Array, bytes: Uint8Array } => {
    const w = { key, createdAt: T + 60_000, expiresAt: T + 660_000, writeId: 'id1' }
    const h = sha256(enc.encode(value))
    return { w, h, bytes: writeSigningBytes(w, h) }
  }
  /** A SIWE delegation from Anvil account 0 to `session` for `prefix`, [T, T + 1 h]. */
  const delegation = (session: Uint8Array, prefix: string, edit: (m: SiweMessage) => void = () => {}): { delegation: string, delegationSig: Uint8Array } => {
    const m: SiweMessage = {
      domain: 'app.example', address: toChecksumAddress(VECTORS.ethAddress), statement: 'Allow a session key to write REPRAM owned keys.',
      uri: 'https://app.example', version: '1', chainId: 1, nonce: 'abcdef0123', issuedAt: new Date(T).toISOString(),
      expirationTime: new Date(T + 3_600_000).toISOString(),
      resources: [SESSION_RESOURCE + base64url(ed25519.getPublicKey(session)), PREFIX_RESOURCE + encodeURIComponent(prefix)]
    }
    edit(m)
    const text = serializeSiwe(m)
    return { delegation: text, delegationSig: personalSign(enc.encode(text), ethSecret) }
  }
  const session = new Uint8Array(32).fill(7)

  it('an unsigned write, and one with an empty signature', () => {
    const { w, h } = write(ns + 'x')
    expect(verifyOwnedWrite(w, h, undefined)?.reason).toBe('unsigned')
    expect(verifyOwnedWrite(w, h, { sig: new Uint8Array(0) })?.reason).toBe('unsigned')
  })

  it('a signature by another key, over another value, or over another expiry', () => {
    const { w, h, bytes } = write(ns + 'x')
    const stranger = ed25519.sign(bytes, new Uint8Array(32).fill(9))
    expect(verifyOwnedWrite(w, h, { sig: stranger })?.reason).toBe('bad_signature')
    const sig = ed25519.sign(bytes, edSecret)
    expect(verifyOwnedWrite(w, h, { sig })).toBeUndefined()
    expect(verifyOwnedWrite(w, sha256(enc.encode('other')), { sig })?.reason).toBe('bad_signature')
    expect(verifyOwnedWrite({ ...w, expiresAt: w.expiresAt + 1 }, h, { sig })?.reason).toBe('bad_signature')
    // The same signature moved to another key of the namespace.
    expect(verifyOwnedWrite({ ...w, key: ns + 'y' }, h, { sig })?.reason).toBe('bad_signature')
  })

  it('an eth write signed by another address, and an ~ed25519: write with a delegation', () => {
    const { w, h, bytes } = write(eth + 'x')
    expect(verifyOwnedWrite(w, h, { sig: personalSign(bytes, new Uint8Array(32).fill(3)) })?.reason).toBe('bad_signature')
    expect(verifyOwnedWrite(w, h, { sig: personalSign(bytes, ethSecret) })).toBeUndefined()
    const e = write(ns + 'x')
    expect(verifyOwnedWrite(e.w, e.h, { sig: ed25519.sign(e.bytes, edSecret), ...delegation(session, '') })?.reason).toBe('bad_delegation')
  })

  it('a session write: accepted inside its prefix and window, refused outside either, or with the wrong session key', () => {
    const d = delegation(session, 'chat/')
    const ok = write(eth + 'chat/1')
    expect(verifyOwnedWrite(ok.w, ok.h, { sig: ed25519.sign(ok.bytes, session), ...d })).toBeUndefined()
    const outside = write(eth + 'other/1')
    expect(verifyOwnedWrite(outside.w, outside.h, { sig: ed25519.sign(outside.bytes, session), ...d })).toMatchObject({ reason: 'bad_delegation', message: expect.stringMatching(/prefix/) })
    const late = { ...ok.w, expiresAt: T + 3_600_001 }
    expect(verifyOwnedWrite(late, ok.h, { sig: ed25519.sign(writeSigningBytes(late, ok.h), session), ...d })).toMatchObject({ reason: 'bad_delegation', message: expect.stringMatching(/Expiration/) })
    const early = { ...ok.w, createdAt: T - 1 }
    expect(verifyOwnedWrite(early, ok.h, { sig: ed25519.sign(writeSigningBytes(early, ok.h), session), ...d })).toMatchObject({ reason: 'bad_delegation', message: expect.stringMatching(/window/) })
    expect(verifyOwnedWrite(ok.w, ok.h, { sig: ed25519.sign(ok.bytes, new Uint8Array(32).fill(8)), ...d })?.reason).toBe('bad_signature')
  })

  it('a delegation signed by another address, one without an expiry, one for another address\'s namespace, and an altered one', () => {
    const ok = write(eth + 'chat/1')
    const sig = ed25519.sign(ok.bytes, session)
    const d = delegation(session, 'chat/')
    expect(verifyOwnedWrite(ok.w, ok.h, { sig, delegation: d.delegation, delegationSig: personalSign(enc.encode(d.delegation), new Uint8Array(32).fill(3)) })?.reason).toBe('bad_delegation')
    expect(verifyOwnedWrite(ok.w, ok.h, { sig, ...delegation(session, 'chat/', m => { delete m.expirationTime }) })).toMatchObject({ reason: 'bad_delegation', message: expect.stringMatching(/Expiration Time/) })
    expect(verifyOwnedWrite(ok.w, ok.h, { sig, delegation: d.delegation.replace('chat%2F', 'chat%2Fx'), delegationSig: d.delegationSig })?.reason).toBe('bad_delegation')
    const other = delegation(session, 'chat/', m => { m.address = toChecksumAddress('0x' + '12'.repeat(20)) })
    expect(verifyOwnedWrite(ok.w, ok.h, { sig, ...other })?.reason).toBe('bad_delegation')
    expect(typeof verifyDelegation(d.delegation, d.delegationSig)).toBe('object')
  })

  it('counts a proof, delegation included, in the size estimates that bound replicate and sync frames', () => {
    const d = delegation(session, 'chat/')
    const { w, bytes } = write(eth + 'chat/1')
    const wire: Write = { ...w, value: enc.encode('v') as Uint8Array<ArrayBuffer>, origin: new Uint8Array(0), owner: { sig: ed25519.sign(bytes, session), delegation: d.delegation, delegationSig: d.delegationSig } as Write['owner'] }
    const encoded = Write.encode(wire).byteLength
    expect(proofBytes(wire)).toBeGreaterThan(d.delegation.length)
    // Both estimates (sync: + 64, replicate: + 128) cover the encoded write.
    expect(w.key.length * 3 + 1 + 64 + proofBytes(wire)).toBeGreaterThanOrEqual(encoded)
    expect(proofBytes({})).toBe(0)
  })

  it('through checkWrite, as every peer path applies it: a forged write is refused, a malformed owned key is a bad key, plain keys pay nothing', () => {
    const limits = { maxKeyBytes: 1024, maxValueBytes: 1 << 20, maxTtl: 86_400, maxClockSkewMs: 30_000, gossipInlineBytes: 65_536 }
    const { w, bytes } = write(ns + 'x')
    const wire = (key: string, owner?: Write['owner']): Write => ({ key, value: enc.encode('v') as Uint8Array<ArrayBuffer>, createdAt: w.createdAt, expiresAt: w.expiresAt, writeId: w.writeId, origin: new Uint8Array(0), owner })
    const now = T + 61_000
    expect(checkWrite(wire(ns + 'x', { sig: ed25519.sign(bytes, edSecret) as Uint8Array<ArrayBuffer> }), now, limits)).toBeUndefined()
    expect(checkWrite(wire(ns + 'x'), now, limits)).toBe('unsigned')
    expect(checkWrite(wire(ns + 'x', { sig: ed25519.sign(bytes, session) as Uint8Array<ArrayBuffer> }), now, limits)).toBe('bad_signature')
    expect(checkWrite(wire('~eth:0xABC/x'), now, limits)).toBe('bad_key')
    expect(checkWrite(wire('app/x'), now, limits)).toBeUndefined()
    // An announced (pulled) write is checked against its announced hash.
    const announced: Write = { ...wire(ns + 'x', { sig: ed25519.sign(bytes, edSecret) as Uint8Array<ArrayBuffer> }), value: new Uint8Array(0), size: 70_000, hash: sha256(enc.encode('v')) as Uint8Array<ArrayBuffer> }
    expect(checkWrite(announced, now, limits)).toBeUndefined()
    expect(checkWrite({ ...announced, hash: sha256(enc.encode('w')) as Uint8Array<ArrayBuffer> }, now, limits)).toBe('bad_signature')
  })
})
