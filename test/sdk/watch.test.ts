/**
 * The SDK's watch: the SSE parser on every line-ending and chunking the spec allows, and
 * client.watch against real nodes: events and values, resuming across a dropped server
 * without loss, failover to the next URL, a final 4xx, a throwing handler, close/abort.
 */
import { describe, expect, it } from 'vitest'
import { createRepramNode } from '../../src/create.js'
import type { RepramNode } from '../../src/node/index.js'
import { startHttpServer } from '../../src/http/server.js'
import { RepramClient } from '../../src/sdk/client.js'
import { NotFoundError } from '../../src/sdk/errors.js'
import { SseParser, type WatchEvent } from '../../src/sdk/watch.js'
import { until } from '../helpers/until.js'
import { servedNodes } from '../helpers/serve.js'
import { closedPort } from './helpers.js'

const serve = servedNodes()
const cleanup = { push: serve.defer }

/** A client with no waiting between reconnections (the test waits on events instead). */
function client (urls: string | string[]): RepramClient {
  return new RepramClient(urls, { sleep: async (_ms, signal) => { if (signal?.aborted === true) throw signal.reason } })
}

describe('SseParser', () => {
  const stream = 'retry: 250\r\nid: a-1\r\nevent: stored\r\ndata: {"x":1}\r\n\r\n: comment\n\nid: a-2\rdata: one\rdata: two\r\rdata\n\n'
  it('parses fields, comments and multi-line data with LF, CR and CRLF, however the text is cut', () => {
    const whole = new SseParser().feed(stream)
    expect(whole).toEqual([
      { event: 'stored', data: '{"x":1}', id: 'a-1', retry: 250 },
      { event: 'message', data: 'one\ntwo', id: 'a-2', retry: undefined },
      { event: 'message', data: '', id: undefined, retry: undefined }
    ])
    for (let cut = 1; cut < stream.length; cut++) {
      const p = new SseParser()
      expect([...p.feed(stream.slice(0, cut)), ...p.feed(stream.slice(cut))]).toEqual(whole)
    }
    const p = new SseParser()
    expect([...stream].flatMap(ch => p.feed(ch))).toEqual(whole)
  })
})

describe('client.watch', () => {
  it('delivers stores (with values on request) and expiries under the prefix, from ready on', async () => {
    const { server } = await serve()
    const events: WatchEvent[] = []
    const w = client(server.url).watch('p/', (e) => { events.push(e) }, { values: true })
    cleanup.push(async () => { w.close(); await w.closed })
    await w.ready
    await fetch(`${server.url}/v1/data/p/a?ttl=1`, { method: 'PUT', body: 'hello' })
    await fetch(`${server.url}/v1/data/q/b?ttl=60`, { method: 'PUT', body: 'no' })
    await until(() => events.some(e => e.type === 'expired'), { what: 'the expiry of p/a' })
    expect(events.map(e => [e.type, 'key' in e ? e.key : ''])).toEqual([['stored', 'p/a'], ['expired', 'p/a']])
    const stored = events[0] as Extract<WatchEvent, { type: 'stored' }>
    expect(new TextDecoder().decode(stored.value)).toBe('hello')
    expect(stored.size).toBe(5)
    expect(w.lastEventId).toBe((events[1] as { id: string }).id)
  })

  it('resumes after the server drops, with the writes made meanwhile and no gap', async () => {
    const node = await createRepramNode({ config: { profile: 'test' } })
    cleanup.push(async () => { await node.stop() })
    let server = await startHttpServer(node, { port: 0, host: '127.0.0.1' })
    const port = server.port
    cleanup.push(async () => { await server.close() })
    const events: WatchEvent[] = []
    const reasons: string[] = []
    const w = client(server.url).watch('', (e) => { events.push(e) }, { onReconnect: (r) => reasons.push(r) })
    cleanup.push(async () => { w.close(); await w.closed })
    await w.ready
    await node.put('before', new Uint8Array(1), { ttl: 60 })
    await until(() => events.length === 1, { what: 'the first event' })
    await server.close()
    await node.put('during/1', new Uint8Array(1), { ttl: 60 })
    await node.put('during/2', new Uint8Array(1), { ttl: 60 })
    server = await startHttpServer(node, { port, host: '127.0.0.1' })
    await until(() => events.length === 3, { what: 'the missed writes' })
    expect(events.map(e => e.type === 'gap' ? 'gap' : e.key)).toEqual(['before', 'during/1', 'during/2'])
    expect(reasons.length).toBeGreaterThan(0)
  })

  it('moves to the next URL when the first cannot be reached', async () => {
    const { server, node } = await serve()
    const dead = `http://127.0.0.1:${await closedPort()}`
    const events: WatchEvent[] = []
    const w = client([dead, server.url]).watch('', (e) => { events.push(e) })
    cleanup.push(async () => { w.close(); await w.closed })
    await w.ready
    await node.put('k', new Uint8Array(1), { ttl: 60 })
    await until(() => events.length === 1, { what: 'the event through the second URL' })
  })

  it('stops with the typed error of a final 4xx, and ready rejects', async () => {
    const { server } = await serve({ watchMaxClients: 0 })
    const w = client(server.url).watch('', () => {})
    await expect(w.ready).rejects.toBeInstanceOf(NotFoundError)
    await expect(w.closed).rejects.toBeInstanceOf(NotFoundError)
  })

  it('stops with the error of a handler that throws', async () => {
    const { server, node } = await serve()
    const w = client(server.url).watch('', () => { throw new Error('handler failed') })
    await w.ready
    await node.put('k', new Uint8Array(1), { ttl: 60 })
    await expect(w.closed).rejects.toThrow('handler failed')
  })

  it('ends on close() and on its abort signal, and closes its stream on the node', async () => {
    const { server, node } = await serve()
    const streams = async (): Promise<number | undefined> => (await node.registry.getSingleMetric('repram_watch_streams')?.get())?.values[0]?.value
    const a = client(server.url).watch('', () => {})
    await a.ready
    a.close()
    await a.closed
    const abort = new AbortController()
    const b = client(server.url).watch('', () => {}, { signal: abort.signal })
    await b.ready
    abort.abort()
    await b.closed
    await until(async () => (await streams()) === 0, { what: 'both streams closed on the node' })
  })
})
