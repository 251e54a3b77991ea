/**
 * Anti-entropy over `/repram/sync/1.0.0` (issue 4): late joiners, restarts and healed
 * partitions end with the same live set on every node, with original expiries, and
 * expired records never travel. Every test stops every node it started.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { compareWrites } from '../../src/record.js'
import type { RepramNode } from '../../src/node/node.js'
import { convergenceBoundMs } from '../../actors/anti-entropy/index.js'
import { createCluster, createNode, enc, metric, Partition, stopAll, TRANSPORTS, until, type TestNode } from './fixture.js'

afterEach(async () => { await stopAll() })

/** key → writeId of every live record. */
async function liveSet (node: RepramNode): Promise<Map<string, string>> {
  return new Map((await node.snapshot()).map(r => [r.key, r.writeId]))
}

async function sameLiveSet (nodes: TestNode[]): Promise<boolean> {
  const sets = await Promise.all(nodes.map(async t => await liveSet(t.node)))
  const [first, ...rest] = sets
  return rest.every(s => s.size === first.size && [...first].every(([k, w]) => s.get(k) === w))
}

describe.each(TRANSPORTS)('anti-entropy over %s', (transport) => {
  it('converges after a partition heals, with the last writer winning a key written on both sides', async () => {
    const left = new Partition()
    const right = new Partition()
    const config = { replication: 2, memberTtlMs: 4000 }
    const seed = await createNode(transport, config, { gater: left.gater() })
    const l2 = await createNode(transport, { ...config, peers: seed.addrs }, { gater: left.gater() })
    const r1 = await createNode(transport, { ...config, peers: seed.addrs }, { gater: right.gater() })
    const r2 = await createNode(transport, { ...config, peers: seed.addrs }, { gater: right.gater() })
    const all = [seed, l2, r1, r2]
    await until(() => all.every(t => t.node.topology().length === 3), { timeoutMs: 10_000, what: 'membership' })
    await seed.node.put('before', enc('x'), { ttl: 60 })
    await until(async () => await sameLiveSet(all), { what: 'the first write everywhere' })

    await Promise.all([left.split([seed, l2], [r1, r2]), right.split([r1, r2], [seed, l2])])
    const lw = await Promise.all(Array.from({ length: 20 }, async (_, i) => await [seed, l2][i % 2].node.put(`left/${i}`, enc(`l${i}`), { ttl: 60 })))
    const rw = await Promise.all(Array.from({ length: 20 }, async (_, i) => await [r1, r2][i % 2].node.put(`right/${i}`, enc(`r${i}`), { ttl: 60 })))
    const both = [await l2.node.put('both', enc('left'), { ttl: 60 }), await r1.node.put('both', enc('right'), { ttl: 60 })]
    // Nothing crosses while split.
    expect(await seed.node.has('right/0')).toBe(false)
    expect(await r2.node.has('left/0')).toBe(false)

    left.heal()
    right.heal()
    const healedAt = Date.now()
    await until(async () => await sameLiveSet(all), { timeoutMs: 20_000, intervalMs: 100, what: 'every node to hold the same live set' })
    const elapsed = Date.now() - healedAt
    const held = await liveSet(r2.node)
    expect(held.size).toBe(1 + 20 + 20 + 1)
    for (const p of [...lw, ...rw]) expect(held.get(p.key)).toBe(p.writeId)
    const winner = compareWrites(both[0], both[1]) > 0 ? both[0] : both[1]
    expect(held.get('both')).toBe(winner.writeId)
    const rec = await seed.node.get('right/3')
    expect(rec?.expiresAt).toBe(rw[3].expiresAt)
    // Reconnection (bootstrap re-dial backoff) plus the documented bound of docs/consistency.md.
    expect(elapsed).toBeLessThan(8000 + convergenceBoundMs(3, 1000, 10_000))
  })

  it('a late joiner receives every live record with its original expiry, without new writes', async () => {
    const nodes = await createCluster(3, { transport })
    const puts = await Promise.all(Array.from({ length: 300 }, async (_, i) => await nodes[i % 3].node.put(`late/${i}`, enc(`v${i}`), { ttl: 60 })))
    await until(async () => await sameLiveSet(nodes), { what: 'the cluster to agree' })
    const late = await createNode(transport, { peers: nodes[0].addrs })
    await until(async () => (await late.node.stats()).records === 300, { timeoutMs: 10_000, what: 'the late joiner to catch up' })
    for (const p of puts.slice(0, 20)) {
      const r = await late.node.get(p.key)
      expect(r?.writeId).toBe(p.writeId)
      expect(r?.expiresAt).toBe(p.expiresAt)
      expect(r?.createdAt).toBe(p.createdAt)
    }
    // Pulled by its own rounds or pushed by peers' rounds (each side runs one on join).
    expect(await metric(late.node, 'repram_sync_records_total', { result: 'stored' })).toBe(300)
  })

  it('a node killed and restarted with the same identity receives what was written while it was down', async () => {
    const nodes = await createCluster(3, { transport, config: { memberTtlMs: 3000 } })
    const [a, b, c] = nodes
    await a.node.put('early', enc('x'), { ttl: 60 })
    await until(async () => await c.node.has('early'), { what: 'early write on c' })
    const id = c.node.nodeId
    await c.replicator.crash()
    await c.node.stop()
    const during = await Promise.all(Array.from({ length: 50 }, async (_, i) => await [a, b][i % 2].node.put(`down/${i}`, enc(`d${i}`), { ttl: 60 })))
    const back = await createNode(transport, { memberTtlMs: 3000, peers: a.addrs }, { dataDir: c.dataDir })
    expect(back.node.nodeId).toBe(id)
    await until(async () => await sameLiveSet([a, b, back]), { timeoutMs: 10_000, what: 'the restarted node to catch up' })
    for (const p of during.slice(0, 10)) expect((await back.node.get(p.key))?.expiresAt).toBe(p.expiresAt)
    expect(await back.node.has('early')).toBe(true)
  })
})

