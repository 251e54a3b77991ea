/**
 * Reputation (issue 16 Build 3): an outsider libp2p peer built from the project's own
 * packages, which answers the REPRAM handshake and every replicate frame (so it is a
 * verified member and, while its score is good, a replica).
 * (a) It sends writes no honest node sends, over replicate and over gossip: its score on
 *     the node falls below `peerGraylistScore` (shown in /v1/topology with its score),
 *     gossipsub ignores its messages from then on (a valid write of it is not stored), and
 *     writes made on the node are no longer sent to it; the honest peers keep a healthy
 *     score.
 * (b) It sends writes past its rate (`peerWriteRate`): the writes past the bucket are
 *     answered FAILED (not held) and not stored, its gossip past the bucket is ignored, and
 *     each refusal is a `rate_limited` penalty.
 * (c) It keeps sending invalid writes past the disconnect score (`peerDisconnectScore`):
 *     the node hangs up, refuses its streams and closes it again when it dials back, and a
 *     lone node confirms its own writes (the peer counts for nothing).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import type { Stream } from '@libp2p/interface'
import { createRepramLibp2p, type RepramLibp2p } from '../../src/net/libp2p.js'
import { GossipMessage, ReplicateRequest, ReplicateResponse, WriteResult, type Write } from '../../src/wire/pb/repram.js'
import { REPLICATE_PROTOCOL } from '../../src/net/constants.js'
import { topicFor } from '../../src/net/topic.js'
import { flakyFloor } from '../../src/net/reputation.js'
import { validateConfig, profileDefaults } from '../../src/config.js'
import { createHttpApp } from '../../src/http/app.js'
import { createCluster, createNode, enc, listenAddr, metric, stopAll, until, type TestNode } from '../integration/fixture.js'

const attackers: RepramLibp2p[] = []
afterEach(async () => {
  await Promise.all(attackers.splice(0).map(async a => { await a.stop() }))
  await stopAll()
})

const NETWORK = 'private'
const ENCLAVE = 'default'
const TOPIC = topicFor(NETWORK, ENCLAVE)
const GRAYLIST = -80

let seq = 0
/** A write as the attacker sends it; `invalid`: expiring 10 days ahead, beyond maxTtl + skew (no honest node sends it). */
const write = (key: string, invalid = false): Write => {
  const now = Date.now()
  return { key, value: Uint8Array.from(enc(`v-${++seq}`)), createdAt: now, expiresAt: invalid ? now + 10 * 86_400_000 : now + 60_000, writeId: `attack-${seq}-${now}`, origin: new Uint8Array([1]) }
}

/** Answers every replicate frame as a perfect replica would (HELD for each write), and records the keys it was sent. */
async function serveAsReplica (stream: Stream, received: string[]): Promise<void> {
  const lp = lpStream(stream)
  try {
    for (;;) {
      const req = ReplicateRequest.decode(await lp.read())
      for (const w of req.writes) received.push(w.key)
      await lp.write(ReplicateResponse.encode({ id: req.id, results: req.writes.map(() => WriteResult.HELD), members: [] }))
    }
  } catch {
    // EOF: the node closed its stream.
  }
}

/** An outsider that answers the REPRAM handshake and replicate frames, connected to `target` and subscribed to the enclave topic. */
async function outsider (target: TestNode, received: string[]): Promise<{ attacker: RepramLibp2p, id: string }> {
  const config = validateConfig({ ...profileDefaults('test'), listen: [listenAddr('tcp')] })
  const attacker = await createRepramLibp2p(config, { privateKey: await generateKeyPair('Ed25519') })
  attackers.push(attacker)
  await attacker.handle(REPLICATE_PROTOCOL, (stream: Stream) => { void serveAsReplica(stream, received) }, { maxInboundStreams: 16, maxOutboundStreams: 16 })
  await attacker.dial(target.addrs.map(a => multiaddr(a)), { signal: AbortSignal.timeout(5000) })
  attacker.services.pubsub.subscribe(TOPIC)
  await until(() => attacker.services.pubsub.getSubscribers(TOPIC).some(p => p.toString() === target.node.nodeId), { what: 'the target subscription' })
  return { attacker, id: attacker.peerId.toString() }
}

/** Sends one replicate frame of `writes` to `target` on a new stream: the results. */
async function replicate (attacker: RepramLibp2p, target: TestNode, writes: Write[]): Promise<WriteResult[]> {
  const stream = await attacker.dialProtocol(peerIdFromString(target.node.nodeId), REPLICATE_PROTOCOL, { signal: AbortSignal.timeout(5000) })
  const lp = lpStream(stream)
  await lp.write(ReplicateRequest.encode({ id: ++seq, network: NETWORK, enclave: ENCLAVE, writes }))
  const res = ReplicateResponse.decode(await lp.read())
  await stream.close()
  return res.results
}

