/**
 * The ceiling of our HTTP stack: a bare hono app on @hono/node-server that keeps values
 * in a Map. `PUT /v1/data/*` stores the body, `GET /v1/data/*` returns it as
 * application/octet-stream. Same framework, same adapter, nothing else.
 *
 * For ablation (finding what a REPRAM node pays for), `middleware` adds, in order,
 * pieces shaped like the node's own (see {@link BASELINE_MIDDLEWARE}); the bench
 * scenario exposes it as `--servers baseline,baseline:cors+security,repram`.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { Hono, type MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { serve } from '@hono/node-server'
import { dispatch, spawn, start } from 'nact'
import { Counter, Histogram, Registry } from 'prom-client'
import { childConfig, serveChild } from '../lib/child-harness.js'
import { freshValue, preloadKey, type ServerConfig, type ServerReady } from './common.js'
import { SECURITY_HEADERS, TTL_HEADERS } from '../../../src/http/middleware/security-headers.js'

const PREFIX_LEN = '/v1/data/'.length

// The node's own header sets, so the ablation pieces stay identical to what it sends.
const EXPOSE = [...TTL_HEADERS]
const SECURITY: Record<string, string> = { ...SECURITY_HEADERS }

/** Ablation pieces, each a copy of how the node (src/http/app.ts) does it, or of a proposed fix. */
export const BASELINE_MIDDLEWARE = {
  /** hono's `cors()` as the node configures it (it writes `c.res.headers` before `next()`). */
  cors: () => cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'PUT', 'OPTIONS'], allowHeaders: ['Content-Type', 'X-TTL'], exposeHeaders: EXPOSE, maxAge: 600 }),
  /** Security headers set on `c.res.headers` after `next()`, as the node does. */
  security: (): MiddlewareHandler => async (c, next) => {
    await next()
    for (const [k, v] of Object.entries(SECURITY)) c.res.headers.set(k, v)
  },
  /** Proposed fix: CORS + security headers through `c.header()` before `next()`. */
  'headers-pre': (): MiddlewareHandler => {
    const all = Object.entries({ ...SECURITY, 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': EXPOSE.join(',') })
    return async (c, next) => {
      for (const [k, v] of all) c.header(k, v)
      await next()
    }
  },
  /** prom-client request counter + duration histogram with route/method/status labels. */
  metrics: (): MiddlewareHandler => {
    const registry = new Registry()
    const requests = new Counter({ name: 'r', help: 'r', labelNames: ['route', 'method', 'status'] as const, registers: [registry] })
    const duration = new Histogram({ name: 'd', help: 'd', labelNames: ['route', 'method'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] })
    return async (c, next) => {
      const t0 = performance.now()
      await next()
      requests.inc({ route: '/v1/data/*', method: c.req.method, status: String(c.res.status) })
      duration.observe({ route: '/v1/data/*', method: c.req.method }, (performance.now() - t0) / 1000)
    }
  }
} as const satisfies Record<string, () => MiddlewareHandler>

/** `actor`: the Map lives in a nact actor, every get/set is a dispatch + reply (the node's shard hop). */
type Store = { get(k: string): Promise<Uint8Array | undefined>, set(k: string, v: Uint8Array): Promise<void>, preload(k: string, v: Uint8Array): void }

function mapStore (): Store {
  const m = new Map<string, Uint8Array>()
  return { get: async (k) => m.get(k), set: async (k, v) => { m.set(k, v) }, preload: (k, v) => m.set(k, v) }
}

type ActorMsg = { type: 'get', key: string, reply: (v: Uint8Array | undefined) => void } | { type: 'set', key: string, value: Uint8Array, reply: (v: undefined) => void }

function actorStore (): Store {
  const m = new Map<string, Uint8Array>()
  const system = start()
  const ref = spawn(system, (state: null, msg: ActorMsg) => {
    if (msg.type === 'get') msg.reply(m.get(msg.key))
    else { m.set(msg.key, msg.value); msg.reply(undefined) }
    return state
  }, 'store', { initialState: null })
  return {
    get: async (key) => await new Promise(resolve => dispatch(ref, { type: 'get', key, reply: resolve })),
    set: async (key, value) => { await new Promise(resolve => dispatch(ref, { type: 'set', key, value, reply: resolve })) },
    preload: (k, v) => m.set(k, v)
  }
}

type Op = { key: string, value?: Uint8Array, reply: (v: Uint8Array | undefined) => void }

/**
 * `actor-batch`: the same actor, but callers queue operations and one `batch` message per
 * tick carries all of them, so the actor's one-message-per-event-loop-turn pace (nact runs
 * each message in its own setImmediate) no longer caps throughput.
 */
function batchedActorStore (): Store {
  const m = new Map<string, Uint8Array>()
  const system = start()
  const ref = spawn(system, (state: null, ops: Op[]) => {
    for (const op of ops) {
      if (op.value === undefined) op.reply(m.get(op.key))
      else { m.set(op.key, op.value); op.reply(undefined) }
    }
    return state
  }, 'store', { initialState: null })
  let queue: Op[] = []
  const flush = (): void => { const q = queue; queue = []; dispatch(ref, q) }
  const enqueue = (op: Op): void => { if (queue.push(op) === 1) queueMicrotask(flush) }
  return {
    get: async (key) => await new Promise(resolve => enqueue({ key, reply: resolve })),
    set: async (key, value) => { await new Promise(resolve => enqueue({ key, value, reply: resolve })) },
    preload: (k, v) => m.set(k, v)
  }
}

serveChild<ServerReady>(async () => {
  const cfg = childConfig<ServerConfig>()
  const pieces = cfg.middleware ?? []
  const store = pieces.includes('actor') ? actorStore() : pieces.includes('actor-batch') ? batchedActorStore() : mapStore()
  for (let i = 0; i < cfg.preloadKeys; i++) store.preload(preloadKey(cfg.keyPrefix, i), freshValue(cfg.valueSize, i))

  const app = new Hono()
  for (const p of pieces) {
    if (p === 'actor' || p === 'actor-batch') continue
    const make = (BASELINE_MIDDLEWARE as Record<string, () => MiddlewareHandler>)[p]
    if (make === undefined) throw new Error(`unknown baseline middleware "${p}" (${[...Object.keys(BASELINE_MIDDLEWARE), 'actor', 'actor-batch'].join(', ')})`)
    app.use('*', make())
  }
  app.put('/v1/data/*', async (c) => {
    await store.set(c.req.path.slice(PREFIX_LEN), new Uint8Array(await c.req.arrayBuffer()))
    return c.body(null, 201)
  })
  app.get('/v1/data/*', async (c) => {
    const v = await store.get(c.req.path.slice(PREFIX_LEN))
    if (v === undefined) return c.body(null, 404)
    c.header('Content-Type', 'application/octet-stream')
    return c.body(v as Uint8Array<ArrayBuffer>, 200)
  })

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
    s.once('error', reject)
    s.once('listening', () => resolve(s))
  })
  return { port: (server.address() as AddressInfo).port, label: pieces.length === 0 ? 'hono + Map' : `hono + Map + ${pieces.join(' + ')}` }
})
