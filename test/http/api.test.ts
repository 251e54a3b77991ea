import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { createHttpApp } from '../../src/http/app.js'
import { createRepramNode } from '../../src/create.js'
import { type RepramNode } from '../../src/node/index.js'

let nodes: RepramNode[] = []
afterEach(async () => {
  await Promise.all(nodes.map(n => n.stop()))
  nodes = []
})

async function setup (config: Record<string, unknown> = {}, clock = new ManualClock(Date.UTC(2026, 0, 1))) {
  const node = await createRepramNode({ config: { profile: 'test', ...config }, clock })
  nodes.push(node)
  const { app, state } = createHttpApp(node)
  const req = async (path: string, init: RequestInit & { ip?: string } = {}): Promise<Response> =>
    await app.request(path, init, { incoming: { socket: { remoteAddress: init.ip ?? '198.18.0.1' } } })
  return { node, app, state, clock, req }
}

const chunked = (...parts: Uint8Array[]): { body: ReadableStream<Uint8Array>, duplex: 'half' } => ({
  body: new ReadableStream({ start (c) { for (const p of parts) c.enqueue(p); c.close() } }),
  duplex: 'half'
})

async function errorOf (res: Response): Promise<{ error: string, message: string }> {
  expect(res.headers.get('content-type')).toMatch(/application\/json/)
  const body = await res.json() as { error: string, message: string }
  expect(typeof body.error).toBe('string')
  expect(typeof body.message).toBe('string')
  return body
}

