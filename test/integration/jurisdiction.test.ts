/**
 * Jurisdictions (issue 19 §3) on real libp2p nodes over TCP on 127.0.0.1: a 4-node enclave
 * in two jurisdictions (2 `eu`, 2 `us`). An `eu` write never reaches a `us` node on any
 * path a protocol-following node takes (direct replication, gossip, anti-entropy,
 * read-through, blob pulls): asserted on the `us` nodes' stores and counters, not only on
 * HTTP answers. The quorum counts `eu` members only; a write naming no member's
 * jurisdiction, or a malformed list, stores nothing; deletion proofs come from `eu` nodes
 * and say so in their signed bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpApp } from '../../src/http/app.js'
import { topicFor } from '../../src/net/topic.js'
import { GossipMessage } from '../../src/wire/pb/repram.js'
import { toWire } from '../../src/wire/write.js'
import { newWriteId } from '../../src/record.js'
import { keyHashOf, verifyAttestation } from '../../src/sdk/index.js'
import { flagged } from '../compliance/helpers.js'
import { createCluster, dec, enc, metric, stopAll, until, type TestNode } from './fixture.js'

const EU = ['eu']

/** Records the node holds whose key starts with `prefix`. */
async function held (t: TestNode, prefix: string): Promise<string[]> {
  return (await t.node.snapshot()).filter(r => r.key.startsWith(prefix)).map(r => r.key).sort()
}

/** Writes merged from peers (every path), and records refused for their jurisdictions (every path). */
async function inbound (t: TestNode): Promise<{ remote: number, refused: number }> {
  return {
    remote: await metric(t.node, 'repram_writes_total', { origin: 'remote' }),
    refused: await metric(t.node, 'repram_jurisdiction_refused_total')
  }
}

/** Waits until every node knows every peer's jurisdiction (from its announce or its sync stream). */
async function jurisdictionsKnown (nodes: TestNode[]): Promise<void> {
  await until(() => nodes.every(t => t.node.topology().length === nodes.length - 1 && t.node.topology().every(p => typeof p.jurisdiction === 'string')), { timeoutMs: 10_000, what: 'every peer\'s jurisdiction' })
}