/** Publishes writes as one signed gossip message from the attacker: its recipient count. */
async function gossip (attacker: RepramLibp2p, writes: Write[]): Promise<number> {
  const r = await attacker.services.pubsub.publish(TOPIC, GossipMessage.encode({ network: NETWORK, enclave: ENCLAVE, writes }))
  return r.recipients.length
}

/** `/v1/topology` of a node, through its HTTP app. */
async function topology (t: TestNode): Promise<Array<{ id: string, score?: number }>> {
  const { app } = createHttpApp(t.node)
  const res = await app.request('/v1/topology')
  expect(res.status).toBe(200)
  return (await res.json() as { peers: Array<{ id: string, score?: number }> }).peers
}

describe('a peer that sends invalid writes', () => {
  it('is graylisted (score in /v1/topology, gossip ignored, never a replica) while honest peers keep a healthy score', async () => {
    const nodes = await createCluster(3, { transport: 'tcp' })
    const [n0, n1, n2] = nodes
    const received: string[] = []
    const { attacker, id } = await outsider(n0, received)
    // It answers the handshake: a verified member, and a replica like any other.
    await until(() => n0.node.topology().some(p => p.id === id), { what: 'the outsider to be a member' })
    const first = await n0.node.put('before/1', enc('x'), { ttl: 60 })
    expect(first.quorum).toBe(true)
    await until(() => received.includes('before/1'), { what: 'a write sent to the outsider while its score is good' })

    // Writes no honest node sends: 3 replicate frames and 2 gossip messages.
    for (let i = 0; i < 3; i++) expect(await replicate(attacker, n0, [write(`evil/r${i}`, true)])).toEqual([WriteResult.INVALID])
    for (let i = 0; i < 2; i++) expect(await gossip(attacker, [write(`evil/g${i}`, true)])).toBeGreaterThan(0)
    await until(async () => await metric(n0.node, 'repram_peer_penalties_total', { reason: 'invalid_gossip' }) >= 2, { what: 'the gossip penalties' })
    expect(await metric(n0.node, 'repram_peer_penalties_total', { reason: 'invalid_write' })).toBe(3)

    // Shown in /v1/topology with its score, below the graylist threshold.
    const peers = await topology(n0)
    const bad = peers.find(p => p.id === id)
    expect(bad?.score).toBeLessThan(GRAYLIST)
    // The honest peers keep a healthy score (at worst a flaky sign or two).
    for (const honest of [n1, n2]) {
      const p = peers.find(x => x.id === honest.node.nodeId)
      expect(p?.score).toBeGreaterThanOrEqual(-flakyFloor(GRAYLIST))
    }

    // gossipsub graylists it (its score is refreshed once a second): a valid write of it is not even validated.
    const pubsub = (n0.replicator.libp2p as RepramLibp2p).services.pubsub as unknown as { acceptFrom: (id: string) => boolean }
    await until(() => !pubsub.acceptFrom(id), { timeoutMs: 5000, what: 'gossipsub to graylist the outsider' })
    // Count the RPCs of the outsider that gossipsub drops (it asks acceptFrom for every RPC it receives).
    let dropped = 0
    const acceptFrom = pubsub.acceptFrom.bind(pubsub)
    pubsub.acceptFrom = (peer) => {
      const ok = acceptFrom(peer)
      if (!ok && peer === id) dropped++
      return ok
    }
    expect(await gossip(attacker, [write('evil/valid')])).toBeGreaterThan(0)
    await until(() => dropped > 0, { what: 'its RPC to be dropped' })
    expect(await n0.node.get('evil/valid', { local: true })).toBeUndefined()

    // Never a replica again: writes on n0 reach quorum on the honest peers only.
    received.length = 0
    const puts = await Promise.all(Array.from({ length: 5 }, async (_, i) => await n0.node.put(`after/${i}`, enc('y'), { ttl: 60 })))
    expect(puts.every(p => p.quorum)).toBe(true)
    for (const t of [n1, n2]) await until(async () => (await Promise.all(puts.map(async p => await t.node.get(p.key, { local: true })))).every(r => r !== undefined), { what: 'every write on the honest peers' })
    expect(received.filter(k => k.startsWith('after/'))).toEqual([])
    // Nothing of the invalid writes was stored anywhere.
    for (const t of nodes) for (const k of ['evil/r0', 'evil/r1', 'evil/r2', 'evil/g0', 'evil/g1']) expect(await t.node.get(k, { local: true })).toBeUndefined()
  }, 15_000)
})

