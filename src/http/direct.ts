/**
 * The data routes (`GET`, `HEAD`, `PUT /v1/data/{key}`) answered straight from Node's
 * request and response, ahead of hono: the hot path of every client, spared the router,
 * the middleware chain and the web Request/Response bridge. The replies are the hono
 * app's own (src/http/data.ts builds both), with the same fixed headers, rate limit,
 * body limits, metrics and in-flight accounting; test/http/direct.test.ts sends the same
 * requests both ways and compares the answers. Anything else, and every request while the
 * server drains, goes to hono.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RepramNode } from '../node/node.js'
import type { Logger } from '../logger.js'
import { readIncomingLimited } from './body.js'
import { errorReply, readReply, writeReply, type Reply } from './data.js'
import { DATA_PREFIX } from './keys.js'
import type { HttpMetrics } from './metrics.js'
import { clientIpOf, RateLimitedError, type TokenBuckets } from './middleware/rate-limit.js'
import { FIXED_HEADERS } from './middleware/security-headers.js'

/** Shared by the app, its direct path and the server: flipped to `draining` on shutdown. */
export interface HttpAppState { draining: boolean, inFlight: number }

/** What the direct path shares with the hono app it stands in front of. */
export interface DirectRoutesInit {
  node: RepramNode
  state: HttpAppState
  metrics: HttpMetrics
  /** The app's rate limiter (undefined when the limit is off). */
  buckets: TokenBuckets | undefined
  trustProxy: boolean
  log: Logger
}

/** A Node request listener for the data routes: true when it took the request, false to leave it to hono. */
export type DirectRoutes = (req: IncomingMessage, res: ServerResponse) => boolean

/**
 * The fixed headers as a flat `[name, value, …]` list: Node's `writeHead` takes such a
 * list as it is, cheaper per reply than an object of 15 headers (no spread, no `for…in`).
 */
const FIXED_FLAT: readonly string[] = Object.entries(FIXED_HEADERS).flat()

/** The headers of a reply, fixed ones first; a route header of the same name replaces the fixed one. */
export function replyHeaders (own: Record<string, string>): string[] {
  const out = FIXED_FLAT.slice()
  for (const k in own) {
    if (Object.hasOwn(FIXED_HEADERS, k)) return Object.entries({ ...FIXED_HEADERS, ...own }).flat()
    out.push(k, own[k])
  }
  return out
}

/** Builds the direct path for the data routes. */
export function directDataRoutes (d: DirectRoutesInit): DirectRoutes {
  const maxValueBytes = d.node.config.maxValueBytes

  const answer = async (req: IncomingMessage, url: string, method: 'GET' | 'HEAD' | 'PUT'): Promise<Reply> => {
    const header = (name: string): string | undefined => {
      const v = req.headers[name]
      return Array.isArray(v) ? v[0] : v
    }
    try {
      if (d.buckets !== undefined) {
        const wait = d.buckets.take(clientIpOf(header, req.socket.remoteAddress, d.trustProxy))
        if (wait > 0) {
          d.metrics.rateLimited.inc()
          throw new RateLimitedError(wait)
        }
      }
      if (method !== 'PUT') return await readReply(d.node, url)
      const value = await readIncomingLimited(req, header('content-length'), maxValueBytes)
      return await writeReply(d.node, url, ttlOf(url) ?? header('x-ttl'), value, header)
    } catch (err) {
      const r = errorReply(err)
      if (r.status === 413) d.metrics.oversized.inc()
      // Never echo internals or user data; log the error (no key, no value).
      if (r.internal) d.log.error({ err: { name: (err as Error).name, message: (err as Error).message, stack: (err as Error).stack } }, 'unhandled error')
      return r
    }
  }

  const serve = async (req: IncomingMessage, res: ServerResponse, url: string, method: 'GET' | 'HEAD' | 'PUT'): Promise<void> => {
    const t0 = performance.now()
    d.state.inFlight++
    let status = 500
    try {
      const r = await answer(req, url, method)
      status = r.status
      if (res.headersSent || res.destroyed) return
      const headers = replyHeaders(r.headers)
      // As hono's adapter does for a complete body: a length, not chunks.
      if (r.headers['Content-Length'] === undefined && r.body !== null && method !== 'HEAD') headers.push('Content-Length', String(typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.byteLength))
      if (d.state.draining) headers.push('Connection', 'close')
      res.writeHead(r.status, headers)
      res.end(method === 'HEAD' ? undefined : r.body ?? undefined)
    } finally {
      d.state.inFlight--
      d.metrics.record('/v1/data/*', method, status, (performance.now() - t0) / 1000)
    }
  }

  return (req, res) => {
    const url = req.url
    const method = req.method
    if (url === undefined || !url.startsWith(DATA_PREFIX) || d.state.draining) return false
    if (method !== 'GET' && method !== 'HEAD' && method !== 'PUT') return false
    serve(req, res, url, method).catch((err: unknown) => {
      d.log.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'direct route failed')
      if (!res.headersSent) res.writeHead(500, { ...FIXED_HEADERS, 'Content-Type': 'application/json' })
      res.end()
    })
    return true
  }
}

/** The first `ttl` query value, percent-decoded as hono's `c.req.query` does; undefined when absent. */
export function ttlOf (url: string): string | undefined {
  const q = url.indexOf('?')
  if (q < 0) return undefined
  const end = url.indexOf('#', q)
  const query = url.slice(q + 1, end < 0 ? undefined : end)
  // The usual `?ttl=300`: nothing to decode, no other parameter.
  if (query.startsWith('ttl=') && !/[&%+;]/.test(query)) return query.slice(4)
  return new URLSearchParams(query).get('ttl') ?? undefined
}
