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
import { BadRequestError, NodeStoppedError } from '../errors.js'
import type { RepramNode } from '../node/node.js'
import { readBodyLimited } from './body.js'
import { createHttpMetrics, type HttpMetrics } from './metrics.js'
import { TokenBuckets, rateLimit } from './middleware/rate-limit.js'
import { fastResponse, responseHeaders, setResponseHeader } from './middleware/security-headers.js'
import { mountAttestationRoutes } from './attestations.js'
import { DATA_PREFIX } from './keys.js'
import { errorReply, readReply, writeReply } from './data.js'
import { directDataRoutes, type DirectRoutes, type HttpAppState } from './direct.js'
import { mountWatchRoutes, type WatchRoutes } from './watch.js'
import { mountUiRoutes } from './ui.js'
import { mountMcpRoutes } from '../mcp/http.js'



/** Options of {@link createHttpApp}; defaults come from the node's config. */
export interface HttpAppOptions {
  /** Requests per second per client IP, burst 2× (0 = off). @default node.config.rateLimit */
  rateLimit?: number
  /** Believe X-Forwarded-For / X-Real-IP. @default node.config.trustProxy */
  trustProxy?: boolean
}

export type { HttpAppState } from './direct.js'

export { keyFromUrl } from './keys.js'

/** Builds the API for `node`. */
export function createHttpApp (node: RepramNode, opts: HttpAppOptions = {}): { app: Hono, state: HttpAppState, metrics: HttpMetrics, watch: WatchRoutes, direct: DirectRoutes } {
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
  const buckets = limit > 0 ? new TokenBuckets({ ratePerSecond: limit }) : undefined
  if (buckets !== undefined) {
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
    const value = await readBodyLimited(c, config.maxValueBytes)
    const r = await writeReply(node, c.req.url, c.req.query('ttl') ?? c.req.header('x-ttl'), value, name => c.req.header(name))
    return fastResponse(r.body, r.status, r.headers)
  })

  app.get('/v1/data/*', async (c) => {
    const r = await readReply(node, c.req.url)
    return fastResponse(r.body, r.status, r.headers)
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
      jurisdiction: node.jurisdiction,
      uptime: `${uptime}s`,
      uptime_seconds: uptime,
      memory: { rss: mem.rss, heap_used: mem.heapUsed, heap_total: mem.heapTotal, external: mem.external },
      records: stats.records,
      bytes: stats.bytes,
      capacity_bytes: stats.capacityBytes,
      peers: info.peers,
      listen_addresses: info.addresses,
      ...(info.publicNetwork !== undefined ? { public_network: info.publicNetwork } : {}),
      replication: config.replication,
      limits: { max_key_bytes: config.maxKeyBytes, max_value_bytes: config.maxValueBytes, min_ttl: config.minTtl, max_ttl: config.maxTtl, default_ttl: config.defaultTtl, ttl_policy: config.ttlPolicy, rate_limit: limit }
    })
  })

  app.get('/v1/topology', (c) => c.json({ node_id: node.networkInfo().nodeId, enclave: config.enclave, jurisdiction: node.jurisdiction, peers: node.topology() }))

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
    const r = errorReply(err)
    if (r.status === 413) metrics.oversized.inc()
    // Never echo internals or user data; log the error (no key, no value).
    if (r.internal) log.error({ err: { name: (err as Error).name, message: (err as Error).message, stack: (err as Error).stack } }, 'unhandled error')
    for (const [k, v] of Object.entries(r.headers)) c.header(k, v)
    return c.body(r.body as string, r.status as 400)
  })

  // The server answers the data routes directly (direct.ts) with these same pieces.
  const direct = directDataRoutes({ node, state, metrics, buckets, trustProxy, log })
  return { app, state, metrics, watch, direct }
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