describe('jurisdictions: 2 eu and 2 us nodes, R = 3', () => {
  let nodes: TestNode[]
  let eu: TestNode[]
  let us: TestNode[]
  beforeAll(async () => {
    nodes = await createCluster(4, {
      transport: 'tcp',
      // Read-through on (the test profile turns it off), every peer asked.
      config: { replication: 3, readThroughPeers: 3, readThroughTimeoutMs: 3000 },
      each: i => ({ jurisdiction: i < 2 ? 'eu' : 'us' })
    })
    eu = nodes.slice(0, 2)
    us = nodes.slice(2)
    await jurisdictionsKnown(nodes)
  })
  afterAll(async () => { await stopAll() })

  it('declares each node\'s jurisdiction in status and topology, from the peers\' own statements', async () => {
    const app = createHttpApp(us[0].node).app
    const status = await (await app.request('/v1/status')).json() as { jurisdiction: string }
    expect(status.jurisdiction).toBe('us')
    const topo = await (await app.request('/v1/topology')).json() as { jurisdiction: string, peers: Array<{ id: string, jurisdiction: string }> }
    expect(topo.jurisdiction).toBe('us')
    expect(Object.fromEntries(topo.peers.map(p => [p.id, p.jurisdiction]))).toEqual({ [eu[0].node.nodeId]: 'eu', [eu[1].node.nodeId]: 'eu', [us[1].node.nodeId]: 'us' })
  })

  it('replicates an eu write directly to the other eu node only; the quorum counts eu members (R = 3, 2 eu nodes: 201 at 2 copies)', async () => {
    const before = await Promise.all(us.map(inbound))
    const put = await eu[0].node.put('direct/eu', enc('bonjour'), { ttl: 60, jurisdictions: EU })
    expect(put).toMatchObject({ quorum: true, replicas: 2, jurisdictions: ['eu'] })
    // A large value is announced and pulled over /repram/blob/1.0.0: its jurisdictions travel with it.
    const big = new Uint8Array(200 * 1024).fill(9)
    expect(await eu[0].node.put('direct/eu-large', big, { ttl: 60, jurisdictions: EU })).toMatchObject({ quorum: true, replicas: 2 })
    // The control: an unrestricted write reaches every node.
    await eu[0].node.put('direct/anywhere', enc('hello'), { ttl: 60 })
    await until(async () => (await Promise.all(nodes.map(async t => await t.node.has('direct/anywhere')))).every(Boolean), { what: 'the unrestricted write everywhere' })
    const copy = await eu[1].node.get('direct/eu-large', { local: true })
    expect(copy?.value.byteLength).toBe(big.byteLength)
    expect(copy?.jurisdictions).toEqual(['eu'])
    expect((await eu[1].node.get('direct/eu', { local: true }))?.jurisdictions).toEqual(['eu'])
    for (const [i, t] of us.entries()) {
      expect(await held(t, 'direct/')).toEqual(['direct/anywhere'])
      // Nothing but the control write arrived, on any path, and nothing had to be refused.
      expect(await inbound(t)).toEqual({ remote: before[i].remote + 1, refused: before[i].refused })
    }
    // GET answers where the record may live.
    const res = await createHttpApp(eu[1].node).app.request('/v1/data/direct/eu')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-jurisdiction')).toBe('eu')
  })

  it('a us node refuses an eu write (421: send it to an eu node) and a write naming no member\'s jurisdiction (422); a bad list is a 400; nothing is stored', async () => {
    const usApp = createHttpApp(us[0].node).app
    const euApp = createHttpApp(eu[0].node).app
    const misdirected = await usApp.request('/v1/data/refused/eu?ttl=60', { method: 'PUT', body: 'x', headers: { 'X-Jurisdiction': 'eu' } })
    expect(misdirected.status).toBe(421)
    expect(await misdirected.json()).toMatchObject({ error: 'not_in_jurisdiction' })
    const nobody = await euApp.request('/v1/data/refused/ap?ttl=60', { method: 'PUT', body: 'x', headers: { 'X-Jurisdiction': 'ap' } })
    expect(nobody.status).toBe(422)
    expect(await nobody.json()).toMatchObject({ error: 'no_jurisdiction_member' })
    for (const bad of ['e', 'EU!', 'eu,,us', '', 'a'.repeat(17), 'a1,a2,a3,a4,a5,a6,a7,a8,a9']) {
      const r = await euApp.request('/v1/data/refused/bad?ttl=60', { method: 'PUT', body: 'x', headers: { 'X-Jurisdiction': bad } })
      expect(r.status, `X-Jurisdiction: ${bad}`).toBe(400)
      expect(await r.json()).toMatchObject({ error: 'invalid_jurisdiction' })
    }
    // A list that names this node's jurisdiction among others is fine (case and spaces do not matter).
    const ok = await euApp.request('/v1/data/refused/ok?ttl=60', { method: 'PUT', body: 'x', headers: { 'X-Jurisdiction': ' US, EU ' } })
    expect(ok.status).toBe(201)
    expect(ok.headers.get('x-jurisdiction')).toBe('eu,us')
    expect(await metric(us[0].node, 'repram_jurisdiction_refused_total', { path: 'http' })).toBe(1)
    await until(async () => await us[1].node.get('refused/ok', { local: true }) !== undefined, { what: 'the eu,us write on a us node' })
    for (const t of nodes) expect(await held(t, 'refused/')).toEqual(['refused/ok'])
  })

  it('anti-entropy carries an eu record to the eu node that lacks it, never to us nodes, and rounds with us nodes end in sync', async () => {
    // Planted on eu[0] alone (merged, not replicated): only anti-entropy can spread it.
    const now = Date.now()
    await eu[0].node.merge({ key: 'sync/eu', value: enc('planted'), createdAt: now, expiresAt: now + 60_000, writeId: newWriteId(), jurisdictions: EU })
    await until(async () => (await eu[1].node.get('sync/eu', { local: true }))?.jurisdictions?.[0] === 'eu', { timeoutMs: 10_000, what: 'the planted record on the other eu node' })
    // Rounds keep running with every peer (1 s interval): those of the us nodes with the eu
    // nodes must find them in sync, not repair the same difference again and again.
    const rounds = async (t: TestNode): Promise<{ repaired: number, all: number }> => ({ repaired: await metric(t.node, 'repram_sync_rounds_total', { result: 'repaired' }), all: await metric(t.node, 'repram_sync_rounds_total') })
    const before = await Promise.all(us.map(rounds))
    await until(async () => (await Promise.all(us.map(rounds))).every((r, i) => r.all >= before[i].all + 4), { timeoutMs: 15_000, what: 'four more sync rounds on each us node' })
    const after = await Promise.all(us.map(rounds))
    after.forEach((r, i) => expect(r.repaired).toBe(before[i].repaired))
    for (const t of us) {
      expect(await held(t, 'sync/')).toEqual([])
      expect(await metric(t.node, 'repram_jurisdiction_refused_total', { path: 'sync' })).toBe(0)
    }
  })

  it('a GET on a us node does not fetch an eu record (read-through: 404, nothing stored); eu nodes do not serve it to them', async () => {
    await eu[0].node.put('read/eu', enc('secret'), { ttl: 60, jurisdictions: EU })
    const withheld = await Promise.all(eu.map(async t => await metric(t.node, 'repram_jurisdiction_withheld_total', { path: 'read_through' })))
    const res = await createHttpApp(us[0].node).app.request('/v1/data/read/eu')
    expect(res.status).toBe(404)
    expect(await us[0].node.get('read/eu', { local: true })).toBeUndefined()
    // Both eu nodes were asked and left it out.
    const after = await Promise.all(eu.map(async t => await metric(t.node, 'repram_jurisdiction_withheld_total', { path: 'read_through' })))
    expect(after[0] + after[1]).toBe(withheld[0] + withheld[1] + 2)
    expect(await metric(us[0].node, 'repram_read_through_total', { result: 'miss' })).toBeGreaterThanOrEqual(1)
    // The eu node reads it at once.
    expect(dec((await eu[1].node.get('read/eu'))?.value)).toBe('secret')
  })

  it('deletion proofs of a flagged eu write come from the eu nodes only, version 2, naming eu', async () => {
    const put = await eu[1].node.put('proof/eu', flagged(), { ttl: 1, jurisdictions: EU })
    const keyHash = keyHashOf('proof/eu')
    const proofs = await until(async () => {
      const lists = await Promise.all(eu.map(async t => (await t.node.attestations.list(keyHash)).attestations ?? []))
      return lists.every(l => l.length === 1) ? lists.flat() : undefined
    }, { timeoutMs: 10_000, what: 'a proof from each eu node' })
    expect(proofs.map(p => p.nodeId).sort()).toEqual(eu.map(t => t.node.nodeId).sort())
    for (const p of proofs) {
      expect(p.jurisdiction).toBe('eu')
      expect(await verifyAttestation(p, { key: 'proof/eu', writeId: put.writeId, jurisdictions: EU })).toMatchObject({ valid: true })
      // Without its jurisdiction the signature no longer holds.
      const { jurisdiction: _, ...stripped } = p
      expect(await verifyAttestation(stripped)).toMatchObject({ valid: false, reason: 'bad_signature' })
    }
    for (const t of us) expect((await t.node.attestations.list(keyHash)).attestations).toEqual([])
  })
})

