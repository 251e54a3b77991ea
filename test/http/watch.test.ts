/**
 * GET /v1/watch on a real socket: `ready` first, then stored/expired events under the
 * prefix (values on request, within the cap), resuming with Last-Event-ID (header or query)
 * or a `gap`, every bad input a 400 that opens nothing, the per-IP and per-node caps at
 * their edges, the rate limit, heartbeats, a slow reader cut off with `overflow` (never
 * buffered without bound), and shutdown ending every stream.
 */
import { connect, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createRepramNode } from '../../src/create.js'
import type { RepramNode } from '../../src/node/index.js'
import { startHttpServer, type RepramHttpServer } from '../../src/http/server.js'
import { SseParser, type SseEvent } from '../../src/sdk/watch.js'
import { until } from '../helpers/until.js'
import { servedNodes } from '../helpers/serve.js'

const serve = servedNodes()
const cleanup = { push: serve.defer }

/** An open watch stream, its events parsed as they arrive. */
interface Stream {
  status: number
  headers: Headers
  events: SseEvent[]
  /** Raw text received (comments included). */
  text: () => string
  /** Resolves with the first event (from the start) matching `pred`. */
  next: (pred: (e: SseEvent) => boolean, what?: string) => Promise<SseEvent>
  ended: Promise<void>
  close: () => void
}

async function watch (server: RepramHttpServer, query = '', headers: Record<string, string> = {}): Promise<Stream> {
  const abort = new AbortController()
  const res = await fetch(`${server.url}/v1/watch${query}`, { headers, signal: abort.signal })
  const events: SseEvent[] = []
  let text = ''
  const parser = new SseParser()
  const decoder = new TextDecoder()
  const ended = (async () => {
    if (res.body === null) return
    try {
      const reader = res.body.getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        const s = decoder.decode(value, { stream: true })
        text += s
        events.push(...parser.feed(s))
      }
    } catch { /* aborted by close() */ }
  })()
  const stream: Stream = {
    status: res.status,
    headers: res.headers,
    events,
    text: () => text,
    next: async (pred, what = 'an event') => await until(() => events.find(pred), { what }),
    ended,
    close: () => abort.abort()
  }
  cleanup.push(async () => { abort.abort(); await ended })
  return stream
}

const data = (e: SseEvent): Record<string, unknown> => JSON.parse(e.data) as Record<string, unknown>
const put = async (server: RepramHttpServer, key: string, body: string | Uint8Array, ttl = 60): Promise<Response> =>
  await fetch(`${server.url}/v1/data/${key}?ttl=${ttl}`, { method: 'PUT', body: body as BodyInit })

