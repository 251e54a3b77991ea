/**
 * Forged members (issue 16 §2, DESIGN §4 "Membership"): an outsider libp2p peer built
 * from the project's own packages.
 * (a) It connects to a lone node (and even subscribes to the enclave topic) but never
 *     speaks REPRAM: it counts for nothing, and the node's PUTs answer 201.
 * (b) It floods 2,000 validly signed announces, each from a fresh key, over one
 *     connection: a lone node still answers 201; in a 3-node cluster the member tables
 *     hold only real nodes, the unverified candidates stay within their caps, a real 4th
 *     node joining during the flood is admitted by every node within seconds, peer
 *     exchange never offers a fake, and dials to the fake addresses stay within the dial
 *     rate (a token bucket, with backoff). The node the attacker is connected to does not
 *     forward the forged announces (their authors are neither members nor their carrier).
 * The fake addresses are on 127.0.0.0/8 (a distinct /24 each, closed ports): dials to them
 * are refused at once and no packet leaves the machine.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { RPC } from '@libp2p/gossipsub/message'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { randomBytes } from 'node:crypto'
import { toString as bytesToString } from 'uint8arrays/to-string'
import { createRepramLibp2p, type RepramLibp2p } from '../../src/net/libp2p.js'
import { GossipMessage, ReplicateRequest, ReplicateResponse } from '../../src/wire/pb/repram.js'
import { REPLICATE_PROTOCOL } from '../../src/net/constants.js'
import { topicFor } from '../../src/net/topic.js'
import { validateConfig, profileDefaults } from '../../src/config.js'
import { createHttpApp } from '../../src/http/app.js'
import { createCluster, createNode, listenAddr, metric, stopAll, until, type TestNode, type TransportKind } from '../integration/fixture.js'

const attackers: RepramLibp2p[] = []
afterEach(async () => {
  await Promise.all(attackers.splice(0).map(async a => { await a.stop() }))
  await stopAll()
})

const TOPIC = topicFor('private', 'default')
const FLOOD = 2000
/** Caps of the test (small, so the bound is visible): see docs/configuration.md. */
const CAPS = { maxCandidates: 64, maxCandidatesPerSource: 16, maxCandidatesPerRange: 4, candidateDialRate: 4 }

/** An outsider: a libp2p node with the project's own stack, which registers no REPRAM protocol. */
async function outsider (transport: TransportKind, target: TestNode): Promise<RepramLibp2p> {
  const config = validateConfig({ ...profileDefaults('test'), listen: [listenAddr(transport)] })
  const attacker = await createRepramLibp2p(config, { privateKey: await generateKeyPair('Ed25519') })
  attackers.push(attacker)
  await attacker.dial(target.addrs.map(a => multiaddr(a)), { signal: AbortSignal.timeout(5000) })
  await until(() => attacker.services.pubsub.getSubscribers(TOPIC).some(p => p.toString() === target.node.nodeId), { what: 'the target subscription' })
  return attacker
}

/** `n` gossip messages, each a valid announce signed by a fresh Ed25519 key, with a fake address in its own /24. */
async function forgedAnnounces (n: number): Promise<{ raws: RPC.Message[], ids: Set<string> }> {
  const prefix = new TextEncoder().encode('libp2p-pubsub:')
  const raws: RPC.Message[] = []
  const ids = new Set<string>()
  for (let i = 0; i < n; i++) {
    const key = await generateKeyPair('Ed25519')
    const author = peerIdFromPrivateKey(key)
    ids.add(author.toString())
    const addr = multiaddr(`/ip4/127.${1 + (i >> 8)}.${i & 255}.1/tcp/9`)
    const data = GossipMessage.encode({ network: 'private', enclave: 'default', writes: [], announce: { addrs: [addr.bytes] } })
    const raw: RPC.Message = { from: author.toMultihash().bytes, data, seqno: randomBytes(8), topic: TOPIC, signature: undefined, key: undefined }
    const body = RPC.Message.encode(raw)
    const signed = new Uint8Array(prefix.length + body.length)
    signed.set(prefix)
    signed.set(body, prefix.length)
    raw.signature = await key.sign(signed)
    raw.key = publicKeyToProtobuf(key.publicKey)
    raws.push(raw)
  }
  return { raws, ids }
}

/** Sends the messages to `target` over the attacker's one gossipsub stream, 100 per RPC. */
function flood (attacker: RepramLibp2p, target: TestNode, raws: RPC.Message[]): void {
  const pubsub = attacker.services.pubsub as unknown as { sendRpc: (id: string, rpc: RPC) => boolean }
  for (let i = 0; i < raws.length; i += 100) {
    const ok = pubsub.sendRpc(target.node.nodeId, { subscriptions: [], messages: raws.slice(i, i + 100) })
    expect(ok).toBe(true)
  }
}

/** PUT through the HTTP app: the status code. */
async function putStatus (t: TestNode, key: string): Promise<number> {
  const { app } = createHttpApp(t.node)
  const res = await app.request(`/v1/data/${key}?ttl=60`, { method: 'PUT', body: 'v' })
  return res.status
}

/** Peer exchange as asked by `attacker` (a raw replicate frame): the peer ids offered. */
async function exchangeOf (attacker: RepramLibp2p, t: TestNode): Promise<string[]> {
  await attacker.dial(t.addrs.map(a => multiaddr(a)), { signal: AbortSignal.timeout(5000) })
  const stream = await attacker.dialProtocol(peerIdFromString(t.node.nodeId), REPLICATE_PROTOCOL, { signal: AbortSignal.timeout(5000) })
  const lp = lpStream(stream)
  await lp.write(ReplicateRequest.encode({ id: 7, network: 'private', enclave: 'default', writes: [], members: true }))
  const res = ReplicateResponse.decode(await lp.read())
  await stream.close()
  return res.members.map(p => peerIdFromString(bytesToString(p.id, 'base58btc')).toString())
}

