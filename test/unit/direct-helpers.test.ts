import { describe, expect, it } from 'vitest'
import { replyHeaders, ttlOf } from '../../src/http/direct.js'
import { FIXED_HEADERS } from '../../src/http/middleware/security-headers.js'

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

describe('replyHeaders (the direct path\'s header list)', () => {
  it('sends the fixed headers first, then the route\'s, and a route header of a fixed name replaces it instead of repeating it', () => {
    const plain = replyHeaders({ 'Content-Type': 'application/json', 'X-Write-Id': 'w' })
    const fixed = Object.entries(FIXED_HEADERS).flat()
    expect(plain).toEqual([...fixed, 'Content-Type', 'application/json', 'X-Write-Id', 'w'])
    const name = Object.keys(FIXED_HEADERS)[0]
    const over = replyHeaders({ 'Content-Type': 'text/plain', [name]: 'other' })
    const names = over.filter((_, i) => i % 2 === 0)
    expect(names.filter(n => n === name)).toHaveLength(1)
    expect(over[over.indexOf(name) + 1]).toBe('other')
    expect(names).toHaveLength(Object.keys(FIXED_HEADERS).length + 1)
  })
})
