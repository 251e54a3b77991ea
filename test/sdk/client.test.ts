import { describe, expect, it } from 'vitest'
import {
  BadRequestError, CapacityError, DecryptionError, encodeKeyPath, generateKey, InvalidRequestError, isComplianceFlagged,
  MethodNotAllowedError, NetworkError, NotFoundError, parseRetryAfter, PayloadTooLargeError, ProtocolError, RateLimitedError,
  RepramClient, RepramHttpError, UnavailableError, type SleepFn
} from '../../src/sdk/index.js'
import { connectionRefused, fakeNodeFetch, jsonResponse, LIGHT_SCRYPT, scriptedFetch } from './helpers.js'

const A = 'http://a.test:8080'
const B = 'http://b.test:8080'
const C = 'http://c.test:8080'

function putOk (status = 201): Response {
  return jsonResponse(status, { key: 'k', ttl: 60, expiresAt: 1_700_000_060_000, writeId: 'w1', replicas: 2 },
    { 'X-Original-TTL': '60', 'X-Expires-At': '1700000060000' })
}

function recordedSleep (): { sleep: SleepFn, waits: number[] } {
  const waits: number[] = []
  return { waits, sleep: async (ms) => { waits.push(ms) } }
}

describe('encodeKeyPath', () => {
  it.each([
    ['simple', 'simple'],
    ['app/session/42', 'app/session/42'],
    ['a b/c?d#e', 'a%20b/c%3Fd%23e'],
    ['100%/x+y', '100%25/x%2By'],
    ['ключ/🔑', '%D0%BA%D0%BB%D1%8E%D1%87/%F0%9F%94%91'],
    ['/leading//double/', '/leading//double/'],
    ['a/../b', 'a%2F..%2Fb'],
    ['./x', '.%2Fx']
  ])('encodes %j as %j', (key, path) => {
    expect(encodeKeyPath(key)).toBe(path)
    // what the node does: decode the raw path once
    expect(decodeURIComponent(path)).toBe(key)
    // and URL parsing leaves the path alone (no dot-segment collapse)
    expect(new URL(`http://h/v1/data/${path}`).pathname).toBe(`/v1/data/${path}`)
  })

  it.each([[''], ['.'], ['..'], ['bad\ud800']])('refuses %j', (key) => {
    expect(() => encodeKeyPath(key)).toThrow(InvalidRequestError)
  })
})

