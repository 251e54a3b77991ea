/**
 * The GossipPeer alone: a ManualClock, a fake topic transport that decodes and records
 * every published message, and recorders standing in for inbound-writes and membership.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { dispatch, start, stop, type Ref } from 'nact'
import { multiaddr } from '@multiformats/multiaddr'
import { spawnGossipPeer, MESSAGE_SLACK_BYTES, type GossipLimits, type GossipMembershipMsg, type GossipPeerMsg, type GossipVerdict } from '../../../actors/gossip-peer/index.js'
import type { InboundWritesMsg } from '../../../actors/inbound-writes/index.js'
import { replyChannel } from '../../../actors/runtime/ask.js'
import { ManualClock } from '../../../src/clock.js'
import type { RepramRecord } from '../../../src/record.js'
import { GossipMessage, type Write } from '../../../src/wire/pb/repram.js'
import { until } from '../../helpers/until.js'

const T0 = 1_700_000_000_000
const DELAY_MS = 50
const ORIGIN = new Uint8Array([0x00, 0x24, 0x08, 0x01])

const LIMITS: GossipLimits = {
  network: 'testnet',
  enclave: 'blue',
  maxMessageBytes: 64 * 1024,
  batchSize: 4,
  maxKeyBytes: 256,
  maxValueBytes: 1024 * 1024,
  maxTtl: 3600,
  maxClockSkewMs: 5000,
  gossipInlineBytes: 1024
}

let system: ReturnType<typeof start> | undefined
afterEach(() => {
  if (system !== undefined) stop(system)
  system = undefined
})

let seq = 0
const record = (valueBytes = 3, id = `w-${++seq}`): RepramRecord =>
  ({ key: `app/${id}`, value: new Uint8Array(valueBytes).fill(7), createdAt: T0 - 1000, expiresAt: T0 + 60_000, writeId: id })

/** A peer's write as it arrives on the wire (valid at T0 unless overridden). */
const write = (over: Partial<Write> = {}): Write => {
  const id = `in-${++seq}`
  return { key: `app/${id}`, value: new Uint8Array([1, 2, 3]), createdAt: T0 - 1000, expiresAt: T0 + 60_000, writeId: id, origin: new Uint8Array([9]), ...over }
}

const message = (m: Partial<GossipMessage>): Uint8Array => GossipMessage.encode({ network: LIMITS.network, enclave: LIMITS.enclave, writes: [], ...m })

const ADDR = '/ip4/127.0.0.1/tcp/4001'

function peer (limits: GossipLimits = LIMITS): {
  ref: Ref<GossipPeerMsg>
  clock: ManualClock
  published: GossipMessage[]
  /** Encoded size of each published message. */
  sizes: number[]
  inbound: InboundWritesMsg[]
  membership: GossipMembershipMsg[]
  counted: string[]
  rejected: string[]
  /** Recipients of the next publishes; a negative count makes them reject. */
  setRecipients: (n: number) => void
  validate: (data: Uint8Array, signed?: boolean) => Promise<GossipVerdict>
  publish: (...records: RepramRecord[]) => void
  probe: () => Promise<void>
} {
  system = start()
  const clock = new ManualClock(T0)
  const published: GossipMessage[] = []
  const sizes: number[] = []
  const inbound: InboundWritesMsg[] = []
  const membership: GossipMembershipMsg[] = []
  const counted: string[] = []
  const rejected: string[] = []
  let recipients = 3
  const ref = spawnGossipPeer(system, {
    limits,
    batchDelayMs: DELAY_MS,
    inlineBytes: limits.gossipInlineBytes,
    origin: ORIGIN,
    clock,
    transport: {
      publish: async (data) => {
        published.push(GossipMessage.decode(data))
        sizes.push(data.byteLength)
        if (recipients < 0) throw new Error('topic closed')
        return recipients
      }
    },
    inbound: { send: (m) => { inbound.push(m) } },
    membership: { send: (m) => { membership.push(m) } },
    counters: {
      message: (direction, result) => { counted.push(`message:${direction}:${result}`) },
      writes: (direction, result, n) => { counted.push(`writes:${direction}:${result}:${n}`) },
      rejected: (reason) => { rejected.push(reason) },
      rejectedWrite: (result) => { rejected.push(`write:${result}`) },
      droppedWrites: (reason, n) => { counted.push(`dropped:${reason}:${n}`) }
    },
    crashed: () => {}
  })
  const validate = async (data: Uint8Array, signed = true): Promise<GossipVerdict> =>
    await new Promise((resolve, reject) => dispatch(ref, { type: 'validate', data, signed, replyTo: replyChannel(resolve, reject) }))
  const publish = (...records: RepramRecord[]): void => dispatch(ref, { type: 'publish', records })
  /** Resolves once the peer has handled everything sent before it (an unsigned message changes no state). */
  const probe = async (): Promise<void> => { expect(await validate(new Uint8Array(0), false)).toBe('reject') }
  return { ref, clock, published, sizes, inbound, membership, counted, rejected, setRecipients: (n) => { recipients = n }, validate, publish, probe }
}

