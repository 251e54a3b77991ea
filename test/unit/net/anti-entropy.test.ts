/**
 * Pure parts of anti-entropy: the digest index kept by each shard and the round schedule.
 */
import { describe, expect, it } from 'vitest'
import { ShardStore } from '../../../actors/storage-shard/index.js'
import { SyncSchedule, convergenceBoundMs, bucketOf, digestBytes, digestWords, xorInto, SYNC_BUCKETS } from '../../../actors/anti-entropy/index.js'

const rec = (key: string, writeId: string, expiresAt = 10_000, createdAt = 1): { key: string, value: Uint8Array, createdAt: number, expiresAt: number, writeId: string } =>
  ({ key, value: new Uint8Array([1, 2, 3]), createdAt, expiresAt, writeId })

function groups (s: ShardStore): Uint32Array { return s.index.groups() }

describe('shard digests', () => {
  it('are equal for the same live set whatever the order and the shard split', () => {
    const keys = Array.from({ length: 500 }, (_, i) => `k/${i}`)
    const one = new ShardStore(1 << 20)
    for (const k of keys) one.write(rec(k, `w${k}`), 0, false)
    const x = new ShardStore(1 << 20)
    const y = new ShardStore(1 << 20)
    for (const k of [...keys].reverse()) (bucketOf(k) % 2 === 0 ? x : y).write(rec(k, `w${k}`), 0, false)
    const combined = groups(x)
    xorInto(combined, groups(y))
    expect([...combined]).toEqual([...groups(one)])
  })

  it('change on overwrite and return to empty after every record expires', () => {
    const s = new ShardStore(1 << 20)
    const empty = [...groups(s)]
    s.write(rec('a', 'w1', 100), 0, false)
    const before = [...groups(s)]
    s.write(rec('a', 'w2', 200, 2), 0, false)
    expect([...groups(s)]).not.toEqual(before)
    s.write(rec('b', 'w3', 150), 0, false)
    expect(s.bucketRecords([bucketOf('a'), bucketOf('b')], 0).map(e => e.key).sort()).toEqual(['a', 'b'])
    s.sweep(1000)
    expect([...groups(s)]).toEqual(empty)
    expect(s.bucketRecords([bucketOf('a')], 0)).toEqual([])
  })

  it('lists a bucket without expired records', () => {
    const s = new ShardStore(1 << 20)
    s.write(rec('live', 'w1', 1000), 0, false)
    s.write(rec('dead', 'w2', 10), 0, false)
    const buckets = [bucketOf('live'), bucketOf('dead')]
    expect(s.bucketRecords(buckets, 50).map(e => e.key)).toEqual(['live'])
  })

  it('round-trips digests through their 8-byte wire form', () => {
    const w = new Uint32Array([1, 2, 0xffffffff, 0x80000000])
    expect([...digestWords(digestBytes(w))]).toEqual([...w])
    expect(bucketOf('x')).toBeLessThan(SYNC_BUCKETS)
  })
})

describe('sync schedule', () => {
  it('visits every healthy peer once per rotation, triggered peers first', () => {
    const s = new SyncSchedule(() => 0.42)
    s.setPeers(['a', 'b', 'c', 'd'])
    const seen = new Set<string>()
    for (let i = 0; i < 4; i++) seen.add(s.nextPeriodic() as string)
    expect([...seen].sort()).toEqual(['a', 'b', 'c', 'd'])
    s.trigger('c')
    s.trigger('zz')
    expect(s.nextTriggered()).toBe('c')
    // Unknown or unhealthy peers wait for their turn.
    expect(s.nextTriggered()).toBeUndefined()
    s.setPeers(['a', 'zz'])
    expect(s.nextTriggered()).toBe('zz')
  })

  it('never picks a peer with a round in flight', () => {
    const s = new SyncSchedule()
    s.setPeers(['a'])
    s.started('a')
    expect(s.nextPeriodic()).toBeUndefined()
    s.trigger('a')
    expect(s.nextTriggered()).toBeUndefined()
    s.finished('a')
    expect(s.nextTriggered()).toBe('a')
  })

  it.each([
    [4, 10_000, 60_000, 140_000],
    [1, 1000, 10_000, 12_000],
    [0, 1000, 5000, 7000]
  ])('bounds convergence for %i peers at a %i ms interval', (peers, interval, round, bound) => {
    expect(convergenceBoundMs(peers, interval, round)).toBe(bound)
  })
})
