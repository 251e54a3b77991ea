/**
 * Large-enclave membership on real nodes: the active view (`activePeers`) keeps each node
 * connected to a few members instead of all of them while writes still reach everyone,
 * and a newcomer learns the enclave from its first peer (peer exchange).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import { activeRank } from '../../actors/membership/index.js'
import { createCluster, createNode, dec, enc, metric, stopAll, until } from './fixture.js'

afterEach(stopAll)

describe('active view', () => {
  it('holds fewer connections than a full mesh, prunes what it dialled outside its view, and still replicates to every node', async () => {
    const n = 6
    const nodes = await createCluster(n, { transport: 'memory', config: { activePeers: 1 } })
    const connections = (): number => nodes.reduce((sum, t) => sum + (t.replicator.libp2p?.getConnections().length ?? 0), 0)
    // Full mesh: every node holds n − 1 connections. With one preferred peer each, a node
    // keeps its own dial, the seed (bootstrap) and the dials of nodes that prefer it.
    await until(() => connections() < n * (n - 1), { timeoutMs: 10_000, what: 'outbound connections outside the view to be closed' })
    // Each node dials its own preferred member and the bootstrap seed, nothing else for long.
    const outboundPeers = (i: number): number => new Set(nodes[i].replicator.libp2p?.getConnections()
      .filter(c => c.direction === 'outbound' && c.status === 'open').map(c => c.remotePeer.toString())).size
    await until(() => nodes.every((_, i) => outboundPeers(i) <= 2), { timeoutMs: 10_000, what: 'at most two outbound peers per node' })
    // Every node still counts the whole enclave.
    for (const t of nodes) expect(t.node.topology()).toHaveLength(n - 1)

    // A connection a node opens to a member outside its view is closed on the next tick.
    const x = nodes[2]
    const self = x.node.networkInfo().nodeId
    const seed = nodes[0].node.networkInfo().nodeId
    const outsider = x.node.topology().map(p => p.id).filter(id => id !== seed)
      .sort((a, b) => activeRank(self, b) - activeRank(self, a))[0]
    const host = x.replicator.libp2p
    await host?.dial(peerIdFromString(outsider), { force: true })
    const outboundTo = (): number => host?.getConnections(peerIdFromString(outsider)).filter(c => c.direction === 'outbound' && c.status === 'open').length ?? 0
    expect(outboundTo()).toBeGreaterThan(0)
    await until(() => outboundTo() === 0, { timeoutMs: 5000, what: 'the connection outside the view to be pruned' })

    const res = await nodes[3].node.put('view-key', enc('v'), { ttl: 60 })
    expect(res.quorum).toBe(true)
    await until(async () => {
      for (const t of nodes) if (dec((await t.node.get('view-key', { local: true }))?.value) !== 'v') return false
      return true
    }, { timeoutMs: 10_000, what: 'the write on every node' })
  })

  it('a newcomer asks its first peer for the members it knows', async () => {
    // Announces every 20 s: without peer exchange the newcomer would wait for them (or for
    // each member to ping it) to learn the enclave.
    const config = { memberTtlMs: 60_000 }
    const nodes = await createCluster(3, { transport: 'memory', config })
    const late = await createNode('memory', { ...config, peers: nodes[0].addrs })
    await until(() => late.node.topology().length === 3, { timeoutMs: 5000, what: 'the newcomer to know all three members' })
    expect(await metric(late.node, 'repram_peer_exchanges_total', { result: 'ok' })).toBe(1)
    // Learned with addresses it can dial.
    for (const p of late.node.topology()) expect(p.addresses.length).toBeGreaterThan(0)
    // Members that were never alone never asked.
    for (const t of nodes.slice(1)) expect(await metric(t.node, 'repram_peer_exchanges_total')).toBe(1)
  })

  it('a node that publishes gossip skips its announces; a quiet node announces every interval', async () => {
    // Four nodes, R=2, no direct fanout beyond R−1: every write is gossiped. Announce interval min(ping, memberTtl/3) = 200 ms.
    const nodes = await createCluster(4, { transport: 'memory', config: { replication: 2, directFanout: 0, pingIntervalMs: 200, memberTtlMs: 3000, writeTimeoutMs: 10_000 } })
    const [writer, quiet] = [nodes[1], nodes[2]]
    const count = async (t: typeof writer, result: string): Promise<number> => await metric(t.node, 'repram_announces_total', { result })
    const sent0 = await count(writer, 'sent')
    const quiet0 = await count(quiet, 'sent')
    // Write every ~20 ms until the quiet node has announced four times (about a second):
    // both nodes' announce timers run on the same loop, so a busy machine delays both alike.
    let i = 0
    while (await count(quiet, 'sent') - quiet0 < 4) {
      expect(i).toBeLessThan(500)
      const res = await writer.node.put(`busy/${i++}`, enc('v'), { ttl: 60 })
      expect(res.quorum).toBe(true)
      await new Promise(resolve => setTimeout(resolve, 20)) // pacing the writes, not a wait for a condition
    }
    // Over those intervals the writer skipped (at most one announce slipped in before its first write was published).
    expect(await count(writer, 'sent') - sent0, 'writer announces').toBeLessThanOrEqual(1)
    expect(await count(writer, 'skipped'), 'writer skips').toBeGreaterThanOrEqual(2)
    // At most its first periodic announce followed its join announce too closely.
    expect(await count(quiet, 'skipped'), 'quiet node skips').toBeLessThanOrEqual(1)
    // The writes were gossiped, and the writer is still a member everywhere.
    await until(async () => (await Promise.all(nodes.map(async t => dec((await t.node.get(`busy/${i - 1}`, { local: true }))?.value)))).every(v => v === 'v'), { what: 'the last write on every node' })
    for (const t of nodes) expect(t.node.topology()).toHaveLength(3)
  })
})
