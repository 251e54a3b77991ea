/**
 * The HTTP API v1 (DESIGN §2) as a hono app over any {@link RepramNode}. No socket here:
 * tests drive it with `app.request()`; {@link startHttpServer} puts it on a port.
 *
 * @example
 * import { createRepramNode, createHttpApp } from 'repram'
 * const node = await createRepramNode({ config: { profile: 'test' } })
 * const { app } = createHttpApp(node)
 * const res = await app.request('/v1/data/greeting?ttl=60', { method: 'PUT', body: 'hello' })
 * console.log(res.status) // 201
 */
import { Hono, type Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { BadRequestError, InvalidEncodingError, InvalidKeyError, NodeStoppedError, RepramError } from '../errors.js'
import type { RepramNode } from '../node/node.js'
import { readBodyLimited } from './body.js'
import { createHttpMetrics, type HttpMetrics } from './metrics.js'
import { RateLimitedError, TokenBuckets, rateLimit } from './middleware/rate-limit.js'
import { fastResponse, responseHeaders, setResponseHeader } from './middleware/security-headers.js'
import { mountAttestationRoutes } from './attestations.js'
import { mountWatchRoutes, type WatchRoutes } from './watch.js'
import { mountUiRoutes } from './ui.js'
import { mountMcpRoutes } from '../mcp/http.js'


const DATA_PREFIX = '/v1/data/'

/** Options of {@link createHttpApp}; defaults come from the node's config. */
export interface HttpAppOptions {
  /** Requests per second per client IP, burst 2× (0 = off). @default node.config.rateLimit */
  rateLimit?: number
  /** Believe X-Forwarded-For / X-Real-IP. @default node.config.trustProxy */
  trustProxy?: boolean
}

/** Shared with the server: flipped to `draining` on shutdown. */
export interface HttpAppState { draining: boolean, inFlight: number }

/** Builds the API for `node`. */
export function createHttpApp (node: RepramNode, opts: HttpAppOptions = {}): { app: Hono, state: HttpAppState, metrics: HttpMetrics, watch: WatchRoutes } {
  const config = node.config
  const metrics = createHttpMetrics(node.registry)
  const state: HttpAppState = { draining: false, inFlight: 0 }
  const log = node.logger.child({ component: 'repram:http' })
  const app = new Hono()
  const limit = opts.rateLimit ?? config.rateLimit
  const trustProxy = opts.trustProxy ?? config.trustProxy

  // Accounting first, so every reply (errors included) is counted and timed.
  app.use('*', async (c, next) => {
    const t0 = performance.now()
    state.inFlight++
    try {
      await next()
    } finally {
      state.inFlight--
      metrics.record(routeLabel(c), methodLabel(c.req.method), c.res.status, (performance.now() - t0) / 1000)
      if (state.draining) setResponseHeader(c, 'Connection', 'close')
    }
  })
  // CORS and security headers (see responseHeaders for why they are not set with cors()).
  app.use('*', responseHeaders())
  app.use('*', async (c, next) => {
    if (state.draining) {
      if (c.req.path === '/v1/health') return c.json({ status: 'stopping' }, 503)
      throw new NodeStoppedError()
    }
    await next()
  })
  if (limit > 0) {
    const buckets = new TokenBuckets({ ratePerSecond: limit })
    const limiter = rateLimit({ buckets, trustProxy, onLimited: () => metrics.rateLimited.inc() })
    // Probes and scrapes are never rate limited: a busy client must not make a node look dead.
    app.use('/v1/data/*', limiter)
    app.use('/v1/keys', limiter)
    app.use('/v1/status', limiter)
    app.use('/v1/topology', limiter)
    app.use('/v1/attestations', limiter)
    app.use('/v1/attestations/*', limiter)
    app.use('/v1/watch', limiter)
    app.use('/mcp', limiter)
  }

  app.put('/v1/data/*', async (c) => {
    const key = keyFromUrl(c.req.url, true)
    const ttl = c.req.query('ttl') ?? c.req.header('x-ttl')
    const value = await readBodyLimited(c, config.maxValueBytes)
    const r = await node.put(key, value, { ttl })
    return fastResponse(JSON.stringify({ key: r.key, ttl: r.ttl, expiresAt: r.expiresAt, writeId: r.writeId, replicas: r.replicas }), r.quorum ? 201 : 202,
      { 'Content-Type': 'application/json', 'X-Original-TTL': String(r.ttl), 'X-Expires-At': String(r.expiresAt), 'X-Write-Id': r.writeId })
  })

  app.get('/v1/data/*', async (c) => {
    const key = keyFromUrl(c.req.url, false, true)
    // The empty key names no record: 404, as the reference node answers (its client throws on anything else).
    if (key === '') return notFound()
    const rec = await node.get(key)
    if (rec === undefined) return notFound()
    const now = node.clock.now()
    return fastResponse(rec.value as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': 'application/octet-stream',
      // HEAD gets the value's length too (hono drops the body of a HEAD reply, not its headers).
      'Content-Length': String(rec.value.byteLength),
      'X-Created-At': new Date(rec.createdAt).toISOString(),
      'X-Original-TTL': String(rec.ttl),
      'X-Remaining-TTL': String(Math.max(0, Math.floor((rec.expiresAt - now) / 1000))),
      'X-Expires-At': String(rec.expiresAt)
    })
  })

  app.all('/v1/data/*', (c) => methodNotAllowed(c, 'GET, HEAD, PUT, OPTIONS'))

  app.get('/v1/keys', async (c) => {
    const q = c.req.query()
    let limitN: number | undefined
    if (q.limit !== undefined) {
      if (!/^\d{1,9}$/.test(q.limit)) throw new BadRequestError(`limit must be an integer in [1, ${config.keysLimitMax}]`, 'invalid_limit')
      limitN = Number(q.limit)
    }
    if (limitN === undefined) return await allKeys(node, q.prefix ?? '', q.cursor)
    const page = await node.keys({ prefix: q.prefix ?? '', limit: limitN, cursor: q.cursor })
    return c.json(page.nextCursor === undefined ? { keys: page.keys } : { keys: page.keys, next_cursor: page.nextCursor })
  })

  app.get('/v1/health', (c) => {
    const info = node.networkInfo()
    return fastResponse(JSON.stringify({ status: 'healthy', node_id: info.nodeId, network: config.network, enclave: config.enclave }), 200, { 'Content-Type': 'application/json' })
  })

  app.get('/v1/status', async (c) => {
    const stats = await node.stats()
    const info = node.networkInfo()
    const mem = process.memoryUsage()
    const uptime = Math.floor((node.clock.now() - node.startedAt) / 1000)
    return c.json({
      node_id: info.nodeId,
      version: node.version,
      status: 'ok',
      network: config.network,
      enclave: config.enclave,
      uptime: `${uptime}s`,
      uptime_seconds: uptime,
      memory: { rss: mem.rss, heap_used: mem.heapUsed, heap_total: mem.heapTotal, external: mem.external },
      records: stats.records,
      bytes: stats.bytes,
      capacity_bytes: stats.capacityBytes,
      peers: info.peers,
      listen_addresses: info.addresses,
      replication: config.replication,
      limits: { max_key_bytes: config.maxKeyBytes, max_value_bytes: config.maxValueBytes, min_ttl: config.minTtl, max_ttl: config.maxTtl, default_ttl: config.defaultTtl, ttl_policy: config.ttlPolicy, rate_limit: limit }
    })
  })

  app.get('/v1/topology', (c) => c.json({ node_id: node.networkInfo().nodeId, enclave: config.enclave, peers: node.topology() }))

  app.get('/v1/metrics', async (c) => {
    const text = await node.registry.metrics()
    return c.text(text, 200, { 'Content-Type': node.registry.contentType })
  })

  mountAttestationRoutes(app, node)
  const watch = mountWatchRoutes(app, node, { trustProxy })
  if (config.ui) mountUiRoutes(app, node)
  if (config.mcpHttp) mountMcpRoutes(app, node, { watchMaxSeconds: config.mcpWatchMaxSeconds })

  for (const path of ['/v1/keys', '/v1/health', '/v1/status', '/v1/topology', '/v1/metrics']) {
    app.all(path, (c) => methodNotAllowed(c, 'GET, HEAD, OPTIONS'))
  }

  app.notFound((c) => c.json({ error: 'not_found', message: `no route for ${c.req.method} ${safePath(c.req.path)}` }, 404))

  app.onError((err, c) => {
    if (err instanceof RepramError) {
      if (err.status === 413) {
        metrics.oversized.inc()
        // The body was drained within a bound (body.ts); past that bound it was not: close.
        c.header('Connection', 'close')
      }
      if (err instanceof RateLimitedError) c.header('Retry-After', String(err.retryAfterSeconds))
      if (err.status === 503) c.header('Retry-After', '1')
      return c.json({ error: err.code, message: err.message }, err.status as 400)
    }
    if (err instanceof HTTPException) {
      return c.json({ error: 'http_error', message: err.message === '' ? 'request failed' : err.message }, err.status)
    }
    // Never echo internals or user data; log the error (no key, no value).
    log.error({ err: { name: err.name, message: err.message, stack: err.stack } }, 'unhandled error')
    return c.json({ error: 'internal', message: 'internal error' }, 500)
  })

  return { app, state, metrics, watch }
}

