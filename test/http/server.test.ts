import { request, Agent } from 'node:http'
import { describe, expect, it } from 'vitest'
import { startHttpServer, type RepramHttpServer } from '../../src/http/server.js'
import { DRAIN_EXTRA_BYTES, DRAIN_TIMEOUT_MS } from '../../src/http/body.js'
import { until } from '../helpers/until.js'
import { servedNodes } from '../helpers/serve.js'

const serve = servedNodes()
const cleanup = { push: serve.defer }

function raw (server: RepramHttpServer, opts: { method: string, path: string, headers?: Record<string, string>, agent?: Agent }): { req: ReturnType<typeof request>, done: Promise<{ status: number, body: string, headers: Record<string, unknown> }> } {
  const req = request({ host: '127.0.0.1', port: server.port, method: opts.method, path: opts.path, headers: opts.headers, agent: opts.agent })
  const done = new Promise<{ status: number, body: string, headers: Record<string, unknown> }>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
  return { req, done }
}

describe('HTTP server on a real socket', () => {
  it('stores and serves binary values over TCP', async () => {
    const { server } = await serve()
    const value = new Uint8Array(256).map((_, i) => i)
    const put = await fetch(`${server.url}/v1/data/bin/1?ttl=60`, { method: 'PUT', body: value })
    expect(put.status).toBe(201)
    const get = await fetch(`${server.url}/v1/data/bin/1`)
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(value)
  })

  it('answers HEAD with the value\'s Content-Length and no body, and the empty key with 404, over TCP', async () => {
    const { server } = await serve()
    await fetch(`${server.url}/v1/data/len?ttl=60`, { method: 'PUT', body: new Uint8Array(1234) })
    const head = await fetch(`${server.url}/v1/data/len`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe('1234')
    expect((await head.arrayBuffer()).byteLength).toBe(0)
    const get = await fetch(`${server.url}/v1/data/len`)
    expect(get.headers.get('content-length')).toBe('1234')
    expect((await get.arrayBuffer()).byteLength).toBe(1234)
    for (const method of ['GET', 'HEAD']) expect((await fetch(`${server.url}/v1/data/`, { method })).status).toBe(404)
  })

  it('sends security and CORS headers over a real socket on successes, errors and preflight', async () => {
    const { server } = await serve()
    const put = await fetch(`${server.url}/v1/data/h?ttl=60`, { method: 'PUT', body: 'x' })
    const get = await fetch(`${server.url}/v1/data/h`, { headers: { Origin: 'https://app.example' } })
    const missing = await fetch(`${server.url}/v1/data/none`)
    const bad = await fetch(`${server.url}/v1/data/%zz`)
    for (const res of [put, get, missing, bad]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      expect(res.headers.get('access-control-expose-headers')).toContain('X-Remaining-TTL')
    }
    expect(put.headers.get('x-original-ttl')).toBe('60')
    expect(get.headers.get('x-remaining-ttl')).toMatch(/^(59|60)$/)
    expect(get.headers.get('content-type')).toBe('application/octet-stream')
    expect([missing.status, bad.status]).toEqual([404, 400])
    const pre = await fetch(`${server.url}/v1/data/h`, { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'x-ttl' } })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-methods')).toContain('PUT')
    expect(pre.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('answers 413 to a chunked body with no Content-Length that never ends, once the drain bound runs out', async () => {
    const { server } = await serve({ maxValueBytes: 1024 })
    const { req, done } = raw(server, { method: 'PUT', path: '/v1/data/big', headers: { 'Transfer-Encoding': 'chunked' } })
    req.write(Buffer.alloc(1000))
    req.write(Buffer.alloc(1000))
    // The client never ends the body: the server answers when its drain time is up.
    const t0 = Date.now()
    const res = await done
    expect(Date.now() - t0).toBeLessThan(DRAIN_TIMEOUT_MS + 2000)
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body).error).toBe('value_too_large')
    expect(res.headers.connection).toBe('close')
    req.destroy()
    expect((await fetch(`${server.url}/v1/data/big`)).status).toBe(404)
  })

  it('reads and drops an oversized body before the 413, so Node\'s fetch sees the JSON 413 (declared length and chunked)', async () => {
    const { server } = await serve({ maxValueBytes: 1024 * 1024 })
    // The server reads the whole body before answering: every byte of a 12 MiB upload is taken.
    const total = 12 * 1024 * 1024
    const { req, done } = raw(server, { method: 'PUT', path: '/v1/data/big', headers: { 'Content-Length': String(total) } })
    let sent = 0
    const chunk = Buffer.alloc(256 * 1024)
    while (sent < total) {
      await new Promise<void>((resolve, reject) => req.write(chunk, err => err == null ? resolve() : reject(err)))
      sent += chunk.byteLength
    }
    req.end()
    expect((await done).status).toBe(413)
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/v1/data/big?ttl=60`, { method: 'PUT', body: new Uint8Array(12 * 1024 * 1024) })
      expect(res.status).toBe(413)
      expect(((await res.json()) as { error: string }).error).toBe('value_too_large')
    }
    const chunks = [new Uint8Array(768 * 1024), new Uint8Array(768 * 1024), new Uint8Array(768 * 1024)]
    const body = new ReadableStream<Uint8Array>({ pull (c) { const next = chunks.shift(); if (next === undefined) c.close(); else c.enqueue(next) } })
    const chunked = await fetch(`${server.url}/v1/data/big?ttl=60`, { method: 'PUT', body, duplex: 'half' } as RequestInit)
    expect(chunked.status).toBe(413)
    expect(((await chunked.json()) as { error: string }).error).toBe('value_too_large')
    expect((await fetch(`${server.url}/v1/data/big`)).status).toBe(404)
  })

  it('closes at once on a declared body beyond the drain bound, and keeps serving', async () => {
    const { server } = await serve({ maxValueBytes: 1024 })
    const { req, done } = raw(server, { method: 'PUT', path: '/v1/data/huge', headers: { 'Content-Length': String(1024 + DRAIN_EXTRA_BYTES + 1) } })
    req.write(Buffer.alloc(1000))
    const t0 = Date.now()
    const res = await done
    expect(Date.now() - t0).toBeLessThan(DRAIN_TIMEOUT_MS)
    expect(res.status).toBe(413)
    expect(res.headers.connection).toBe('close')
    req.destroy()
    expect((await fetch(`${server.url}/v1/health`)).status).toBe(200)
  })

  it('streams every key of GET /v1/keys without limit over TCP, across pages', async () => {
    const { node, server } = await serve({ keysLimitMax: 100 })
    await Promise.all(Array.from({ length: 450 }, async (_, i) => await node.put(`s/${i}`, new Uint8Array(1), { ttl: 60 })))
    const res = await fetch(`${server.url}/v1/keys?prefix=s%2F`)
    expect(res.status).toBe(200)
    const body = await res.json() as { keys: string[], next_cursor?: string }
    expect(body.keys).toHaveLength(450)
    expect(new Set(body.keys).size).toBe(450)
    expect(body.next_cursor).toBeUndefined()
  })

  it('drains on close: in-flight requests finish, idle keep-alive sockets close, new requests are refused', async () => {
    const { server } = await serve()
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    cleanup.push(async () => { agent.destroy() })
    // An idle keep-alive connection.
    const idle = raw(server, { method: 'GET', path: '/v1/health', agent })
    idle.req.end()
    expect((await idle.done).status).toBe(200)
    const idleSocketClosed = new Promise<void>(resolve => {
      const sockets = Object.values(agent.freeSockets).flat()
      expect(sockets.length).toBe(1)
      sockets[0]?.once('close', () => resolve())
    })
    // A request in flight: headers sent, body not finished.
    const slow = raw(server, { method: 'PUT', path: '/v1/data/slow?ttl=60', headers: { 'Transfer-Encoding': 'chunked' } })
    slow.req.write('part one, ')
    await until(() => server.state.inFlight === 1)
    const closing = server.close()
    await idleSocketClosed
    expect(server.state.draining).toBe(true)
    await expect(fetch(`${server.url}/v1/health`)).rejects.toThrow()
    slow.req.end('part two')
    const res = await slow.done
    expect(res.status).toBe(201)
    await closing
    expect(server.server.listening).toBe(false)
  })
})
