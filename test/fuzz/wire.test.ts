/**
 * Property-based fuzzing of the wire (issue 16, "Tests and figures"): every protobuf
 * decoder of `src/wire/pb/repram.ts`, the gossip validator (`checkGossip`) and the write
 * checks (`checkWrite`) on arbitrary and mutated bytes; then a real node fed fuzzed frames
 * by an outsider on every inbound protocol (gossip, replicate, sync, blob). Nothing throws
 * past its boundary: decoders throw only Errors (the servers catch them), the validator
 * and the checks never throw, the node crashes no actor and stays healthy, and nothing
 * invalid is stored. Runs are bounded and seeded by fast-check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import {
  Announce, BlobRequest, BlobResponse, Fetch, GossipMessage, PeerInfo, ReplicateRequest, ReplicateResponse,
  SyncEntry, SyncRequest, SyncResponse, Write
} from '../../src/wire/pb/repram.js'
import { checkGossip, type GossipLimits } from '../../actors/gossip-peer/index.js'
import { checkWrite, toWire, type WriteLimits } from '../../src/wire/write.js'
import { utf8Length } from '../../src/record.js'
import { BLOB_PROTOCOL, REPLICATE_PROTOCOL, SYNC_PROTOCOL } from '../../src/net/constants.js'
import { topicFor } from '../../src/net/topic.js'
import { createRepramLibp2p, type RepramLibp2p } from '../../src/net/libp2p.js'
import { profileDefaults, validateConfig } from '../../src/config.js'
import { createNode, listenAddr, metric, stopAll, until, type TestNode } from '../integration/fixture.js'

const RUNS = { numRuns: 400 }
const T0 = 1_700_000_000_000

interface Decoder { decode: (buf: Uint8Array, opts?: any) => unknown, encode: (m: any) => Uint8Array }
const DECODERS: Array<[string, Decoder]> = [
  ['Write', Write], ['Announce', Announce], ['GossipMessage', GossipMessage], ['Fetch', Fetch],
  ['ReplicateRequest', ReplicateRequest], ['PeerInfo', PeerInfo], ['ReplicateResponse', ReplicateResponse],
  ['SyncEntry', SyncEntry], ['SyncRequest', SyncRequest], ['SyncResponse', SyncResponse],
  ['BlobRequest', BlobRequest], ['BlobResponse', BlobResponse]
]

/** Protobuf-looking bytes: random, or field tags with lengths that lie. */
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.array(fc.tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 5 }), fc.uint8Array({ maxLength: 12 })), { maxLength: 12 })
    .map(fields => new Uint8Array(fields.flatMap(([n, t, b]) => [(n << 3) | t, b.length, ...b])))
)

/**
 * Times the wire can carry: uint64 fields. A negative time encodes but does not decode
 * (protons writes it as a 10-byte varint its reader refuses with a RangeError); no node
 * sends one (times come from the clock), and a peer's such frame is refused as malformed.
 */
const wireTime = fc.oneof(fc.integer({ min: T0 - 120_000, max: T0 + 4_000_000 }), fc.constantFrom(0, Number.MAX_SAFE_INTEGER, T0, T0 + 30_000))
const key = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.constant(''))
const time = fc.oneof(fc.integer({ min: T0 - 120_000, max: T0 + 4_000_000 }), fc.constantFrom(0, -1, Number.MAX_SAFE_INTEGER, T0, T0 + 30_000))
const writeOf = (t: fc.Arbitrary<number>): fc.Arbitrary<Write> => fc.record({
  key,
  value: fc.uint8Array({ maxLength: 64 }) as fc.Arbitrary<Uint8Array<ArrayBuffer>>,
  createdAt: t,
  expiresAt: t,
  writeId: fc.oneof(fc.string({ maxLength: 70 }), fc.constant('w-1')),
  origin: fc.uint8Array({ maxLength: 8 }) as fc.Arbitrary<Uint8Array<ArrayBuffer>>,
  size: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
  hash: fc.option(fc.uint8Array({ minLength: 31, maxLength: 33 }) as fc.Arbitrary<Uint8Array<ArrayBuffer>>, { nil: undefined })
}, { requiredKeys: ['key', 'value', 'createdAt', 'expiresAt', 'writeId', 'origin'] })
/** Any write, negative times included (for the checks). */
const writeArb = writeOf(time)
/** A write the wire can carry (for encodings). */
const wireWriteArb = writeOf(wireTime)

const LIMITS: GossipLimits = { network: 'private', enclave: 'default', maxMessageBytes: 64 * 1024, batchSize: 8, maxKeyBytes: 64, maxValueBytes: 4096, maxTtl: 3600, maxClockSkewMs: 30_000, gossipInlineBytes: 32 }

