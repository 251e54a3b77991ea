/**
 * What the page reads from its node, all relative to `/ui/` so the dashboard also works
 * behind a proxy that mounts the node under a path. The shapes are the public API's
 * (docs/api.md); the page is a client like any other.
 */

/** `GET /v1/status` (the fields the page shows). */
export interface Status {
  node_id: string
  version: string
  network: string
  enclave: string
  uptime_seconds: number
  memory: { rss: number }
  records: number
  bytes: number
  capacity_bytes: number
  peers: number
  replication: number
}

/** One peer of `GET /v1/topology`; `score` once peer scoring exists. */
export interface Peer {
  id: string
  addresses: string[]
  enclave: string
  rtt_ms: number | null
  healthy: boolean
  last_seen: number
  score?: number
}

/** `GET /v1/topology`. */
export interface Topology { node_id: string, enclave: string, peers: Peer[] }

/** One sample of `GET /ui/api/samples` (src/http/ui-samples.ts). */
export interface Sample {
  t: number
  records: number
  bytes: number
  capacity_bytes: number
  /** Requests per second since the previous sample, by kind; null on the first sample. */
  rates: { reads: number, writes: number, other: number, errors: number } | null
}

/** `GET /ui/api/samples`. */
export interface Samples { interval_ms: number, retained: number, samples: Sample[] }

/** One cycle of `GET /v1/attestations`. */
export interface Cycle { cycle: number, start: number, end: number, count: number, dropped: number, closed: boolean }

/** `GET /v1/attestations`. */
export interface Attestations {
  node_id: string
  ephemeral: boolean
  cycle_ms: number
  retained_cycles: number
  max_per_cycle: number
  cycles: Cycle[]
}

/** `GET /v1/keys?limit=`. */
export interface KeysPage { keys: string[], next_cursor?: string }

/** A reply that was not 2xx, with the node's error code when it sent one. */
export class ApiError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) {
    super(message)
    this.name = 'ApiError'
  }
}

/** How long the page waits for one API call. */
export const REQUEST_TIMEOUT_MS = 10_000

/** GETs JSON; throws ApiError on a non-2xx reply. */
export async function getJson<T> (path: string): Promise<T> {
  const res = await fetch(path, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), headers: { Accept: 'application/json' } })
  if (!res.ok) {
    let code = 'http_error'
    let message = `${res.status} ${res.statusText}`
    try {
      const body = await res.json() as { error?: string, message?: string }
      code = body.error ?? code
      message = body.message ?? message
    } catch {}
    throw new ApiError(res.status, code, message)
  }
  return await res.json() as T
}

/** TTL facts of a key from `HEAD /v1/data/{key}`, or undefined when it is gone. */
export interface KeyFacts {
  remainingTtl: number
  originalTtl: number
  expiresAt: number
  createdAt: number
  size: number
  /** When the page read the facts (performance.now()), to count the remaining TTL down. */
  readAt: number
}

/** HEADs one key. */
export async function headKey (path: string): Promise<KeyFacts | undefined> {
  const res = await fetch(path, { method: 'HEAD', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
  if (res.status === 404) return undefined
  if (!res.ok) throw new ApiError(res.status, 'http_error', `${res.status} ${res.statusText}`)
  const num = (h: string): number => Number(res.headers.get(h) ?? NaN)
  return {
    remainingTtl: num('X-Remaining-TTL'),
    originalTtl: num('X-Original-TTL'),
    expiresAt: num('X-Expires-At'),
    createdAt: Date.parse(res.headers.get('X-Created-At') ?? ''),
    size: num('Content-Length'),
    readAt: performance.now()
  }
}

/** At most this much of a value is read and shown. */
export const VALUE_VIEW_MAX_BYTES = 64 * 1024

/** The first `max` bytes of a value; `truncated` when it was longer. Undefined when gone. */
export async function readValue (path: string, max = VALUE_VIEW_MAX_BYTES): Promise<{ bytes: Uint8Array, total: number, truncated: boolean } | undefined> {
  const ctl = new AbortController()
  const timer = setTimeout(() => ctl.abort(), REQUEST_TIMEOUT_MS)
  try {
    const res = await fetch(path, { signal: ctl.signal })
    if (res.status === 404) return undefined
    if (!res.ok || res.body === null) throw new ApiError(res.status, 'http_error', `${res.status} ${res.statusText}`)
    const total = Number(res.headers.get('Content-Length') ?? NaN)
    const reader = res.body.getReader()
    const out = new Uint8Array(max)
    let got = 0
    let truncated = false
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      const room = max - got
      out.set(value.subarray(0, room), got)
      got += Math.min(room, value.length)
      if (value.length > room) { truncated = true; break }
    }
    if (truncated) await reader.cancel()
    return { bytes: out.slice(0, got), total: Number.isFinite(total) ? total : got, truncated }
  } finally {
    clearTimeout(timer)
  }
}
