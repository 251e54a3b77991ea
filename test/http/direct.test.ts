/**
 * The direct path of the data routes (src/http/direct.ts) answers exactly as the hono app
 * does: the same requests go to two servers over real sockets, one with the direct path in
 * front of the app and one with the app alone, and every status, header and body must
 * match (write ids and times aside). The direct server must have taken every data request.
 */
import { connect } from 'node:net'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { afterEach, describe, expect, it } from 'vitest'
import { createRepramNode } from '../../src/create.js'
import { createHttpApp } from '../../src/http/app.js'
import type { RepramNode } from '../../src/node/index.js'

let cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const f of cleanup.reverse()) await f()
  cleanup = []
})

interface Pair { direct: string, hono: string, took: () => number, node: RepramNode }

/** One node, two servers: the app with the direct path in front (as startHttpServer wires it), and the app alone. */
async function pair (config: Record<string, unknown> = {}): Promise<Pair> {
  const node = await createRepramNode({ config: { profile: 'test', maxValueBytes: 1024, maxKeyBytes: 32, ...config } })
  cleanup.push(async () => { await node.stop() })
  const a = createHttpApp(node)
  const b = createHttpApp(node)
  let took = 0
  const direct = serve({
    fetch: a.app.fetch,
    port: 0,
    createServer: (options: object, listener: (req: never, res: never) => void) => createServer(options, (req, res) => {
      if (a.direct(req, res)) took++
      else listener(req as never, res as never)
    })
  } as never) as unknown as Server
  await new Promise<void>(resolve => direct.once('listening', resolve))
  cleanup.push(async () => { direct.closeAllConnections(); await new Promise<void>(resolve => direct.close(() => resolve())) })
  const alone = serve({ fetch: b.app.fetch, port: 0 }) as unknown as Server
  await new Promise<void>(resolve => alone.once('listening', resolve))
  cleanup.push(async () => { alone.closeAllConnections(); await new Promise<void>(resolve => alone.close(() => resolve())) })
  return { direct: `127.0.0.1:${(direct.address() as AddressInfo).port}`, hono: `127.0.0.1:${(alone.address() as AddressInfo).port}`, took: () => took, node }
}

/** Sends raw bytes as one request and returns the raw reply (until the server closes or the reply is complete). */
async function raw (hostPort: string, request: Buffer | string): Promise<{ status: number, headers: Record<string, string>, body: string }> {
  const [host, port] = hostPort.split(':')
  const text = await new Promise<string>((resolve, reject) => {
    const sock = connect(Number(port), host)
    let got = ''
    sock.setEncoding('latin1')
    sock.on('data', (s: string) => {
      got += s
      const end = got.indexOf('\r\n\r\n')
      if (end < 0) return
      const len = /\r\ncontent-length: (\d+)/i.exec(got.slice(0, end))
      if (len !== null && got.length >= end + 4 + Number(len[1])) sock.end()
    })
    sock.on('end', () => resolve(got))
    sock.on('close', () => resolve(got))
    sock.on('error', reject)
    sock.write(request)
  })
  const end = text.indexOf('\r\n\r\n')
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n')
  const headers: Record<string, string> = {}
  for (const l of lines) {
    const i = l.indexOf(':')
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim()
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(end + 4) }
}

/** What must match: status, every header but the per-connection and per-moment ones, the body with write facts masked. */
function comparable (r: { status: number, headers: Record<string, string>, body: string }): unknown {
  const headers = { ...r.headers }
  for (const h of ['date', 'keep-alive', 'x-write-id', 'x-expires-at', 'x-created-at', 'x-remaining-ttl']) delete headers[h]
  const body = r.body.replace(/"writeId":"[^"]+"/, '"writeId":"…"').replace(/"expiresAt":\d+/, '"expiresAt":…')
  return { status: r.status, headers, body }
}

const req = (method: string, target: string, opts: { body?: string | Buffer, headers?: Record<string, string> } = {}): Buffer => {
  const body = opts.body === undefined ? Buffer.alloc(0) : Buffer.from(opts.body)
  const head = [`${method} ${target} HTTP/1.1`, 'Host: x', 'Connection: close', ...Object.entries(opts.headers ?? {}).map(([k, v]) => `${k}: ${v}`)]
  if (opts.body !== undefined && opts.headers?.['Transfer-Encoding'] === undefined) head.push(`Content-Length: ${body.byteLength}`)
  return Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n', 'latin1'), body])
}

