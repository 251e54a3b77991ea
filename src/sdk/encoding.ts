/**
 * Byte encodings used by the SDK: UTF-8, hex and base64 / base64url.
 *
 * Written against the web platform only (no `Buffer`), so the SDK bundles for
 * browsers unchanged.
 *
 * @example
 * ```ts
 * import { toBase64Url, fromBase64 } from 'repram/sdk'
 * const s = toBase64Url(new Uint8Array([1, 2, 3]))   // 'AQID'
 * fromBase64(s)                                      // Uint8Array [1, 2, 3]
 * ```
 */

const textEncoder = new TextEncoder()
const strictDecoder = new TextDecoder('utf-8', { fatal: true })

/** UTF-8 bytes of a string. */
export function utf8 (s: string): Uint8Array {
  return textEncoder.encode(s)
}

/**
 * Decode UTF-8, throwing a `TypeError` on malformed input (never U+FFFD
 * replacement characters).
 */
export function fromUtf8 (bytes: Uint8Array): string {
  return strictDecoder.decode(bytes)
}

const HEX = '0123456789abcdef'

/** Lower-case hex of bytes. */
export function toHex (bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += HEX[b >> 4] + HEX[b & 15]
  return out
}

/** Bytes of a hex string (either case, even length); throws `TypeError` otherwise. */
export function fromHex (hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError('invalid hex string')
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_LOOKUP: Int16Array = (() => {
  const t = new Int16Array(128).fill(-1)
  for (let i = 0; i < B64.length; i++) t[B64.charCodeAt(i)] = i
  // base64url alphabet maps to the same values
  t['-'.charCodeAt(0)] = 62
  t['_'.charCodeAt(0)] = 63
  return t
})()

/** Standard base64 (RFC 4648 §4) with `=` padding. */
export function toBase64 (bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63]
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i] << 16
    out += B64[n >> 18] + B64[(n >> 12) & 63] + '=='
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8)
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + '='
  }
  return out
}

/** base64url (RFC 4648 §5) without padding. */
export function toBase64Url (bytes: Uint8Array): string {
  return toBase64(bytes).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
}

/**
 * Decode base64 or base64url, padded or not (whitespace ignored). Throws a
 * `TypeError` on any other character or an impossible length.
 */
export function fromBase64 (text: string): Uint8Array {
  const s = text.replace(/[\s]/g, '').replace(/=+$/, '')
  if (s.length % 4 === 1) throw new TypeError('invalid base64 length')
  const out = new Uint8Array(Math.floor(s.length * 3 / 4))
  let acc = 0
  let bits = 0
  let o = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const v = c < 128 ? B64_LOOKUP[c] : -1
    if (v < 0) throw new TypeError('invalid base64 character')
    acc = (acc << 6) | v
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (acc >> bits) & 0xff
    }
  }
  return out
}

/** Concatenate byte arrays. */
export function concatBytes (...parts: Uint8Array[]): Uint8Array {
  let len = 0
  for (const p of parts) len += p.length
  const out = new Uint8Array(len)
  let off = 0
  for (const p of parts) { out.set(p, off); off += p.length }
  return out
}

/** Constant-time comparison of two byte arrays (time depends only on length). */
export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i]
  return diff === 0
}

/**
 * A copy of `bytes` backed by a fresh, exactly-sized `ArrayBuffer`, as
 * WebCrypto and `fetch` want under strict typing (`Uint8Array<ArrayBuffer>`).
 */
export function toArrayBufferView (bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(bytes.length))
  out.set(bytes)
  return out
}

/**
 * `bytes` as a WebCrypto / fetch `BufferSource` without copying when it is
 * already backed by a plain `ArrayBuffer` (a copy otherwise, e.g. for a
 * `SharedArrayBuffer`). The callee must not keep or mutate it.
 */
export function asBufferSource (bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? bytes as Uint8Array<ArrayBuffer> : toArrayBufferView(bytes)
}
