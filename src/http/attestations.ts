/**
 * The public, read-only deletion-attestation API (DESIGN §6): no auth, every reply carries
 * the signatures and the signer's peer id and public key.
 *
 * - `GET /v1/attestations[?key_hash=H]`: the cycle listing; with `key_hash`, every retained proof for it
 * - `GET /v1/attestations/latest[?key_hash=H]`: the most recently closed cycle
 * - `GET /v1/attestations/{cycle}[?key_hash=H]`: one retained cycle (the open one included)
 * - `WS  /v1/attestations/stream[?key_hash=H]`: a `hello`, then each cycle as it closes
 *
 * @example
 * import { Hono } from 'hono'
 * import { createRepramNode } from 'repram'
 * const node = await createRepramNode({ config: { profile: 'test' } })
 * const app = new Hono()
 * mountAttestationRoutes(app, node)
 * const res = await app.request('/v1/attestations')
 */
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Context, Hono } from 'hono'
import { WebSocketServer, type WebSocket } from 'ws'
import { BadRequestError, RepramError } from '../errors.js'
import { clientIpOf, TokenBuckets } from './middleware/rate-limit.js'
import type { AttestationService } from '../attest/service.js'
import type { RepramNode } from '../node/node.js'
import type { AttestationStreamMessage } from '../sdk/attest/types.js'

/** Path of the WebSocket stream. */
export const ATTESTATION_STREAM_PATH = '/v1/attestations/stream'

/** A slow stream client holding more than this many unsent bytes is disconnected (1013). */
export const STREAM_MAX_BUFFERED_BYTES = 16 * 1024 * 1024

/** Most concurrent stream clients per server. */
export const STREAM_MAX_CLIENTS = 1000

/** How often stream clients are pinged; one missed pong closes the socket. */
export const STREAM_PING_MS = 30_000

const KEY_HASH = /^[0-9a-fA-F]{64}$/
const CYCLE = /^\d{1,15}$/

/** A `key_hash` query value, lower-cased, or undefined; 400 when malformed. */
export function parseKeyHash (raw: string | null | undefined): string | undefined {
  if (raw === undefined || raw === null) return undefined
  if (!KEY_HASH.test(raw)) throw new BadRequestError('key_hash must be 64 hex digits: the SHA-256 of the key\'s UTF-8 bytes', 'invalid_key_hash')
  return raw.toLowerCase()
}

function parseCycle (raw: string): number {
  const n = Number(raw)
  if (!CYCLE.test(raw) || !Number.isSafeInteger(n)) throw new BadRequestError('cycle must be a non-negative integer (or "latest")', 'invalid_cycle')
  return n
}

function notRetained (c: Context, message: string): Response {
  return c.json({ error: 'not_found', message }, 404)
}

/** Adds the attestation routes to `app`. Errors are thrown as RepramError for the app's onError. */
export function mountAttestationRoutes (app: Hono, node: RepramNode, attestor: AttestationService = node.attestations): void {
  app.get('/v1/attestations', async (c) => {
    const keyHash = parseKeyHash(c.req.query('key_hash'))
    return c.json(await attestor.list(keyHash))
  })

  // One param route for `stream` too: a static sibling of `:cycle` would make hono's
  // SmartRouter fall back from its RegExpRouter to the slower TrieRouter for every route.
  app.get('/v1/attestations/:cycle', async (c) => {
    const raw = c.req.param('cycle')
    if (raw === 'stream') {
      // Reached only without an upgrade (the server handles upgrades before hono sees them).
      c.header('Upgrade', 'websocket')
      return c.json({ error: 'upgrade_required', message: `${ATTESTATION_STREAM_PATH} is a WebSocket: connect with Upgrade: websocket` }, 426)
    }
    const keyHash = parseKeyHash(c.req.query('key_hash'))
    if (raw === 'latest') {
      const latest = await attestor.cycle('latest', keyHash)
      return latest === undefined ? notRetained(c, 'no attestation cycle has closed yet') : c.json(latest)
    }
    const n = parseCycle(raw)
    const r = await attestor.cycle(n, keyHash)
    return r === undefined ? notRetained(c, `cycle ${n} is not retained: see GET /v1/attestations for the retained cycles`) : c.json(r)
  })

  for (const path of ['/v1/attestations', '/v1/attestations/*']) {
    app.all(path, (c) => {
      c.header('Allow', 'GET, HEAD, OPTIONS')
      return c.json({ error: 'method_not_allowed', message: 'the attestation API is read-only; allowed: GET, HEAD, OPTIONS' }, 405)
    })
  }
}

/** Options of {@link attachAttestationStream}; defaults come from the node's config. */
export interface AttestationStreamOptions {
  /** Upgrade requests per second per client IP, burst 2× (0 = off), like the HTTP routes. @default node.config.rateLimit */
  rateLimit?: number
  /** Believe X-Forwarded-For / X-Real-IP for the client IP. @default node.config.trustProxy */
  trustProxy?: boolean
  /** Open streams per client IP (0 = the stream is off). @default node.config.attestationStreamMaxPerIp */
  maxPerIp?: number
}

