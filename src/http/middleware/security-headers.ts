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

/** Default CORS policy of the API. */
export const CORS_POLICY: CorsPolicy = {
  allowMethods: ['GET', 'HEAD', 'PUT', 'OPTIONS'],
  allowHeaders: ['Content-Type', 'X-TTL'],
  exposeHeaders: ['X-Original-TTL', 'X-Remaining-TTL', 'X-Expires-At', 'X-Created-At', 'X-Write-Id', 'Retry-After'],
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

/**
 * Sets security and CORS headers on every reply (successes and errors alike) and
 * answers CORS preflight requests with 204.
 *
 * On a Node server the headers go on the Node response before the handler runs, so
 * handlers can return a plain `Response` and stay on node-server's fast path; hono's
 * `cors()` instead edits the finished response, which turns it into a streamed web
 * Response and halved throughput here. Without a socket (`app.request()`), they are set
 * on the finished response.
 */
export function responseHeaders (policy: CorsPolicy = CORS_POLICY, extra: Record<string, string> = {}): MiddlewareHandler {
  const fixed = Object.entries({
    ...SECURITY_HEADERS,
    ...extra,
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': policy.exposeHeaders.join(',')
  })
  const preflight = {
    'Access-Control-Allow-Methods': policy.allowMethods.join(','),
    'Access-Control-Allow-Headers': policy.allowHeaders.join(','),
    'Access-Control-Max-Age': String(policy.maxAge),
    Vary: 'Access-Control-Request-Headers'
  }
  return async (c, next) => {
    const out = (c.env as NodeBindings | undefined)?.outgoing
    const onSocket = out?.setHeader !== undefined
    if (onSocket) for (const [k, v] of fixed) out.setHeader?.(k, v)
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined) {
      const headers: Record<string, string> = { ...preflight }
      if (!onSocket) for (const [k, v] of fixed) headers[k] = v
      return new Response(null, { status: 204, headers })
    }
    await next()
    if (!onSocket) {
      const h = c.res.headers
      for (const [k, v] of fixed) h.set(k, v)
    }
  }
}