describe('RepramClient requests', () => {
  it('PUTs raw bytes with ?ttl and reports the node\'s answer', async () => {
    const { fetch, seen } = scriptedFetch({ [A]: [putOk(201), putOk(202)] })
    const client = new RepramClient(A, { fetch })
    const r = await client.put('app/x y', new Uint8Array([1, 2, 3]), { ttl: 60 })
    expect(r).toEqual({ key: 'k', ttl: 60, expiresAt: 1_700_000_060_000, writeId: 'w1', replicas: 2, status: 201 })
    expect(seen[0].url).toBe(`${A}/v1/data/app/x%20y?ttl=60`)
    expect(seen[0].method).toBe('PUT')
    expect(seen[0].body).toEqual(new Uint8Array([1, 2, 3]))
    expect(seen[0].headers.get('content-type')).toBe('application/octet-stream')
    expect((await client.put('k', 'text')).status).toBe(202)
    expect(seen[1].url).toBe(`${A}/v1/data/k`)
    expect(seen[1].body).toEqual(new TextEncoder().encode('text'))
  })

  it('rejects non-integer TTLs before sending', async () => {
    const { fetch, seen } = scriptedFetch({})
    const client = new RepramClient(A, { fetch })
    for (const ttl of [0, -1, 1.5, NaN]) await expect(client.put('k', 'v', { ttl })).rejects.toBeInstanceOf(InvalidRequestError)
    expect(seen).toHaveLength(0)
  })

  it('GETs a value with its TTL metadata, and null on 404', async () => {
    const headers = {
      'X-Created-At': '2024-06-01T12:00:00.250Z',
      'X-Original-TTL': '300',
      'X-Remaining-TTL': '299',
      'X-Expires-At': String(Date.parse('2024-06-01T12:05:00.250Z'))
    }
    const { fetch } = scriptedFetch({
      [A]: [new Response(new Uint8Array([9, 8, 7]), { status: 200, headers }), jsonResponse(404, { error: 'not_found', message: 'no live record under this key' })]
    })
    const client = new RepramClient(A, { fetch })
    expect(await client.get('k')).toEqual({
      value: new Uint8Array([9, 8, 7]),
      createdAt: Date.parse('2024-06-01T12:00:00.250Z'),
      expiresAt: Date.parse('2024-06-01T12:05:00.250Z'),
      ttl: 300,
      remainingTtl: 299
    })
    expect(await client.get('missing')).toBeNull()
  })

  it('HEADs for has(): true on 200, false on 404', async () => {
    const headers = { 'X-Created-At': new Date().toISOString(), 'X-Original-TTL': '5', 'X-Remaining-TTL': '4' }
    const { fetch, seen } = scriptedFetch({ [A]: [new Response(null, { status: 200, headers }), new Response(null, { status: 404 })] })
    const client = new RepramClient(A, { fetch })
    expect(await client.has('k')).toBe(true)
    expect(await client.has('k')).toBe(false)
    expect(seen.map(s => s.method)).toEqual(['HEAD', 'HEAD'])
  })

  it('fails with ProtocolError when the TTL headers are missing (e.g. not exposed by CORS)', async () => {
    const { fetch } = scriptedFetch({ [A]: [new Response(new Uint8Array([1]), { status: 200 })] })
    await expect(new RepramClient(A, { fetch }).get('k')).rejects.toThrow(/Access-Control-Expose-Headers/)
  })

  it('lists keys page by page with prefix, limit and cursor', async () => {
    const { fetch, seen } = scriptedFetch({
      [A]: [
        jsonResponse(200, { keys: ['p/1', 'p/2'], next_cursor: 'p/2' }),
        jsonResponse(200, { keys: ['p/3'] }),
        jsonResponse(200, { keys: ['p/1'], next_cursor: 'p/1' })
      ]
    })
    const client = new RepramClient(A, { fetch })
    const all: string[] = []
    for await (const k of client.listKeys({ prefix: 'p/', limit: 2 })) all.push(k)
    expect(all).toEqual(['p/1', 'p/2', 'p/3'])
    expect(seen.map(s => s.url)).toEqual([`${A}/v1/keys?prefix=p%2F&limit=2`, `${A}/v1/keys?prefix=p%2F&limit=2&cursor=p%2F2`])
    expect(await client.keys({ limit: 1 })).toEqual({ keys: ['p/1'], nextCursor: 'p/1' })
  })

  it('reads status and health as JSON, and rejects non-JSON answers', async () => {
    const { fetch } = scriptedFetch({
      [A]: [jsonResponse(200, { node_id: 'n1', records: 3 }), jsonResponse(200, { status: 'healthy' }), new Response('<html>', { status: 200 })]
    })
    const client = new RepramClient(A, { fetch })
    expect(await client.status()).toEqual({ node_id: 'n1', records: 3 })
    expect((await client.health()).status).toBe('healthy')
    await expect(client.status()).rejects.toBeInstanceOf(ProtocolError)
  })

  it('validates its URLs', () => {
    expect(() => new RepramClient([])).toThrow(InvalidRequestError)
    expect(() => new RepramClient('ftp://x')).toThrow(InvalidRequestError)
    expect(() => new RepramClient('not a url')).toThrow(InvalidRequestError)
    expect(new RepramClient(['http://h:1/', 'https://h:2/base/']).urls).toEqual(['http://h:1', 'https://h:2/base'])
  })
})

describe('RepramClient typed errors', () => {
  it.each([
    [400, BadRequestError, 'invalid_ttl'],
    [404, NotFoundError, 'not_found'],
    [405, MethodNotAllowedError, 'method_not_allowed'],
    [413, PayloadTooLargeError, 'value_too_large'],
    [507, CapacityError, 'capacity_exceeded'],
    [418, RepramHttpError, 'teapot']
  ])('maps %i to %s with the node\'s code and message', async (status, Cls, code) => {
    const { fetch } = scriptedFetch({ [A]: [jsonResponse(status, { error: code, message: `the ${code} message` })] })
    const err = await new RepramClient(A, { fetch }).keys().catch((e: unknown) => e) as RepramHttpError
    expect(err).toBeInstanceOf(Cls)
    expect(err).toBeInstanceOf(RepramHttpError)
    expect([err.status, err.code, err.message, err.url]).toEqual([status, code, `the ${code} message`, A])
  })

  it('falls back to a generic code when the error body is not JSON', async () => {
    const { fetch } = scriptedFetch({ [A]: [new Response('Bad Request', { status: 400 })] })
    const err = await new RepramClient(A, { fetch }).put('k', 'v').catch((e: unknown) => e) as BadRequestError
    expect(err).toBeInstanceOf(BadRequestError)
    expect(err.code).toBe('http_400')
  })

  it('does not fail over on 4xx: the answer would be the same elsewhere', async () => {
    const { fetch, seen } = scriptedFetch({ [A]: [jsonResponse(413, { error: 'value_too_large', message: 'too big' })], [B]: [] })
    await expect(new RepramClient([A, B], { fetch }).put('k', 'v')).rejects.toBeInstanceOf(PayloadTooLargeError)
    expect(seen).toHaveLength(1)
  })
})

