import type { MiddlewareHandler } from 'hono'

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

/**
 * Sets security and CORS headers on every reply (successes and errors alike) and
 * answers CORS preflight requests with 204. Headers go on the context before the
 * handler runs, so the handler's response is built with them in one step.
 */
export function responseHeaders (policy: CorsPolicy = CORS_POLICY, extra: Record<string, string> = {}): MiddlewareHandler {
  const fixed = Object.entries({
    ...SECURITY_HEADERS,
    ...extra,
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': policy.exposeHeaders.join(',')
  })
  const allowMethods = policy.allowMethods.join(',')
  const allowHeaders = policy.allowHeaders.join(',')
  const maxAge = String(policy.maxAge)
  return async (c, next) => {
    for (const [k, v] of fixed) c.header(k, v)
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined) {
      c.header('Access-Control-Allow-Methods', allowMethods)
      c.header('Access-Control-Allow-Headers', allowHeaders)
      c.header('Access-Control-Max-Age', maxAge)
      c.header('Vary', 'Access-Control-Request-Headers')
      return c.body(null, 204)
    }
    await next()
  }
}
