/**
 * The data routes' replies (`GET`/`HEAD`/`PUT /v1/data/{key}`) and the JSON error reply,
 * as plain values: the hono app (src/http/app.ts) and the server's direct path for the
 * data routes (src/http/direct.ts) both send exactly these, so the two cannot drift.
 */
import { HTTPException } from 'hono/http-exception'
import { RepramError } from '../errors.js'
import type { PutOptions, RepramNode } from '../node/node.js'
import { formatJurisdictions } from '../wire/jurisdiction.js'
import { RateLimitedError } from './middleware/rate-limit.js'
import { keyFromUrl } from './keys.js'
import { signedPutFrom } from './owned.js'

/** A reply: status, the route's own headers (the fixed ones are added by the sender), body. */
export interface Reply {
  status: number
  headers: Record<string, string>
  body: string | Uint8Array<ArrayBuffer> | null
}

const JSON_TYPE = { 'Content-Type': 'application/json' }
const NOT_FOUND: Reply = { status: 404, headers: JSON_TYPE, body: JSON.stringify({ error: 'not_found', message: 'no live record under this key' }) }

/** `GET`/`HEAD /v1/data/{key}`: the value with its TTL headers, or 404. */
export async function readReply (node: RepramNode, url: string): Promise<Reply> {
  const key = keyFromUrl(url, false, true)
  // The empty key names no record: 404, as the reference node answers (its client throws on anything else).
  if (key === '') return NOT_FOUND
  const rec = await node.get(key)
  if (rec === undefined) return NOT_FOUND
  const now = node.clock.now()
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream',
    // HEAD gets the value's length too.
    'Content-Length': String(rec.value.byteLength),
    'X-Created-At': new Date(rec.createdAt).toISOString(),
    'X-Original-TTL': String(rec.ttl),
    'X-Remaining-TTL': String(Math.max(0, Math.floor((rec.expiresAt - now) / 1000))),
    'X-Expires-At': String(rec.expiresAt)
  }
  // Where the record may live, when it was written with X-Jurisdiction (no spread on the GET path).
  if (rec.jurisdictions !== undefined) headers['X-Jurisdiction'] = formatJurisdictions(rec.jurisdictions)
  return { status: 200, headers, body: rec.value as Uint8Array<ArrayBuffer> }
}

/** `PUT /v1/data/{key}`: stores `value`; 201 with quorum, 202 without. */
export async function writeReply (node: RepramNode, url: string, ttl: string | undefined, value: Uint8Array, header: (name: string) => string | undefined = () => undefined): Promise<Reply> {
  const key = keyFromUrl(url, true)
  // An owned key's write carries its owner's signature in headers (src/http/owned.ts); plain keys ignore them.
  const signed = key.charCodeAt(0) === 0x7e ? signedPutFrom(header) : undefined
  // X-Jurisdiction: where the write may live (400 when malformed; 421/422 when this node may not hold it).
  const jurisdictions = header('x-jurisdiction')
  const opts: PutOptions = signed === undefined ? { ttl } : { ttl, signed }
  if (jurisdictions !== undefined) opts.jurisdictions = jurisdictions
  const r = await node.put(key, value, opts)
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Original-TTL': String(r.ttl), 'X-Expires-At': String(r.expiresAt), 'X-Write-Id': r.writeId }
  if (r.jurisdictions === undefined) {
    return { status: r.quorum ? 201 : 202, headers, body: JSON.stringify({ key: r.key, ttl: r.ttl, expiresAt: r.expiresAt, writeId: r.writeId, replicas: r.replicas }) }
  }
  headers['X-Jurisdiction'] = formatJurisdictions(r.jurisdictions)
  return { status: r.quorum ? 201 : 202, headers, body: JSON.stringify({ key: r.key, ttl: r.ttl, expiresAt: r.expiresAt, writeId: r.writeId, replicas: r.replicas, jurisdictions: r.jurisdictions }) }
}

/**
 * The JSON error reply of any failure: a {@link RepramError} with its status and code
 * (413 closes the connection; 429 and 503 say when to retry), an HTTP-level error, or
 * `internal` (500) for anything else: the caller logs that one, never with user data.
 */
export function errorReply (err: unknown): Reply & { internal: boolean } {
  if (err instanceof RepramError) {
    const headers: Record<string, string> = { ...JSON_TYPE }
    // The body was drained within a bound (body.ts); past that bound it was not: close.
    if (err.status === 413) headers.Connection = 'close'
    if (err instanceof RateLimitedError) headers['Retry-After'] = String(err.retryAfterSeconds)
    if (err.status === 503) headers['Retry-After'] = '1'
    return { status: err.status, headers, body: JSON.stringify({ error: err.code, message: err.message }), internal: false }
  }
  if (err instanceof HTTPException) {
    return { status: err.status, headers: { ...JSON_TYPE }, body: JSON.stringify({ error: 'http_error', message: err.message === '' ? 'request failed' : err.message }), internal: false }
  }
  return { status: 500, headers: { ...JSON_TYPE }, body: JSON.stringify({ error: 'internal', message: 'internal error' }), internal: true }
}