describe('RepramClient 429 back-off', () => {
  const limited = (retryAfter?: string): Response =>
    jsonResponse(429, { error: 'rate_limited', message: 'slow down' }, retryAfter === undefined ? {} : { 'Retry-After': retryAfter })

  it('waits what Retry-After says, then succeeds', async () => {
    const { fetch, seen } = scriptedFetch({ [A]: [limited('2'), limited('1'), putOk()] })
    const { sleep, waits } = recordedSleep()
    const r = await new RepramClient(A, { fetch, sleep }).put('k', 'v')
    expect(r.writeId).toBe('w1')
    expect(waits).toEqual([2000, 1000])
    expect(seen).toHaveLength(3)
    // the body is re-sent intact on every attempt
    expect(seen.every(s => new TextDecoder().decode(s.body) === 'v')).toBe(true)
  })

  it('gives up after max429Retries with RateLimitedError carrying retryAfterMs', async () => {
    const { fetch, seen } = scriptedFetch({ [A]: [limited('1'), limited('1'), limited('3')] })
    const { sleep, waits } = recordedSleep()
    const err = await new RepramClient(A, { fetch, sleep, retries: { max429Retries: 2 } }).get('k').catch((e: unknown) => e) as RateLimitedError
    expect(err).toBeInstanceOf(RateLimitedError)
    expect(err.status).toBe(429)
    expect(err.retryAfterMs).toBe(3000)
    expect(waits).toEqual([1000, 1000])
    expect(seen).toHaveLength(3)
  })

  it('does not wait longer than maxRetryAfterMs: it throws at once instead', async () => {
    const { fetch } = scriptedFetch({ [A]: [limited('120')] })
    const { sleep, waits } = recordedSleep()
    const err = await new RepramClient(A, { fetch, sleep, retries: { maxRetryAfterMs: 5000 } }).get('k').catch((e: unknown) => e) as RateLimitedError
    expect(err).toBeInstanceOf(RateLimitedError)
    expect(err.retryAfterMs).toBe(120_000)
    expect(waits).toEqual([])
  })

  it('uses defaultRetryAfterMs without a Retry-After, and max429Retries 0 disables retries', async () => {
    const s1 = scriptedFetch({ [A]: [limited(), putOk()] })
    const r1 = recordedSleep()
    await new RepramClient(A, { fetch: s1.fetch, sleep: r1.sleep, retries: { defaultRetryAfterMs: 250 } }).put('k', 'v')
    expect(r1.waits).toEqual([250])
    const s2 = scriptedFetch({ [A]: [limited('1')] })
    const r2 = recordedSleep()
    await expect(new RepramClient(A, { fetch: s2.fetch, sleep: r2.sleep, retries: { max429Retries: 0 } }).put('k', 'v')).rejects.toBeInstanceOf(RateLimitedError)
    expect(r2.waits).toEqual([])
  })

  it('parses Retry-After as seconds or an HTTP-date', () => {
    const now = Date.parse('2024-06-01T12:00:00Z')
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('Sat, 01 Jun 2024 12:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Sat, 01 Jun 2024 11:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
  })

  it('an abort during the back-off stops the call', async () => {
    const { fetch } = scriptedFetch({ [A]: [limited('1')] })
    const controller = new AbortController()
    const sleep: SleepFn = async () => { controller.abort(new Error('user gave up')); throw new Error('user gave up') }
    await expect(new RepramClient(A, { fetch, sleep }).get('k', { signal: controller.signal })).rejects.toThrow('user gave up')
  })
})

describe('RepramClient failover', () => {
  it('moves to the next URL on a network error and remembers the one that worked', async () => {
    const { fetch, seen } = scriptedFetch({ [A]: [connectionRefused()], [B]: [putOk(), putOk()] })
    const client = new RepramClient([A, B], { fetch })
    await client.put('k', 'v')
    expect(client.currentUrl).toBe(B)
    await client.put('k', 'v')
    expect(seen.map(s => new URL(s.url).origin)).toEqual([A, B, B])
  })

  it('moves on after a 503 and after other 5xx', async () => {
    const { fetch, seen } = scriptedFetch({
      [A]: [jsonResponse(503, { error: 'shutting_down', message: 'the node is shutting down' })],
      [B]: [jsonResponse(500, { error: 'internal', message: 'internal error' })],
      [C]: [putOk()]
    })
    const client = new RepramClient([A, B, C], { fetch })
    expect((await client.put('k', 'v')).status).toBe(201)
    expect(seen.map(s => new URL(s.url).origin)).toEqual([A, B, C])
    expect(client.currentUrl).toBe(C)
  })

  it('wraps around from the remembered URL', async () => {
    const { fetch, seen } = scriptedFetch({ [A]: [connectionRefused(), putOk()], [B]: [putOk(), connectionRefused()] })
    const client = new RepramClient([A, B], { fetch })
    await client.put('k', 'v') // A fails, B works
    await client.put('k', 'v') // starts at B, which fails, then A
    expect(seen.map(s => new URL(s.url).origin)).toEqual([A, B, B, A])
    expect(client.currentUrl).toBe(A)
  })

  it('throws NetworkError listing every attempt when no node can be reached', async () => {
    const { fetch } = scriptedFetch({ [A]: [connectionRefused()], [B]: [connectionRefused()] })
    const err = await new RepramClient([A, B], { fetch }).get('k').catch((e: unknown) => e) as NetworkError
    expect(err).toBeInstanceOf(NetworkError)
    expect(err.attempts).toHaveLength(2)
    expect(err.attempts[0]).toMatch(/^http:\/\/a\.test:8080: fetch failed \(ECONNREFUSED\)$/)
    expect(err.message).toContain('b.test')
  })

  it('prefers the typed 5xx error when some node answered', async () => {
    const { fetch } = scriptedFetch({ [A]: [jsonResponse(503, { error: 'shutting_down', message: 'bye' })], [B]: [connectionRefused()] })
    await expect(new RepramClient([A, B], { fetch }).get('k')).rejects.toBeInstanceOf(UnavailableError)
  })

  it('treats an attempt that exceeds timeoutMs as a network error and fails over', async () => {
    const hang = async (_req: unknown, signal?: AbortSignal): Promise<Response> => await new Promise((_resolve, reject) => {
      signal?.addEventListener('abort', () => reject(signal.reason))
    })
    const { fetch } = scriptedFetch({ [A]: [hang], [B]: [putOk()] })
    const client = new RepramClient([A, B], { fetch, timeoutMs: 30 })
    expect((await client.put('k', 'v')).writeId).toBe('w1')
    expect(client.currentUrl).toBe(B)
    const single = scriptedFetch({ [A]: [hang] })
    await expect(new RepramClient(A, { fetch: single.fetch, timeoutMs: 30 }).get('k')).rejects.toThrow(/no complete answer within 30 ms/)
  })

  it('does not fail over after the caller aborts', async () => {
    const controller = new AbortController()
    const abortingFetch = async (_req: unknown, signal?: AbortSignal): Promise<Response> => {
      controller.abort(new DOMException('stop', 'AbortError'))
      return await new Promise((_resolve, reject) => { reject(signal?.reason) })
    }
    const { fetch, seen } = scriptedFetch({ [A]: [abortingFetch], [B]: [putOk()] })
    await expect(new RepramClient([A, B], { fetch }).put('k', 'v', { signal: controller.signal })).rejects.toThrow('stop')
    expect(seen).toHaveLength(1)
  })
})

describe('RepramClient encryption helpers', () => {
  it('stores only the envelope and reads it back decrypted, with the flag', async () => {
    const { fetch, store } = fakeNodeFetch()
    const client = new RepramClient('http://fake.node', { fetch })
    const key = generateKey()
    await client.putEncrypted('notes/1', 'plaintext never leaves', { key, ttl: 60, flagged: true })
    const stored = store.get('notes/1') as Uint8Array
    expect(new TextDecoder().decode(stored)).not.toContain('plaintext never leaves')
    expect(isComplianceFlagged(stored)).toBe(true)
    const rec = await client.getDecrypted('notes/1', { key })
    expect(new TextDecoder().decode(rec?.value)).toBe('plaintext never leaves')
    expect(rec?.flagged).toBe(true)
    expect(rec?.mode).toBe('key')
    expect(rec?.ttl).toBe(3600)
    expect(await client.getDecrypted('notes/none', { key })).toBeNull()
  })

  it('binds the record to its key: a blob copied to another key does not open', async () => {
    const { fetch, store } = fakeNodeFetch()
    const client = new RepramClient('http://fake.node', { fetch })
    await client.putEncrypted('a', 'x', { passphrase: 'pw', kdf: LIGHT_SCRYPT })
    store.set('b', store.get('a') as Uint8Array)
    await expect(client.getDecrypted('b', { passphrase: 'pw' })).rejects.toBeInstanceOf(DecryptionError)
    expect(new TextDecoder().decode((await client.getDecrypted('a', { passphrase: 'pw' }))?.value)).toBe('x')
  })
})
