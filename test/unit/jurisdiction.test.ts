/**
 * The rules of jurisdictions (issue 19 §3), without a network: codes and sets, who may
 * hold what, the config field, the wire form of a write's set, and the anti-entropy
 * digests asked for a peer in a jurisdiction.
 */
import { describe, expect, it } from 'vitest'
import { admits, formatJurisdictions, isJurisdictionCode, jurisdictionSetError, MAX_JURISDICTIONS, parseJurisdictions } from '../../src/wire/jurisdiction.js'
import { checkWrite, fromWire, toWire } from '../../src/wire/write.js'
import { Write } from '../../src/wire/pb/repram.js'
import { loadConfig, profileDefaults, validateConfig } from '../../src/config.js'
import { ConfigError } from '../../src/errors.js'
import { BucketIndex, inScope, type PeerScope } from '../../actors/anti-entropy/digest.js'
import { byJurisdictions } from '../../actors/quorum-coordinator/quorum.js'
import type { RepramRecord } from '../../src/record.js'

describe('jurisdiction codes and sets', () => {
  it.each([
    ['eu', true], ['us-east', true], ['ch', true], ['a1', true], ['x'.repeat(16), true],
    ['e', false], ['EU', false], ['1a', false], ['-eu', false], ['e u', false], ['x'.repeat(17), false], ['', false], ['eu_west', false]
  ])('%j is a code: %s', (code, ok) => {
    expect(isJurisdictionCode(code)).toBe(ok)
  })

  it.each([
    ['eu', ['eu']],
    [' US , eu ', ['eu', 'us']],
    ['eu,eu,EU', ['eu']],
    [['us', 'eu'], ['eu', 'us']]
  ] as Array<[string | string[], string[]]>)('parses %j into the canonical set %j', (input, set) => {
    expect(parseJurisdictions(input)).toEqual(set)
    expect(jurisdictionSetError(set)).toBeUndefined()
  })

  it.each(['', ' , ', 'eu,', 'e', 'eu;us', 'europe-union-member', Array.from({ length: MAX_JURISDICTIONS + 1 }, (_, i) => `j${i}`).join(','), []] as Array<string | string[]>)('refuses %j with a TypeError that says why', (input) => {
    expect(() => parseJurisdictions(input)).toThrow(TypeError)
  })

  it.each([
    [[], 'at least one'], [['us', 'eu'], 'sorted'], [['eu', 'eu'], 'sorted'], [['EU'], 'jurisdiction is'],
    [Array.from({ length: MAX_JURISDICTIONS + 1 }, (_, i) => `j${i}`), 'at most']
  ])('a wire set %j is not canonical (%s)', (codes, why) => {
    expect(jurisdictionSetError(codes)).toContain(why)
  })

  it.each([
    [undefined, null, true], [undefined, 'eu', true], [[], null, true],
    [['eu'], 'eu', true], [['eu', 'us'], 'us', true],
    [['eu'], 'us', false], [['eu'], null, false], [['eu'], undefined, false]
  ] as Array<[string[] | undefined, string | null | undefined, boolean]>)('a record restricted to %j may live on a node in %j: %s', (set, node, ok) => {
    expect(admits(set, node)).toBe(ok)
    expect(inScope(set, { jurisdiction: node ?? null })).toBe(ok)
  })

  it('formats a set as the header does', () => {
    expect(formatJurisdictions(['eu', 'us'])).toBe('eu,us')
  })
})

describe('config: jurisdiction', () => {
  it('defaults to none, is lower-cased, and names the field when bad', () => {
    expect(profileDefaults('test').jurisdiction).toBeUndefined()
    expect(validateConfig({ ...profileDefaults('test'), jurisdiction: ' EU ' }).jurisdiction).toBe('eu')
    expect(loadConfig({ profile: 'test', env: { REPRAM_JURISDICTION: 'us-east' } }).jurisdiction).toBe('us-east')
    expect(() => validateConfig({ ...profileDefaults('test'), jurisdiction: 'e' })).toThrow(ConfigError)
    try {
      validateConfig({ ...profileDefaults('test'), jurisdiction: 'e!' })
    } catch (err) {
      expect((err as ConfigError).field).toBe('jurisdiction')
      expect((err as Error).message).toContain('REPRAM_JURISDICTION')
    }
  })
})

