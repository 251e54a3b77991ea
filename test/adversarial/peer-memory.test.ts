/**
 * Hostile peers, attack 1 of issue 16 ("one connection pinned gigabytes"), re-run by an
 * outsider libp2p client built from the project's own packages: replicate frames that each
 * announce a large value plus ~1.8 MiB of already-expired filler, pipelined on several
 * streams; the attacker's blob handler answers a pull's header (so the node allocates the
 * value) and then never sends a chunk. Against a node with an 8 MiB peer budget it must
 * hold no more than the cap for that peer, reset and refuse the peer's streams past it
 * (counted), store nothing of the attack, and keep replicating an honest peer's writes.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Stream } from '@libp2p/interface'
import { createRepramLibp2p, type RepramLibp2p } from '../../src/net/libp2p.js'
import { BlobRequest, BlobResponse, ReplicateRequest, type Write } from '../../src/wire/pb/repram.js'
import { BLOB_PROTOCOL, REPLICATE_PROTOCOL } from '../../src/net/constants.js'
import { profileDefaults, validateConfig } from '../../src/config.js'
import { createCluster, enc, metric, stopAll, until } from '../integration/fixture.js'

const MiB = 1024 * 1024
const BUDGET = 8 * MiB
const LIMITS = { maxValueBytes: 2 * MiB, peerMemoryBudgetBytes: BUDGET }
/** Streams opened at once, and frames sent in all (≈1.85 MiB each: < 100 MiB sent). */
const STREAMS = 4
const FRAMES = 32
const FILLER_WRITES = 30
const FILLER = new Uint8Array(60 * 1024).fill(7)

const attackers: RepramLibp2p[] = []
const stalled: Stream[] = []
afterEach(async () => {
  for (const s of stalled.splice(0)) s.abort(new Error('test over'))
  await Promise.all(attackers.splice(0).map(async a => { await a.stop() }))
  await stopAll()
})