describe('PUT /v1/data/{key}', () => {
  it('stores the raw body and answers 201 with TTL headers and the write facts', async () => {
    const { req, clock } = await setup()
    const res = await req('/v1/data/app/session/1?ttl=60', { method: 'PUT', body: new Uint8Array([0, 255, 7]) })
    expect(res.status).toBe(201)
    expect(res.headers.get('x-original-ttl')).toBe('60')
    expect(res.headers.get('x-expires-at')).toBe(String(clock.now() + 60_000))
    const body = await res.json() as Record<string, unknown>
    expect(body).toMatchObject({ key: 'app/session/1', ttl: 60, expiresAt: clock.now() + 60_000, replicas: 1 })
    expect(body.writeId).toMatch(/^[A-Za-z0-9_-]{16}$/)
    const get = await req('/v1/data/app/session/1')
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(new Uint8Array([0, 255, 7]))
  })

  it('takes the TTL from ?ttl= first, then X-TTL, then the default', async () => {
    const { req } = await setup({ defaultTtl: 42 })
    expect((await req('/v1/data/a?ttl=10', { method: 'PUT', body: 'x', headers: { 'X-TTL': '20' } })).headers.get('x-original-ttl')).toBe('10')
    expect((await req('/v1/data/a', { method: 'PUT', body: 'x', headers: { 'X-TTL': '20' } })).headers.get('x-original-ttl')).toBe('20')
    expect((await req('/v1/data/a', { method: 'PUT', body: 'x' })).headers.get('x-original-ttl')).toBe('42')
  })

  it('clamps out-of-range TTLs and reports the applied TTL', async () => {
    const { req } = await setup({ minTtl: 5, maxTtl: 100, defaultTtl: 50 })
    expect((await (await req('/v1/data/a?ttl=1', { method: 'PUT', body: 'x' })).json() as { ttl: number }).ttl).toBe(5)
    expect((await req('/v1/data/a?ttl=1000', { method: 'PUT', body: 'x' })).headers.get('x-original-ttl')).toBe('100')
  })

  it('rejects out-of-range TTLs with 400 under ttlPolicy reject and stores nothing', async () => {
    const { req } = await setup({ minTtl: 5, maxTtl: 100, defaultTtl: 50, ttlPolicy: 'reject' })
    const res = await req('/v1/data/a?ttl=101', { method: 'PUT', body: 'x' })
    expect(res.status).toBe(400)
    expect((await errorOf(res)).error).toBe('invalid_ttl')
    expect((await req('/v1/data/a')).status).toBe(404)
    expect((await req('/v1/data/a?ttl=100', { method: 'PUT', body: 'x' })).status).toBe(201)
  })

  it.each([['0', 5], ['-5', 5], ['1800.5', 100], ['42.9', 42], ['99999999999999999999', 100]])('applies the numeric TTL %j truncated and clamped, as the reference node does (→ %i)', async (ttl, applied) => {
    const { req } = await setup({ minTtl: 5, maxTtl: 100, defaultTtl: 50 })
    const res = await req(`/v1/data/k?ttl=${encodeURIComponent(ttl)}`, { method: 'PUT', body: 'new' })
    expect(res.status).toBe(201)
    expect(res.headers.get('x-original-ttl')).toBe(String(applied))
    expect((await req('/v1/data/k')).headers.get('x-original-ttl')).toBe(String(applied))
  })

  it.each(['0', '-5', '1800.5'])('still refuses the out-of-range numeric TTL %j under ttlPolicy reject', async (ttl) => {
    const { req } = await setup({ minTtl: 5, maxTtl: 100, defaultTtl: 50, ttlPolicy: 'reject' })
    const res = await req(`/v1/data/k?ttl=${encodeURIComponent(ttl)}`, { method: 'PUT', body: 'x' })
    expect(res.status).toBe(400)
    expect((await errorOf(res)).error).toBe('invalid_ttl')
  })

  it.each(['abc', '', '1e3', '10s', '0x10'])('rejects the TTL %j with 400 and changes nothing', async (ttl) => {
    const { req } = await setup()
    await req('/v1/data/k?ttl=60', { method: 'PUT', body: 'old' })
    const res = await req(`/v1/data/k?ttl=${encodeURIComponent(ttl)}`, { method: 'PUT', body: 'new' })
    expect(res.status).toBe(400)
    expect((await errorOf(res)).error).toBe('invalid_ttl')
    expect(await (await req('/v1/data/k')).text()).toBe('old')
  })

  it('accepts a key of exactly maxKeyBytes and refuses one byte more', async () => {
    const { req } = await setup({ maxKeyBytes: 8 })
    expect((await req(`/v1/data/${'é'.repeat(4)}`, { method: 'PUT', body: 'x' })).status).toBe(201)
    expect((await req(`/v1/data/${encodeURIComponent('é'.repeat(4))}`)).status).toBe(200)
    const res = await req(`/v1/data/${'a'.repeat(9)}`, { method: 'PUT', body: 'x' })
    expect(res.status).toBe(400)
    expect((await errorOf(res)).error).toBe('invalid_key')
  })

  it('refuses to store under the empty key (400), and reads of it answer 404 as the reference node does', async () => {
    const { req } = await setup()
    const res = await req('/v1/data/', { method: 'PUT', body: 'x' })
    expect(res.status).toBe(400)
    expect((await errorOf(res)).error).toBe('invalid_key')
    for (const path of ['/v1/data/', '/v1/data/?x=1']) {
      const get = await req(path)
      expect(get.status).toBe(404)
      expect((await errorOf(get)).error).toBe('not_found')
      expect((await req(path, { method: 'HEAD' })).status).toBe(404)
    }
  })

  it.each(['%', '%E0%A4%A', '%zz', '%ED%A0%80', 'a%2'])('answers 400 to the malformed escape %j and never crashes', async (raw) => {
    const { req } = await setup()
    for (const method of ['PUT', 'GET', 'HEAD']) {
      const res = await req(`/v1/data/${raw}`, { method, body: method === 'PUT' ? 'x' : undefined })
      expect(res.status).toBe(400)
      if (method !== 'HEAD') expect((await errorOf(res)).error).toBe('invalid_encoding')
    }
    expect((await req('/v1/health')).status).toBe(200)
  })

  it('treats a percent-encoded slash and a literal slash as the same key', async () => {
    const { req } = await setup()
    await req('/v1/data/a%2Fb%20c?ttl=60', { method: 'PUT', body: 'v' })
    expect(await (await req('/v1/data/a/b%20c')).text()).toBe('v')
    expect((await (await req('/v1/keys')).json() as { keys: string[] }).keys).toEqual(['a/b c'])
  })

  it('accepts a value of exactly maxValueBytes and refuses one more byte with 413, with and without Content-Length', async () => {
    const { req } = await setup({ maxValueBytes: 16 })
    expect((await req('/v1/data/ok', { method: 'PUT', body: new Uint8Array(16) })).status).toBe(201)
    expect((await req('/v1/data/ok2', { method: 'PUT', ...chunked(new Uint8Array(8), new Uint8Array(8)) } as RequestInit)).status).toBe(201)
    const withLength = await req('/v1/data/big', { method: 'PUT', body: new Uint8Array(17), headers: { 'Content-Length': '17' } })
    expect(withLength.status).toBe(413)
    expect((await errorOf(withLength)).error).toBe('value_too_large')
    const streamed = await req('/v1/data/big', { method: 'PUT', ...chunked(new Uint8Array(10), new Uint8Array(7)) } as RequestInit)
    expect(streamed.status).toBe(413)
    expect((await errorOf(streamed)).error).toBe('value_too_large')
    expect((await req('/v1/data/big')).status).toBe(404)
  })

  it('refuses a lying Content-Length above the limit before reading the body', async () => {
    const { req } = await setup({ maxValueBytes: 16 })
    const res = await req('/v1/data/big', { method: 'PUT', body: 'x', headers: { 'Content-Length': '1000000' } })
    expect(res.status).toBe(413)
  })

  it('answers 507 when the node is full and keeps what it had', async () => {
    const { req } = await setup({ maxStorageMb: 1, shards: 1 })
    expect((await req('/v1/data/a', { method: 'PUT', body: new Uint8Array(1024 * 1024 - 1) })).status).toBe(201)
    const res = await req('/v1/data/b', { method: 'PUT', body: new Uint8Array(1) })
    expect(res.status).toBe(507)
    expect((await errorOf(res)).error).toBe('capacity_exceeded')
    expect((await req('/v1/data/b')).status).toBe(404)
    expect((await req('/v1/data/a', { method: 'HEAD' })).status).toBe(200)
  })
})