describe('a write\'s jurisdictions on the wire', () => {
  const now = 1_700_000_000_000
  const limits = { maxKeyBytes: 1024, maxValueBytes: 1024, maxTtl: 86_400, maxClockSkewMs: 30_000, gossipInlineBytes: 64 }
  const rec: RepramRecord = { key: 'k', value: new Uint8Array([1, 2]), createdAt: now, expiresAt: now + 60_000, writeId: 'w1', jurisdictions: ['eu', 'us'] }

  it('travels in Write field 9 and comes back the same; an unrestricted write has none', () => {
    const back = Write.decode(Write.encode(toWire(rec, new Uint8Array([1]))))
    expect(back.jurisdictions?.codes).toEqual(['eu', 'us'])
    expect(fromWire(back).jurisdictions).toEqual(['eu', 'us'])
    expect(checkWrite(back, now, limits)).toBeUndefined()
    const plain = Write.decode(Write.encode(toWire({ ...rec, jurisdictions: undefined }, new Uint8Array([1]))))
    expect(plain.jurisdictions).toBeUndefined()
    expect('jurisdictions' in fromWire(plain)).toBe(false)
    // Announced (large) writes keep them too.
    expect(toWire(rec, new Uint8Array([1]), false).jurisdictions?.codes).toEqual(['eu', 'us'])
  })

  it.each([[['us', 'eu']], [['EU']], [[]], [['eu', 'eu']]])('a set no honest node sends (%j) makes the write invalid', (codes) => {
    expect(checkWrite({ ...toWire(rec, new Uint8Array([1])), jurisdictions: { codes } }, now, limits)).toBe('bad_jurisdiction')
  })
})

describe('writes grouped by jurisdiction set (the coordinator)', () => {
  const w = (id: string, jurisdictions?: string[]): { record: { writeId: string, jurisdictions?: string[] } } => ({ record: { writeId: id, jurisdictions } })

  it('groups nothing when no write is restricted, else one group per set in first-seen order', () => {
    expect(byJurisdictions([w('a'), w('b')])).toBeUndefined()
    const groups = byJurisdictions([w('a'), w('b', ['eu']), w('c'), w('d', ['eu', 'us']), w('e', ['eu'])])
    expect(groups?.map(g => g.map(x => x.record.writeId))).toEqual([['a', 'c'], ['b', 'e'], ['d']])
  })
})

describe('anti-entropy digests for a peer in a jurisdiction', () => {
  interface E { key: string, writeId: string, expiresAt: number, jurisdictions?: string[], bucketPrev: E | undefined, bucketNext: E | undefined }
  const entry = (i: number, jurisdictions?: string[]): E => ({ key: `k/${i}`, writeId: `w${i}`, expiresAt: 1_700_000_000_000 + i, jurisdictions, bucketPrev: undefined, bucketNext: undefined })
  const SETS = [undefined, ['eu'], ['eu', 'us'], ['us'], ['ch', 'eu']]
  const scopes: PeerScope[] = [{ jurisdiction: null }, { jurisdiction: 'eu' }, { jurisdiction: 'us' }, { jurisdiction: 'ch' }, { jurisdiction: 'ap' }]

  it('equal the digests of an index holding only what the peer may hold, groups and buckets alike', () => {
    const all = new BucketIndex<E>()
    const entries = Array.from({ length: 600 }, (_, i) => entry(i, SETS[i % SETS.length]))
    for (const e of entries) all.add(e)
    for (const scope of scopes) {
      const only = new BucketIndex<E>()
      for (const e of entries) if (inScope(e.jurisdictions, scope)) only.add({ ...e, bucketPrev: undefined, bucketNext: undefined })
      expect(all.groups(scope)).toEqual(only.groups())
      expect(all.buckets([0, 7, 63], scope)).toEqual(only.buckets([0, 7, 63]))
    }
    // Without a scope: every record, as before.
    const every = new BucketIndex<E>()
    for (const e of entries) every.add({ ...e, bucketPrev: undefined, bucketNext: undefined })
    expect(all.groups()).toEqual(every.groups())
  })

  it('forgets removed records: with no restricted record left, a peer\'s view is the whole index again', () => {
    const idx = new BucketIndex<E>()
    const plain = Array.from({ length: 50 }, (_, i) => entry(i))
    const eu = Array.from({ length: 50 }, (_, i) => entry(100 + i, ['eu']))
    for (const e of [...plain, ...eu]) idx.add(e)
    expect(idx.groups({ jurisdiction: 'us' })).not.toEqual(idx.groups())
    for (const e of eu) idx.remove(e)
    expect(idx.groups({ jurisdiction: 'us' })).toEqual(idx.groups())
    expect(idx.groups({ jurisdiction: 'eu' })).toEqual(idx.groups())
  })
})
