/**
 * Property-based fuzzing of the HTTP input parsing (issue 16, "Tests and figures"): the
 * key in the URL (`keyFromUrl`), the TTL (`resolveTtl`), and the headers a client controls
 * (`X-TTL`, `Content-Length`, `Last-Event-ID`) through `app.request()`. Nothing throws past
 * its boundary (a typed RepramError or a 4xx is fine; a TypeError or a 500 is not), and
 * nothing invalid is stored: after every fuzzed PUT, each stored record passes the checks
 * a peer would apply (`checkWrite`) and the node's own limits. Runs are bounded and seeded
 * by fast-check (a failure prints its seed and the shrunk input).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createRepramNode } from '../../src/create.js'
import type { RepramNode } from '../../src/node/index.js'
import { createHttpApp, keyFromUrl } from '../../src/http/app.js'
import { InvalidTtlError, RepramError } from '../../src/errors.js'
import { resolveTtl, utf8Length, type RecordLimits } from '../../src/record.js'
import { checkWrite, toWire } from '../../src/wire/write.js'

const RUNS = { numRuns: 300 }
const REQUEST_RUNS = { numRuns: 200 }

/** Characters that make URL and TTL parsing interesting: escapes, separators, non-ASCII, controls. */
const tricky = fc.constantFrom('%', '%2', '%2F', '%zz', '%C3%A9', '%FF', '%E2%82', '/', '?', '#', '&', '=', ' ', '+', '.', '..', 'é', '😀', '\u0000', '\u007f', '\uFFFD', 'a', 'Z', '0', '9', '-', 'e', 'E', 'x')
const fuzzText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.array(tricky, { maxLength: 12 }).map(a => a.join('')),
  fc.string({ unit: fc.constantFrom(...'0123456789 .-+eE'), maxLength: 24 })
)

describe('keyFromUrl', () => {
  it('returns a string or throws a 400 RepramError, for any URL', () => {
    fc.assert(fc.property(fuzzText, fc.boolean(), fc.boolean(), (tail, own, allowEmpty) => {
      try {
        const key = keyFromUrl(`http://localhost/v1/data/${tail}`, own, allowEmpty)
        expect(typeof key).toBe('string')
        if (!allowEmpty) expect(key.length).toBeGreaterThan(0)
      } catch (err) {
        expect(err).toBeInstanceOf(RepramError)
        expect((err as RepramError).status).toBe(400)
      }
    }), RUNS)
  })

  it('decodes what encodeURIComponent made back to the key', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), (key) => {
      expect(keyFromUrl(`http://localhost/v1/data/${encodeURIComponent(key)}?ttl=5`, true)).toBe(key)
    }), RUNS)
  })
})

describe('resolveTtl', () => {
  const limits = (ttlPolicy: 'clamp' | 'reject'): RecordLimits => ({ maxKeyBytes: 64, maxValueBytes: 256, minTtl: 5, maxTtl: 3600, defaultTtl: 60, ttlPolicy })
  const input = fc.oneof(fuzzText, fc.double(), fc.integer(), fc.constant(undefined), fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e300, Number.MAX_SAFE_INTEGER + 2))

  it.each(['clamp', 'reject'] as const)('under ttlPolicy %s: an integer in [minTtl, maxTtl] or an InvalidTtlError, for any input', (policy) => {
    const l = limits(policy)
    fc.assert(fc.property(input, (ttl) => {
      try {
        const t = resolveTtl(ttl, l)
        expect(Number.isInteger(t)).toBe(true)
        expect(t).toBeGreaterThanOrEqual(l.minTtl)
        expect(t).toBeLessThanOrEqual(l.maxTtl)
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidTtlError)
        expect((err as RepramError).status).toBe(400)
      }
    }), RUNS)
  })
})

