/**
 * The monitor's own HTTP server (not a node's API):
 * - `GET /metrics`: Prometheus text of the monitor's registry;
 * - `GET /health`: JSON: database, readiness, each watched node's state (200, or 503 when
 *   the database does not answer or the monitor is stopping);
 * - `POST /v1/writes`: registers flagged writes the organisation expects proofs for (key
 *   hashes only), so a write that no node attests still raises an alert;
 * - `GET /v1/report?framework=&from=&to=`: a report's JSON, built from the live database
 *   (how `repram monitor report` reads an embedded database the monitor holds).
 * With a token set, the `/v1/` routes need `Authorization: Bearer <token>`.
 *
 * @example
 * // curl -X POST http://127.0.0.1:8090/v1/writes -H 'content-type: application/json' \
 * //   -d '{"keyHash":"abc8…36c2","writeId":"AAECAwQFBgcICQoL","expiresAt":1700000300000}'
 */
import { timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import { Hono, type Context } from 'hono'
import type { Logger } from '../logger.js'
import type { MonitorMetrics } from './metrics.js'
import type { ComplianceReport } from './report/build.js'
import { FRAMEWORKS, type Framework } from './report/frameworks.js'

/**
 * What the server needs of the monitor (the monitor implements it; this file does not
 * import the monitor, so the two do not import each other).
 */
export interface MonitorApi {
  readonly config: { token?: string }
  readonly metrics: MonitorMetrics
  readonly logger: Logger
  health(): Promise<{ status: string }>
  registerWrites(writes: readonly ExpectedWrite[]): Promise<number>
  report(req: { framework: Framework, from: number, to: number }): Promise<ComplianceReport>
}

/** Largest `POST /v1/writes` body. */
export const MAX_REGISTER_BYTES = 1024 * 1024
/** Most writes in one `POST /v1/writes`. */
export const MAX_REGISTER_WRITES = 10_000

const KEY_HASH = /^[0-9a-fA-F]{64}$/
const WRITE_ID = /^[\x21-\x7e]{1,64}$/
const NAME = /^[A-Za-z0-9._-]{1,64}$/

function fail (c: Context, status: 400 | 401 | 404 | 405 | 413 | 503, error: string, message: string): Response {
  return c.json({ error, message }, status)
}

/** A registered write, validated. */
export interface ExpectedWrite {
  keyHash: string
  writeId: string
  expiresAt: number
  createdAt?: number
  enclave?: string
  jurisdictions?: string[]
}

/** Validates one entry of `POST /v1/writes`; a string names what is wrong. */
export function parseExpectedWrite (x: unknown): ExpectedWrite | string {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return 'each write must be an object'
  const w = x as Record<string, unknown>
  if (typeof w.keyHash !== 'string' || !KEY_HASH.test(w.keyHash)) return 'keyHash must be 64 hex digits: the SHA-256 of the key (never send the key)'
  if (typeof w.writeId !== 'string' || !WRITE_ID.test(w.writeId)) return 'writeId must be 1-64 printable ASCII characters (the writeId PUT returned)'
  if (typeof w.expiresAt !== 'number' || !Number.isSafeInteger(w.expiresAt) || w.expiresAt < 0) return 'expiresAt must be ms since the epoch (the expiresAt PUT returned)'
  if (w.createdAt !== undefined && (typeof w.createdAt !== 'number' || !Number.isSafeInteger(w.createdAt) || w.createdAt < 0)) return 'createdAt must be ms since the epoch'
  if (w.enclave !== undefined && (typeof w.enclave !== 'string' || !NAME.test(w.enclave))) return 'enclave must be 1-64 of A-Z a-z 0-9 . _ -'
  if (w.jurisdictions !== undefined && (!Array.isArray(w.jurisdictions) || w.jurisdictions.length > 64 || !w.jurisdictions.every(j => typeof j === 'string' && NAME.test(j)))) return 'jurisdictions must be a list of names'
  return {
    keyHash: w.keyHash.toLowerCase(),
    writeId: w.writeId,
    expiresAt: w.expiresAt,
    ...(w.createdAt !== undefined ? { createdAt: w.createdAt as number } : {}),
    ...(w.enclave !== undefined ? { enclave: w.enclave as string } : {}),
    ...(w.jurisdictions !== undefined ? { jurisdictions: w.jurisdictions as string[] } : {})
  }
}

/** Parses an ISO 8601 date or date-time (a date alone is midnight UTC); undefined when it is not one. */
export function parseIsoTime (s: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(s.trim())) return undefined
  const t = Date.parse(s.trim().length === 10 ? `${s.trim()}T00:00:00Z` : s.trim())
  return Number.isFinite(t) ? t : undefined
}