describe('GET /v1/watch', () => {
  it('sends ready, then each write and expiry under the prefix, with ids, and nothing outside it', async () => {
    const { server, node } = await serve()
    const s = await watch(server, '?prefix=room/')
    expect(s.status).toBe(200)
    expect(s.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(s.headers.get('cache-control')).toBe('no-store')
    const ready = await s.next(e => e.event === 'ready')
    expect(data(ready)).toMatchObject({ node_id: node.nodeId, prefix: 'room/', values: false })
    expect(ready.id).toMatch(/^[0-9a-f]+-\d+$/)
    expect(s.events[0]).toBe(ready)
    const w = await (await put(server, 'room/1', 'hi', 1)).json() as { writeId: string, expiresAt: number }
    await put(server, 'elsewhere', 'x')
    const stored = await s.next(e => e.event === 'stored')
    expect(data(stored)).toEqual({ key: 'room/1', writeId: w.writeId, createdAt: w.expiresAt - 1000, expiresAt: w.expiresAt, size: 2 })
    const expired = await s.next(e => e.event === 'expired', 'the expiry of room/1')
    expect(data(expired)).toEqual({ key: 'room/1', writeId: w.writeId, expiresAt: w.expiresAt })
    expect(s.events.filter(e => e.event === 'stored' || e.event === 'expired').map(e => data(e).key)).toEqual(['room/1', 'room/1'])
    const seqOf = (e: SseEvent): number => Number(e.id?.split('-')[1])
    expect(seqOf(expired)).toBeGreaterThan(seqOf(stored))
  })

  it('carries values base64 with values=true: a value of exactly the cap, and not one byte more', async () => {
    const { server } = await serve({ watchValueMaxBytes: 16 })
    const s = await watch(server, '?values=true')
    await s.next(e => e.event === 'ready')
    const exact = new Uint8Array(16).map((_, i) => 255 - i)
    await put(server, 'v/exact', exact)
    await put(server, 'v/over', new Uint8Array(17))
    const a = data(await s.next(e => e.event === 'stored' && data(e).key === 'v/exact'))
    expect(new Uint8Array(Buffer.from(a.value as string, 'base64'))).toEqual(exact)
    const b = data(await s.next(e => e.event === 'stored' && data(e).key === 'v/over'))
    expect(b.value).toBeUndefined()
    expect(b).toMatchObject({ size: 17, valueOmitted: 'too_large' })
  })

  it('resumes after Last-Event-ID (header or query) with exactly the missed events, and says gap when it cannot', async () => {
    const { server } = await serve({ watchBufferEvents: 3 })
    const first = await watch(server, '?prefix=r/')
    const ready = await first.next(e => e.event === 'ready')
    first.close()
    await first.ended
    await put(server, 'r/1', 'a')
    await put(server, 'x', 'b')
    await put(server, 'r/2', 'c')
    for (const [query, headers] of [['?prefix=r/', { 'Last-Event-ID': ready.id as string }], [`?prefix=r/&last_event_id=${ready.id as string}`, {}]] as const) {
      const again = await watch(server, query, headers)
      await again.next(e => data(e).key === 'r/2', 'the second missed write')
      expect(again.events.map(e => e.event)).toEqual(['ready', 'stored', 'stored'])
      expect(again.events.slice(1).map(e => data(e).key)).toEqual(['r/1', 'r/2'])
      again.close()
    }
    // two more writes push r/1 out of the 3-event ring: resuming from `ready` now misses it
    await put(server, 'y', 'd')
    await put(server, 'z', 'e')
    const late = await watch(server, '?prefix=r/', { 'Last-Event-ID': ready.id as string })
    const gap = await late.next(e => e.event === 'gap')
    expect(data(gap).resumed_from).toBe(ready.id)
    expect(late.events.map(e => e.event)).toEqual(['ready', 'gap'])
    // another run's id is a gap too
    const foreign = await watch(server, '', { 'Last-Event-ID': 'abcdef01-2' })
    await foreign.next(e => e.event === 'gap')
  })

  it('answers bad input with 400 and opens no stream', async () => {
    const { server } = await serve({ maxKeyBytes: 8, watchMaxPerIp: 1 })
    for (const [q, h, code] of [
      ['?values=yes', {}, 'invalid_values'],
      ['', { 'Last-Event-ID': 'not-an-id' }, 'invalid_event_id'],
      ['?prefix=123456789', {}, 'invalid_key']
    ] as Array<[string, Record<string, string>, string]>) {
      const res = await fetch(`${server.url}/v1/watch${q}`, { headers: h })
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ error: code })
    }
    // none of them used the one stream this client may open
    const ok = await watch(server, '?prefix=12345678')
    expect(ok.status).toBe(200)
    const post = await fetch(`${server.url}/v1/watch`, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
  })

  it('caps streams per client IP at watchMaxPerIp (429) and per node at watchMaxClients (503), freeing a slot when a stream closes', async () => {
    const { server } = await serve({ watchMaxPerIp: 2 })
    const a = await watch(server)
    const b = await watch(server)
    expect([a.status, b.status]).toEqual([200, 200])
    const third = await fetch(`${server.url}/v1/watch`)
    expect(third.status).toBe(429)
    expect(await third.json()).toMatchObject({ error: 'too_many_watches' })
    a.close()
    await until(async () => (await fetch(`${server.url}/v1/metrics`).then(r => r.text())).includes('repram_watch_streams 1'), { what: 'the closed stream to be released' })
    expect((await watch(server)).status).toBe(200)

    const other = await serve({ watchMaxClients: 1 })
    expect((await watch(other.server)).status).toBe(200)
    const full = await fetch(`${other.server.url}/v1/watch`)
    expect(full.status).toBe(503)
    expect(await full.json()).toMatchObject({ error: 'watch_capacity' })
  })

  it('is off (404) when watchMaxClients is 0', async () => {
    const { server } = await serve({ watchMaxClients: 0 })
    const res = await fetch(`${server.url}/v1/watch`)
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ error: 'not_found' })
  })

  it('is rate limited like the data routes', async () => {
    const { server } = await serve({ rateLimit: 1 })
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/v1/watch`)
      statuses.push(res.status)
      await res.body?.cancel()
    }
    expect(statuses).toEqual([200, 200, 429])
  })

  it('sends a comment on idle streams every watchHeartbeatMs', async () => {
    const { server } = await serve({ watchHeartbeatMs: 100 })
    const s = await watch(server)
    await until(() => s.text().includes(': keep-alive\n\n'), { what: 'a heartbeat' })
  })

  it('cuts off a client that stops reading with a final overflow event, past watchQueueBytes', async () => {
    const { server, node } = await serve({ watchQueueBytes: 64 * 1024, watchValueMaxBytes: 16 * 1024, maxStorageMb: 256 })
    // A raw socket that reads the headers and the first event, then stops reading.
    const sock: Socket = connect(server.port, '127.0.0.1')
    cleanup.push(async () => { sock.destroy() })
    let received = ''
    sock.setEncoding('latin1')
    const onData = (s: string): void => { received += s }
    sock.on('data', onData)
    sock.write('GET /v1/watch?values=true HTTP/1.1\r\nHost: x\r\n\r\n')
    await until(() => received.includes('event: ready'), { what: 'ready' })
    sock.pause()
    const value = new Uint8Array(8 * 1024).fill(65)
    const overflowed = async (): Promise<boolean> => (await node.registry.getSingleMetric('repram_watch_overflows_total')?.get())?.values[0]?.value === 1
    // Bounded: loopback socket buffers hold a few MiB; 2,000 × 11 KiB of events is far past them.
    let writes = 0
    while (!(await overflowed()) && writes < 2000) {
      await node.put(`slow/${writes++}`, value, { ttl: 60 })
    }
    expect(await overflowed()).toBe(true)
    expect(writes).toBeLessThan(2000)
    // The stream ended on the server: the gauge is back to 0, and what the socket still
    // holds ends with the overflow event.
    await until(async () => (await node.registry.getSingleMetric('repram_watch_streams')?.get())?.values[0]?.value === 0, { what: 'the stream to close' })
    sock.resume()
    await until(() => received.endsWith('\r\n0\r\n\r\n'), { what: 'the end of the chunked reply', timeoutMs: 10_000 })
    // events were sent while the socket had room; the last one is the overflow
    expect(received.split('event: stored').length - 1).toBeGreaterThan(0)
    expect(received.lastIndexOf('event: overflow')).toBeGreaterThan(received.lastIndexOf('event: stored'))
  })

  it('ends every stream when the server shuts down', async () => {
    const node = await createRepramNode({ config: { profile: 'test' } })
    cleanup.push(async () => { await node.stop() })
    const server = await startHttpServer(node, { port: 0, host: '127.0.0.1' })
    const s = await watch(server)
    await s.next(e => e.event === 'ready')
    await server.close()
    await s.ended
  })
})
