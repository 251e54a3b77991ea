/**
 * The key of a `/v1/data/{key}` URL (see {@link keyFromUrl}), shared by the hono app and
 * the server's direct path for the data routes.
 */
import { InvalidEncodingError, InvalidKeyError } from '../errors.js'

/** Path prefix of the data routes. */
export const DATA_PREFIX = '/v1/data/'

/**
 * The key of a `/v1/data/{key}` URL, percent-decoded once. Keys may contain `/`;
 * a malformed escape or an escape of invalid UTF-8 is a 400. With `own`, the key is a
 * flat copy that does not keep the request URL alive (for keys that will be stored).
 * The empty key is a 400, or `''` with `allowEmpty` (reads answer it 404).
 */
export function keyFromUrl (url: string, own = false, allowEmpty = false): string {
  // A full URL (hono's) or a request target (Node's `req.url`, which starts with the path).
  const start = url.indexOf(DATA_PREFIX, url.startsWith('/') ? 0 : url.indexOf('//') + 2)
  let end = url.indexOf('?', start)
  if (end < 0) end = url.length
  const hash = url.indexOf('#', start)
  if (hash >= 0 && hash < end) end = hash
  const raw = start < 0 ? '' : url.slice(start + DATA_PREFIX.length, end)
  if (raw.length === 0) {
    if (allowEmpty) return ''
    throw new InvalidKeyError('key must not be empty')
  }
  // Raw bytes above 0x7F (a client that did not percent-encode) are UTF-8: decode them.
  // A stored key must not be a slice of the request URL (it would keep all of it alive):
  // the latin1 round trip makes a flat copy. Decoding makes a fresh string anyway.
  // eslint-disable-next-line no-control-regex
  let path = /[^\x00-\x7F]/.test(raw) ? decodeUtf8(Buffer.from(raw, 'latin1')) : raw
  if (!path.includes('%')) return own && path === raw ? Buffer.from(raw, 'latin1').toString('latin1') : path
  try {
    path = decodeURIComponent(path)
  } catch {
    throw new InvalidEncodingError('key has a malformed percent-escape or is not valid UTF-8')
  }
  return path
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
function decodeUtf8 (bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes)
  } catch {
    throw new InvalidEncodingError('key is not valid UTF-8')
  }
}
