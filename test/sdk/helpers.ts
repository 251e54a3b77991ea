/**
 * Shared fixtures of the SDK tests: light KDF parameters, a scripted fake
 * `fetch`, an in-memory fake node, a port with nothing listening, and real
 * nodes on 127.0.0.1.
 */
import { createServer } from 'node:net'
import type { FetchLike } from '../../src/sdk/client.js'
import type { KdfParams } from '../../src/sdk/kdf.js'
import { createRepramNode, startHttpServer, type RepramConfigInput } from '../../src/index.js'

/** Argon2id parameters cheap enough for unit tests (the defaults cost ~300 ms). */
export const LIGHT_ARGON2ID: KdfParams = { algorithm: 'argon2id', memoryKiB: 64, iterations: 1, parallelism: 1 }
/** scrypt parameters cheap enough for unit tests. */
export const LIGHT_SCRYPT: KdfParams = { algorithm: 'scrypt', log2N: 6, r: 8, p: 1 }

/** One request the fake fetch saw. */
export interface SeenRequest { url: string, method: string, body?: Uint8Array, headers: Headers }

/** A scripted answer: a Response, an Error to throw (network failure), or a function of the request. */
export type Scripted = Response | Error | ((req: SeenRequest, signal?: AbortSignal) => Response | Error | Promise<Response | Error>)

/**
 * A fake fetch that answers from per-URL-prefix scripts, in order; it records
 * every request. A script that runs out throws, so unexpected calls fail loudly.
 */
export function scriptedFetch (scripts: Record<string, Scripted[]>): { fetch: FetchLike, seen: SeenRequest[] } {
  const seen: SeenRequest[] = []
  const fetch: FetchLike = async (input, init) => {
    const req: SeenRequest = {
      url: input,
      method: init.method ?? 'GET',
      body: init.body === undefined || init.body === null ? undefined : new Uint8Array(init.body as ArrayBuffer | Uint8Array),
      headers: new Headers(init.headers)
    }
    seen.push(req)
    const prefix = Object.keys(scripts).find(p => input.startsWith(p))
    if (prefix === undefined) throw new Error(`test fetch: no script for ${input}`)
    const next = scripts[prefix].shift()
    if (next === undefined) throw new Error(`test fetch: script for ${prefix} exhausted at ${init.method ?? 'GET'} ${input}`)
    const r = typeof next === 'function' ? await next(req, init.signal ?? undefined) : next
    if (r instanceof Error) throw r
    return r
  }
  return { fetch, seen }
}

/** A JSON response. */
export function jsonResponse (status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })
}

/** The network failure undici reports for a refused connection. */
export function connectionRefused (): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) })
}

/**
 * A tiny in-memory node behind a fake fetch: PUT / GET / HEAD of
 * `/v1/data/{key}` with the real headers, enough for client-level tests of
 * the encryption helpers without sockets.
 */
export function fakeNodeFetch (base = 'http://fake.node'): { fetch: FetchLike, store: Map<string, Uint8Array> } {
  const store = new Map<string, Uint8Array>()
  const created = new Map<string, number>()
  const fetch: FetchLike = async (input, init) => {
    const url = new URL(input)
    if (!input.startsWith(base) || !url.pathname.startsWith('/v1/data/')) return jsonResponse(404, { error: 'not_found', message: 'no route' })
    const key = decodeURIComponent(url.pathname.slice('/v1/data/'.length))
    const ttl = Number(url.searchParams.get('ttl') ?? '3600')
    const method = init.method ?? 'GET'
    if (method === 'PUT') {
      const body = new Uint8Array(init.body as ArrayBuffer | Uint8Array)
      store.set(key, body.slice())
      const now = 1_700_000_000_000
      created.set(key, now)
      return jsonResponse(201, { key, ttl, expiresAt: now + ttl * 1000, writeId: `w${store.size}`, replicas: 1 }, { 'X-Original-TTL': String(ttl) })
    }
    const value = store.get(key)
    if (value === undefined) return jsonResponse(404, { error: 'not_found', message: 'no live record under this key' })
    const createdAt = created.get(key) ?? 1_700_000_000_000
    const headers = {
      'Content-Type': 'application/octet-stream',
      'X-Created-At': new Date(createdAt).toISOString(),
      'X-Original-TTL': '3600',
      'X-Remaining-TTL': '3599',
      'X-Expires-At': String(createdAt + 3_600_000)
    }
    return new Response(method === 'HEAD' ? null : value.slice(), { status: 200, headers })
  }
  return { fetch, store }
}

/** A TCP port on 127.0.0.1 with nothing listening (bound, then released). */
export async function closedPort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      if (addr === null || typeof addr === 'string') { reject(new Error('no port')); return }
      srv.close(() => resolve(addr.port))
    })
  })
}

/** A started in-process node with its HTTP server on 127.0.0.1. */
export interface LocalNode {
  url: string
  node: Awaited<ReturnType<typeof createRepramNode>>
  close: () => Promise<void>
}

/** Start a `test`-profile node plus HTTP server on 127.0.0.1, port 0. */
export async function startLocalNode (config: RepramConfigInput = {}): Promise<LocalNode> {
  const node = await createRepramNode({ config: { profile: 'test', logLevel: 'silent', ...config } as RepramConfigInput })
  const server = await startHttpServer(node, { port: 0, host: '127.0.0.1' })
  let closed = false
  return {
    url: server.url,
    node,
    close: async () => {
      if (closed) return
      closed = true
      await server.close()
      await node.stop()
    }
  }
}
