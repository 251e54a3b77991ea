/**
 * The SDK against real in-process nodes over 127.0.0.1: the HTTP contract,
 * encryption end to end, failover and 429 back-off.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  BadRequestError, DecryptionError, defaultSleep, generateKey, generateRecipientKeyPair, isComplianceFlagged,
  PayloadTooLargeError, RateLimitedError, RepramClient, type SleepFn
} from '../../src/sdk/index.js'
import { closedPort, LIGHT_ARGON2ID, startLocalNode, type LocalNode } from './helpers.js'

const dec = new TextDecoder()

describe('RepramClient against a real node', () => {
  let local: LocalNode
  let client: RepramClient
  beforeAll(async () => {
    local = await startLocalNode({ maxValueBytes: 4096, ttlPolicy: 'reject', maxTtl: 3600 })
    client = new RepramClient(local.url)
  })
  afterAll(async () => { await local.close() })

  it('puts, gets, heads and lists, with the TTL metadata', async () => {
    const before = Date.now()
    const put = await client.put('sdk/one', 'value one', { ttl: 120 })
    expect(put).toMatchObject({ key: 'sdk/one', ttl: 120, replicas: 1, status: 201 })
    expect(put.writeId).toMatch(/.+/)
    expect(put.expiresAt).toBeGreaterThanOrEqual(before + 120_000)
    const rec = await client.get('sdk/one')
    expect(dec.decode(rec?.value)).toBe('value one')
    expect(rec?.ttl).toBe(120)
    expect(rec?.remainingTtl).toBeGreaterThanOrEqual(118)
    expect(rec?.remainingTtl).toBeLessThanOrEqual(120)
    expect(rec?.expiresAt).toBe(put.expiresAt)
    expect(rec?.expiresAt).toBe((rec?.createdAt ?? 0) + 120_000)
    expect(await client.has('sdk/one')).toBe(true)
    expect(await client.has('sdk/none')).toBe(false)
    expect(await client.get('sdk/none')).toBeNull()
    expect(await client.head('sdk/one')).toMatchObject({ ttl: 120 })
    await client.put('sdk/two', new Uint8Array([0, 1, 2]), { ttl: 120 })
    expect(await client.keys({ prefix: 'sdk/' })).toEqual({ keys: ['sdk/one', 'sdk/two'] })
    expect(await client.keys({ prefix: 'sdk/', limit: 1 })).toEqual({ keys: ['sdk/one'], nextCursor: 'sdk/one' })
    const all: string[] = []
    for await (const k of client.listKeys({ prefix: 'sdk/', limit: 1 })) all.push(k)
    expect(all).toEqual(['sdk/one', 'sdk/two'])
    expect((await client.status()).records).toBeGreaterThanOrEqual(2)
    expect((await client.health()).status).toBe('healthy')
  })

  it('round-trips awkward keys exactly: slashes, dot segments, ?, #, %, spaces, non-ASCII', async () => {
    const keys = ['odd/a/../b', 'odd/./x', 'odd/q?x=1#frag', 'odd/100% sure', 'odd/ключ/🔑', 'odd//double', 'odd/trailing/', 'odd/+plus']
    for (const [i, k] of keys.entries()) await client.put(k, `v${i}`, { ttl: 60 })
    for (const [i, k] of keys.entries()) expect(dec.decode((await client.get(k))?.value), k).toBe(`v${i}`)
    const listed: string[] = []
    for await (const k of client.listKeys({ prefix: 'odd/' })) listed.push(k)
    expect(listed.sort()).toEqual([...keys].sort())
  })

  it('gets typed errors from the node: 413 and 400', async () => {
    await expect(client.put('big', new Uint8Array(5000))).rejects.toBeInstanceOf(PayloadTooLargeError)
    const err = await client.put('ttl', 'v', { ttl: 10_000_000 }).catch((e: unknown) => e) as BadRequestError
    expect(err).toBeInstanceOf(BadRequestError)
    expect(err.code).toBe('invalid_ttl')
  })

  it('stores only envelopes, in every mode, and opens them again', async () => {
    const key = generateKey()
    const classic = await generateRecipientKeyPair()
    const pq = await generateRecipientKeyPair({ pq: true })
    const cases = [
      { name: 'enc/key', seal: { key }, open: { key } },
      { name: 'enc/pass', seal: { passphrase: 'pw', kdf: LIGHT_ARGON2ID }, open: { passphrase: 'pw' } },
      { name: 'enc/x25519', seal: { recipientPublicKey: classic.publicKey }, open: { recipientPrivateKey: classic.privateKey } },
      { name: 'enc/xwing', seal: { recipientPublicKey: pq.publicKey }, open: { recipientPrivateKey: pq.privateKey } }
    ] as const
    for (const [i, c] of cases.entries()) {
      const flagged = i % 2 === 0
      await client.putEncrypted(c.name, `secret ${c.name}`, { ...c.seal, ttl: 60, flagged })
      const raw = await local.node.get(c.name)
      expect(raw).toBeDefined()
      expect(Buffer.from(raw!.value).includes(`secret ${c.name}`)).toBe(false)
      expect(isComplianceFlagged(raw!.value)).toBe(flagged)
      const rec = await client.getDecrypted(c.name, c.open)
      expect(dec.decode(rec?.value)).toBe(`secret ${c.name}`)
      expect(rec?.flagged).toBe(flagged)
      expect(rec?.ttl).toBe(60)
      // the node happily copies bytes to another key, but they no longer open there
      await client.put(`${c.name}/copy`, (await client.get(c.name))!.value, { ttl: 60 })
      await expect(client.getDecrypted(`${c.name}/copy`, c.open)).rejects.toBeInstanceOf(DecryptionError)
    }
  })
})

describe('RepramClient failover across real nodes', () => {
  const nodes: LocalNode[] = []
  afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => { await n.close() })) })

  it('skips a closed port, then moves to the second node when the first goes away', async () => {
    const a = await startLocalNode()
    const b = await startLocalNode()
    nodes.push(a, b)
    const dead = `http://127.0.0.1:${await closedPort()}`
    const client = new RepramClient([dead, a.url, b.url], { timeoutMs: 5000 })
    const r1 = await client.put('f/1', 'one', { ttl: 60 })
    expect(r1.status).toBe(201)
    expect(client.currentUrl).toBe(a.url)
    expect(await a.node.get('f/1')).toBeDefined()
    // later requests go straight to the node that worked
    expect(dec.decode((await client.get('f/1'))?.value)).toBe('one')
    await a.close()
    await client.put('f/2', 'two', { ttl: 60 })
    expect(client.currentUrl).toBe(b.url)
    expect(await b.node.get('f/2')).toBeDefined()
  })
})

describe('RepramClient 429 back-off against a rate-limited node', () => {
  let local: LocalNode
  beforeAll(async () => { local = await startLocalNode({ rateLimit: 1 }) })
  afterAll(async () => { await local.close() })

  it('waits out Retry-After and every write succeeds; with retries off it gets RateLimitedError', async () => {
    const waits: number[] = []
    const sleep: SleepFn = async (ms, signal) => { waits.push(ms); await defaultSleep(ms, signal) }
    const client = new RepramClient(local.url, { sleep })
    // 1 request/s with a burst of 2: four quick writes must be throttled at least once
    for (let i = 0; i < 4; i++) expect((await client.put(`rl/${i}`, 'v', { ttl: 60 })).status).toBe(201)
    expect(waits.length).toBeGreaterThanOrEqual(1)
    expect(waits.every(w => w === 1000)).toBe(true)
    for (let i = 0; i < 4; i++) expect(await local.node.get(`rl/${i}`)).toBeDefined()

    const impatient = new RepramClient(local.url, { retries: { max429Retries: 0 } })
    let limited: unknown
    for (let i = 0; i < 5 && limited === undefined; i++) {
      await impatient.put('rl/x', 'v', { ttl: 60 }).catch((e: unknown) => { limited = e })
    }
    expect(limited).toBeInstanceOf(RateLimitedError)
    expect((limited as RateLimitedError).retryAfterMs).toBe(1000)
    expect((limited as RateLimitedError).code).toBe('rate_limited')
  })
})
