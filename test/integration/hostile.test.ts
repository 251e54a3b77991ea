/**
 * Hostile peers (issue 3, "Bad input"; issue 16 §4): invalid gossip is rejected (lowering
 * the sender's gossipsub score) and stores nothing; invalid direct writes are refused. A
 * write that merely expired in transit is no fault of its sender: it is dropped alone and
 * counted, the rest of its message or frame is kept, and the sender's score is untouched.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { createRepramLibp2p, type RepramLibp2p } from '../../src/net/libp2p.js'
import { GossipMessage, ReplicateRequest, ReplicateResponse, WriteResult, type Write } from '../../src/wire/pb/repram.js'
import { REPLICATE_PROTOCOL } from '../../src/net/constants.js'
import { topicFor } from '../../src/net/topic.js'
import { validateConfig, profileDefaults } from '../../src/config.js'
import { createNode, listenAddr, metric, stopAll, TRANSPORTS, until } from './fixture.js'

const attackers: RepramLibp2p[] = []
afterEach(async () => {
  await Promise.all(attackers.splice(0).map(async a => { await a.stop() }))
  await stopAll()
})

const LIMITS = { maxGossipMessageBytes: 32 * 1024, gossipInlineBytes: 8 * 1024, maxTtl: 3600, maxKeyBytes: 64 }

function write (key: string, over: Partial<Write> = {}): Write {
  const now = Date.now()
  return { key, value: new Uint8Array([1, 2, 3]), createdAt: now, expiresAt: now + 60_000, writeId: `w-${key}`, origin: new Uint8Array(0), ...over }
}

describe.each(TRANSPORTS)('hostile peers over %s', (transport) => {
  async function setup (): Promise<{ target: Awaited<ReturnType<typeof createNode>>, attacker: RepramLibp2p }> {
    const target = await createNode(transport, LIMITS)
    const config = validateConfig({ ...profileDefaults('test'), ...LIMITS, listen: [listenAddr(transport)] })
    const attacker = await createRepramLibp2p(config, { privateKey: await generateKeyPair('Ed25519') })
    attackers.push(attacker)
    const topic = topicFor(config.network, config.enclave)
    await attacker.dial(target.node.networkInfo().addresses.map(a => multiaddr(a)), { signal: AbortSignal.timeout(5000) })
    await until(() => attacker.services.pubsub.getSubscribers(topic).some(p => p.toString() === target.node.nodeId), { what: 'the target subscription' })
    return { target, attacker }
  }

  it('rejects invalid gossip (bad schema, wrong enclave, TTL beyond the max, oversized, bad key) and stores nothing', async () => {
    const { target, attacker } = await setup()
    const topic = topicFor('private', 'default')
    const now = Date.now()
    const bad: Array<[string, Uint8Array]> = [
      ['schema', new Uint8Array([0xff, 0xff, 0xff, 0xff])],
      ['enclave', GossipMessage.encode({ network: 'private', enclave: 'other', writes: [write('enclave')] })],
      ['ttl', GossipMessage.encode({ network: 'private', enclave: 'default', writes: [write('ttl', { expiresAt: now + (LIMITS.maxTtl + 120) * 1000 })] })],
      ['oversized', GossipMessage.encode({ network: 'private', enclave: 'default', writes: [write('oversized', { value: new Uint8Array(40 * 1024) })] })],
      ['key', GossipMessage.encode({ network: 'private', enclave: 'default', writes: [write('k'.repeat(LIMITS.maxKeyBytes + 1))] })],
      ['mixed', GossipMessage.encode({ network: 'private', enclave: 'default', writes: [write('mixed-good'), write('mixed-bad', { createdAt: now + 3_600_000, expiresAt: now + 3_660_000 })] })]
    ]
    for (const [, data] of bad) {
      const res = await attacker.services.pubsub.publish(topic, data)
      expect(res.recipients.length).toBe(1)
    }
    await attacker.services.pubsub.publish(topic, GossipMessage.encode({ network: 'private', enclave: 'default', writes: [write('marker')] }))
    await until(async () => await target.node.has('marker'), { what: 'the valid marker write' })
    expect((await target.node.stats()).records).toBe(1)
    expect(await metric(target.node, 'repram_gossip_messages_total', { direction: 'in', result: 'reject' })).toBe(bad.length)
    const pubsub = target.replicator.libp2p?.services.pubsub
    await until(() => (pubsub?.getScore(attacker.peerId.toString()) ?? 0) < 0, { what: 'the attacker score to drop' })
  })

  it('drops a gossip write that expired in transit alone, keeps the rest of its message, and does not lower the sender\'s score', async () => {
    const { target, attacker } = await setup()
    const topic = topicFor('private', 'default')
    const now = Date.now()
    const mixed = GossipMessage.encode({ network: 'private', enclave: 'default', writes: [write('late', { createdAt: now - 10_000, expiresAt: now - 1000 }), write('on-time')] })
    const allLate = GossipMessage.encode({ network: 'private', enclave: 'default', writes: [write('late-2', { createdAt: now - 10_000, expiresAt: now - 1000 })] })
    expect((await attacker.services.pubsub.publish(topic, mixed)).recipients.length).toBe(1)
    expect((await attacker.services.pubsub.publish(topic, allLate)).recipients.length).toBe(1)
    await until(async () => await target.node.has('on-time'), { what: 'the live write of the mixed message' })
    await until(async () => await metric(target.node, 'repram_writes_dropped_total', { via: 'gossip', reason: 'expired_in_transit' }) === 2, { what: 'both late writes counted' })
    expect(await target.node.has('late')).toBe(false)
    expect(await target.node.has('late-2')).toBe(false)
    expect(await metric(target.node, 'repram_gossip_messages_total', { direction: 'in', result: 'reject' })).toBe(0)
    expect(await metric(target.node, 'repram_gossip_messages_total', { direction: 'in', result: 'accept' })).toBe(1)
    expect(await metric(target.node, 'repram_gossip_messages_total', { direction: 'in', result: 'ignore' })).toBe(1)
    expect(target.replicator.libp2p?.services.pubsub.getScore(attacker.peerId.toString()) ?? -1).toBeGreaterThanOrEqual(0)
  })

  it('refuses invalid direct writes and frames from another enclave, and drops an expired direct write alone', async () => {
    const { target, attacker } = await setup()
    const stream = await attacker.dialProtocol(peerIdFromString(target.node.nodeId), REPLICATE_PROTOCOL, { signal: AbortSignal.timeout(5000) })
    const lp = lpStream(stream)
    const now = Date.now()
    await lp.write(ReplicateRequest.encode({ id: 1, network: 'private', enclave: 'default', writes: [write('too-long', { expiresAt: now + 10 * 3_600_000 }), write('late', { createdAt: now - 10_000, expiresAt: now - 1000 }), write('fine')] }))
    const r1 = ReplicateResponse.decode(await lp.read())
    expect(r1).toMatchObject({ id: 1, results: [WriteResult.INVALID, WriteResult.EXPIRED, WriteResult.HELD] })
    expect(await metric(target.node, 'repram_writes_dropped_total', { via: 'replicate', reason: 'expired_in_transit' })).toBe(1)
    expect(await metric(target.node, 'repram_replicate_frames_refused_total', { result: 'invalid_write' })).toBe(1)
    await lp.write(ReplicateRequest.encode({ id: 2, network: 'private', enclave: 'elsewhere', writes: [write('other-enclave')] }))
    const r2 = ReplicateResponse.decode(await lp.read())
    expect(r2.id).toBe(2)
    expect(r2.error).toBeDefined()
    expect(await target.node.has('fine')).toBe(true)
    expect(await target.node.has('too-long')).toBe(false)
    expect(await target.node.has('other-enclave')).toBe(false)
    await stream.close()
  })
})

describe('network limits', () => {
  async function attackerFor (target: Awaited<ReturnType<typeof createNode>>, limits: Record<string, unknown>): Promise<RepramLibp2p> {
    const config = validateConfig({ ...profileDefaults('test'), ...limits, listen: [listenAddr('memory')] })
    const attacker = await createRepramLibp2p(config, { privateKey: await generateKeyPair('Ed25519') })
    attackers.push(attacker)
    await attacker.dial(target.node.networkInfo().addresses.map(a => multiaddr(a)), { signal: AbortSignal.timeout(5000) })
    return attacker
  }

  it('refuses inbound replicate streams beyond maxReplicateStreams per connection', async () => {
    const target = await createNode('memory', { maxReplicateStreams: 2 })
    const attacker = await attackerFor(target, {})
    const peer = peerIdFromString(target.node.nodeId)
    // Each stream sends an empty request (a ping) and waits for its answer.
    const ping = async (id: number): Promise<ReplicateResponse> => {
      const stream = await attacker.dialProtocol(peer, REPLICATE_PROTOCOL, { signal: AbortSignal.timeout(5000), maxOutboundStreams: 100 } as never)
      const lp = lpStream(stream)
      await lp.write(ReplicateRequest.encode({ id, network: 'private', enclave: 'default', writes: [] }))
      return ReplicateResponse.decode(await lp.read({ signal: AbortSignal.timeout(5000) } as never))
    }
    expect((await ping(1)).id).toBe(1)
    expect((await ping(2)).id).toBe(2)
    // The third concurrent inbound stream is reset by the target, unanswered.
    await expect(ping(3)).rejects.toThrow()
    // The node itself still replicates and answers.
    expect((await target.node.put('still/ok', new Uint8Array([1]), { ttl: 60 })).key).toBe('still/ok')
  })

  it('drops a replicate frame larger than the frame limit and stores nothing from it', async () => {
    const target = await createNode('memory', { maxValueBytes: 4096, maxKeyBytes: 64 })
    const attacker = await attackerFor(target, {})
    const stream = await attacker.dialProtocol(peerIdFromString(target.node.nodeId), REPLICATE_PROTOCOL, { signal: AbortSignal.timeout(5000) })
    const lp = lpStream(stream, { maxDataLength: 16 * 1024 * 1024 } as never)
    const huge = Array.from({ length: 64 }, (_, i) => write(`big/${i}`, { value: new Uint8Array(4096) }))
    await lp.write(ReplicateRequest.encode({ id: 1, network: 'private', enclave: 'default', writes: huge }))
    await expect(lp.read()).rejects.toThrow()
    for (let i = 0; i < 64; i += 16) expect(await target.node.has(`big/${i}`)).toBe(false)
  })
})
