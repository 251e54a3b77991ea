/**
 * Hostile HTTP clients over real sockets (issue 16 §5): the attestation WebSocket stream is
 * bounded per client IP and its upgrades are rate limited like the HTTP routes, each
 * refusal a JSON 429 before the upgrade; what Node's HTTP parser refuses (raw non-ASCII
 * bytes in the URL, a bad header line, oversized headers) gets the API's JSON error.
 */
import { connect as netConnect } from 'node:net'
import type { IncomingMessage } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createRepramNode } from '../../src/create.js'
import { startHttpServer, type RepramHttpServer } from '../../src/http/server.js'
import { until } from '../helpers/until.js'

let cleanup: Array<() => Promise<void>> = []
const sockets: WebSocket[] = []
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate()
  for (const f of cleanup.reverse()) await f()
  cleanup = []
})

async function serve (config: Record<string, unknown> = {}): Promise<RepramHttpServer> {
  const node = await createRepramNode({ config: { profile: 'test', ...config } })
  const server = await startHttpServer(node, { port: 0, host: '127.0.0.1' })
  cleanup.push(async () => { await server.close(); await node.stop() })
  return server
}

interface Upgrade { status: number, body?: { error: string, message: string }, retryAfter?: string, ws?: WebSocket }

/** Opens a stream; resolves with 101 and the socket, or the refusal's status and JSON body. */
async function open (server: RepramHttpServer, headers: Record<string, string> = {}): Promise<Upgrade> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/attestations/stream`, { headers })
  sockets.push(ws)
  ws.on('error', () => {}) // a refused handshake surfaces as an error too
  return await new Promise<Upgrade>((resolve) => {
    ws.once('open', () => resolve({ status: 101, ws }))
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()), retryAfter: res.headers['retry-after'] as string | undefined }))
    })
  })
}

/** Sends raw bytes on a fresh TCP connection and reads the reply until the server closes. */
async function rawRequest (server: RepramHttpServer, bytes: Buffer): Promise<{ status: number, headers: string, body: string }> {
  return await new Promise((resolve, reject) => {
    const c = netConnect(server.port, '127.0.0.1', () => c.write(bytes))
    const chunks: Buffer[] = []
    c.on('data', (d: Buffer) => chunks.push(d))
    c.on('error', reject)
    c.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1')
      const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)]
      resolve({ status: Number(head.split(' ')[1]), headers: head, body })
    })
  })
}

describe('the attestation stream under a hostile client', () => {
  it('refuses a client IP its (N+1)th concurrent stream with a JSON 429, lets other IPs in, and frees the slot when one closes', async () => {
    const server = await serve({ attestationStreamMaxPerIp: 2, trustProxy: true })
    const a1 = await open(server, { 'X-Forwarded-For': '198.18.0.1' })
    const a2 = await open(server, { 'X-Forwarded-For': '198.18.0.1' })
    expect([a1.status, a2.status]).toEqual([101, 101])
    const a3 = await open(server, { 'X-Forwarded-For': '198.18.0.1' })
    expect(a3.status).toBe(429)
    expect(a3.body?.error).toBe('too_many_streams')
    expect(typeof a3.body?.message).toBe('string')
    // Another client is not held back by the first one's streams.
    expect((await open(server, { 'X-Forwarded-For': '198.18.0.2' })).status).toBe(101)
    // A closed stream frees its slot.
    const closed = new Promise(resolve => a1.ws?.once('close', resolve))
    a1.ws?.close()
    await closed
    await until(async () => (await open(server, { 'X-Forwarded-For': '198.18.0.1' })).status === 101, { what: 'the freed slot' })
  })

  it('counts streams by the socket address without trustProxy (X-Forwarded-For is ignored)', async () => {
    const server = await serve({ attestationStreamMaxPerIp: 1 })
    expect((await open(server, { 'X-Forwarded-For': '198.18.0.1' })).status).toBe(101)
    const second = await open(server, { 'X-Forwarded-For': '198.18.0.2' })
    expect(second.status).toBe(429)
    expect(second.body?.error).toBe('too_many_streams')
  })

  it('rate limits upgrade requests per client IP like the HTTP routes: 429 rate_limited with Retry-After', async () => {
    // 1 request/s, burst 2: the third upgrade in a row is refused.
    const server = await serve({ rateLimit: 1, attestationStreamMaxPerIp: 100 })
    const results = [await open(server), await open(server), await open(server)]
    expect(results.map(r => r.status)).toEqual([101, 101, 429])
    expect(results[2].body?.error).toBe('rate_limited')
    expect(Number(results[2].retryAfter)).toBeGreaterThanOrEqual(1)
  })

  it('turns the stream off at attestationStreamMaxPerIp 0', async () => {
    const server = await serve({ attestationStreamMaxPerIp: 0 })
    const r = await open(server)
    expect(r.status).toBe(429)
    expect(r.body?.error).toBe('too_many_streams')
  })
})

describe('requests the HTTP parser refuses', () => {
  it('answers raw non-ASCII bytes in the URL with a JSON 400, not Node\'s bare one', async () => {
    const server = await serve()
    const line = Buffer.concat([Buffer.from('GET /v1/data/caf'), Buffer.from([0xc3, 0xa9, 0xff]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')])
    const r = await rawRequest(server, line)
    expect(r.status).toBe(400)
    expect(r.headers).toMatch(/content-type: application\/json/i)
    const body = JSON.parse(r.body) as { error: string, message: string }
    expect(body.error).toBe('bad_request')
    expect(body.message).toMatch(/percent-encoded/)
  })

  it.each([
    ['a space in the URL', 'GET /v1/data/a b HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request'],
    ['a header line without a colon', 'GET /v1/health HTTP/1.1\r\nHost: x\r\nNot A Header\r\n\r\n', 400, 'bad_request'],
    ['a garbage request line', 'NOT HTTP AT ALL\r\n\r\n', 400, 'bad_request'],
    ['headers past the size limit', `GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large']
  ])('answers %s with a JSON error', async (_what, text, status, error) => {
    const server = await serve()
    const r = await rawRequest(server, Buffer.from(text, 'latin1'))
    expect(r.status).toBe(status)
    expect((JSON.parse(r.body) as { error: string }).error).toBe(error)
  })

  it('still serves the next client normally', async () => {
    const server = await serve()
    await rawRequest(server, Buffer.from('GET /v1/data/a b HTTP/1.1\r\n\r\n'))
    expect((await fetch(`${server.url}/v1/health`)).status).toBe(200)
  })
})