/** The hono app of the monitor's server. */
export function createMonitorApp (monitor: MonitorApi): Hono {
  const app = new Hono()
  const token = monitor.config.token
  const authorized = (c: Context): boolean => {
    if (token === undefined) return true
    const got = Buffer.from(c.req.header('authorization') ?? '')
    const want = Buffer.from(`Bearer ${token}`)
    return got.length === want.length && timingSafeEqual(got, want)
  }

  app.get('/metrics', async (c) => {
    const text = await monitor.metrics.registry.metrics()
    return c.text(text, 200, { 'Content-Type': monitor.metrics.registry.contentType })
  })

  app.get('/health', async (c) => {
    const h = await monitor.health()
    return c.json(h, h.status === 'unavailable' || h.status === 'stopping' ? 503 : 200)
  })

  app.post('/v1/writes', async (c) => {
    if (!authorized(c)) return fail(c, 401, 'unauthorized', 'this monitor needs Authorization: Bearer <token> (--token)')
    const length = Number(c.req.header('content-length') ?? '0')
    if (length > MAX_REGISTER_BYTES) return fail(c, 413, 'too_large', `at most ${MAX_REGISTER_BYTES} bytes per request`)
    const text = await c.req.text()
    if (text.length > MAX_REGISTER_BYTES) return fail(c, 413, 'too_large', `at most ${MAX_REGISTER_BYTES} bytes per request`)
    let body: unknown
    try { body = JSON.parse(text) } catch { return fail(c, 400, 'invalid_json', 'the body must be JSON: one write or a list of writes') }
    const list = Array.isArray(body) ? body : [body]
    if (list.length > MAX_REGISTER_WRITES) return fail(c, 413, 'too_large', `at most ${MAX_REGISTER_WRITES} writes per request`)
    const writes: ExpectedWrite[] = []
    for (const [i, x] of list.entries()) {
      const w = parseExpectedWrite(x)
      if (typeof w === 'string') return fail(c, 400, 'invalid_write', `write ${i}: ${w}`)
      writes.push(w)
    }
    const added = await monitor.registerWrites(writes)
    return c.json({ registered: writes.length, new: added }, 202)
  })

  app.get('/v1/report', async (c) => {
    if (!authorized(c)) return fail(c, 401, 'unauthorized', 'this monitor needs Authorization: Bearer <token> (--token)')
    const framework = c.req.query('framework') ?? ''
    if (!(FRAMEWORKS as readonly string[]).includes(framework)) return fail(c, 400, 'invalid_framework', `framework must be one of ${FRAMEWORKS.join(', ')}`)
    const from = parseIsoTime(c.req.query('from') ?? '')
    const to = parseIsoTime(c.req.query('to') ?? '')
    if (from === undefined || to === undefined) return fail(c, 400, 'invalid_period', 'from and to must be ISO 8601 dates or date-times')
    if (from >= to) return fail(c, 400, 'invalid_period', 'from must be before to')
    return c.json(await monitor.report({ framework: framework as Framework, from, to }))
  })

  app.notFound(c => fail(c, 404, 'not_found', 'no such route on the monitor: /metrics, /health, POST /v1/writes, GET /v1/report'))
  app.onError((err, c) => {
    monitor.logger.error({ err: err.message, path: c.req.path }, 'monitor request failed')
    return fail(c, 503, 'unavailable', 'the monitor could not answer (see its log)')
  })
  return app
}

/** A running monitor server. */
export interface MonitorServer {
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

/** Serves the app on `host:port`. */
export async function startMonitorServer (monitor: MonitorApi, host: string, port: number): Promise<MonitorServer> {
  const app = createMonitorApp(monitor)
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }) as Server
    s.once('error', reject)
    s.once('listening', () => { s.off('error', reject); resolve(s) })
  })
  server.keepAliveTimeout = 5_000
  server.requestTimeout = 30_000
  const addr = server.address() as AddressInfo
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  let closing: Promise<void> | undefined
  return {
    url: `http://${shown === '0.0.0.0' ? '127.0.0.1' : shown === '[::]' ? '[::1]' : shown}:${addr.port}`,
    port: addr.port,
    close: async () => {
      closing ??= new Promise<void>(resolve => {
        server.close(() => resolve())
        server.closeIdleConnections()
        setTimeout(() => server.closeAllConnections(), 1000).unref()
      })
      await closing
    }
  }
}
