/**
 * Large values (issue 4): above `gossipInlineBytes` a write is announced (key, size,
 * sha256, expiresAt, writeId) and pulled over `/repram/blob/1.0.0`; the quorum counts
 * pulled copies; gossip never carries the payload.
 */
import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import type { Message } from '@libp2p/gossipsub'
import { createHttpApp } from '../../src/http/app.js'
import { createCluster, metric, stopAll, until } from './fixture.js'

afterEach(async () => { await stopAll() })

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

describe('large values', () => {
  it('a 5 MiB value replicates to every node; the quorum counts pulled copies; gossip carries no payload', async () => {
    const nodes = await createCluster(3, { transport: 'memory', config: { replication: 3, writeTimeoutMs: 8000 } })
    let largestGossip = 0
    for (const t of nodes) {
      t.replicator.libp2p?.services.pubsub.addEventListener('message', (evt: CustomEvent<Message>) => {
        largestGossip = Math.max(largestGossip, evt.detail.data.byteLength)
      })
    }
    const value = new Uint8Array(5 * 1024 * 1024).map((_, i) => (i * 31) % 251)
    const put = await nodes[0].node.put('big/5m', value, { ttl: 60 })
    expect(put).toMatchObject({ quorum: true })
    expect(put.replicas).toBeGreaterThanOrEqual(2)
    for (const t of nodes) {
      const got = await until(async () => await t.node.get('big/5m'), { timeoutMs: 15_000, what: 'the 5 MiB value on every node' })
      expect(got.value.byteLength).toBe(value.byteLength)
      expect(sha(got.value)).toBe(sha(value))
      expect(got.writeId).toBe(put.writeId)
      expect(got.expiresAt).toBe(put.expiresAt)
    }
    expect(largestGossip).toBeLessThan(nodes[0].node.config.gossipInlineBytes)
  })

  it('refuses maxValueBytes + 1 with 413 and stores nothing anywhere', async () => {
    const nodes = await createCluster(2, { transport: 'memory' })
    const { app } = createHttpApp(nodes[0].node)
    const max = nodes[0].node.config.maxValueBytes
    const res = await app.request('/v1/data/too-big?ttl=60', { method: 'PUT', body: new Uint8Array(max + 1) })
    expect(res.status).toBe(413)
    expect((await res.json()).error).toBeTypeOf('string')
    const ok = await app.request('/v1/data/just-fits?ttl=60', { method: 'PUT', body: new Uint8Array(max) })
    expect(ok.status).toBe(201)
    await until(async () => await nodes[1].node.has('just-fits'), { timeoutMs: 15_000, what: 'the maxValueBytes value to replicate' })
    for (const t of nodes) {
      expect(await t.node.has('too-big')).toBe(false)
      expect((await t.node.stats()).records).toBe(1)
    }
  })

  it('a pulled value whose sha256 does not match is refused', async () => {
    const [a, b] = await createCluster(2, { transport: 'memory', config: { replication: 1 } })
    // b serves corrupted bytes for large values; a must not keep them.
    const realGet = b.node.get.bind(b.node)
    b.node.get = async (key, opts) => {
      const r = await realGet(key, opts)
      if (r === undefined || r.value.byteLength < 100_000) return r
      const value = r.value.slice()
      value[7] ^= 0xff
      return { ...r, value }
    }
    const value = new Uint8Array(200 * 1024).fill(7)
    await b.node.put('tampered', value, { ttl: 60 })
    await until(async () => await metric(a.node, 'repram_gossip_writes_total', { direction: 'in', result: 'pull_failed' }) >= 1, { what: 'the pull to fail' })
    expect(await a.node.has('tampered')).toBe(false)
    // The peer that served it confirmed the write (size and sha256) and then sent other bytes:
    // a fault held against it (invalid_write), not the flaky sign a lost link earns.
    await until(async () => await metric(a.node, 'repram_peer_penalties_total', { reason: 'invalid_write' }) >= 1, { what: 'the invalid_write penalty' })
    expect(await metric(a.node, 'repram_peer_penalties_total', { reason: 'pull_failed' })).toBe(0)
  })
})