describe('GossipPeer', () => {
  describe('batching and publish', () => {
    it('publishes nothing before batchDelayMs of the clock, then one message with every queued write', async () => {
      const p = peer()
      const w1 = record()
      const w2 = record()
      p.publish(w1)
      p.publish(w2)
      await p.probe()
      expect(p.published).toHaveLength(0)
      p.clock.advance(DELAY_MS - 1)
      await p.probe()
      expect(p.published).toHaveLength(0)
      p.clock.advance(1)
      await until(() => p.published.length === 1, { what: 'one published message' })
      const m = p.published[0]
      expect(m.network).toBe(LIMITS.network)
      expect(m.enclave).toBe(LIMITS.enclave)
      expect(m.writes.map(w => w.writeId)).toEqual([w1.writeId, w2.writeId])
      expect(m.writes[0]).toMatchObject({ key: w1.key, value: w1.value, createdAt: w1.createdAt, expiresAt: w1.expiresAt, origin: ORIGIN })
      expect(m.writes[0].size).toBeUndefined()
      expect(p.clock.pendingTimers).toBe(0)
    })

    it('announces a value above the inline size (size and sha256) instead of carrying it', async () => {
      const p = peer()
      const big = record(LIMITS.gossipInlineBytes + 1)
      p.publish(big)
      await p.probe()
      p.clock.advance(DELAY_MS)
      await until(() => p.published.length === 1, { what: 'one published message' })
      const w = p.published[0].writes[0]
      expect(w.value.byteLength).toBe(0)
      expect(w.size).toBe(LIMITS.gossipInlineBytes + 1)
      expect(w.hash?.byteLength).toBe(32)
    })

    it('publishes at once when batchSize writes are queued, without waiting for the clock', async () => {
      const p = peer()
      const ws = [record(), record(), record(), record(), record()]
      p.publish(...ws.slice(0, 2))
      p.publish(...ws.slice(2))
      await until(() => p.published.length === 1, { what: 'a full batch' })
      expect(p.published[0].writes.map(w => w.writeId)).toEqual(ws.slice(0, 4).map(w => w.writeId))
      // The fifth waits for the delay.
      await p.probe()
      expect(p.published).toHaveLength(1)
      p.clock.advance(DELAY_MS)
      await until(() => p.published.length === 2, { what: 'the rest' })
      expect(p.published[1].writes.map(w => w.writeId)).toEqual([ws[4].writeId])
    })

    it('cuts a batch at the byte bound from maxMessageBytes', async () => {
      // 1000 bytes for writes; each of these is about 300 + 110 bytes: two fit, three do not.
      const p = peer({ ...LIMITS, maxMessageBytes: MESSAGE_SLACK_BYTES + 1000, batchSize: 100 })
      const ws = [record(300), record(300), record(300)]
      p.publish(...ws)
      await until(() => p.published.length === 1, { what: 'a batch at the byte bound' })
      await p.probe()
      expect(p.published).toHaveLength(1)
      expect(p.published[0].writes.map(w => w.writeId)).toEqual([ws[0].writeId, ws[1].writeId])
      expect(p.sizes[0]).toBeLessThanOrEqual(MESSAGE_SLACK_BYTES + 1000)
      p.clock.advance(DELAY_MS)
      await until(() => p.published.length === 2, { what: 'the rest' })
      expect(p.published[1].writes.map(w => w.writeId)).toEqual([ws[2].writeId])
    })

    it('tells membership "published" when the message reached someone', async () => {
      const p = peer()
      p.publish(record(), record(), record(), record())
      await until(() => p.counted.includes('message:out:published'), { what: 'published counted' })
      expect(p.counted).toContain('writes:out:published:4')
      expect(p.membership).toEqual([{ type: 'published' }])
    })

    it('does not tell membership "published" when no one got the message', async () => {
      const p = peer()
      p.setRecipients(0)
      p.publish(record(), record(), record(), record())
      await until(() => p.counted.includes('message:out:no_peers'), { what: 'no_peers counted' })
      expect(p.counted).toContain('writes:out:no_peers:4')
      expect(p.membership).toEqual([])
    })

    it('publishes an announce with this node\'s addresses', async () => {
      const p = peer()
      const addr = multiaddr(ADDR).bytes
      dispatch(p.ref, { type: 'announce', addresses: [addr] })
      await until(() => p.published.length === 1, { what: 'an announce' })
      expect(p.published[0]).toMatchObject({ network: LIMITS.network, enclave: LIMITS.enclave, writes: [] })
      expect(p.published[0].announce?.addrs).toEqual([addr])
      expect(p.published[0].leave).toBeUndefined()
      // Membership timed the announce itself: it is not told again (that made it skip the next one).
      await p.probe()
      expect(p.membership).toEqual([])
    })

    it('leave publishes what is queued first, then the leave notice, and answers with the recipient count', async () => {
      const p = peer()
      p.setRecipients(7)
      const w = record()
      p.publish(w)
      await p.probe()
      expect(p.clock.pendingTimers).toBe(1)
      const n = await new Promise<number>((resolve, reject) => dispatch(p.ref, { type: 'leave', replyTo: replyChannel(resolve, reject) }))
      expect(n).toBe(7)
      expect(p.published).toHaveLength(2)
      expect(p.published[0].writes.map(x => x.writeId)).toEqual([w.writeId])
      expect(p.published[0].leave).toBeUndefined()
      expect(p.published[1]).toMatchObject({ writes: [], leave: true })
      expect(p.clock.pendingTimers).toBe(0)
    })

    it('counts a publish that fails as an error, and tells membership nothing', async () => {
      const p = peer()
      p.setRecipients(-1)
      p.publish(record(), record(), record(), record())
      await until(() => p.counted.includes('message:out:error'), { what: 'error counted' })
      expect(p.counted).toContain('writes:out:error:4')
      expect(p.membership).toEqual([])
    })

    it('leave answers 0 when its publish fails', async () => {
      const p = peer()
      p.setRecipients(-1)
      const n = await new Promise<number>((resolve, reject) => dispatch(p.ref, { type: 'leave', replyTo: replyChannel(resolve, reject) }))
      expect(n).toBe(0)
      expect(p.published).toEqual([{ network: LIMITS.network, enclave: LIMITS.enclave, writes: [], leave: true }])
    })

    it('publishes nothing after halt', async () => {
      const p = peer()
      p.publish(record())
      dispatch(p.ref, { type: 'halt' })
      p.publish(record(), record(), record(), record())
      dispatch(p.ref, { type: 'announce', addresses: [] })
      await p.probe()
      expect(p.clock.pendingTimers).toBe(0)
      p.clock.advance(DELAY_MS)
      await p.probe()
      expect(p.published).toEqual([])
    })
  })

  describe('validate', () => {
    it('accepts a good signed message', async () => {
      const p = peer()
      expect(await p.validate(message({ writes: [write(), write()] }))).toBe('accept')
      expect(p.counted).toContain('message:in:accept')
    })

    it('rejects an unsigned message', async () => {
      const p = peer()
      expect(await p.validate(message({ writes: [write()] }), false)).toBe('reject')
      expect(p.rejected).toEqual(['unsigned'])
    })

    it('rejects a message larger than maxMessageBytes', async () => {
      const p = peer()
      const data = message({ writes: [write({ value: new Uint8Array(LIMITS.maxMessageBytes) })] })
      expect(data.byteLength).toBeGreaterThan(LIMITS.maxMessageBytes)
      expect(await p.validate(data)).toBe('reject')
      expect(p.rejected).toEqual(['oversized'])
    })

    it('rejects a message that does not decode', async () => {
      const p = peer()
      expect(await p.validate(new Uint8Array([0x0a, 0x10, 0x41]))).toBe('reject')
      expect(p.rejected).toEqual(['schema'])
    })

    it('rejects a message of another enclave or network', async () => {
      const p = peer()
      expect(await p.validate(message({ enclave: 'red', writes: [write()] }))).toBe('reject')
      expect(await p.validate(message({ network: 'mainnet', writes: [write()] }))).toBe('reject')
      expect(p.rejected).toEqual(['enclave', 'enclave'])
    })

    it.each([
      ['expiresAt beyond now + maxTtl + skew', { createdAt: T0, expiresAt: T0 + LIMITS.maxTtl * 1000 + LIMITS.maxClockSkewMs + 1 }],
      ['a bad writeId', { writeId: 'has space' }],
      ['an empty writeId', { writeId: '' }],
      ['createdAt beyond the clock skew', { createdAt: T0 + LIMITS.maxClockSkewMs + 1, expiresAt: T0 + LIMITS.maxClockSkewMs + 60_000 }]
    ])('rejects a message with a forged write: %s', async (_what, over) => {
      const p = peer()
      expect(await p.validate(message({ writes: [write(), write(over)] }))).toBe('reject')
      expect(p.rejected).toEqual(['write:invalid', 'write'])
    })

    it('accepts a message with a write that expired in transit, drops that write alone and counts it', async () => {
      const p = peer()
      const live = write()
      const late = write({ createdAt: T0 - 2000, expiresAt: T0 })
      const data = message({ writes: [late, live] })
      expect(await p.validate(data)).toBe('accept')
      expect(p.rejected).toEqual([])
      expect(p.counted).toEqual(['dropped:expired_in_transit:1', 'message:in:accept'])
      dispatch(p.ref, { type: 'received', from: 'peer-a', data })
      await until(() => p.inbound.length === 1, { what: 'the live write sent to inbound' })
      expect(p.inbound[0].type === 'writes' && p.inbound[0].writes.map(w => w.writeId)).toEqual([live.writeId])
      // Counted once, at validation.
      expect(p.counted.filter(c => c.startsWith('dropped:'))).toEqual(['dropped:expired_in_transit:1'])
    })

    it('ignores (does not reject) a message whose writes all expired in transit', async () => {
      const p = peer()
      const data = message({ writes: [write({ createdAt: T0 - 2000, expiresAt: T0 }), write({ createdAt: T0 - 2000, expiresAt: T0 - 1 })] })
      expect(await p.validate(data)).toBe('ignore')
      expect(p.rejected).toEqual([])
      expect(p.counted).toEqual(['dropped:expired_in_transit:2', 'message:in:ignore'])
    })

    it('still rejects a message with an expired write and a forged one', async () => {
      const p = peer()
      const data = message({ writes: [write({ createdAt: T0 - 2000, expiresAt: T0 }), write({ writeId: 'has space' })] })
      expect(await p.validate(data)).toBe('reject')
      expect(p.rejected).toEqual(['write:invalid', 'write'])
    })

    it('the duplicate rule looks at live writes only', async () => {
      const p = peer()
      const w1 = write()
      expect(await p.validate(message({ writes: [w1] }))).toBe('accept')
      expect(await p.validate(message({ writes: [w1, write({ createdAt: T0 - 2000, expiresAt: T0 })] }))).toBe('ignore')
    })

    it('ignores a message whose writes were all accepted before, and accepts one with a new write', async () => {
      const p = peer()
      const w1 = write()
      const w2 = write()
      expect(await p.validate(message({ writes: [w1, w2] }))).toBe('accept')
      expect(await p.validate(message({ writes: [w2, w1] }))).toBe('ignore')
      expect(await p.validate(message({ writes: [w1] }))).toBe('ignore')
      expect(await p.validate(message({ writes: [w1, write()] }))).toBe('accept')
      expect(p.counted.filter(c => c.startsWith('message:in:'))).toEqual(['message:in:accept', 'message:in:ignore', 'message:in:ignore', 'message:in:accept'])
    })
  })

  describe('received', () => {
    it('sends the writes of an accepted message to inbound (via gossip) and a sign of life to membership', async () => {
      const p = peer()
      const ws = [write(), write()]
      const data = message({ writes: ws })
      expect(await p.validate(data)).toBe('accept')
      dispatch(p.ref, { type: 'received', from: 'peer-a', data })
      await until(() => p.inbound.length === 1, { what: 'writes sent to inbound' })
      expect(p.inbound[0]).toMatchObject({ type: 'writes', from: 'peer-a', via: 'gossip' })
      expect(p.inbound[0].type === 'writes' && p.inbound[0].writes.map(w => w.writeId)).toEqual(ws.map(w => w.writeId))
      expect(p.membership).toEqual([{ type: 'seen', peerId: 'peer-a', addresses: undefined }])
    })

    it('drops a write that expired between validation and delivery, and passes on the rest', async () => {
      const p = peer()
      const live = write()
      const short = write({ createdAt: T0 - 1000, expiresAt: T0 + 10 })
      const data = message({ writes: [short, live] })
      expect(await p.validate(data)).toBe('accept')
      p.clock.advance(10)
      dispatch(p.ref, { type: 'received', from: 'peer-a', data })
      await until(() => p.inbound.length === 1, { what: 'writes sent to inbound' })
      expect(p.inbound[0]).toMatchObject({ type: 'writes', from: 'peer-a', via: 'gossip' })
      expect(p.inbound[0].type === 'writes' && p.inbound[0].writes.map(w => w.writeId)).toEqual([live.writeId])
      expect(p.counted).toContain('dropped:expired_in_transit:1')
    })

    it('sends nothing to inbound when every write expired on the way, but still a sign of life', async () => {
      const p = peer()
      const data = message({ writes: [write({ createdAt: T0 - 1000, expiresAt: T0 + 10 })] })
      expect(await p.validate(data)).toBe('accept')
      p.clock.advance(10)
      dispatch(p.ref, { type: 'received', from: 'peer-a', data })
      await until(() => p.membership.length === 1, { what: 'seen sent' })
      await p.probe()
      expect(p.membership).toEqual([{ type: 'seen', peerId: 'peer-a', addresses: undefined }])
      expect(p.inbound).toEqual([])
    })

    it('sends the announced addresses to membership as multiaddr strings', async () => {
      const p = peer()
      const data = message({ announce: { addrs: [multiaddr(ADDR).bytes, multiaddr('/ip6/::1/tcp/4002').bytes] } })
      expect(await p.validate(data)).toBe('accept')
      dispatch(p.ref, { type: 'received', from: 'peer-b', data })
      await until(() => p.membership.length === 1, { what: 'seen sent' })
      expect(p.membership).toEqual([{ type: 'seen', peerId: 'peer-b', addresses: [ADDR, '/ip6/::1/tcp/4002'], jurisdiction: null }])
      expect(p.inbound).toEqual([])
    })

    it('sends leave to membership for a leave notice', async () => {
      const p = peer()
      const data = message({ leave: true })
      expect(await p.validate(data)).toBe('accept')
      dispatch(p.ref, { type: 'received', from: 'peer-c', data })
      await until(() => p.membership.length === 1, { what: 'leave sent' })
      expect(p.membership).toEqual([{ type: 'leave', peerId: 'peer-c' }])
      expect(p.inbound).toEqual([])
    })

    it('checks a message it did not validate itself, and drops it when it fails', async () => {
      const p = peer()
      dispatch(p.ref, { type: 'received', from: 'peer-d', data: message({ enclave: 'red', writes: [write()] }) })
      const good = message({ writes: [write()] })
      dispatch(p.ref, { type: 'received', from: 'peer-e', data: good })
      await until(() => p.inbound.length === 1, { what: 'the good message' })
      expect(p.inbound[0]).toMatchObject({ from: 'peer-e', via: 'gossip' })
      expect(p.membership).toEqual([{ type: 'seen', peerId: 'peer-e', addresses: undefined }])
    })
  })
})