describe('anti-entropy and expiry', () => {
  it('never transfers an expired record: not sent when expired for the sender, not kept when expired for the receiver', async () => {
    const transport = 'memory'
    const a = await createNode(transport, { maxClockSkewMs: 3000 })
    // A second node whose clock runs 1.5 s ahead (within maxClockSkew).
    const offset = 1500
    const ahead = { now: () => Date.now() + offset, setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: any) => clearTimeout(h) }
    const now = Date.now()
    const rec = (key: string, ttlMs: number): { key: string, value: Uint8Array, createdAt: number, expiresAt: number, writeId: string } =>
      ({ key, value: enc(key), createdAt: now, expiresAt: now + ttlMs, writeId: `w-${key}` })
    for (let i = 0; i < 20; i++) await a.node.merge(rec(`live/${i}`, 60_000))
    // Live for a (real clock) for about a second, expired for the node ahead.
    for (let i = 0; i < 20; i++) await a.node.merge(rec(`dying/${i}`, 1000))
    // Expired for a already by the time anyone asks (never swept: sync must still not send them).
    for (let i = 0; i < 20; i++) await a.node.merge(rec(`gone/${i}`, 150))
    await until(() => Date.now() > now + 200, { what: 'the short records to expire' })
    const b = await createNode(transport, { maxClockSkewMs: 3000, peers: a.addrs }, { clock: ahead as any })
    await until(async () => (await b.node.stats()).records >= 20, { timeoutMs: 10_000, what: 'the live records to arrive' })
    await until(async () => await metric(b.node, 'repram_sync_rounds_total', { result: 'repaired' }) + await metric(b.node, 'repram_sync_rounds_total', { result: 'in_sync' }) >= 1, { what: 'a finished round' })
    expect(await metric(b.node, 'repram_sync_records_total', { result: 'stored' })).toBe(20)
    expect((await b.node.snapshot()).every(r => r.key.startsWith('live/'))).toBe(true)
    // Served counts only what a held as live at send time: never the `gone/` records.
    expect(await metric(a.node, 'repram_sync_records_total', { direction: 'served' })).toBeLessThanOrEqual(40)
  })
})