/** A running stream endpoint. */
export interface AttestationStream {
  /** Connected clients. */
  readonly clients: number
  /** Closes every client (1001) and stops accepting upgrades. Safe to call twice. */
  close(): void
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' }

/** Refuses an upgrade with a JSON error, before any WebSocket handshake. */
function rejectUpgrade (socket: Duplex, status: number, error: string, message: string, retryAfterSeconds?: number): void {
  const body = JSON.stringify({ error, message })
  const retry = retryAfterSeconds === undefined ? '' : `Retry-After: ${retryAfterSeconds}\r\n`
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${retry}Connection: close\r\n\r\n${body}`)
}

/**
 * Serves `WS /v1/attestations/stream` on `server` (with `ws`; @hono/node-ws needs
 * @hono/node-server 1.x). Each client gets a `hello`, then one `cycle` message per closed
 * cycle, filtered by `?key_hash=` when given. Upgrades on other paths get 404.
 *
 * Bounded like the HTTP routes (issue 16 §5): upgrade requests are rate limited per client
 * IP (their own token buckets at the HTTP rate; 429 `rate_limited` with `Retry-After`), a
 * client IP holds at most `maxPerIp` open streams (429 `too_many_streams`), the node at
 * most {@link STREAM_MAX_CLIENTS} (503). Every refusal is a JSON reply before the upgrade.
 */
export function attachAttestationStream (server: Server, node: RepramNode, attestor: AttestationService = node.attestations, opts: AttestationStreamOptions = {}): AttestationStream {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024, clientTracking: true })
  let closed = false
  const alive = new WeakSet<WebSocket>()
  const config = node.config
  const trustProxy = opts.trustProxy ?? config.trustProxy
  const maxPerIp = opts.maxPerIp ?? config.attestationStreamMaxPerIp
  const rate = opts.rateLimit ?? config.rateLimit
  const buckets = rate > 0 ? new TokenBuckets({ ratePerSecond: rate }) : undefined
  /** Open (or opening) streams per client IP; an IP leaves the map with its last socket. */
  const perIp = new Map<string, number>()

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => {})
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://localhost')
    } catch {
      rejectUpgrade(socket, 400, 'bad_request', 'malformed request URL')
      return
    }
    if (url.pathname !== ATTESTATION_STREAM_PATH) { rejectUpgrade(socket, 404, 'not_found', 'no WebSocket endpoint here'); return }
    if (closed || node.state !== 'started' || attestor.signer === undefined) { rejectUpgrade(socket, 503, 'shutting_down', 'the node is shutting down'); return }
    const ip = clientIpOf((name) => { const v = req.headers[name]; return Array.isArray(v) ? v[0] : v }, req.socket.remoteAddress, trustProxy)
    const wait = buckets?.take(ip) ?? 0
    if (wait > 0) { rejectUpgrade(socket, 429, 'rate_limited', `rate limit exceeded; retry in ${wait} s`, wait); return }
    const mine = perIp.get(ip) ?? 0
    if (mine >= maxPerIp) {
      rejectUpgrade(socket, 429, 'too_many_streams', maxPerIp === 0 ? 'the attestation stream is off on this node' : `this client already holds ${maxPerIp} attestation streams (the most per IP); close one first`)
      return
    }
    if (wss.clients.size >= STREAM_MAX_CLIENTS) { rejectUpgrade(socket, 503, 'too_many_clients', 'too many stream clients; try again later'); return }
    let keyHash: string | undefined
    try {
      keyHash = parseKeyHash(url.searchParams.get('key_hash'))
    } catch (err) {
      rejectUpgrade(socket, 400, (err as RepramError).code, (err as Error).message)
      return
    }
    // Counted from here until the socket closes, whether the handshake completes or not.
    perIp.set(ip, mine + 1)
    socket.once('close', () => {
      const left = (perIp.get(ip) ?? 1) - 1
      if (left <= 0) perIp.delete(ip)
      else perIp.set(ip, left)
    })
    wss.handleUpgrade(req, socket, head, (ws) => {
      alive.add(ws)
      ws.on('pong', () => alive.add(ws))
      ws.on('error', () => ws.terminate())
      const send = (msg: AttestationStreamMessage): void => {
        if (ws.readyState !== ws.OPEN) return
        if (ws.bufferedAmount > STREAM_MAX_BUFFERED_BYTES) { ws.close(1013, 'too slow'); return }
        ws.send(JSON.stringify(msg))
      }
      const unsubscribe = attestor.subscribe((c) => {
        const attestations = keyHash === undefined ? c.attestations : c.attestations.filter(a => a.keyHash === keyHash)
        send({ type: 'cycle', ...c, ...(keyHash !== undefined ? { key_hash: keyHash } : {}), attestations })
      })
      ws.on('close', unsubscribe)
      const c = node.config
      send({ type: 'hello', ...attestor.info(), cycle_ms: c.attestationCycleMs, open_cycle: Math.floor(node.clock.now() / c.attestationCycleMs) })
    })
  }
  server.on('upgrade', onUpgrade)

  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) { ws.terminate(); continue }
      alive.delete(ws)
      ws.ping()
    }
  }, STREAM_PING_MS)
  pinger.unref()

  return {
    get clients () { return wss.clients.size },
    close: () => {
      if (closed) return
      closed = true
      clearInterval(pinger)
      server.off('upgrade', onUpgrade)
      for (const ws of wss.clients) ws.close(1001, 'server shutting down')
      // Sockets that do not finish the closing handshake promptly are cut.
      const cut = setTimeout(() => { for (const ws of wss.clients) ws.terminate() }, 500)
      cut.unref()
      wss.close()
    }
  }
}
