import { describe, expect, it } from 'vitest'
import { ttlOf } from '../../src/http/direct.js'

describe('ttlOf (the direct path\'s ?ttl= reader)', () => {
  it('reads the first ttl query value exactly as URLSearchParams does, on its fast path and off it', () => {
    const queries = ['ttl=300', 'ttl=', 'ttl=30=5', 'ttl=%33%30', 'ttl=3+0', 'ttl=1&ttl=2', 'a=1&ttl=9', 'ttl=7&a=1', 'ttl=1;x=2', 'TTL=5', 'xttl=5', '', 'ttl', 'ttl=abc', 'ttl=%zz']
    for (const q of queries) {
      const expected = new URLSearchParams(q).get('ttl') ?? undefined
      expect(ttlOf(`/v1/data/k?${q}`), q).toBe(expected)
      expect(ttlOf(`/v1/data/k?${q}#frag`), `${q}#frag`).toBe(expected)
    }
    expect(ttlOf('/v1/data/k')).toBeUndefined()
  })
})
