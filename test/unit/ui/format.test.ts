/**
 * The dashboard's pure helpers (ui/src/format.ts, ui/src/chart.ts niceMax): how values,
 * sizes, durations and keys are shown. The page itself is tested in Chromium
 * (test/browser/ui.browser.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { dataPath, formatBytes, formatCount, formatDuration, hexDump, shortId, viewValue } from '../../../ui/src/format.js'
import { niceMax } from '../../../ui/src/chart.js'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('viewValue', () => {
  it('shows UTF-8 as text, markup and control characters included (the page inserts it as text)', () => {
    expect(viewValue(utf8('héllo <b>x</b>\n\t✓'), false)).toEqual({ kind: 'text', body: 'héllo <b>x</b>\n\t✓' })
    expect(viewValue(new Uint8Array(0), false)).toEqual({ kind: 'text', body: '' })
  })

  it('shows anything that is not UTF-8 as a hex dump', () => {
    expect(viewValue(new Uint8Array([0x68, 0xff, 0x69]), false)).toEqual({ kind: 'hex', body: `00000000  ${'68 ff 69'.padEnd(47)}  |h.i|` })
  })

  it('accepts a character cut by the 64 KiB cap at the end of a truncated value, not of a whole one', () => {
    const cut = utf8('ab✓').subarray(0, 4) // '✓' is 3 bytes: 2 of them kept
    expect(viewValue(cut, true)).toEqual({ kind: 'text', body: 'ab' })
    expect(viewValue(cut, false).kind).toBe('hex')
  })
})

describe('hexDump', () => {
  it('prints 16 bytes a line with offsets and printable ASCII', () => {
    const bytes = Uint8Array.from({ length: 20 }, (_, i) => 0x41 + i)
    expect(hexDump(bytes).split('\n')).toEqual([
      '00000000  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|',
      `00000010  ${'51 52 53 54'.padEnd(47)}  |QRST|`
    ])
  })
})

describe('dataPath', () => {
  it('encodes the whole key into one path segment, / included, relative to /ui/', () => {
    expect(dataPath('app/a b?#%')).toBe('../v1/data/app%2Fa%20b%3F%23%25')
    expect(new URL(dataPath('a/../b')!, 'http://n/ui/').pathname).toBe('/v1/data/a%2F..%2Fb')
    expect(new URL(dataPath('<img src=x>')!, 'http://n/ui/').pathname).toBe('/v1/data/%3Cimg%20src%3Dx%3E')
  })

  it('has no URL for the keys "." and "..", which a browser resolves away', () => {
    expect(dataPath('.')).toBeUndefined()
    expect(dataPath('..')).toBeUndefined()
    expect(dataPath('...')).toBe('../v1/data/...')
  })
})

describe('numbers', () => {
  it.each([
    [0, '0 B'], [1023, '1023 B'], [1536, '1.50 KiB'], [10 * 1024 * 1024, '10.0 MiB'], [1024 ** 3, '1.00 GiB']
  ])('formatBytes(%d) = %s', (n, s) => { expect(formatBytes(n)).toBe(s) })

  it.each([
    [0, '0s'], [59.9, '59s'], [60, '1m 00s'], [3599, '59m 59s'], [3600, '1h 00m'], [90_000, '1d 01h'], [-5, '0s']
  ])('formatDuration(%d) = %s', (n, s) => { expect(formatDuration(n)).toBe(s) })

  it('formats counts in full or short', () => {
    expect(formatCount(1234567)).toBe('1,234,567')
    expect(formatCount(12_345, true)).toBe('12.3k')
    expect(formatCount(2_500_000, true)).toBe('2.5M')
    expect(formatCount(0.25, true)).toBe('0.25')
  })

  it.each([[0, 1], [0.3, 0.5], [1, 1], [7, 10], [11, 20], [230, 250], [4001, 5000]])('niceMax(%d) = %d', (v, m) => { expect(niceMax(v)).toBe(m) })

  it('shortens long peer ids only', () => {
    expect(shortId('12D3KooWLGFuEFipiKAjXx5mTBdxtLY5jjmzwu6tgnkZMgoNR6wk')).toBe('12D3KooW…oNR6wk')
    expect(shortId('short-id')).toBe('short-id')
  })
})
