/** Pure rules of the cluster layer: quorum maths, membership timing, batching, validation. */
import { describe, expect, it } from 'vitest'
import { MembershipTable, announceDue, announceIntervalMs, announceWaitMs, ANNOUNCE_JITTER, isForgotten } from '../../../actors/membership/index.js'
import { pickTargets, stillPossible, quorumSize } from '../../../actors/quorum-coordinator/index.js'
import { GossipBatcher } from '../../../actors/gossip-peer/index.js'
import { SeenCache } from '../../../actors/runtime/seen-cache.js'
import { checkWrite } from '../../../src/wire/write.js'
import { pskFromSecret } from '../../../src/net/pnet.js'
import { GossipMessage } from '../../../src/wire/pb/repram.js'

describe('quorumSize', () => {
  it.each([
    [3, 1, 1], [3, 2, 2], [3, 3, 2], [3, 5, 2], [5, 5, 3], [5, 3, 2], [1, 9, 1], [2, 2, 2], [4, 4, 3], [3, 0, 1]
  ])('R=%i with an enclave of %i needs %i copies', (r, size, want) => {
    expect(quorumSize(r, size)).toBe(want)
  })
})

describe('membership timing', () => {
  it.each([
    [60_000, 20_000], [3000, 1000], [1500, 500], [30, 10], [100, 33]
  ])('announces every memberTtl/3 (at least 10 ms) without a ping interval: memberTtl %i → %i ms', (ttl, want) => {
    expect(announceIntervalMs(ttl)).toBe(want)
  })
  it.each([
    // memberTtl, ping, members → interval: one ping interval per 3 nodes (members + itself), capped at memberTtl/3
    [60_000, 5000, 2, 5000], [60_000, 5000, 3, 10_000], [60_000, 5000, 5, 10_000], [60_000, 5000, 6, 15_000],
    [60_000, 5000, 8, 15_000], [60_000, 5000, 9, 20_000], [60_000, 5000, 99, 20_000], [60_000, 300, 2, 300],
    [60_000, 300, 6, 900], [5000, 300, 50, 1666], [30, 5, 0, 10]
  ])('announces every ping interval per 3 nodes, at most memberTtl/3: memberTtl %i, ping %i, %i members → %i ms', (ttl, ping, members, want) => {
    expect(announceIntervalMs(ttl, ping, members)).toBe(want)
  })

  it.each([
    [0, 1000], [0.5, 875], [0.999999, 750], [1, 750]
  ])('jitters the announce wait within [1 − ANNOUNCE_JITTER, 1] × the interval: random %f → %i ms', (r, want) => {
    expect(ANNOUNCE_JITTER).toBe(0.25)
    expect(announceWaitMs(1000, () => r)).toBe(want)
  })

  it('never waits longer than the interval, and spreads nodes over a quarter of it', () => {
    const waits = Array.from({ length: 2000 }, () => announceWaitMs(20_000))
    expect(Math.max(...waits)).toBeLessThanOrEqual(20_000)
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(15_000)
    // Not in lockstep: the draws cover the range.
    expect(Math.max(...waits) - Math.min(...waits)).toBeGreaterThan(4000)
  })

  it.each([
    // interval, wait, quiet → announce?, next wait, next delay (random 0: a full interval)
    [1000, 800, Infinity, true, 1000, 1000], // never published: announce, then a new wait
    [1000, 800, 800, true, 1000, 1000], // quiet for the whole wait
    [1000, 800, 759, true, 1000, 1000], // within the slack of timers (5% + 1 ms)
    [1000, 800, 758, false, 800, 42], // published 758 ms ago: due 42 ms later, same wait
    [1000, 1000, 200, false, 1000, 800], // a write 200 ms ago is a sign of life: wait until the wait is up
    [1000, 750, 0, false, 750, 750]
  ])('interval %i, wait %i, %s ms of gossip silence: announce %s, next wait %i, fires in %i ms', (interval, wait, quiet, announce, nextWait, delay) => {
    expect(announceDue(interval, wait, quiet, () => 0)).toEqual({ announce, waitMs: nextWait, delayMs: delay })
  })

  it('keeps members hearing from a node at least every interval, whether it writes or not', () => {
    // Simulate the timer: a node publishes writes at random times; members must never go an
    // interval without a message (write or announce); a skip is always a real one (the node
    // published within the wait), and a node writing often never announces.
    for (const writeEvery of [Infinity, 5000, 700, 400, 100]) {
      let last = 0
      let announces = 0
      let skips = 0
      let maxGap = 0
      let wait = announceWaitMs(1000)
      let timer = wait
      let nextWrite = writeEvery
      let wroteSinceFire = false
      while (Math.min(timer, nextWrite) < 60_000) {
        if (nextWrite <= timer) {
          maxGap = Math.max(maxGap, nextWrite - last); last = nextWrite; wroteSinceFire = true
          nextWrite += writeEvery * (0.5 + Math.random())
          continue
        }
        const now = timer
        const due = announceDue(1000, wait, now - last)
        if (due.announce) { maxGap = Math.max(maxGap, now - last); last = now; announces++ } else { expect(wroteSinceFire).toBe(true); skips++ }
        wroteSinceFire = false
        wait = due.waitMs
        timer = now + due.delayMs
      }
      expect(maxGap).toBeLessThanOrEqual(1000)
      if (writeEvery <= 400) expect(announces).toBe(0) // gaps ≤ 600 ms < the shortest wait
      if (writeEvery === Infinity) { expect(announces).toBeGreaterThanOrEqual(60); expect(skips).toBe(0) }
    }
  })

  it.each([
    [0, 59_999, false], [0, 60_000, true], [1000, 60_999, false]
  ])('a member last seen at %i is forgotten at %i: %s', (seen, now, want) => {
    expect(isForgotten(seen, now, 60_000)).toBe(want)
  })

  it('counts a crashed member until memberTtl, marks it unhealthy after pingFailures, and lets it recover', () => {
    const t = new MembershipTable({ memberTtlMs: 1000, pingFailures: 2 })
    expect(t.seen('a', 0, ['/ip4/1.2.3.4/tcp/1'])).toBe('joined')
    // Seen again with nothing new for the view: only lastSeen moves.
    expect(t.seen('a', 10)).toBe('none')
    expect(t.seen('a', 11, ['/ip4/1.2.3.4/tcp/1'])).toBe('none')
    expect(t.get('a')?.lastSeen).toBe(11)
    // New addresses, or a first connection, change the view.
    expect(t.seen('a', 12, ['/ip4/1.2.3.4/tcp/2'])).toBe('updated')
    expect(t.seen('a', 13, undefined, true)).toBe('updated')
    expect(t.seen('a', 14, undefined, true)).toBe('none')
    expect(t.pingFailed('a')).toBe('updated')
    expect(t.pingFailed('a')).toBe('unhealthy')
    expect(t.get('a')?.healthy).toBe(false)
    expect(t.pingOk('a', 3, 500)).toBe('recovered')
    expect(t.get('a')).toMatchObject({ healthy: true, failures: 0, rttMs: 3, lastSeen: 500 })
    expect(t.expire(1499)).toEqual([])
    expect(t.expire(1500)).toEqual(['a'])
    expect(t.size).toBe(0)
  })

  it('removes a leaving member at once and ignores its late signals until it reconnects', () => {
    const t = new MembershipTable({ memberTtlMs: 1000, pingFailures: 2 })
    t.seen('a', 0)
    expect(t.leave('a', 5)).toBe(true)
    expect(t.seen('a', 6)).toBe('none')
    expect(t.size).toBe(0)
    t.reconnected('a')
    expect(t.seen('a', 7)).toBe('joined')
    t.leave('a', 10)
    t.expire(1010)
    expect(t.seen('a', 1011)).toBe('joined')
  })
})