/**
 * The key of a `/v1/data/{key}` URL, percent-decoded once. Keys may contain `/`;
 * a malformed escape or an escape of invalid UTF-8 is a 400. With `own`, the key is a
 * flat copy that does not keep the request URL alive (for keys that will be stored).
 * The empty key is a 400, or `''` with `allowEmpty` (reads answer it 404).
 */
export function keyFromUrl (url: string, own = false, allowEmpty = false): string {
  const start = url.indexOf(DATA_PREFIX, url.indexOf('//') + 2)
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

/**
 * `GET /v1/keys` without `limit`: every matching key, as the reference node answers (its
 * client and agent tools ignore `next_cursor`). Streamed a page of `keysLimitMax` keys at
 * a time, so memory stays flat however many keys match. The first page is read before
 * the reply starts, so an error there still gets its status.
 */
async function allKeys (node: RepramNode, prefix: string, cursor: string | undefined): Promise<Response> {
  const pageSize = node.config.keysLimitMax
  const encoder = new TextEncoder()
  let page = await node.keys({ prefix, limit: pageSize, cursor })
  let first = true
  const chunk = (keys: string[], last: boolean, open: boolean): Uint8Array => {
    let text = open ? '{"keys":[' : ''
    for (const k of keys) { text += (first ? '' : ',') + JSON.stringify(k); first = false }
    return encoder.encode(last ? `${text}]}` : text)
  }
  let pending: Uint8Array | undefined = chunk(page.keys, page.nextCursor === undefined, true)
  const body = new ReadableStream<Uint8Array>({
    async pull (ctl) {
      if (pending !== undefined) {
        ctl.enqueue(pending)
        pending = undefined
        if (page.nextCursor === undefined) ctl.close()
        return
      }
      try {
        page = await node.keys({ prefix, limit: pageSize, cursor: page.nextCursor })
      } catch (err) {
        ctl.error(err)
        return
      }
      ctl.enqueue(chunk(page.keys, page.nextCursor === undefined, false))
      if (page.nextCursor === undefined) ctl.close()
    }
  })
  return new Response(body, { status: 200, headers: { 'Content-Type': 'application/json' } })
}

const NOT_FOUND_BODY = JSON.stringify({ error: 'not_found', message: 'no live record under this key' })
/** 404 for a missing key: a hot path for clients that poll (rendezvous, dead drops). */
function notFound (): Response {
  return fastResponse(NOT_FOUND_BODY, 404, { 'Content-Type': 'application/json' })
}

function methodNotAllowed (c: Context, allow: string): Response {
  c.header('Allow', allow)
  return c.json({ error: 'method_not_allowed', message: `${methodLabel(c.req.method)} is not allowed here; allowed: ${allow}` }, 405)
}

const ROUTES = new Set(['/v1/data/*', '/v1/keys', '/v1/health', '/v1/status', '/v1/topology', '/v1/metrics', '/v1/watch'])
function routeLabel (c: Context): string {
  const p = c.req.path
  if (p.startsWith(DATA_PREFIX)) return '/v1/data/*'
  if (p === '/v1/attestations' || p.startsWith('/v1/attestations/')) return '/v1/attestations'
  return ROUTES.has(p) ? p : 'other'
}

const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'])
function methodLabel (m: string): string {
  return METHODS.has(m) ? m : 'OTHER'
}

/** A path for error messages: never the key part of a data route. */
function safePath (path: string): string {
  return path.startsWith(DATA_PREFIX) ? '/v1/data/…' : path.slice(0, 64)
}