describe('jurisdictions over gossip (R = 1, no direct sends: every write is gossiped)', () => {
  let nodes: TestNode[]
  beforeAll(async () => {
    nodes = await createCluster(4, {
      transport: 'tcp',
      config: { replication: 1, directFanout: 0, enclave: 'gossip' },
      each: i => ({ jurisdiction: i < 2 ? 'eu' : 'us' })
    })
    await jurisdictionsKnown(nodes)
  })
  afterAll(async () => { await stopAll() })

  it('an eu write is gossiped on the eu topic: the other eu node gets it, us nodes never do', async () => {
    const [eu0, eu1, us0, us1] = nodes
    const before = await Promise.all([us0, us1].map(inbound))
    const gossipIn = await metric(eu1.node, 'repram_gossip_writes_total', { direction: 'in', result: 'stored' })
    for (let i = 0; i < 5; i++) await eu0.node.put(`gossip/eu/${i}`, enc(`v${i}`), { ttl: 60, jurisdictions: EU })
    await eu0.node.put('gossip/anywhere', enc('hello'), { ttl: 60 })
    await until(async () => (await held(eu1, 'gossip/')).length === 6, { what: 'the eu writes on the other eu node' })
    expect(await metric(eu1.node, 'repram_gossip_writes_total', { direction: 'in', result: 'stored' })).toBeGreaterThanOrEqual(gossipIn + 6)
    await until(async () => (await Promise.all([us0, us1].map(async t => await t.node.has('gossip/anywhere')))).every(Boolean), { what: 'the unrestricted write on the us nodes' })
    for (const [i, t] of [us0, us1].entries()) {
      expect(await held(t, 'gossip/')).toEqual(['gossip/anywhere'])
      expect(await inbound(t)).toEqual({ remote: before[i].remote + 1, refused: before[i].refused })
    }
  })

  it('a us node that receives an eu write on the enclave topic drops it, does not forward it and holds nothing against the sender', async () => {
    const [eu0, eu1, us0, us1] = nodes
    // eu0 publishes to the whole enclave topic, as a node that does not route by jurisdiction would.
    const now = Date.now()
    const rec = { key: 'topic/eu', value: enc('x'), createdAt: now, expiresAt: now + 60_000, writeId: newWriteId(), jurisdictions: EU }
    const data = GossipMessage.encode({ network: 'private', enclave: 'gossip', writes: [toWire(rec, eu0.replicator.libp2p!.peerId.toMultihash().bytes)] })
    const penalties = await Promise.all([us0, us1].map(async t => await metric(t.node, 'repram_peer_penalties_total')))
    await eu0.replicator.libp2p!.services.pubsub.publish(topicFor('private', 'gossip'), data)
    await until(async () => (await Promise.all([us0, us1].map(async t => await metric(t.node, 'repram_jurisdiction_refused_total', { path: 'gossip' })))).every(n => n >= 1), { what: 'both us nodes to refuse it' })
    await until(async () => await eu1.node.get('topic/eu', { local: true }) !== undefined, { what: 'the eu node to store it' })
    for (const [i, t] of [us0, us1].entries()) {
      expect(await held(t, 'topic/')).toEqual([])
      expect(await metric(t.node, 'repram_peer_penalties_total')).toBe(penalties[i])
    }
  })
})
