import { describe, expect, it } from 'vitest'
import { ShardStore } from '../../../actors/storage-shard/index.js'
import { compareUtf8, type RepramRecord } from '../../../src/record.js'

const T0 = 1_700_000_000_000
const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill)
const rec = (key: string, value: Uint8Array, createdAt: number, ttlMs: number, writeId = `w-${key}-${createdAt}`): RepramRecord =>
  ({ key, value, createdAt, expiresAt: createdAt + ttlMs, writeId })

describe('ShardStore', () => {
  it('serves a record just before expiresAt and not at it', () => {
    const s = new ShardStore(1 << 20)
    s.write(rec('k', bytes(3), T0, 1000), T0, true)
    expect(s.live('k', T0 + 999)?.value).toEqual(bytes(3))
    expect(s.live('k', T0 + 1000)).toBeUndefined()
    expect(s.count).toBe(0)
    expect(s.bytes).toBe(0)
  })

  it('resets the TTL on overwrite, so the old deadline removes nothing', () => {
    const s = new ShardStore(1 << 20)
    s.write(rec('k', bytes(3), T0, 1000), T0, true)
    s.write(rec('k', bytes(4), T0 + 500, 1000), T0 + 500, true)
    expect(s.sweep(T0 + 1000)).toBe(0)
    expect(s.live('k', T0 + 1499)?.value).toEqual(bytes(4))
    expect(s.sweep(T0 + 1500)).toBe(1)
    expect(s.count).toBe(0)
  })

  it('merges remote writes by last-writer-wins on (createdAt, writeId)', () => {
    const s = new ShardStore(1 << 20)
    s.write(rec('k', bytes(1, 1), T0, 10_000, 'b'), T0, false)
    expect(s.write(rec('k', bytes(1, 2), T0 - 1, 10_000, 'z'), T0, false).status).toBe('stale')
    expect(s.write(rec('k', bytes(1, 3), T0, 10_000, 'a'), T0, false).status).toBe('stale')
    expect(s.write(rec('k', bytes(1, 4), T0, 10_000, 'c'), T0, false).status).toBe('stored')
    expect(s.live('k', T0)?.value).toEqual(bytes(1, 4))
    expect(s.write(rec('k', bytes(1, 5), T0 + 1, 10_000, 'a'), T0, false).status).toBe('stored')
    expect(s.live('k', T0)?.writeId).toBe('a')
  })

  it('makes a local write win over a record from a peer whose clock ran ahead', () => {
    const s = new ShardStore(1 << 20)
    s.write(rec('k', bytes(1, 1), T0 + 5000, 60_000, 'peer'), T0, false)
    const out = s.write(rec('k', bytes(1, 2), T0, 60_000, 'mine'), T0, true)
    expect(out.status).toBe('stored')
    if (out.status === 'stored') expect(out.record.createdAt).toBe(T0 + 5001)
    // The expiry the client asked still lies after the new createdAt: kept as asked.
    if (out.status === 'stored') expect(out.record.expiresAt).toBe(T0 + 60_000)
    expect(s.live('k', T0)?.writeId).toBe('mine')
  })

  it.each([
    // [what, peer createdAt ahead, local TTL, maxAheadMs, expected expiresAt]
    ['keeps the TTL when the jump is longer than it (expiresAt moves by the same amount)', 25_000, 5000, 3_630_000, T0 + 25_001 + 5000],
    ['bounds the moved expiry by now + maxTtl + skew', 25_000, 5000, 28_000, T0 + 28_000],
    ['never lets it end before it begins, even past that bound', 25_000, 5000, 10_000, T0 + 25_002],
    ['moves nothing when the TTL outlasts the jump', 25_000, 30_000, 3_630_000, T0 + 30_000]
  ])('a local write over a peer record from ahead %s', (_what, ahead, ttlMs, maxAheadMs, expiresAt) => {
    const s = new ShardStore(1 << 20, () => {}, maxAheadMs)
    s.write(rec('k', bytes(1, 1), T0 + ahead, 60_000, 'stranger'), T0, false)
    const out = s.write(rec('k', bytes(1, 2), T0, ttlMs, 'mine'), T0, true)
    expect(out.status).toBe('stored')
    if (out.status !== 'stored') return
    expect(out.record.createdAt).toBe(T0 + ahead + 1)
    expect(out.record.expiresAt).toBe(expiresAt)
    expect(out.record.expiresAt).toBeGreaterThan(out.record.createdAt)
    expect(s.live('k', T0)?.writeId).toBe('mine')
    expect(s.nextExpiry).toBe(expiresAt)
  })

  it('drops records that are already expired on arrival', () => {
    const s = new ShardStore(1 << 20)
    expect(s.write(rec('k', bytes(1), T0 - 2000, 1000), T0, false).status).toBe('expired')
    expect(s.count).toBe(0)
  })

  it('accounts bytes through writes, overwrites and expiry, and refuses past capacity without changing anything', () => {
    const s = new ShardStore(100)
    expect(s.write(rec('aa', bytes(48), T0, 1000), T0, true).status).toBe('stored') // 50
    expect(s.write(rec('bb', bytes(48), T0, 2000), T0, true).status).toBe('stored') // 100
    expect(s.bytes).toBe(100)
    const refused = s.write(rec('c', bytes(0), T0, 1000), T0, true)
    expect(refused).toEqual({ status: 'capacity', needed: 1, free: 0 })
    expect(s.count).toBe(2)
    // An overwrite may reuse the space of the record it replaces.
    expect(s.write(rec('aa', bytes(10), T0 + 1, 1000), T0, true).status).toBe('stored')
    expect(s.bytes).toBe(62)
    expect(s.write(rec('aa', bytes(48), T0 + 2, 1000), T0, true).status).toBe('stored')
    expect(s.bytes).toBe(100)
    expect(s.write(rec('aa', bytes(49), T0 + 3, 1000), T0, true).status).toBe('capacity')
    expect(s.live('aa', T0)?.value.byteLength).toBe(48)
    expect(s.bytes).toBe(100)
    s.sweep(T0 + 1002)
    expect(s.bytes).toBe(50)
    expect(s.count).toBe(1)
    s.sweep(T0 + 2000)
    expect(s.bytes).toBe(0)
  })

  it('counts keys in UTF-8 bytes', () => {
    const s = new ShardStore(6)
    expect(s.write(rec('é', bytes(4), T0, 1000), T0, true).status).toBe('stored') // 2 + 4
    expect(s.bytes).toBe(6)
  })

  it('lists live keys by UTF-8 byte order with prefix, cursor and limit', () => {
    const s = new ShardStore(1 << 20)
    const keys = ['a/2', 'a/1', 'a/\uFFFD', 'a/\u{1F600}', 'b/1', 'a/gone']
    for (const k of keys) s.write(rec(k, bytes(1), T0, k === 'a/gone' ? 10 : 1000), T0, true)
    expect(s.keys('a/', undefined, 10, T0 + 10)).toEqual(['a/1', 'a/2', 'a/\uFFFD', 'a/\u{1F600}'])
    expect(s.keys('a/', 'a/2', 10, T0 + 10)).toEqual(['a/\uFFFD', 'a/\u{1F600}'])
    expect(s.keys('', undefined, 2, T0 + 10)).toEqual(['a/1', 'a/2'])
  })

  it('pages keys from its sorted index exactly as a full scan and sort would, through writes, overwrites, expiry and sweeps', () => {
    // A seeded generator, so a failure is reproducible.
    let seed = 7
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
    const alphabet = ['a', 'b', '/', '\uE000', '\u{1F600}', 'é']
    const word = (): string => Array.from({ length: 1 + rand(4) }, () => alphabet[rand(alphabet.length)]).join('')
    const s = new ShardStore(1 << 24)
    const live = new Map<string, number>()
    let now = T0
    const naive = (prefix: string, after: string | undefined, limit: number): string[] =>
      [...live].filter(([k, exp]) => exp > now && k.startsWith(prefix) && (after === undefined || compareUtf8(k, after) > 0))
        .map(([k]) => k).sort(compareUtf8).slice(0, limit)
    for (let step = 0; step < 3000; step++) {
      const op = rand(10)
      if (op < 6) {
        const k = word()
        const ttl = 1 + rand(50)
        const out = s.write(rec(k, bytes(1), now, ttl, `w${step}`), now, true)
        if (out.status === 'stored') live.set(k, now + ttl)
      } else if (op < 7) {
        now += rand(20)
      } else if (op < 8) {
        s.sweep(now)
      } else {
        const prefix = rand(3) === 0 ? '' : word().slice(0, 1 + rand(2))
        const after = rand(2) === 0 ? undefined : word()
        const limit = 1 + rand(8)
        expect(s.keys(prefix, after, limit, now), `step ${step}`).toEqual(naive(prefix, after, limit))
      }
    }
    // every page of everything, cursor after cursor, lists each live key once
    const all: string[] = []
    for (let page = s.keys('', undefined, 3, now); page.length > 0; page = s.keys('', page[page.length - 1], 3, now)) all.push(...page)
    expect(all).toEqual(naive('', undefined, Infinity))
  })

  it('sweeps only what is due, in expiry order, and reports removals', () => {
    const removed: string[] = []
    const s = new ShardStore(1 << 20, (r) => removed.push(r.key))
    for (let i = 0; i < 100; i++) s.write(rec(`k${i}`, bytes(1), T0, ((i * 37) % 100 + 1) * 10), T0, true)
    expect(s.sweep(T0 + 500)).toBe(50)
    expect(s.nextExpiry).toBe(T0 + 510)
    expect(removed).toHaveLength(50)
    expect(s.sweep(T0 + 1000)).toBe(50)
    expect(s.nextExpiry).toBe(Infinity)
  })
})