describe('a peer that writes past its rate', () => {
  it('has the writes past its bucket refused (not held, not stored), its gossip past it ignored, and each refusal counted', async () => {
    const RATE = 10 // writes/s, burst 20
    const lone = await createNode('tcp', { peerWriteRate: RATE })
    const { attacker } = await outsider(lone, [])
    const writes = Array.from({ length: 30 }, (_, i) => write(`flood/${i}`))
    const results = await replicate(attacker, lone, writes)
    // The burst (2 s worth, maybe a token more refilled meanwhile) is held; the rest is refused.
    const held = results.filter(r => r === WriteResult.HELD).length
    expect(held).toBeGreaterThanOrEqual(2 * RATE)
    expect(held).toBeLessThan(30)
    expect(results.slice(held).every(r => r === WriteResult.FAILED)).toBe(true)
    expect(await metric(lone.node, 'repram_peer_penalties_total', { reason: 'rate_limited' })).toBe(1)
    for (const [i, w] of writes.entries()) expect((await lone.node.get(w.key, { local: true })) !== undefined).toBe(i < held)

    // Its gossip past the bucket is ignored: not stored, and one more penalty.
    const ignored = await metric(lone.node, 'repram_gossip_messages_total', { direction: 'in', result: 'ignore' })
    const burst = Array.from({ length: 2 * RATE }, (_, i) => write(`gflood/${i}`))
    expect(await gossip(attacker, burst)).toBeGreaterThan(0)
    await until(async () => await metric(lone.node, 'repram_gossip_messages_total', { direction: 'in', result: 'ignore' }) > ignored, { what: 'the gossip message to be ignored' })
    expect(await metric(lone.node, 'repram_peer_penalties_total', { reason: 'rate_limited' })).toBe(2)
    for (const w of burst) expect(await lone.node.get(w.key, { local: true })).toBeUndefined()
    // A flaky sign only: the peer is not graylisted for it.
    const score = (await topology(lone)).find(p => p.id === attacker.peerId.toString())?.score
    expect(score).toBeGreaterThanOrEqual(-flakyFloor(GRAYLIST))
  }, 15_000)
})

describe('a peer below the disconnect score', () => {
  it('is disconnected, closed again when it reconnects, refused new streams, and no longer counts toward the quorum', async () => {
    const lone = await createNode('tcp')
    const { attacker, id } = await outsider(lone, [])
    await until(() => lone.node.topology().some(p => p.id === id), { what: 'the outsider to be a member' })
    const host = lone.replicator.libp2p as RepramLibp2p
    // Frames of writes no honest node sends, 20 points each: past the disconnect score (−160)
    // the node refuses its streams, so a frame gets no answer.
    let answered = 0
    for (let i = 0; i < 12; i++) {
      const r = await replicate(attacker, lone, [write(`evil/d${i}`, true)]).catch(() => undefined)
      if (r === undefined) break
      expect(r).toEqual([WriteResult.INVALID])
      answered++
    }
    expect(answered).toBeGreaterThanOrEqual(8)
    expect(answered).toBeLessThan(12)
    // Every frame was penalised, the last one too (its answer never came: the node hung up).
    const penalties = await metric(lone.node, 'repram_peer_penalties_total', { reason: 'invalid_write' })
    expect(penalties).toBeGreaterThanOrEqual(9)
    expect(penalties).toBeLessThanOrEqual(answered + 1)
    await until(() => host.getConnections(peerIdFromString(id)).length === 0, { what: 'the node to hang up on the outsider' })
    // It dials back: the connection is closed again, and a replicate stream on it gets nowhere.
    const back = await attacker.dial(lone.addrs.map(a => multiaddr(a)), { signal: AbortSignal.timeout(5000) }).catch(() => undefined)
    if (back !== undefined) {
      const refused = await replicate(attacker, lone, [write('evil/after-reconnect')]).then(() => false, () => true)
      expect(refused).toBe(true)
      await until(() => host.getConnections(peerIdFromString(id)).length === 0, { what: 'the reconnection to be closed again' })
    }
    expect(await lone.node.get('evil/after-reconnect', { local: true })).toBeUndefined()
    // It counts for nothing: the lone node confirms its writes by itself.
    expect((await lone.node.put('mine', enc('v'), { ttl: 60 })).quorum).toBe(true)
  }, 15_000)
})
