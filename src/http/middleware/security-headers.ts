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

/** Sets {@link SECURITY_HEADERS} (plus any `extra`) on every response. */
export function securityHeaders (extra: Record<string, string> = {}): MiddlewareHandler {
  const entries = Object.entries({ ...SECURITY_HEADERS, ...extra })
  return async (c, next) => {
    await next()
    const h = c.res.headers
    for (const [k, v] of entries) h.set(k, v)
  }
}
