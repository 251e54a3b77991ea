import { describe, expect, it } from 'vitest'
import { TokenBuckets } from '../../src/http/middleware/rate-limit.js'

describe('TokenBuckets', () => {
  it('allows a burst of 2x the rate, then refills at the rate', () => {
    let now = 0
    const b = new TokenBuckets({ ratePerSecond: 10, now: () => now })
    for (let i = 0; i < 20; i++) expect(b.take('ip')).toBe(0)
    expect(b.take('ip')).toBe(1)
    now += 100
    expect(b.take('ip')).toBe(0)
    expect(b.take('ip')).toBeGreaterThan(0)
  })

  it('suggests a Retry-After of whole seconds until the next token', () => {
    let now = 0
    const b = new TokenBuckets({ ratePerSecond: 0.25, burst: 1, now: () => now })
    expect(b.take('ip')).toBe(0)
    expect(b.take('ip')).toBe(4)
    now += 4000
    expect(b.take('ip')).toBe(0)
  })

  it('stays bounded in memory under many clients', () => {
    let now = 0
    const b = new TokenBuckets({ ratePerSecond: 1, maxClients: 1000, now: () => now })
    for (let i = 0; i < 10_000; i++) { b.take(`10.0.${i >> 8}.${i & 255}`); now += 1 }
    expect(b.size).toBeLessThanOrEqual(1000)
  })
})
