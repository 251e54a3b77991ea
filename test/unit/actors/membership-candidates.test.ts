/**
 * The candidate pool alone (issue 16 §2): address ranges, the backoff as a table, caps in
 * all, per source and per range, the dial token bucket and expiry, with time passed in.
 */
import { describe, expect, it } from 'vitest'
import { CandidatePool, addressRange, backoffDelayMs, CANDIDATE_BACKOFF_MAX_MS, CANDIDATE_BACKOFF_MIN_MS } from '../../../actors/membership/index.js'

const T0 = 1_700_000_000_000
const caps = { max: 4, perSource: 2, perRange: 2, dialRate: 1 }

describe('addressRange', () => {
  it.each([
    ['/ip4/198.51.100.7/tcp/4001', 'ip4/198.51.100'],
    ['/ip4/198.51.100.200/tcp/4001/p2p/x', 'ip4/198.51.100'],
    ['/ip6/2001:db8:1:2::5/tcp/4001', 'ip6/2001:db8:1'],
    ['/ip6/2001:db8::1/tcp/4001', 'ip6/2001:db8:0'],
    ['/ip6/::1/tcp/4001', 'ip6/0:0:0'],
    ['/dns4/Node.Example.org/tcp/4001', 'dns/node.example.org'],
    ['/memory/abc', 'memory/abc'],
    ['/unix/tmp/x', 'unix']
  ])('%s → %s', (addr, range) => {
    expect(addressRange(addr)).toBe(range)
  })
})

describe('backoffDelayMs', () => {
  it.each([[0, 0], [1, CANDIDATE_BACKOFF_MIN_MS], [2, 2 * CANDIDATE_BACKOFF_MIN_MS], [3, 4 * CANDIDATE_BACKOFF_MIN_MS], [40, CANDIDATE_BACKOFF_MAX_MS]])('after %i failures waits %i ms', (failures, ms) => {
    expect(backoffDelayMs(failures)).toBe(ms)
  })
})

describe('CandidatePool', () => {
  it('takes candidates until a cap is reached, and names the cap', () => {
    const pool = new CandidatePool(caps, T0)
    expect(pool.offer('a', ['/ip4/10.0.1.1/tcp/1'], 's1', T0)).toBe('added')
    expect(pool.offer('b', ['/ip4/10.0.2.1/tcp/1'], 's1', T0)).toBe('added')
    expect(pool.offer('c', ['/ip4/10.0.3.1/tcp/1'], 's1', T0)).toBe('source_cap')
    expect(pool.offer('c', ['/ip4/10.0.1.2/tcp/1'], 's2', T0)).toBe('added')
    expect(pool.offer('d', ['/ip4/10.0.1.3/tcp/1'], 's2', T0)).toBe('range_cap')
    expect(pool.offer('d', ['/ip4/10.0.4.1/tcp/1'], 's2', T0)).toBe('added')
    expect(pool.offer('e', ['/ip4/10.0.5.1/tcp/1'], 's3', T0)).toBe('pool_full')
    expect(pool.offer('f', [], 's3', T0)).toBe('no_address')
    expect(pool.offer('a', ['/ip4/10.0.9.9/tcp/1'], 's3', T0)).toBe('known')
    expect(pool.get('a')?.source).toBe('s1')
    expect(pool.size).toBe(4)
    // Room frees when a candidate leaves.
    expect(pool.remove('a')).toBe(true)
    expect(pool.offer('g', ['/ip4/10.0.6.1/tcp/1'], 's1', T0)).toBe('added')
  })

  it('spends a dial token per dial: a burst of 2x the rate, then the rate', () => {
    const pool = new CandidatePool({ ...caps, max: 10, perSource: 10, perRange: 10 }, T0)
    for (let i = 0; i < 5; i++) pool.offer(`c${i}`, [`/ip4/10.${i}.0.1/tcp/1`], 's', T0)
    expect(pool.nextDial(T0)?.id).toBe('c0')
    expect(pool.nextDial(T0)?.id).toBe('c1')
    expect(pool.nextDial(T0)).toBeUndefined()
    expect(pool.nextDialAt(T0)).toBe(T0 + 1000)
    expect(pool.nextDial(T0 + 999)).toBeUndefined()
    expect(pool.nextDial(T0 + 1000)?.id).toBe('c2')
  })

  it('backs off a source and a range after a failed dial, and clears them after a success', () => {
    const pool = new CandidatePool({ ...caps, max: 10, perSource: 10, perRange: 10, dialRate: 100 }, T0)
    pool.offer('a', ['/ip4/10.0.1.1/tcp/1'], 's1', T0)
    pool.offer('b', ['/ip4/10.0.2.1/tcp/1'], 's1', T0)
    pool.offer('c', ['/ip4/10.0.1.2/tcp/1'], 's2', T0)
    const a = pool.nextDial(T0)
    expect(a?.id).toBe('a')
    pool.dialled(a!, false, T0)
    pool.remove('a')
    // b shares a's source, c its range: both wait.
    expect(pool.nextDial(T0 + 1)).toBeUndefined()
    expect(pool.nextDialAt(T0 + 1)).toBe(T0 + CANDIDATE_BACKOFF_MIN_MS)
    const b = pool.nextDial(T0 + CANDIDATE_BACKOFF_MIN_MS)
    expect(b?.id).toBe('b')
    pool.dialled(b!, true, T0 + CANDIDATE_BACKOFF_MIN_MS)
    pool.remove('b')
    expect(pool.nextDial(T0 + CANDIDATE_BACKOFF_MIN_MS)?.id).toBe('c')
  })

  it('never dials with a rate of 0', () => {
    const pool = new CandidatePool({ ...caps, dialRate: 0 }, T0)
    pool.offer('a', ['/ip4/10.0.1.1/tcp/1'], 's1', T0)
    expect(pool.nextDial(T0 + 60_000)).toBeUndefined()
    expect(pool.nextDialAt(T0)).toBeUndefined()
  })

  it('forgets candidates not heard of within the ttl, but not one being dialled', () => {
    const pool = new CandidatePool({ ...caps, dialRate: 1 }, T0)
    pool.offer('a', ['/ip4/10.0.1.1/tcp/1'], 's1', T0)
    pool.offer('b', ['/ip4/10.0.2.1/tcp/1'], 's2', T0)
    expect(pool.nextDial(T0)?.id).toBe('a')
    pool.offer('b', undefined, 's2', T0 + 500)
    expect(pool.expire(T0 + 1000, 1000)).toEqual([])
    expect(pool.expire(T0 + 1500, 1000)).toEqual(['b'])
    expect(pool.has('a')).toBe(true)
    expect(pool.fromSource('s2')).toBe(0)
  })
})
