/**
 * The published test vectors of docs/compliance.md ("Canonical encoding"), version 1 and
 * version 2: a third-party verifier can check its implementation against these exact bytes.
 */
import { describe, expect, it } from 'vitest'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { signerFromPrivateKey } from '../../src/attest/signer.js'
import { attestationVersion, canonicalAttestationString, keyHashOf, toCef, toJsonLines, verifyAttestation, type Attestation } from '../../src/sdk/index.js'
import { AttestationLedger } from '../../actors/attestor/ledger.js'

const SEED = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1))
const PUBLIC_KEY = '0801122079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664'
const VECTOR: Attestation = {
  keyHash: 'abc8294694d1310444fe31a31fe484029d30513545dbebfded8057bca4d836c2',
  writeId: 'AAECAwQFBgcICQoL',
  createdAt: 1700000000000,
  expiredAt: 1700000300000,
  deletedAt: 1700000300012,
  nodeId: '12D3KooWJ1TsijH7H5F74hfAD5XishQz3sxrmAtVY37GtNd9CqYf',
  cycle: 28333338,
  signature: 'bb093a1aa47b1c0d7d6d6bc3aefab147c75adf424ed55615ecc2786cad978bc687eb770c32672e72cc9f01870f023f9d5d75f66e677c0c1f7127244e1245390a'
}
const CANONICAL = 'repram-deletion-attestation/1\n{"keyHash":"abc8294694d1310444fe31a31fe484029d30513545dbebfded8057bca4d836c2","writeId":"AAECAwQFBgcICQoL","createdAt":1700000000000,"expiredAt":1700000300000,"deletedAt":1700000300012,"nodeId":"12D3KooWJ1TsijH7H5F74hfAD5XishQz3sxrmAtVY37GtNd9CqYf","cycle":28333338}'

describe('canonical encoding', () => {
  it('matches the published vector byte for byte', async () => {
    expect(keyHashOf('app/session/42')).toBe(VECTOR.keyHash)
    expect(canonicalAttestationString(VECTOR)).toBe(CANONICAL)
    const raw = Buffer.concat([SEED, Buffer.from(PUBLIC_KEY, 'hex').subarray(4)])
    const signer = signerFromPrivateKey(privateKeyFromRaw(raw))
    expect(signer.nodeId).toBe(VECTOR.nodeId)
    expect(signer.publicKey).toBe(PUBLIC_KEY)
    expect(Buffer.from(await signer.sign(new TextEncoder().encode(CANONICAL))).toString('hex')).toBe(VECTOR.signature)
    expect(await verifyAttestation(VECTOR, { key: 'app/session/42', writeId: VECTOR.writeId, nodeId: VECTOR.nodeId })).toMatchObject({ valid: true })
  })

  it('refuses to encode ambiguous bodies and escapes only " and \\ in write ids', () => {
    expect(() => canonicalAttestationString({ ...VECTOR, keyHash: VECTOR.keyHash.toUpperCase() })).toThrow(TypeError)
    expect(() => canonicalAttestationString({ ...VECTOR, writeId: 'has space' })).toThrow(TypeError)
    expect(() => canonicalAttestationString({ ...VECTOR, createdAt: 1.5 })).toThrow(TypeError)
    expect(canonicalAttestationString({ ...VECTOR, writeId: 'a"b\\c' })).toContain('"writeId":"a\\"b\\\\c"')
  })
})

/**
 * Version 2 (docs/compliance.md "Canonical encoding"): a node with a jurisdiction signs the
 * same fields plus `jurisdiction`, last, under the prefix `repram-deletion-attestation/2`.
 * The same key and write as the version 1 vector, signed by a node in `eu`.
 */
const VECTOR_V2: Attestation = { ...VECTOR, jurisdiction: 'eu', signature: '93d5d14b4163c0572c6a316352abe63a3ae8bb39f15605c94ee5a3e8c0a413a3577d0e9cba1fb15f36b1f12accfa35ea92f28a3b9844183c2712616306c68707' }
const CANONICAL_V2 = 'repram-deletion-attestation/2\n{"keyHash":"abc8294694d1310444fe31a31fe484029d30513545dbebfded8057bca4d836c2","writeId":"AAECAwQFBgcICQoL","createdAt":1700000000000,"expiredAt":1700000300000,"deletedAt":1700000300012,"nodeId":"12D3KooWJ1TsijH7H5F74hfAD5XishQz3sxrmAtVY37GtNd9CqYf","cycle":28333338,"jurisdiction":"eu"}'

