import { describe, expect, it } from 'vitest'
import { compareUtf8, compareWrites, newWriteId, resolveTtl, utf8Length, validateKey } from '../../src/record.js'
import { InvalidKeyError, InvalidTtlError } from '../../src/errors.js'

const limits = { maxKeyBytes: 8, maxValueBytes: 8, minTtl: 10, maxTtl: 100, defaultTtl: 50, ttlPolicy: 'clamp' as const }

describe('record rules', () => {
  it('orders strings exactly as their UTF-8 bytes', () => {
    const alphabet = ['a', 'z', '/', '\u00e9', '\u07ff', '\u0800', '\uD7FF', '\uE000', '\uFFFD', '\uFFFF', '\u{10000}', '\u{1F600}', '\u{10FFFF}']
    let seed = 7
    const rnd = (n: number): number => { seed = (seed * 48271) % 2147483647; return seed % n }
    const words = Array.from({ length: 400 }, () => Array.from({ length: 1 + rnd(4) }, () => alphabet[rnd(alphabet.length)]).join(''))
    const byBytes = [...words].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    expect([...words].sort(compareUtf8)).toEqual(byBytes)
  })

  it('measures UTF-8 length and flags lone surrogates', () => {
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4)
    expect(utf8Length('\uD800')).toBe(-1)
    expect(utf8Length('\uDC00x')).toBe(-1)
  })

  it('validates keys at the byte limit', () => {
    expect(validateKey('a'.repeat(8), 8)).toBe(8)
    expect(() => validateKey('a'.repeat(9), 8)).toThrow(InvalidKeyError)
    expect(() => validateKey('', 8)).toThrow(InvalidKeyError)
  })

  it('resolves TTLs: default, clamp, strict integers', () => {
    expect(resolveTtl(undefined, limits)).toBe(50)
    expect(resolveTtl('10', limits)).toBe(10)
    expect(resolveTtl(9, limits)).toBe(10)
    expect(resolveTtl(101, limits)).toBe(100)
    // Numbers that are not positive integers are truncated, then clamped (as the reference node does).
    for (const [n, want] of [['0', 10], ['-1', 10], [0, 10], [-3, 10], [2.5, 10], ['1.0', 10], ['15.9', 15], [15.9, 15], ['+20', 20], ['99999999999999999999', 100]] as const) expect(resolveTtl(n, limits)).toBe(want)
    // Text that is not a decimal number, and non-finite numbers, are refused.
    for (const bad of ['0x10', '', ' ', 'NaN', '1e3', '10s', 'abc', '1.', Number.NaN, Infinity, -Infinity]) expect(() => resolveTtl(bad, limits)).toThrow(InvalidTtlError)
    // Under reject, out of range (after truncation) is refused; in range applies truncated.
    const reject = { ...limits, ttlPolicy: 'reject' as const }
    expect(() => resolveTtl(101, reject)).toThrow(/outside \[10, 100\]/)
    for (const bad of ['0', -5, '9.99']) expect(() => resolveTtl(bad, reject)).toThrow(/outside \[10, 100\]/)
    expect(resolveTtl('100.9', reject)).toBe(100)
  })

  it('orders writes by createdAt, then writeId', () => {
    expect(compareWrites({ createdAt: 2, writeId: 'a' }, { createdAt: 1, writeId: 'z' })).toBeGreaterThan(0)
    expect(compareWrites({ createdAt: 1, writeId: 'b' }, { createdAt: 1, writeId: 'a' })).toBeGreaterThan(0)
    expect(compareWrites({ createdAt: 1, writeId: 'a' }, { createdAt: 1, writeId: 'a' })).toBe(0)
  })

  it('makes unique write ids', () => {
    const ids = new Set(Array.from({ length: 10_000 }, newWriteId))
    expect(ids.size).toBe(10_000)
  })
})