describe.each(['tcp', 'memory'] as TransportKind[])('a stranger that never speaks REPRAM, over %s', (transport) => {
  it('counts for nothing: a lone node it connects to (and subscribes next to) answers PUT with 201', async () => {
    const lone = await createNode(transport)
    const attacker = await outsider(transport, lone)
    attacker.services.pubsub.subscribe(TOPIC)
    // The node asks the subscriber the REPRAM handshake, which fails: it stays a stranger.
    await until(async () => await metric(lone.node, 'repram_membership_candidates_total', { result: 'handshake_failed' }) >= 1, { what: 'the failed handshake' })
    expect(lone.node.topology()).toEqual([])
    expect(await putStatus(lone, 'lone/a')).toBe(201)
    expect(await putStatus(lone, 'lone/b')).toBe(201)
  })
})

describe('a flood of forged announces (2,000 fresh keys over one connection)', () => {
  it('leaves a lone node alone: no member, no candidate, PUTs answer 201', async () => {
    const lone = await createNode('tcp', CAPS)
    const attacker = await outsider('tcp', lone)
    const { raws } = await forgedAnnounces(FLOOD)
    flood(attacker, lone, raws)
    // Relayed by a peer that is no member: every one is refused as unverified_source.
    await until(async () => await metric(lone.node, 'repram_membership_candidates_total', { result: 'unverified_source' }) >= FLOOD, { timeoutMs: 15_000, what: 'the flood to be refused' })
    expect(lone.node.topology()).toEqual([])
    expect(await metric(lone.node, 'repram_membership_candidates')).toBe(0)
    expect(await metric(lone.node, 'repram_dial_failures_total', { kind: 'candidate' })).toBe(0)
    expect(await putStatus(lone, 'flood/lone')).toBe(201)
  }, 20_000)

  it('keeps a 3-node cluster bounded, admits a real 4th node within seconds, never offers a fake, and bounds the dials', async () => {
    const nodes = await createCluster(3, { transport: 'tcp', config: CAPS })
    const attacker = await outsider('tcp', nodes[0])
    const { raws, ids: fakes } = await forgedAnnounces(FLOOD)
    const started = Date.now()
    flood(attacker, nodes[0], raws)

    // A real node joins while the flood is being handled.
    const joinStarted = Date.now()
    const joiner = await createNode('tcp', { peers: nodes[0].addrs, ...CAPS })
    const all = [...nodes, joiner]
    await until(() => all.every(t => t.node.topology().length === 3), { timeoutMs: 10_000, what: 'every node to admit the joiner' })
    const admittedMs = Date.now() - joinStarted

    // Node 0 refuses every forged announce (its carrier is no member) and does not forward
    // it: its gossip validator ignores an announce whose author is neither a member nor the
    // peer that delivered it. So the other nodes never see the flood at all.
    await until(async () => await metric(nodes[0].node, 'repram_membership_candidates_total', { result: 'unverified_source' }) >= FLOOD, { timeoutMs: 15_000, what: 'node 0 to refuse the whole flood' })
    for (const t of nodes.slice(1)) {
      expect(await metric(t.node, 'repram_membership_candidates_total', { result: 'source_cap' })).toBe(0)
      expect(await metric(t.node, 'repram_membership_candidates_total', { result: 'unverified_source' })).toBe(0)
    }
    const elapsedS = (Date.now() - started) / 1000

    const real = new Set(all.map(t => t.node.nodeId))
    const figures: Record<string, unknown> = { admittedMs, sinceFloodMs: joinStarted - started + admittedMs, elapsedS }
    for (const [i, t] of all.entries()) {
      // Members: the real nodes only.
      const members = t.node.topology().map(p => p.id)
      expect(members.every(id => real.has(id))).toBe(true)
      expect(members).toHaveLength(3)
      // Candidates within their caps.
      const held = await metric(t.node, 'repram_membership_candidates')
      expect(held).toBeLessThanOrEqual(Math.min(CAPS.maxCandidates, CAPS.maxCandidatesPerSource * members.length))
      // Dials to announced addresses: at most the token bucket (burst 2× rate, then the rate).
      const dials = await metric(t.node, 'repram_dial_failures_total', { kind: 'candidate' })
      expect(dials).toBeLessThanOrEqual(2 * CAPS.candidateDialRate + CAPS.candidateDialRate * elapsedS)
      figures[`node${i}`] = {
        held,
        added: await metric(t.node, 'repram_membership_candidates_total', { result: 'added' }),
        sourceCap: await metric(t.node, 'repram_membership_candidates_total', { result: 'source_cap' }),
        rangeCap: await metric(t.node, 'repram_membership_candidates_total', { result: 'range_cap' }),
        unverifiedSource: await metric(t.node, 'repram_membership_candidates_total', { result: 'unverified_source' }),
        candidateDials: dials,
        pingFailures: await metric(t.node, 'repram_ping_failures_total')
      }
    }
    // Peer exchange offers verified members only.
    for (const t of all) {
      const offered = await exchangeOf(attacker, t)
      expect(offered.filter(id => fakes.has(id))).toEqual([])
      expect(offered.every(id => real.has(id))).toBe(true)
    }
    expect(await putStatus(nodes[1], 'flood/cluster')).toBe(201)
    console.info('forged-announce flood figures', JSON.stringify(figures))
  }, 30_000)
})
