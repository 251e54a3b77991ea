import type { Context, MiddlewareHandler } from 'hono'
import { RepramError } from '../../errors.js'

/** Rate limiting is refused with this error (429). `retryAfterSeconds` feeds `Retry-After`. */
export class RateLimitedError extends RepramError {
  readonly retryAfterSeconds: number
  constructor (retryAfterSeconds: number) {
    super(`rate limit exceeded; retry in ${retryAfterSeconds} s`, 'rate_limited', 429)
    this.name = 'RateLimitedError'
    this.retryAfterSeconds = retryAfterSeconds
  }
}

/** Options of {@link TokenBuckets}. */
export interface TokenBucketsInit {
  /** Tokens added per second per client. */
  ratePerSecond: number
  /** Bucket size. @default 2 × ratePerSecond */
  burst?: number
  /** Most clients tracked; past this, full (idle) buckets are dropped first. @default 100_000 */
  maxClients?: number
  /** Time source in ms. @default Date.now */
  now?: () => number
}

interface Bucket { tokens: number, at: number }

/**
 * Per-client token buckets. A client with no bucket has a full one, so idle clients
 * cost no memory: buckets that have refilled are pruned when the table is full.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>()
  private readonly rate: number
  private readonly burst: number
  private readonly maxClients: number
  private readonly now: () => number

  constructor (init: TokenBucketsInit) {
    this.rate = init.ratePerSecond
    this.burst = init.burst ?? init.ratePerSecond * 2
    this.maxClients = init.maxClients ?? 100_000
    this.now = init.now ?? Date.now
  }

  /** Takes one token for `client`. Returns 0 when allowed, else the seconds to wait. */
  take (client: string): number {
    const now = this.now()
    let b = this.buckets.get(client)
    if (b === undefined) {
      if (this.buckets.size >= this.maxClients) this.prune(now)
      b = { tokens: this.burst, at: now }
      this.buckets.set(client, b)
    } else {
      b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.rate / 1000)
      b.at = now
    }
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.rate))
  }

  /** Clients currently tracked. */
  get size (): number { return this.buckets.size }

  private prune (now: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.rate / 1000 >= this.burst) this.buckets.delete(k)
    }
    // Everyone is mid-burst: forget the oldest half rather than grow without bound.
    if (this.buckets.size >= this.maxClients) {
      let n = this.buckets.size >> 1
      for (const k of this.buckets.keys()) { if (n-- <= 0) break; this.buckets.delete(k) }
    }
  }
}

/**
 * The client's IP. Proxy headers are believed only with `trustProxy`: then the
 * right-most `X-Forwarded-For` entry (the one our own proxy appended), else `X-Real-IP`.
 */
export function clientIp (c: Context, trustProxy: boolean): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  return clientIpOf((name) => c.req.header(name), env?.incoming?.socket?.remoteAddress, trustProxy)
}

/** {@link clientIp} from a header getter and the socket's peer address (for plain Node requests). */
export function clientIpOf (header: (name: string) => string | undefined, remoteAddress: string | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = header('x-forwarded-for')
    if (xff !== undefined && xff !== '') {
      const parts = xff.split(',')
      const last = parts[parts.length - 1].trim()
      if (last !== '') return last
    }
    const real = header('x-real-ip')?.trim()
    if (real !== undefined && real !== '') return real
  }
  return remoteAddress ?? 'unknown'
}

/** Per-IP token-bucket rate limit; throws {@link RateLimitedError} (429 + Retry-After). */
export function rateLimit (opts: { buckets: TokenBuckets, trustProxy: boolean, onLimited?: () => void }): MiddlewareHandler {
  return async (c, next) => {
    const wait = opts.buckets.take(clientIp(c, opts.trustProxy))
    if (wait > 0) {
      opts.onLimited?.()
      throw new RateLimitedError(wait)
    }
    await next()
  }
}
