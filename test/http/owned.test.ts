/**
 * Signed PUTs of owned keys through the HTTP API (docs/owned-keys.md), black-box with
 * `app.request()` on a ManualClock: the createdAt allowance at its edge
 * (`signedWriteSkewMs`), a TTL that cannot be clamped, malformed signature headers,
 * last-writer-wins against a newer held write, malformed owned keys, open reads, and plain
 * keys untouched by signature headers. Every refusal is `{error, message}` and stores nothing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { createHttpApp } from '../../src/http/app.js'
import { createRepramNode } from '../../src/create.js'
import type { RepramNode } from '../../src/node/index.js'
import { ed25519Signer, signWrite } from '../../src/sdk/owned.js'
import { CORS_POLICY } from '../../src/http/middleware/security-headers.js'

let nodes: RepramNode[] = []
afterEach(async () => {
  await Promise.all(nodes.map(async n => { await n.stop() }))
  nodes = []
})

const T = Date.UTC(2026, 0, 1)
const signer = ed25519Signer(new Uint8Array(32).fill(9))
const key = `${signer.namespace}app/x`
const path = `/v1/data/${encodeURIComponent(key)}`
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

async function setup (config: Record<string, unknown> = {}): Promise<{ node: RepramNode, clock: ManualClock, req: (p: string, init?: RequestInit) => Promise<Response> }> {
  const clock = new ManualClock(T)
  const node = await createRepramNode({ config: { profile: 'test', signedWriteSkewMs: 5000, ...config }, clock })
  nodes.push(node)
  const { app } = createHttpApp(node)
  return { node, clock, req: async (p, init = {}) => await app.request(p, init, { incoming: { socket: { remoteAddress: '198.18.0.1' } } }) }
}

/** The headers of a signed PUT of `value` with TTL `ttl` made at `createdAt`. */
async function signed (value: string, createdAt: number, ttl = 60, writeId = `w${createdAt}`): Promise<Record<string, string>> {
  return (await signWrite({ key, createdAt, expiresAt: createdAt + ttl * 1000, writeId }, enc(value), signer)).headers
}

async function errorOf (res: Response): Promise<string> {
  const body = await res.json() as { error: string, message: string }
  expect(typeof body.message).toBe('string')
  return body.error
}

describe('signed PUT of an owned key', () => {
  it('accepts a createdAt up to signedWriteSkewMs from the node\'s clock either way, and refuses one a millisecond beyond', async () => {
    const { req, node } = await setup()
    for (const d of [-5000, 5000]) {
      const res = await req(`${path}?ttl=60`, { method: 'PUT', body: 'v', headers: await signed('v', T + d, 60, `edge${d}`) })
      expect(res.status).toBe(201)
      expect(res.headers.get('x-expires-at')).toBe(String(T + d + 60_000))
    }
    for (const d of [-5001, 5001]) {
      const res = await req(`${path}?ttl=60`, { method: 'PUT', body: 'late', headers: await signed('late', T + d, 60, `beyond${d}`) })
      expect(res.status).toBe(400)
      expect(await errorOf(res)).toBe('clock_skew')
    }
    expect(new TextDecoder().decode((await node.get(key))?.value)).toBe('v')
  })

  it('applies the TTL as signed: out of range is a 400, never clamped (a clamped expiry would not match the signature)', async () => {
    const { req, node } = await setup({ maxTtl: 600 })
    const res = await req(`${path}?ttl=601`, { method: 'PUT', body: 'v', headers: await signed('v', T, 601) })
    expect(res.status).toBe(400)
    expect(await errorOf(res)).toBe('invalid_ttl')
    // A TTL that differs from the signed one is a signature that does not verify.
    const other = await req(`${path}?ttl=61`, { method: 'PUT', body: 'v', headers: await signed('v', T, 60) })
    expect(other.status).toBe(403)
    expect(await errorOf(other)).toBe('bad_signature')
    expect(await node.has(key)).toBe(false)
  })

  it('refuses malformed signature headers with 400 invalid_signature_header', async () => {
    const { req, node } = await setup()
    const h = await signed('v', T)
    for (const bad of [
      { ...h, 'X-Repram-Created-At': 'yesterday' },
      { ...h, 'X-Repram-Signature': 'not base64url!' },
      { 'X-Repram-Signature': h['X-Repram-Signature'] },
      { ...h, 'X-Repram-Delegation': 'abc' }
    ]) {
      const res = await req(`${path}?ttl=60`, { method: 'PUT', body: 'v', headers: bad })
      expect(res.status).toBe(400)
      expect(await errorOf(res)).toBe('invalid_signature_header')
    }
    const id = await req(`${path}?ttl=60`, { method: 'PUT', body: 'v', headers: { ...h, 'X-Repram-Write-Id': 'a b' } })
    expect(id.status).toBe(400)
    expect(await errorOf(id)).toBe('invalid_write_id')
    expect(await node.has(key)).toBe(false)
  })

  it('answers 409 stale_write to a signed write older than the one held, and never re-stamps it', async () => {
    const { req, node } = await setup()
    expect((await req(`${path}?ttl=60`, { method: 'PUT', body: 'new', headers: await signed('new', T + 1000) })).status).toBe(201)
    const old = await req(`${path}?ttl=60`, { method: 'PUT', body: 'old', headers: await signed('old', T) })
    expect(old.status).toBe(409)
    expect(await errorOf(old)).toBe('stale_write')
    const rec = await node.get(key)
    expect(new TextDecoder().decode(rec?.value)).toBe('new')
    expect(rec?.createdAt).toBe(T + 1000)
  })

  it('calls a malformed owned key a bad key; reads of owned keys are open; plain keys ignore signature headers', async () => {
    const { req } = await setup()
    const bad = await req('/v1/data/~eth:0xABC/x?ttl=60', { method: 'PUT', body: 'v' })
    expect(bad.status).toBe(400)
    expect(await errorOf(bad)).toBe('invalid_key')
    expect((await req(`${path}?ttl=60`, { method: 'PUT', body: 'v', headers: await signed('v', T) })).status).toBe(201)
    const get = await req(path)
    expect(get.status).toBe(200)
    expect(await get.text()).toBe('v')
    const plain = await req('/v1/data/plain/k?ttl=60', { method: 'PUT', body: 'p', headers: { ...await signed('v', T - 999_999), 'X-Repram-Write-Id': 'ignored' } })
    expect(plain.status).toBe(201)
    expect(plain.headers.get('x-write-id')).not.toBe('ignored')
  })

  it('lets browsers send the signature headers (CORS preflight)', async () => {
    const { req } = await setup()
    const res = await req(path, { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'x-repram-signature' } })
    expect(res.status).toBe(204)
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase()
    for (const h of ['x-repram-created-at', 'x-repram-write-id', 'x-repram-signature', 'x-repram-delegation', 'x-repram-delegation-signature']) expect(allowed).toContain(h)
    expect(CORS_POLICY.allowHeaders).toContain('X-Repram-Signature')
  })
})