describe('replica choice', () => {
  const m = (id: string, healthy: boolean, rttMs: number | null) => ({ id, healthy, rttMs })
  it('chooses healthy members only, lowest RTT first', () => {
    expect(pickTargets([m('a', true, 5), m('b', false, 1), m('c', true, 2), m('d', true, null)], 2).map(x => x.id)).toEqual(['c', 'a'])
    expect(pickTargets([m('a', false, 1)], 2)).toEqual([])
    expect(pickTargets([m('a', true, 1)], 0)).toEqual([])
  })
  it('prefers members of the active view, then RTT', () => {
    const v = (id: string, active: boolean, rttMs: number | null) => ({ id, healthy: true, rttMs, active })
    expect(pickTargets([v('far', false, 1), v('a', true, 9), v('b', true, null), v('c', true, 3)], 2).map(x => x.id)).toEqual(['c', 'a'])
    expect(pickTargets([v('far', false, 1), v('a', true, 9)], 2).map(x => x.id)).toEqual(['a', 'far'])
  })
  it('knows when a quorum became impossible', () => {
    expect(stillPossible({ needed: 2, acks: 1, outstanding: 1 })).toBe(true)
    expect(stillPossible({ needed: 2, acks: 1, outstanding: 0 })).toBe(false)
  })
})

describe('GossipBatcher', () => {
  const w = (bytes: number) => ({ record: { key: 'k', value: new Uint8Array(0), createdAt: 1, expiresAt: 2, writeId: 'x' }, inline: true, bytes })
  it('cuts a batch at the write count', () => {
    const b = new GossipBatcher({ maxWrites: 3, maxBytes: 1_000_000 })
    expect(b.add(w(10))).toEqual([])
    expect(b.add(w(10))).toEqual([])
    expect(b.add(w(10))[0]).toHaveLength(3)
    expect(b.length).toBe(0)
  })
  it('never lets a batch exceed the byte bound (unless one write alone does)', () => {
    const b = new GossipBatcher({ maxWrites: 100, maxBytes: 100 })
    expect(b.add(w(60))).toEqual([])
    const out = b.add(w(60))
    expect(out.map(x => x.length)).toEqual([1])
    expect(b.length).toBe(1)
    expect(b.add(w(500)).map(x => x.length)).toEqual([1, 1])
  })
})

