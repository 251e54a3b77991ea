import type { Context, MiddlewareHandler } from 'hono'

/**
 * Security headers on every reply. Values are opaque bytes, often secrets: nothing is
 * cacheable, nothing is sniffed or framed. CORP is cross-origin because any origin may
 * read (DESIGN §2: CORS for any origin).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Cross-Origin-Resource-Policy': 'cross-origin',
  'Cache-Control': 'no-store'
}

/** CORS policy: any origin, the TTL headers exposed. */
export interface CorsPolicy {
  allowMethods: readonly string[]
  allowHeaders: readonly string[]
  exposeHeaders: readonly string[]
  /** Preflight cache lifetime, seconds. */
  maxAge: number
}

/** Headers that carry TTL facts (and Retry-After, and a record's jurisdictions); exposed to browsers through CORS. */
export const TTL_HEADERS = ['X-Original-TTL', 'X-Remaining-TTL', 'X-Expires-At', 'X-Created-At', 'X-Write-Id', 'X-Jurisdiction', 'Retry-After'] as const

/** Default CORS policy of the API. */
export const CORS_POLICY: CorsPolicy = {
  allowMethods: ['GET', 'HEAD', 'PUT', 'OPTIONS'],
  allowHeaders: ['Content-Type', 'X-TTL', 'X-Jurisdiction', 'Last-Event-ID', 'X-Repram-Created-At', 'X-Repram-Write-Id', 'X-Repram-Signature', 'X-Repram-Delegation', 'X-Repram-Delegation-Signature'],
  exposeHeaders: TTL_HEADERS,
  maxAge: 600
}

interface NodeBindings { outgoing?: { setHeader?: (name: string, value: string) => unknown, headersSent?: boolean } }

/**
 * Sets a header for the reply being built: on the Node response when there is one
 * (it merges into whatever the handler returns, at no cost to hono's fast path),
 * else on the hono response (`app.request()` in tests).
 */
export function setResponseHeader (c: Context, name: string, value: string): void {
  const out = (c.env as NodeBindings | undefined)?.outgoing
  if (out?.setHeader !== undefined) {
    if (out.headersSent !== true) out.setHeader(name, value)
  } else {
    c.res.headers.set(name, value)
  }
}

/** The fixed headers of every reply: security headers and the CORS headers for any origin. */
export function fixedHeaders (policy: CorsPolicy = CORS_POLICY, extra: Record<string, string> = {}): Readonly<Record<string, string>> {
  return Object.freeze({
    ...SECURITY_HEADERS,
    ...extra,
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': policy.exposeHeaders.join(',')
  })
}

/** Replies built by {@link fastResponse}: they carry the fixed headers already. */
const complete = new WeakSet<Response>()

/** The fixed headers of the default policy. */
export const FIXED_HEADERS = fixedHeaders()

/**
 * A reply with the fixed headers and `headers`, as one plain object. On a Node server
 * such a Response goes straight to `writeHead` (node-server's fast path); setting headers
 * any other way (on the Node response, or on a finished hono response) sends every header
 * of the reply through a slower merge. Hot routes reply with this.
 */
export function fastResponse (body: string | Uint8Array<ArrayBuffer> | null, status: number, headers: Record<string, string>): Response {
  const res = new Response(body, { status, headers: { ...FIXED_HEADERS, ...headers } })
  complete.add(res)
  return res
}

/**
 * Sets security and CORS headers on every reply (successes and errors alike) and answers
 * every OPTIONS request (CORS preflight or not) with 204. Replies made with {@link fastResponse} have them
 * already; any other reply gets them added once the handler is done. (hono's `cors()`
 * edits the response before the handler runs, which halved throughput here.)
 */
export function responseHeaders (policy: CorsPolicy = CORS_POLICY, extra: Record<string, string> = {}): MiddlewareHandler {
  const fixed = Object.entries(fixedHeaders(policy, extra))
  const preflight = {
    'Access-Control-Allow-Methods': policy.allowMethods.join(','),
    'Access-Control-Allow-Headers': policy.allowHeaders.join(','),
    'Access-Control-Max-Age': String(policy.maxAge),
    Vary: 'Access-Control-Request-Headers'
  }
  return async (c, next) => {
    // Every OPTIONS, preflight or not (the reference node answers an OPTIONS with only an Origin with 204 too).
    if (c.req.method === 'OPTIONS') {
      const headers: Record<string, string> = { ...preflight }
      for (const [k, v] of fixed) headers[k] = v
      return new Response(null, { status: 204, headers })
    }
    await next()
    if (complete.has(c.res)) return
    const h = c.res.headers
    for (const [k, v] of fixed) h.set(k, v)
  }
}
