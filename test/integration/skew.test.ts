/**
 * Clock skew (issue 4, docs/consistency.md): every node judges expiry by its own clock.
 * With node clocks apart by less than `maxClockSkewMs`, records written on any node are
 * accepted everywhere, no node serves a record more than the skew past its `expiresAt`,
 * and no node drops a live one more than the skew early.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Clock } from '../../src/clock.js'
import { createRepramLibp2p, type RepramLibp2p } from '../../src/net/libp2p.js'
import { REPLICATE_PROTOCOL } from '../../src/net/constants.js'
import { ReplicateRequest, ReplicateResponse, WriteResult } from '../../src/wire/pb/repram.js'
import { profileDefaults, validateConfig } from '../../src/config.js'
import { createHttpApp } from '../../src/http/app.js'
import { createCluster, createNode, enc, listenAddr, metric, stopAll, until, type TestNode } from './fixture.js'

const strangers: RepramLibp2p[] = []
afterEach(async () => {
  await Promise.all(strangers.splice(0).map(async s => { await s.stop() }))
  await stopAll()
})

function skewedClock (offsetMs: number): Clock {
  return {
    now: () => Date.now() + offsetMs,
    setTimeout: (fn, ms) => { const t = setTimeout(fn, Math.max(0, ms)); t.unref(); return t },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout)
  }
}

interface Seen { firstSeen?: number, lastServedBefore?: number, firstMissingAfter?: number }

describe('clock skew', () => {
  it('nodes with clocks apart by less than maxClockSkew accept each other\'s writes and expire them by their own clock', async () => {
    const maxSkew = 1500
    const offsets = [-600, 0, 600]
    const config = { maxClockSkewMs: maxSkew, replication: 3 }
    const nodes: TestNode[] = []
    nodes.push(await createNode('memory', config, { clock: skewedClock(offsets[0]) }))
    for (const o of offsets.slice(1)) nodes.push(await createNode('memory', { ...config, peers: nodes[0].addrs }, { clock: skewedClock(o) }))
    await until(() => nodes.every(t => t.node.topology().length === 2), { timeoutMs: 10_000, what: 'membership' })

    // One write from the slowest clock, one from the fastest: 1.2 s apart, within the skew.
    const writes = [
      { key: 'from-slow', writer: 0, put: await nodes[0].node.put('from-slow', enc('s'), { ttl: 2 }) },
      { key: 'from-fast', writer: 2, put: await nodes[2].node.put('from-fast', enc('f'), { ttl: 2 }) }
    ]
    const seen = new Map<string, Seen>()
    const slot = (k: string, i: number): Seen => {
      const id = `${k}@${i}`
      let s = seen.get(id)
      if (s === undefined) seen.set(id, s = {})
      return s
    }
    await until(async () => {
      let done = true
      for (const w of writes) {
        for (let i = 0; i < nodes.length; i++) {
          const s = slot(w.key, i)
          if (s.firstMissingAfter !== undefined) continue
          const before = Date.now()
          const rec = await nodes[i].node.get(w.key, { local: true })
          const after = Date.now()
          if (rec !== undefined) {
            s.firstSeen ??= before
            s.lastServedBefore = before
            done = false
          } else if (s.firstSeen !== undefined) {
            s.firstMissingAfter = after
          } else {
            done = false
          }
        }
      }
      return done
    }, { timeoutMs: 15_000, intervalMs: 20, what: 'every node to hold, then expire, both records' })

    for (const w of writes) {
      const { expiresAt } = w.put
      for (let i = 0; i < nodes.length; i++) {
        const s = slot(w.key, i)
        const own = offsets[i]
        // By its own clock a node never serves past expiresAt, and never drops before it.
        expect((s.lastServedBefore as number) + own).toBeLessThan(expiresAt)
        expect((s.firstMissingAfter as number) + own).toBeGreaterThanOrEqual(expiresAt)
        // Measured on the writer's clock: within the skew on both sides.
        const writerClock = (t: number): number => t + offsets[w.writer]
        expect(writerClock(s.lastServedBefore as number)).toBeLessThanOrEqual(expiresAt + maxSkew)
        expect(writerClock(s.firstMissingAfter as number)).toBeGreaterThanOrEqual(expiresAt - maxSkew)
      }
    }
  })

  it('refuses writes from a clock further ahead than maxClockSkew', async () => {
    const a = await createNode('memory', { maxClockSkewMs: 1000 })
    const b = await createNode('memory', { maxClockSkewMs: 1000, peers: a.addrs }, { clock: skewedClock(5000) })
    await until(() => a.node.topology().length === 1 && b.node.topology().length === 1, { what: 'the pair to meet' })
    await b.node.put('from-the-future', enc('x'), { ttl: 60 })
    await a.node.put('from-now', enc('x'), { ttl: 60 })
    await until(async () => await b.node.has('from-now'), { what: 'a write to reach the node ahead' })
    // Gossip, direct replication and sync all validate createdAt against now + maxClockSkew.
    await until(async () => (await b.node.stats()).records === 2, { what: 'b to hold both' })
    await until(async () => await metric(a.node, 'repram_sync_records_total', { result: 'invalid' }) >= 1, { timeoutMs: 10_000, what: 'anti-entropy to offer it and a to refuse it' })
    expect(await a.node.has('from-the-future')).toBe(false)
  })

  it('a normal PUT ?ttl=5 over a stranger\'s write from 25 s ahead is stored with expiresAt after createdAt and replicates (issue 16 §4)', async () => {
    const [a, b] = await createCluster(2, { transport: 'memory', config: { replication: 2 } })
    const config = validateConfig({ ...profileDefaults('test'), listen: [listenAddr('memory')] })
    const stranger = await createRepramLibp2p(config, { privateKey: await generateKeyPair('Ed25519') })
    strangers.push(stranger)
    await stranger.dial(a.addrs.map(x => multiaddr(x)), { signal: AbortSignal.timeout(5000) })
    const stream = await stranger.dialProtocol(peerIdFromString(a.node.nodeId), REPLICATE_PROTOCOL, { signal: AbortSignal.timeout(5000) })
    const lp = lpStream(stream)
    const ahead = Date.now() + 25_000
    await lp.write(ReplicateRequest.encode({ id: 1, network: 'private', enclave: 'default', writes: [{ key: 'contested', value: enc('stranger') as Uint8Array<ArrayBuffer>, createdAt: ahead, expiresAt: ahead + 60_000, writeId: 'stranger-write', origin: new Uint8Array(0) }] }))
    expect(ReplicateResponse.decode(await lp.read()).results).toEqual([WriteResult.HELD])
    await stream.close()

    const { app } = createHttpApp(a.node)
    const res = await app.request('/v1/data/contested?ttl=5', { method: 'PUT', body: 'honest' })
    expect(res.status).toBe(201)
    const body = await res.json() as { ttl: number, expiresAt: number, writeId: string, replicas: number }
    expect(body.replicas).toBe(2)
    expect(res.headers.get('X-Original-TTL')).toBe('5')
    expect(res.headers.get('X-Expires-At')).toBe(String(body.expiresAt))
    const mine = await a.node.get('contested', { local: true })
    expect(mine?.writeId).toBe(body.writeId)
    expect(mine?.createdAt).toBe(ahead + 1)
    // The TTL is kept: it begins after the stranger's write and ends 5 s later.
    expect(mine?.expiresAt).toBe(ahead + 1 + 5000)
    expect(mine?.expiresAt).toBe(body.expiresAt)
    const got = await app.request('/v1/data/contested')
    expect(got.status).toBe(200)
    expect(await got.text()).toBe('honest')
    expect(got.headers.get('X-Original-TTL')).toBe('5')
    // The peer accepts the copy: it holds the honest write, with the same times.
    const there = await b.node.get('contested', { local: true })
    expect(there).toMatchObject({ writeId: body.writeId, createdAt: ahead + 1, expiresAt: ahead + 1 + 5000 })
    expect(await metric(b.node, 'repram_replicate_frames_refused_total', { result: 'invalid_write' })).toBe(0)
  })
})