/** Flips, drops or inserts a few bytes of a valid encoding. */
const mutate = (base: Uint8Array): fc.Arbitrary<Uint8Array> => fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'drop', 'insert')), { minLength: 1, maxLength: 4 })
  .map(edits => {
    const out = [...base]
    for (const [i, b, op] of edits) {
      const at = out.length === 0 ? 0 : i % out.length
      if (op === 'set' && out.length > 0) out[at] = b
      else if (op === 'drop') out.splice(at, 1)
      else out.splice(at, 0, b)
    }
    return new Uint8Array(out)
  })

describe('protobuf decoders', () => {
  it.each(DECODERS)('%s.decode returns or throws an Error on any bytes', (_name, codec) => {
    fc.assert(fc.property(bytes, (b) => {
      try { codec.decode(b) } catch (err) { expect(err).toBeInstanceOf(Error) }
      // With the repeated-field limits the servers pass.
      try { codec.decode(b, { limits: { writes: 2, records: 2, entries: 2, groups: 2, fetch: 2, push: 2, results: 2, peers: 2 } }) } catch (err) { expect(err).toBeInstanceOf(Error) }
    }), RUNS)
  })

  it('a decoded frame never carries more writes than the limit', () => {
    fc.assert(fc.property(fc.array(wireWriteArb, { maxLength: 6 }), (writes) => {
      const buf = ReplicateRequest.encode({ id: 1, network: 'private', enclave: 'default', writes })
      try {
        expect(ReplicateRequest.decode(buf, { limits: { writes: 3 } }).writes.length).toBeLessThanOrEqual(3)
      } catch (err) {
        expect(writes.length).toBeGreaterThan(3)
        expect(err).toBeInstanceOf(Error)
      }
    }), { numRuns: 100 })
  })

  it('a negative time encodes but is refused by the decoder with an Error (a malformed frame, never a crash)', () => {
    const data = GossipMessage.encode({ network: 'private', enclave: 'default', writes: [{ key: 'k', value: new Uint8Array(0), createdAt: -1, expiresAt: 1, writeId: 'w', origin: new Uint8Array(0) }] })
    expect(() => GossipMessage.decode(data)).toThrow(RangeError)
    expect(checkGossip(data, true, T0, LIMITS)).toEqual({ verdict: 'reject', reason: 'schema' })
  })

  it('Write and GossipMessage survive an encode/decode round trip', () => {
    fc.assert(fc.property(fc.array(wireWriteArb, { maxLength: 4 }), (writes) => {
      const m = GossipMessage.decode(GossipMessage.encode({ network: 'n', enclave: 'e', writes }))
      expect(m.writes.length).toBe(writes.length)
      m.writes.forEach((w, i) => {
        expect(w.key).toBe(writes[i].key)
        expect(w.createdAt).toBe(writes[i].createdAt)
        expect(w.expiresAt).toBe(writes[i].expiresAt)
        expect(w.writeId).toBe(writes[i].writeId)
        expect([...w.value]).toEqual([...writes[i].value])
      })
    }), { numRuns: 200 })
  })
})

describe('checkWrite and checkGossip', () => {
  it('checkWrite never throws, and a write it passes is within every limit', () => {
    fc.assert(fc.property(writeArb, (w) => {
      const why = checkWrite(w, T0, LIMITS)
      if (why !== undefined) return
      expect(utf8Length(w.key)).toBeGreaterThan(0)
      expect(utf8Length(w.key)).toBeLessThanOrEqual(LIMITS.maxKeyBytes)
      expect(w.createdAt).toBeLessThan(w.expiresAt)
      expect(w.createdAt).toBeLessThanOrEqual(T0 + LIMITS.maxClockSkewMs)
      expect(w.expiresAt).toBeGreaterThan(T0)
      expect(w.expiresAt).toBeLessThanOrEqual(T0 + LIMITS.maxTtl * 1000 + LIMITS.maxClockSkewMs)
      if (w.size === undefined) expect(w.value.byteLength).toBeLessThanOrEqual(LIMITS.maxValueBytes)
      else expect(w.size).toBeLessThanOrEqual(LIMITS.maxValueBytes)
    }), RUNS)
  })

  const valid = GossipMessage.encode({ network: 'private', enclave: 'default', writes: [{ key: 'k', value: new Uint8Array([1]), createdAt: T0 - 1000, expiresAt: T0 + 60_000, writeId: 'w-1', origin: new Uint8Array(0) }] })
  it('checkGossip never throws on any bytes (random, mutated, well-formed), and what it accepts is within the limits', () => {
    const data = fc.oneof(
      bytes,
      mutate(valid),
      fc.array(wireWriteArb, { maxLength: 10 }).map(writes => GossipMessage.encode({ network: 'private', enclave: 'default', writes }))
    )
    fc.assert(fc.property(data, fc.boolean(), (d, signed) => {
      const check = checkGossip(d, signed, T0, LIMITS)
      expect(['accept', 'reject', 'ignore']).toContain(check.verdict)
      if (check.verdict !== 'accept') return
      expect(signed).toBe(true)
      expect(check.message.writes.length).toBeLessThanOrEqual(LIMITS.batchSize)
      for (const w of check.live) expect(checkWrite(w, T0, LIMITS)).toBeUndefined()
      expect(check.live.length + check.expired).toBe(check.message.writes.length)
    }), RUNS)
  })
})