describe('the HTTP API under fuzzed requests', () => {
  let node: RepramNode
  let app: ReturnType<typeof createHttpApp>['app']
  const LIMITS = { maxKeyBytes: 64, maxValueBytes: 256, minTtl: 1, maxTtl: 3600 }

  beforeAll(async () => {
    node = await createRepramNode({ config: { profile: 'test', ...LIMITS, rateLimit: 0, watchMaxPerIp: 100_000 } })
    app = createHttpApp(node).app
  })
  afterAll(async () => { await node.stop() })

  /** A request, or undefined when the fetch API itself refuses to build it (not our boundary). */
  function build (path: string, init: { method: string, headers: Record<string, string>, body?: Uint8Array }): Request | undefined {
    try {
      return new Request(`http://localhost${path}`, { method: init.method, headers: init.headers, ...(init.body === undefined ? {} : { body: init.body as Uint8Array<ArrayBuffer> }) })
    } catch {
      return undefined
    }
  }

  async function expectClean (res: Response): Promise<void> {
    expect(res.status, `status ${res.status}`).toBeLessThan(500)
    if (res.status >= 400) {
      const body = await res.json() as { error: unknown, message: unknown }
      expect(typeof body.error).toBe('string')
      expect(typeof body.message).toBe('string')
    } else {
      await res.body?.cancel()
    }
  }

  it('answers every fuzzed PUT (key, ?ttl=, X-TTL, Content-Length, body) with a status below 500, and stores only valid records', async () => {
    const headerValue = fc.oneof(fuzzText, fc.integer().map(String), fc.constantFrom('', ' 10 ', '1e3', '-1', '0x10', '99999999999999999999', '3.5'))
    await fc.assert(fc.asyncProperty(
      fuzzText,
      fc.option(fuzzText, { nil: undefined }),
      fc.option(headerValue, { nil: undefined }),
      fc.option(headerValue, { nil: undefined }),
      fc.uint8Array({ maxLength: LIMITS.maxValueBytes + 16 }),
      async (key, ttl, xTtl, contentLength, body) => {
        const headers: Record<string, string> = {}
        if (xTtl !== undefined) headers['X-TTL'] = xTtl
        if (contentLength !== undefined) headers['Content-Length'] = contentLength
        const query = ttl === undefined ? '' : `?ttl=${ttl}`
        const req = build(`/v1/data/${key}${query}`, { method: 'PUT', headers, body })
        fc.pre(req !== undefined)
        await expectClean(await app.request(req as Request))
      }), REQUEST_RUNS)

    // Nothing invalid was stored: every record passes a peer's checks and this node's limits.
    const now = node.clock.now()
    const { keys } = await node.keys({ limit: 1000 })
    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys) {
      const rec = await node.get(key, { local: true })
      if (rec === undefined) continue // expired since
      expect(checkWrite(toWire(rec, new Uint8Array(0)), now, { ...node.config })).toBeUndefined()
      expect(utf8Length(rec.key)).toBeGreaterThan(0)
      expect(utf8Length(rec.key)).toBeLessThanOrEqual(LIMITS.maxKeyBytes)
      expect(rec.value.byteLength).toBeLessThanOrEqual(LIMITS.maxValueBytes)
      expect(rec.expiresAt - rec.createdAt).toBeGreaterThanOrEqual(LIMITS.minTtl * 1000)
      expect(rec.expiresAt - rec.createdAt).toBeLessThanOrEqual(LIMITS.maxTtl * 1000)
    }
  })

  it('answers fuzzed GETs and HEADs of keys with 200, 404 or a JSON 4xx', async () => {
    await fc.assert(fc.asyncProperty(fuzzText, fc.constantFrom('GET', 'HEAD'), async (key, method) => {
      const req = build(`/v1/data/${key}`, { method, headers: {} })
      fc.pre(req !== undefined)
      const res = await app.request(req as Request)
      expect(res.status).toBeLessThan(500)
      await res.body?.cancel()
    }), REQUEST_RUNS)
  })

  it('answers any Last-Event-ID on /v1/watch with a stream (200) or a JSON 400, never a 500', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fuzzText, fc.string({ unit: fc.constantFrom(...'0123456789abcdef-'), maxLength: 30 })), fc.boolean(), async (id, inQuery) => {
      const req = inQuery
        ? build(`/v1/watch?last_event_id=${encodeURIComponent(id)}`, { method: 'GET', headers: {} })
        : build('/v1/watch', { method: 'GET', headers: { 'Last-Event-ID': id } })
      fc.pre(req !== undefined)
      const res = await app.request(req as Request)
      expect([200, 400]).toContain(res.status)
      if (res.status === 400) expect((await res.json() as { error: string }).error).toBe('invalid_event_id')
      else await res.body?.cancel()
    }), REQUEST_RUNS)
  })
})