describe('canonical encoding, version 2 (a node with a jurisdiction)', () => {
  it('matches the published vector byte for byte, and verifies', async () => {
    expect(canonicalAttestationString(VECTOR_V2)).toBe(CANONICAL_V2)
    const raw = Buffer.concat([SEED, Buffer.from(PUBLIC_KEY, 'hex').subarray(4)])
    const signer = signerFromPrivateKey(privateKeyFromRaw(raw))
    expect(Buffer.from(await signer.sign(new TextEncoder().encode(CANONICAL_V2))).toString('hex')).toBe(VECTOR_V2.signature)
    expect(await verifyAttestation(VECTOR_V2, { key: 'app/session/42', writeId: VECTOR.writeId, nodeId: VECTOR.nodeId, jurisdictions: ['eu', 'ch'] })).toMatchObject({ valid: true, attestation: { jurisdiction: 'eu' } })
  })

  it('binds the jurisdiction: dropped, changed or added, the signature fails', async () => {
    const { jurisdiction: _, ...dropped } = VECTOR_V2
    expect(await verifyAttestation(dropped)).toMatchObject({ valid: false, reason: 'bad_signature' })
    expect(await verifyAttestation({ ...VECTOR_V2, jurisdiction: 'us' })).toMatchObject({ valid: false, reason: 'bad_signature' })
    expect(await verifyAttestation({ ...VECTOR, jurisdiction: 'eu' })).toMatchObject({ valid: false, reason: 'bad_signature' })
  })

  it('checks the expected jurisdictions: a version 1 proof or another jurisdiction is a mismatch', async () => {
    expect(await verifyAttestation(VECTOR, { jurisdictions: ['eu'] })).toMatchObject({ valid: false, reason: 'jurisdiction_mismatch' })
    expect(await verifyAttestation(VECTOR_V2, { jurisdictions: ['us'] })).toMatchObject({ valid: false, reason: 'jurisdiction_mismatch' })
    // Version 1 still verifies as it always did.
    expect(await verifyAttestation(VECTOR)).toMatchObject({ valid: true })
    expect(attestationVersion(VECTOR)).toBe(1)
    expect(attestationVersion(VECTOR_V2)).toBe(2)
  })

  it('refuses a malformed jurisdiction instead of signing or verifying it', async () => {
    for (const j of ['EU', 'e', 'eu"', '', 'a'.repeat(17)]) {
      expect(() => canonicalAttestationString({ ...VECTOR, jurisdiction: j })).toThrow(TypeError)
      expect(await verifyAttestation({ ...VECTOR_V2, jurisdiction: j })).toMatchObject({ valid: false, reason: 'malformed' })
    }
  })

  it('is exported to JSON lines and CEF with its jurisdiction, and a JSON line still verifies', async () => {
    const line = JSON.parse(toJsonLines([VECTOR_V2]).trim())
    expect(line.jurisdiction).toBe('eu')
    expect(await verifyAttestation(line)).toMatchObject({ valid: true })
    expect(toCef([VECTOR_V2])).toContain('cs5Label=jurisdiction cs5=eu')
    expect(toCef([VECTOR])).not.toContain('cs5')
  })
})

describe('AttestationLedger', () => {
  const at = (c: number, ms = 1000): number => c * ms
  it.each([
    // [from cycle, to cycle, retained, closed returned, retained closed after]
    [5, 5, 3, 0, [] as number[]],
    [5, 6, 3, 1, [5]],
    [5, 8, 3, 3, [5, 6, 7]],
    [5, 100, 3, 4, [97, 98, 99]]
  ])('rolls from cycle %i to %i keeping %i', (from, to, retained, returned, kept) => {
    const l = new AttestationLedger({ cycleMs: 1000, retained, maxPerCycle: 2 }, at(from))
    expect(l.roll(at(to) + 999)).toHaveLength(returned)
    expect(l.open.cycle).toBe(to)
    expect(l.closedCycles().map(c => c.cycle)).toEqual(kept)
    if (kept.length > 0) expect(l.latestClosed()?.cycle).toBe(kept.at(-1))
  })

  it('fills to maxPerCycle, freezes closed cycles and finds by key hash', () => {
    const l = new AttestationLedger({ cycleMs: 1000, retained: 2, maxPerCycle: 2 }, 0)
    l.add({ ...VECTOR, cycle: 0 })
    expect(l.full).toBe(false)
    l.add({ ...VECTOR, keyHash: 'ff'.repeat(32), cycle: 0 })
    expect(l.full).toBe(true)
    l.drop()
    const [closed] = l.roll(1000)
    expect(closed).toMatchObject({ cycle: 0, dropped: 1, closed: true })
    expect(Object.isFrozen(closed.attestations)).toBe(true)
    expect(l.find(VECTOR.keyHash)).toHaveLength(1)
    expect(l.size).toBe(2)
    l.roll(3000)
    expect(l.get(0)).toBeUndefined()
    expect(l.size).toBe(0)
  })
})