describe('a node fed fuzzed frames on every inbound protocol', () => {
  let target: TestNode
  let attacker: RepramLibp2p
  const NODE_LIMITS: WriteLimits = { maxKeyBytes: 64, maxValueBytes: 4096, maxTtl: 3600, maxClockSkewMs: 30_000, gossipInlineBytes: 1024 }

  beforeAll(async () => {
    target = await createNode('memory', { ...NODE_LIMITS, maxGossipMessageBytes: 32 * 1024 })
    const config = validateConfig({ ...profileDefaults('test'), listen: [listenAddr('memory')] })
    attacker = await createRepramLibp2p(config, { privateKey: await generateKeyPair('Ed25519') })
    await attacker.dial(target.addrs.map(a => multiaddr(a)), { signal: AbortSignal.timeout(5000) })
    const topic = topicFor('private', 'default')
    await until(() => attacker.services.pubsub.getSubscribers(topic).some(p => p.toString() === target.node.nodeId), { what: 'the target subscription' })
  })
  afterAll(async () => {
    await attacker?.stop()
    await stopAll()
  })

  /** One frame on a fresh stream; waits briefly for an answer, then closes. Errors are the server's right. */
  async function frame (protocol: string, data: Uint8Array): Promise<void> {
    const signal = AbortSignal.timeout(2000)
    let stream
    try {
      stream = await attacker.dialProtocol(peerIdFromString(target.node.nodeId), protocol, { signal })
    } catch {
      return
    }
    const lp = lpStream(stream, { maxDataLength: 8 * 1024 * 1024 } as never)
    try {
      await lp.write(data, { signal } as never)
      await lp.read({ signal: AbortSignal.timeout(300) } as never)
    } catch {}
    stream.abort(new Error('fuzz frame done'))
  }

  it('stays healthy, crashes no actor and stores only valid records', async () => {
    const now = Date.now()
    const liveWrite = (w: Write): Write => ({ ...w, createdAt: now + (w.createdAt % 60_000), expiresAt: now + (Math.abs(w.expiresAt) % 120_000) })
    const nodeWrites = fc.array(writeArb.map(liveWrite), { maxLength: 4 })
    const replicate = fc.oneof(bytes, nodeWrites.map(writes => ReplicateRequest.encode({ id: 1, network: 'private', enclave: 'default', writes })))
    const sync = fc.oneof(bytes, nodeWrites.map(push => SyncRequest.encode({ network: 'private', enclave: 'default', buckets: 1024, groups: [], entries: [], records: [], fetch: [], push })), key.map(get => SyncRequest.encode({ network: 'private', enclave: 'default', buckets: 1024, groups: [0, 1], entries: [], records: [], fetch: [], push: [], get })))
    const blob = fc.oneof(bytes, key.map(k => BlobRequest.encode({ key: k, writeId: 'w-1' } as BlobRequest)))
    const gossip = fc.oneof(bytes, nodeWrites.map(writes => GossipMessage.encode({ network: 'private', enclave: 'default', writes })))
    const topic = topicFor('private', 'default')

    await fc.assert(fc.asyncProperty(
      fc.oneof(
        replicate.map(d => [REPLICATE_PROTOCOL, d] as const),
        sync.map(d => [SYNC_PROTOCOL, d] as const),
        blob.map(d => [BLOB_PROTOCOL, d] as const),
        gossip.map(d => ['gossip', d] as const)
      ),
      async ([protocol, data]) => {
        if (protocol === 'gossip') await attacker.services.pubsub.publish(topic, data).catch(() => {})
        else await frame(protocol, data)
      }), { numRuns: 150 })

    // The harness reaches the server: a frame of another enclave is refused and counted.
    await frame(REPLICATE_PROTOCOL, ReplicateRequest.encode({ id: 9, network: 'private', enclave: 'elsewhere', writes: [] }))
    await until(async () => await metric(target.node, 'repram_replicate_frames_refused_total') >= 1, { what: 'a refused frame counted' })
    // Healthy: a write still stores, nothing crashed.
    const put = await target.node.put('after/fuzz', new Uint8Array([1]), { ttl: 60 })
    expect(put.key).toBe('after/fuzz')
    expect(await metric(target.node, 'repram_actor_crashes_total')).toBe(0)
    // Nothing invalid stored.
    const at = Date.now()
    const { keys } = await target.node.keys({ limit: 1000 })
    for (const k of keys) {
      const rec = await target.node.get(k, { local: true })
      if (rec === undefined) continue
      expect(checkWrite(toWire(rec, new Uint8Array(0)), at, NODE_LIMITS)).toBeUndefined()
    }
  })
})
