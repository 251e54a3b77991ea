/**
 * The GossipPeer's side of reputation, alone on a ManualClock: a rejected message is
 * held against the peer that delivered it, writes past that peer's rate are ignored and
 * held against it, and a relayed announce of a stranger is not forwarded (its author's
 * own copy is).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { dispatch, start, stop, type Ref } from 'nact'
import { multiaddr } from '@multiformats/multiaddr'
import { spawnGossipPeer, type GossipLimits, type GossipMembershipMsg, type GossipPeerMsg, type GossipVerdict } from '../../../actors/gossip-peer/index.js'
import type { InboundWritesMsg } from '../../../actors/inbound-writes/index.js'
import { replyChannel } from '../../../actors/runtime/ask.js'
import { ManualClock } from '../../../src/clock.js'
import { PeerRateLimiter } from '../../../src/net/reputation.js'
import { GossipMessage, type Write } from '../../../src/wire/pb/repram.js'

const T0 = 1_700_000_000_000
const LIMITS: GossipLimits = { network: 'testnet', enclave: 'blue', maxMessageBytes: 64 * 1024, batchSize: 16, maxKeyBytes: 256, maxValueBytes: 1024 * 1024, maxTtl: 3600, maxClockSkewMs: 5000, gossipInlineBytes: 1024 }
const ADDR = '/ip4/127.0.0.1/tcp/4001'

let system: ReturnType<typeof start> | undefined
afterEach(() => {
  if (system !== undefined) stop(system)
  system = undefined
})

let seq = 0
const write = (over: Partial<Write> = {}): Write => {
  const id = `in-${++seq}`
  return { key: `app/${id}`, value: new Uint8Array([1, 2, 3]), createdAt: T0 - 1000, expiresAt: T0 + 60_000, writeId: id, origin: new Uint8Array([9]), ...over }
}
const message = (m: Partial<GossipMessage>): Uint8Array => GossipMessage.encode({ network: LIMITS.network, enclave: LIMITS.enclave, writes: [], ...m })
const announce = (): Uint8Array => message({ announce: { addrs: [multiaddr(ADDR).bytes] } })

function peer (writesPerSec = 0): {
  ref: Ref<GossipPeerMsg>
  clock: ManualClock
  penalties: string[]
  membership: GossipMembershipMsg[]
  inbound: InboundWritesMsg[]
  validate: (data: Uint8Array, carrier: string, author: string) => Promise<GossipVerdict>
} {
  system = start()
  const clock = new ManualClock(T0)
  const penalties: string[] = []
  const membership: GossipMembershipMsg[] = []
  const inbound: InboundWritesMsg[] = []
  const rates = new PeerRateLimiter({ writesPerSec, bytesPerSec: 0, maxWriteBytes: 1 }, clock)
  const ref = spawnGossipPeer(system, {
    limits: LIMITS,
    batchDelayMs: 10,
    inlineBytes: 1024,
    origin: new Uint8Array([1]),
    clock,
    transport: { publish: async () => 1 },
    inbound: { send: (m) => { inbound.push(m) } },
    membership: { send: (m) => { membership.push(m) } },
    counters: { message: () => {}, writes: () => {} },
    guard: { admit: (p, sizes) => rates.admit(p, sizes), penalise: (p, reason) => { penalties.push(`${p}:${reason}`) } },
    crashed: () => {}
  })
  const validate = async (data: Uint8Array, carrier: string, author: string): Promise<GossipVerdict> =>
    await new Promise((resolve, reject) => dispatch(ref, { type: 'validate', data, signed: true, carrier, author, replyTo: replyChannel(resolve, reject) }))
  return { ref, clock, penalties, membership, inbound, validate }
}

describe('GossipPeer reputation', () => {
  it('holds a rejected message against the peer that delivered it, not its author', async () => {
    const p = peer()
    expect(await p.validate(message({ writes: [write({ expiresAt: T0 + 10 * 3600_000 })] }), 'relay', 'author')).toBe('reject')
    expect(p.penalties).toEqual(['relay:invalid_gossip'])
  })

  it('ignores a message whose writes pass the carrier\'s rate, and holds it against the carrier', async () => {
    const p = peer(2) // burst 4 writes
    expect(await p.validate(message({ writes: [write(), write(), write()] }), 'fast', 'fast')).toBe('accept')
    expect(await p.validate(message({ writes: [write(), write()] }), 'fast', 'fast')).toBe('ignore')
    expect(p.penalties).toEqual(['fast:rate_limited'])
    // Another peer has its own bucket; the fast one is admitted again once its bucket refills.
    expect(await p.validate(message({ writes: [write(), write()] }), 'other', 'other')).toBe('accept')
    p.clock.advance(1000)
    expect(await p.validate(message({ writes: [write(), write()] }), 'fast', 'fast')).toBe('accept')
  })

  it.each([
    // [what, members, carrier, author, verdict]
    ['a stranger\'s announce relayed by another peer is ignored (not forwarded)', [], 'relay', 'stranger', 'ignore'],
    ['a stranger\'s own announce on its own connection is accepted (an honest joiner)', [], 'joiner', 'joiner', 'accept'],
    ['a member\'s announce relayed by another member is accepted', ['author', 'relay'], 'relay', 'author', 'accept']
  ])('%s', async (_what, members, carrier, author, verdict) => {
    const p = peer()
    dispatch(p.ref, { type: 'view', members: members.map(id => ({ id })) })
    expect(await p.validate(announce(), carrier, author)).toBe(verdict)
    expect(p.penalties).toEqual([])
  })

  it('a stranger\'s relayed announce still reaches membership with its carrier (a candidate when the carrier is a member)', async () => {
    const p = peer()
    dispatch(p.ref, { type: 'view', members: [{ id: 'relay' }] })
    expect(await p.validate(announce(), 'relay', 'joiner')).toBe('ignore')
    expect(p.membership).toEqual([{ type: 'seen', peerId: 'joiner', addresses: [ADDR], carrier: 'relay', jurisdiction: null }])
  })

  it('writes from an author that is not a member are still forwarded (a joiner\'s writes must not be lost)', async () => {
    const p = peer()
    expect(await p.validate(message({ writes: [write()] }), 'relay', 'stranger')).toBe('accept')
  })
})