describe('the direct path of the data routes', () => {
  it('answers every data request exactly as the hono app does, and takes them all', async () => {
    const p = await pair()
    const cases: Array<[string, Buffer]> = [
      ['PUT', req('PUT', '/v1/data/same/key?ttl=60', { body: 'hello' })],
      ['PUT with X-TTL', req('PUT', '/v1/data/same/x-ttl', { body: 'v', headers: { 'X-TTL': '120' } })],
      ['PUT TTL clamped', req('PUT', '/v1/data/same/clamp?ttl=0', { body: 'v' })],
      ['PUT encoded TTL', req('PUT', '/v1/data/same/enc?ttl=%36%30', { body: 'v' })],
      ['PUT bad TTL', req('PUT', '/v1/data/same/bad?ttl=10s', { body: 'v' })],
      ['PUT key too long', req('PUT', `/v1/data/${'k'.repeat(33)}?ttl=60`, { body: 'v' })],
      ['PUT empty key', req('PUT', '/v1/data/?ttl=60', { body: 'v' })],
      ['PUT value of the limit', req('PUT', '/v1/data/same/full?ttl=60', { body: 'v'.repeat(1024) })],
      ['PUT value too large', req('PUT', '/v1/data/same/big?ttl=60', { body: 'v'.repeat(1025) })],
      ['PUT bad Content-Length', Buffer.from('PUT /v1/data/same/cl HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: -1\r\n\r\n')],
      ['GET hit', req('GET', '/v1/data/same/key')],
      ['HEAD hit', req('HEAD', '/v1/data/same/key')],
      ['GET miss', req('GET', '/v1/data/same/none')],
      ['HEAD miss', req('HEAD', '/v1/data/same/none')],
      ['GET empty key', req('GET', '/v1/data/')],
      ['GET bad escape', req('GET', '/v1/data/%zz')],
      ['GET escaped slash', req('GET', '/v1/data/same%2Fkey')],
      ['GET raw UTF-8', Buffer.concat([Buffer.from('GET /v1/data/caf'), Buffer.from('é'), Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')])],
      ['GET bad UTF-8', Buffer.concat([Buffer.from('GET /v1/data/'), Buffer.from([0xff, 0xfe]), Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')])]
    ]
    let reachedApp = 0
    for (const [name, bytes] of cases) {
      const d = await raw(p.direct, bytes)
      const h = await raw(p.hono, bytes)
      expect(comparable(d), name).toEqual(comparable(h))
      // Node's own parser refuses some requests (a negative Content-Length, raw bytes in the
      // target) before any listener: those carry none of the app's headers.
      if (d.headers['x-content-type-options'] !== undefined) reachedApp++
    }
    expect(reachedApp).toBeGreaterThanOrEqual(cases.length - 3)
    expect(p.took()).toBe(reachedApp)
    // both servers stored the writes; the direct one's value reads back the same
    expect((await raw(p.direct, req('GET', '/v1/data/same/full'))).body).toBe('v'.repeat(1024))
  })

  it('rate limits like the app, with the same 429', async () => {
    const p = await pair({ rateLimit: 1 })
    const d = [1, 2, 3].map(() => req('GET', '/v1/data/rl'))
    const direct = []
    for (const b of d) direct.push(await raw(p.direct, b))
    const hono = []
    for (const b of d) hono.push(await raw(p.hono, b))
    expect(direct.map(r => r.status)).toEqual([404, 404, 429])
    expect(direct.map(comparable)).toEqual(hono.map(comparable))
    expect(direct[2].headers['retry-after']).toBe('1')
  })

  it('leaves every other route, and other methods on the data routes, to hono', async () => {
    const p = await pair()
    for (const b of [req('GET', '/v1/health'), req('POST', '/v1/data/x', { body: 'v' }), req('OPTIONS', '/v1/data/x'), req('GET', '/v1/keys')]) {
      expect(comparable(await raw(p.direct, b))).toEqual(comparable(await raw(p.hono, b)))
    }
    expect(p.took()).toBe(0)
  })
})