describe('SeenCache', () => {
  it('reports duplicates, forgets after its TTL and keeps at most `max` ids', () => {
    let now = 0
    const c = new SeenCache(100, 2, () => now)
    expect(c.add('a')).toBe(true)
    expect(c.add('a')).toBe(false)
    now = 100
    expect(c.add('a')).toBe(true)
    c.add('b')
    c.add('c')
    expect(c.size).toBe(2)
    expect(c.has('a')).toBe(false)
  })

  it('agrees with a plain list over 20,000 adds through expiry, the size bound and its queue\'s compaction', () => {
    let now = 0
    const ttl = 2000
    const max = 150
    const c = new SeenCache(ttl, max, () => now)
    // The reference: ids with their expiry, oldest first, pruned and bounded the same way.
    let ref: Array<[string, number]> = []
    let seed = 7
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor(seed / 65536) % n }
    let atBound = 0
    let expired = 0
    for (let i = 0; i < 20_000; i++) {
      // Bursts (many ids in one ms, so the bound bites) and gaps (so ids expire).
      now += rand(10) === 0 ? rand(400) : rand(2)
      const id = `w${rand(6000)}`
      const before = ref.length
      ref = ref.filter(([, exp]) => exp > now)
      if (ref.length < before) expired++
      const fresh = !ref.some(([r]) => r === id)
      if (fresh) {
        ref.push([id, now + ttl])
        if (ref.length > max) { ref.shift(); atBound++ }
      }
      expect(c.add(id)).toBe(fresh)
      expect(c.size).toBe(ref.length)
    }
    for (let k = 0; k < 6000; k++) expect(c.has(`w${k}`)).toBe(ref.some(([r]) => r === `w${k}`))
    // The run went through both ways of dropping the oldest, many times over the queue's 1,024-id compaction.
    expect(atBound).toBeGreaterThan(500)
    expect(expired).toBeGreaterThan(500)
  })
})

describe('checkWrite', () => {
  const limits = { maxKeyBytes: 16, maxValueBytes: 1000, maxTtl: 100, maxClockSkewMs: 1000, gossipInlineBytes: 100 }
  const now = 1_000_000
  const base = { key: 'k', value: new Uint8Array(3), createdAt: now, expiresAt: now + 10_000, writeId: 'abc', origin: new Uint8Array(0) }
  it.each([
    ['a valid write', {}, undefined],
    ['an empty key', { key: '' }, 'bad_key'],
    ['a key over maxKeyBytes', { key: 'x'.repeat(17) }, 'bad_key'],
    ['a lone surrogate', { key: '\uD800' }, 'bad_key'],
    ['a missing write id', { writeId: '' }, 'bad_write_id'],
    ['a value over maxValueBytes', { value: new Uint8Array(1001) }, 'value_too_large'],
    ['expiresAt before createdAt', { expiresAt: now - 1 }, 'bad_times'],
    ['a TTL beyond maxTtl', { expiresAt: now + 102_000 }, 'ttl_too_long'],
    ['an expiry beyond now + maxTtl + skew', { createdAt: now + 900, expiresAt: now + 101_500 }, 'ttl_too_long'],
    ['createdAt beyond the skew', { createdAt: now + 2000, expiresAt: now + 3000 }, 'from_future'],
    ['an expired write', { createdAt: now - 5000, expiresAt: now }, 'expired'],
    ['an announced write (size, sha256, no value)', { value: new Uint8Array(0), size: 500, hash: new Uint8Array(32) }, undefined],
    ['an announced write without its sha256', { value: new Uint8Array(0), size: 500 }, 'bad_hash'],
    ['an announce small enough to inline', { value: new Uint8Array(0), size: 50 }, 'bad_size'],
    ['an announce with a value', { size: 500 }, 'bad_size']
  ])('%s → %s', (_name, over, want) => {
    expect(checkWrite({ ...base, ...over }, now, limits)).toBe(want)
  })
})

describe('wire schema and secrets', () => {
  it('round-trips a gossip batch', () => {
    const m = { network: 'private', enclave: 'e', writes: [{ key: 'a/b', value: new Uint8Array([0, 255]), createdAt: 1_700_000_000_123, expiresAt: 1_700_000_060_123, writeId: 'id', origin: new Uint8Array([1]) }] }
    expect(GossipMessage.decode(GossipMessage.encode(m))).toMatchObject(m)
  })
  it('derives the same pnet key from the same secret, and another from another', () => {
    const a = new TextDecoder().decode(pskFromSecret('s3cret-one'))
    expect(a).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/)
    expect(new TextDecoder().decode(pskFromSecret('s3cret-one'))).toBe(a)
    expect(new TextDecoder().decode(pskFromSecret('s3cret-two'))).not.toBe(a)
  })
})