describe('a peer that announces values it never serves, with expired filler, on several streams', () => {
  it('holds at most the peer budget for it, resets and refuses its streams past the cap, stores none of it, and keeps replicating honest writes', async () => {
    const [target, honest] = await createCluster(2, { transport: 'tcp', config: LIMITS })
    const config = validateConfig({ ...profileDefaults('test'), ...LIMITS, listen: ['/ip4/127.0.0.1/tcp/0'] })
    const attacker = await createRepramLibp2p(config, { privateKey: await generateKeyPair('Ed25519') })
    attackers.push(attacker)

    // The attacker's blob side: answers the header of an announced write (the node then
    // allocates the value), then never sends a chunk.
    const announced = new Map<string, Write>()
    await attacker.handle(BLOB_PROTOCOL, (stream: Stream) => {
      stalled.push(stream)
      void (async () => {
        const lp = lpStream(stream)
        const req = BlobRequest.decode(await lp.read())
        const w = announced.get(req.writeId)
        if (w === undefined) return
        await lp.write(BlobResponse.encode({ chunk: new Uint8Array(0), record: { ...w } }))
      })().catch(() => {})
    }, { maxInboundStreams: 256 })
    const targetId = peerIdFromString(target.node.nodeId)
    await attacker.dial(target.node.networkInfo().addresses.map(a => multiaddr(a)), { signal: AbortSignal.timeout(5000) })

    let seq = 0
    const frame = (): Uint8Array => {
      const i = ++seq
      const now = Date.now()
      const big: Write = { key: `big/${i}`, value: new Uint8Array(0), createdAt: now, expiresAt: now + 60_000, writeId: `big-${i}`, origin: new Uint8Array(0), size: LIMITS.maxValueBytes, hash: randomBytes(32) }
      announced.set(big.writeId, big)
      const filler = Array.from({ length: FILLER_WRITES }, (_, j): Write => ({ key: `filler/${i}/${j}`, value: FILLER, createdAt: now - 20_000, expiresAt: now - 10_000, writeId: `f-${i}-${j}`, origin: new Uint8Array(0) }))
      return ReplicateRequest.encode({ id: i, network: config.network, enclave: config.enclave, writes: [big, ...filler] })
    }

    // Samples the budget gauge while the attack runs.
    let maxSeen = 0
    const sampler = setInterval(() => {
      void metric(target.node, 'repram_peer_memory_bytes', { stat: 'max_peer' }).then(v => { maxSeen = Math.max(maxSeen, v) })
    }, 20)

    let sent = 0
    let bytesSent = 0
    let streamsLost = 0
    let streamsOpened = 0
    const honestResults: Array<Promise<{ quorum: boolean }>> = []
    const attack = async (): Promise<void> => {
      while (sent < FRAMES) {
        let stream: Stream
        try {
          stream = await attacker.dialProtocol(targetId, REPLICATE_PROTOCOL, { signal: AbortSignal.timeout(2000) })
        } catch {
          streamsLost++
          continue
        }
        streamsOpened++
        const lp = lpStream(stream, { maxDataLength: 4 * MiB })
        // Answers are read and dropped, so the attacker itself holds nothing.
        void (async () => { for (;;) await lp.read() })().catch(() => {})
        try {
          while (sent < FRAMES) {
            const f = frame()
            const n = ++sent
            bytesSent += f.byteLength
            await lp.write(f, { signal: AbortSignal.timeout(5000) })
            // An honest peer writes while the attack runs.
            if (n % 8 === 0) honestResults.push(honest.node.put(`honest/during/${n}`, enc('ok'), { ttl: 60 }))
          }
        } catch {
          streamsLost++
        }
      }
    }
    const started = Date.now()
    await Promise.all(Array.from({ length: STREAMS }, attack))
    // Every frame of the attack is answered, timed out or dropped with its stream.
    await until(async () => await metric(target.node, 'repram_peer_memory_bytes', { stat: 'held' }) === 0, { timeoutMs: 15_000, what: 'the attacker\'s budget to drain' })
    clearInterval(sampler)
    const elapsed = Date.now() - started

    // Memory held for the attacker never passed the cap (gauge sampled, and the high-water mark).
    const peak = await metric(target.node, 'repram_peer_memory_bytes', { stat: 'peak_peer' })
    const refused = await metric(target.node, 'repram_peer_budget_refusals_total')
    // The figures first, so a failed run shows them too.
    console.log(`peer budget ${BUDGET} B: ${sent} frames (${(bytesSent / MiB).toFixed(1)} MiB) on ${streamsOpened} streams in ${elapsed} ms; peak held for the attacker ${peak} B; refusals ${refused} (replicate ${await metric(target.node, 'repram_peer_budget_refusals_total', { protocol: 'replicate' })}, blob ${await metric(target.node, 'repram_peer_budget_refusals_total', { protocol: 'blob' })}); streams lost ${streamsLost}`)
    console.log(`attack outcomes: ${JSON.stringify({ pullFailed: await metric(target.node, 'repram_peer_penalties_total', { reason: 'pull_failed' }), budget: await metric(target.node, 'repram_peer_penalties_total', { reason: 'budget' }), rateLimited: await metric(target.node, 'repram_peer_penalties_total', { reason: 'rate_limited' }), invalid: await metric(target.node, 'repram_peer_penalties_total', { reason: 'invalid_write' }) })}`)
    expect(peak).toBeGreaterThan(0)
    expect(peak).toBeLessThanOrEqual(BUDGET)
    expect(maxSeen).toBeLessThanOrEqual(BUDGET)
    // Past the cap its streams were reset or refused, and counted.
    // (Counted on the node: the attacker does not always see its stream die, since writes it
    // had already buffered complete before the reset reaches it; 1 run in 6 under load.)
    expect(refused).toBeGreaterThan(0)
    // …and each refusal is a penalty on the peer's reputation.
    expect(await metric(target.node, 'repram_peer_penalties_total', { reason: 'budget' })).toBeGreaterThan(0)
    expect(bytesSent).toBeLessThan(100 * MiB)

    // The node stayed healthy: an honest peer's writes made during and after the attack reached their quorum.
    const during = await Promise.all(honestResults)
    expect(during.length).toBeGreaterThan(0)
    for (const r of during) expect(r.quorum).toBe(true)
    const after = await honest.node.put('honest/after', enc('still fine'), { ttl: 60 })
    expect(after.quorum).toBe(true)
    expect(await target.node.has('honest/after')).toBe(true)
    // A large honest value is pulled and held while the attacker is still connected.
    const large = await honest.node.put('honest/large', new Uint8Array(512 * 1024).fill(3), { ttl: 60 })
    expect(large.quorum).toBe(true)

    // Nothing of the attack was stored: no announced value, no filler.
    expect(await target.node.has('big/1')).toBe(false)
    expect(await target.node.has('filler/1/0')).toBe(false)
    const keys = (await target.node.keys({})).keys
    expect(keys.filter(k => !k.startsWith('honest/'))).toEqual([])
    expect(keys).toContain('honest/large')
    expect(keys.length, keys.join(' ')).toBe(during.length + 2)

  })
})