describe('GET and HEAD /v1/data/{key}', () => {
  it('returns the bytes with created, original, remaining and expiry headers', async () => {
    const { req, clock } = await setup()
    const t0 = clock.now()
    await req('/v1/data/k?ttl=10', { method: 'PUT', body: 'hello' })
    clock.advance(2500)
    const res = await req('/v1/data/k')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    expect(res.headers.get('x-created-at')).toBe(new Date(t0).toISOString())
    expect(res.headers.get('x-original-ttl')).toBe('10')
    expect(res.headers.get('x-remaining-ttl')).toBe('7')
    expect(res.headers.get('x-expires-at')).toBe(String(t0 + 10_000))
    expect(await res.text()).toBe('hello')
  })

  it('answers HEAD with the same headers and no body', async () => {
    const { req } = await setup()
    await req('/v1/data/k?ttl=10', { method: 'PUT', body: 'hello' })
    const res = await req('/v1/data/k', { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-original-ttl')).toBe('10')
    expect(res.headers.get('x-remaining-ttl')).toBe('10')
    expect(await res.text()).toBe('')
  })

  it('returns 404 on GET, HEAD and keys once the TTL has passed', async () => {
    const { req, clock } = await setup()
    await req('/v1/data/k?ttl=1', { method: 'PUT', body: 'v' })
    clock.advance(999)
    expect((await req('/v1/data/k')).status).toBe(200)
    clock.advance(1)
    const get = await req('/v1/data/k')
    expect(get.status).toBe(404)
    expect((await errorOf(get)).error).toBe('not_found')
    expect((await req('/v1/data/k', { method: 'HEAD' })).status).toBe(404)
    expect(await (await req('/v1/keys')).json()).toEqual({ keys: [] })
  })

  it('answers 405 with Allow for other methods', async () => {
    const { req } = await setup()
    for (const method of ['POST', 'DELETE', 'PATCH']) {
      const res = await req('/v1/data/k', { method })
      expect(res.status).toBe(405)
      expect(res.headers.get('allow')).toContain('PUT')
      expect((await errorOf(res)).error).toBe('method_not_allowed')
    }
    expect((await req('/v1/keys', { method: 'PUT' })).status).toBe(405)
  })
})

describe('GET /v1/keys', () => {
  it('without limit returns every matching key in order, a page at a time on the wire, as the reference node does', async () => {
    const { req } = await setup({ keysLimitMax: 5 })
    const keys = Array.from({ length: 23 }, (_, i) => `all/${String(i).padStart(2, '0')}`)
    for (const k of [...keys, 'other/x']) await req(`/v1/data/${k}?ttl=60`, { method: 'PUT', body: 'v' })
    const res = await req('/v1/keys?prefix=all%2F')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/json')
    expect(await res.json()).toEqual({ keys })
    expect((await (await req('/v1/keys')).json() as { keys: string[] }).keys).toHaveLength(24)
    expect(await (await req('/v1/keys?prefix=none')).json()).toEqual({ keys: [] })
    // With limit, paging is as before.
    expect(await (await req('/v1/keys?prefix=all%2F&limit=5')).json()).toEqual({ keys: keys.slice(0, 5), next_cursor: keys[4] })
  })

  it('lists keys by UTF-8 byte order, filtered by prefix, paged by an exclusive cursor', async () => {
    const { req } = await setup()
    for (const k of ['b', 'a/2', 'a/1', 'a/\uFFFD', 'a/\u{1F600}']) await req(`/v1/data/${encodeURIComponent(k)}`, { method: 'PUT', body: 'x' })
    expect(await (await req('/v1/keys?prefix=a%2F')).json()).toEqual({ keys: ['a/1', 'a/2', 'a/\uFFFD', 'a/\u{1F600}'] })
    const p1 = await (await req('/v1/keys?limit=2')).json() as { keys: string[], next_cursor: string }
    expect(p1).toEqual({ keys: ['a/1', 'a/2'], next_cursor: 'a/2' })
    const p2 = await (await req(`/v1/keys?limit=2&cursor=${encodeURIComponent(p1.next_cursor)}`)).json() as { keys: string[], next_cursor: string }
    expect(p2.keys).toEqual(['a/\uFFFD', 'a/\u{1F600}'])
    expect(await (await req(`/v1/keys?limit=2&cursor=${encodeURIComponent(p2.next_cursor)}`)).json()).toEqual({ keys: ['b'] })
  })

  it.each(['0', '-1', 'x', '1001'])('refuses limit=%s with 400', async (limit) => {
    const { req } = await setup()
    const res = await req(`/v1/keys?limit=${limit}`)
    expect(res.status).toBe(400)
    expect((await errorOf(res)).error).toBe('invalid_limit')
  })

  it('accepts limit at keysLimitMax', async () => {
    const { req } = await setup({ keysLimitMax: 5 })
    expect((await req('/v1/keys?limit=5')).status).toBe(200)
    expect((await req('/v1/keys?limit=6')).status).toBe(400)
  })
})

describe('health, status, topology, metrics', () => {
  it('reports health with node id, network and enclave', async () => {
    const { req, node } = await setup({ enclave: 'blue' })
    const res = await req('/v1/health')
    expect(await res.json()).toEqual({ status: 'healthy', node_id: node.nodeId, network: 'private', enclave: 'blue' })
  })

  it('answers 503 while draining: health says stopping, data routes say shutting_down', async () => {
    const { req, state } = await setup()
    state.draining = true
    const health = await req('/v1/health')
    expect(health.status).toBe(503)
    expect(await health.json()).toEqual({ status: 'stopping' })
    const put = await req('/v1/data/k', { method: 'PUT', body: 'x' })
    expect(put.status).toBe(503)
    expect((await errorOf(put)).error).toBe('shutting_down')
  })

  it('reports status with id, version, uptime, memory, counts and addresses', async () => {
    const { req, clock } = await setup()
    await req('/v1/data/k', { method: 'PUT', body: 'abc' })
    clock.advance(5000)
    const s = await (await req('/v1/status')).json() as Record<string, unknown>
    expect(s).toMatchObject({ version: expect.any(String), status: 'ok', uptime: '5s', uptime_seconds: 5, records: 1, bytes: 4, peers: 0, listen_addresses: [] })
    expect((s.memory as { rss: number }).rss).toBeGreaterThan(0)
  })

  it('reports topology', async () => {
    const { req, node } = await setup()
    expect(await (await req('/v1/topology')).json()).toEqual({ node_id: node.nodeId, enclave: 'default', jurisdiction: null, peers: [] })
  })

  it('exports request, storage, expiry and refusal metrics without keys in labels', async () => {
    const { req, clock } = await setup({ maxValueBytes: 4, rateLimit: 1 })
    await req('/v1/data/secret-key-name?ttl=1', { method: 'PUT', body: 'ab' })
    await req('/v1/data/secret-key-name', { method: 'PUT', body: 'toolong' })
    await req('/v1/data/x', { method: 'PUT', body: 'a' })
    await req('/v1/data/y', { method: 'PUT', body: 'a' })
    clock.advance(1000)
    expect((await req('/v1/data/secret-key-name', { ip: '198.18.0.9' })).status).toBe(404)
    const text = await (await req('/v1/metrics')).text()
    expect(text).toContain('repram_http_requests_total{route="/v1/data/*",method="PUT",status="201"}')
    expect(text).toMatch(/repram_http_request_duration_seconds_bucket\{le="[^"]+",route="\/v1\/data\/\*",method="PUT"\}/)
    expect(text).toMatch(/repram_http_oversized_total 1/)
    expect(text).toMatch(/repram_http_rate_limited_total [1-9]/)
    expect(text).toMatch(/repram_expirations_total 1/)
    expect(text).toMatch(/repram_records \d/)
    expect(text).toMatch(/repram_bytes_stored \d/)
    // Two live 1-byte values: their shards' arenas hold at least one 64 KiB segment.
    expect(Number(/repram_value_arena_bytes (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(64 * 1024)
    expect(text).toContain('repram_process_resident_memory_bytes')
    expect(text).not.toContain('secret-key-name')
  })

  it('answers unknown routes with a JSON 404', async () => {
    const { req } = await setup()
    const res = await req('/nope')
    expect(res.status).toBe(404)
    expect((await errorOf(res)).error).toBe('not_found')
  })
})

describe('CORS and security headers', () => {
  it('allows any origin and exposes the TTL headers', async () => {
    const { req } = await setup()
    await req('/v1/data/k', { method: 'PUT', body: 'x' })
    const res = await req('/v1/data/k', { headers: { Origin: 'https://app.example' } })
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const exposed = res.headers.get('access-control-expose-headers') ?? ''
    for (const h of ['X-Original-TTL', 'X-Remaining-TTL', 'X-Expires-At', 'X-Created-At']) expect(exposed).toContain(h)
  })

  it('answers preflight for PUT with X-TTL', async () => {
    const { req } = await setup()
    const res = await req('/v1/data/k', { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'x-ttl' } })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-methods')).toContain('PUT')
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-ttl')
  })

  it('answers any OPTIONS with 204 and the CORS headers, also without Access-Control-Request-Method or Origin', async () => {
    const { req } = await setup()
    for (const headers of [{ Origin: 'https://app.example' }, {}] as Array<Record<string, string>>) {
      for (const path of ['/v1/data/k', '/v1/keys', '/v1/status']) {
        const res = await req(path, { method: 'OPTIONS', headers })
        expect(res.status).toBe(204)
        expect(res.headers.get('access-control-allow-origin')).toBe('*')
        expect(res.headers.get('access-control-allow-methods')).toContain('PUT')
      }
    }
  })

  it('sets security headers on successes and errors alike', async () => {
    const { req } = await setup()
    for (const res of [await req('/v1/health'), await req('/v1/data/missing'), await req('/v1/data/%zz')]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
    }
  })
})

describe('rate limit', () => {
  it('allows a burst of 2x the rate per IP, then answers 429 with Retry-After', async () => {
    const { req } = await setup({ rateLimit: 3 })
    const statuses: number[] = []
    for (let i = 0; i < 7; i++) statuses.push((await req('/v1/data/k', { ip: '198.18.0.7' })).status)
    expect(statuses.slice(0, 6)).toEqual([404, 404, 404, 404, 404, 404])
    expect(statuses[6]).toBe(429)
    const limited = await req('/v1/data/k', { ip: '198.18.0.7' })
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect((await errorOf(limited)).error).toBe('rate_limited')
    // Another client is unaffected; probes are never limited.
    expect((await req('/v1/data/k', { ip: '198.18.0.8' })).status).toBe(404)
    expect((await req('/v1/health', { ip: '198.18.0.7' })).status).toBe(200)
  })

  it('ignores X-Forwarded-For unless trustProxy is set', async () => {
    const { req } = await setup({ rateLimit: 1 })
    for (let i = 0; i < 2; i++) await req('/v1/keys', { headers: { 'X-Forwarded-For': `203.0.113.${i}` } })
    expect((await req('/v1/keys', { headers: { 'X-Forwarded-For': '203.0.113.99' } })).status).toBe(429)
  })

  it('keys the limit on the proxy-appended X-Forwarded-For entry with trustProxy', async () => {
    const { req } = await setup({ rateLimit: 1, trustProxy: true })
    for (let i = 0; i < 2; i++) expect((await req('/v1/keys', { headers: { 'X-Forwarded-For': 'spoofed, 203.0.113.5' } })).status).toBe(200)
    expect((await req('/v1/keys', { headers: { 'X-Forwarded-For': 'other, 203.0.113.5' } })).status).toBe(429)
    expect((await req('/v1/keys', { headers: { 'X-Forwarded-For': '203.0.113.6' } })).status).toBe(200)
  })
})

describe('routing', () => {
  it('every route fits hono\'s RegExpRouter, with the dashboard and /mcp on (one that does not makes SmartRouter fall back to the slower TrieRouter for every request)', async () => {
    const { app } = await setup({ mcpHttp: true, ui: true })
    expect((await app.request('/v1/health')).status).toBe(200)
    expect((app as unknown as { router: { name: string } }).router.name).toBe('SmartRouter + RegExpRouter')
  })
})
