import { describe, expect, it } from 'vitest'
import { keyFromUrl } from '../../src/http/app.js'
import { InvalidEncodingError, InvalidKeyError } from '../../src/errors.js'

describe('keyFromUrl', () => {
  it('decodes once, keeps slashes, and gives the same key whether or not it copies', () => {
    for (const own of [false, true]) {
      expect(keyFromUrl('http://h/v1/data/a/b%2Fc%20d?ttl=1', own)).toBe('a/b/c d')
      expect(keyFromUrl('http://h/v1/data/plain/key#frag', own)).toBe('plain/key')
      expect(keyFromUrl('http://h/v1/data/%25', own)).toBe('%')
    }
  })

  it('reads raw non-ASCII bytes (as latin1 chars) as UTF-8, and refuses invalid UTF-8', () => {
    const raw = Buffer.from('é/ü', 'utf8').toString('latin1')
    expect(keyFromUrl(`http://h/v1/data/${raw}`, true)).toBe('é/ü')
    expect(() => keyFromUrl('http://h/v1/data/\xff\xfe')).toThrow(InvalidEncodingError)
  })

  it('refuses an empty key and malformed escapes', () => {
    expect(() => keyFromUrl('http://h/v1/data/')).toThrow(InvalidKeyError)
    expect(() => keyFromUrl('http://h/v1/data/a%zz')).toThrow(InvalidEncodingError)
  })
})
