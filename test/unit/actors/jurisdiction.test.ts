/**
 * Jurisdictions in the actors, each alone on a ManualClock: the gossip peer routes a
 * restricted write to its jurisdictions' topics and declares this node's jurisdiction in
 * its announces; a message whose writes are all for other jurisdictions is ignored without
 * a penalty; inbound writes never store (nor pull) a write for jurisdictions this node is
 * not in; membership keeps what a member declares of itself.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { dispatch, start, stop } from 'nact'
import { spawnGossipPeer, type GossipLimits, type GossipMembershipMsg, type GossipVerdict } from '../../../actors/gossip-peer/index.js'
import { spawnInboundWrites, type InboundWritesMsg } from '../../../actors/inbound-writes/index.js'
import { MembershipTable } from '../../../actors/membership/membership.js'
import { replyChannel } from '../../../actors/runtime/ask.js'
import { ManualClock } from '../../../src/clock.js'
import type { RepramRecord } from '../../../src/record.js'
import { GossipMessage, WriteResult, type Write } from '../../../src/wire/pb/repram.js'
import { until } from '../../helpers/until.js'

const T0 = 1_700_000_000_000
const LIMITS: GossipLimits = { network: 'testnet', enclave: 'blue', maxMessageBytes: 64 * 1024, batchSize: 16, maxKeyBytes: 256, maxValueBytes: 1024 * 1024, maxTtl: 3600, maxClockSkewMs: 5000, gossipInlineBytes: 1024 }

let system: ReturnType<typeof start> | undefined
afterEach(() => {
  if (system !== undefined) stop(system)
  system = undefined
})

let seq = 0
const record = (jurisdictions?: string[]): RepramRecord => {
  const id = `w-${++seq}`
  return { key: `app/${id}`, value: new Uint8Array([1, 2, 3]), createdAt: T0 - 1000, expiresAt: T0 + 60_000, writeId: id, ...(jurisdictions === undefined ? {} : { jurisdictions }) }
}
const write = (codes?: string[], over: Partial<Write> = {}): Write => {
  const id = `in-${++seq}`
  return { key: `app/${id}`, value: new Uint8Array([1, 2, 3]), createdAt: T0 - 1000, expiresAt: T0 + 60_000, writeId: id, origin: new Uint8Array([9]), ...(codes === undefined ? {} : { jurisdictions: { codes } }), ...over }
}
const message = (m: Partial<GossipMessage>): Uint8Array => GossipMessage.encode({ network: LIMITS.network, enclave: LIMITS.enclave, writes: [], ...m })

function gossip (jurisdiction: string | null): {
  published: Array<{ topic: string, message: GossipMessage }>
  membership: GossipMembershipMsg[]
  inbound: InboundWritesMsg[]
  refused: number[]
  penalties: string[]
  clock: ManualClock
  send: (msg: Parameters<typeof dispatch>[1]) => void
  validate: (data: Uint8Array, carrier?: string) => Promise<GossipVerdict>
} {
  system = start()
  const clock = new ManualClock(T0)
  const published: Array<{ topic: string, message: GossipMessage }> = []
  const membership: GossipMembershipMsg[] = []
  const inbound: InboundWritesMsg[] = []
  const refused: number[] = []
  const penalties: string[] = []
  const ref = spawnGossipPeer(system, {
    limits: LIMITS,
    batchDelayMs: 10,
    inlineBytes: LIMITS.gossipInlineBytes,
    origin: new Uint8Array([1]),
    jurisdiction,
    clock,
    transport: { publish: async (data, j) => { published.push({ topic: j ?? '', message: GossipMessage.decode(data) }); return 2 } },
    inbound: { send: (m) => { inbound.push(m) } },
    membership: { send: (m) => { membership.push(m) } },
    counters: { message: () => {}, writes: () => {}, outOfJurisdiction: (n) => { refused.push(n) } },
    guard: { admit: (_peer, sizes) => sizes.length, penalise: (peer, reason) => { penalties.push(`${peer}:${reason}`) } },
    crashed: () => {}
  })
  const validate = async (data: Uint8Array, carrier = 'peer-b'): Promise<GossipVerdict> =>
    await new Promise((resolve, reject) => dispatch(ref, { type: 'validate', data, signed: true, carrier, author: carrier, replyTo: replyChannel(resolve, reject) }))
  return { published, membership, inbound, refused, penalties, clock, send: (msg) => dispatch(ref, msg), validate }
}

describe('GossipPeer and jurisdictions', () => {
  it('publishes unrestricted writes on the enclave topic and a restricted one on each of its jurisdictions\' topics, never on the enclave topic', async () => {
    const g = gossip('eu')
    const plain = record()
    const eu = record(['eu'])
    const both = record(['eu', 'us'])
    g.send({ type: 'publish', records: [plain, eu, both] })
    // The mailbox runs in order: once a later message is answered, the batch timer is armed.
    await g.validate(message({}))
    g.clock.advance(10)
    await until(() => g.published.length === 3, { what: 'three messages' })
    const byTopic = Object.fromEntries(g.published.map(p => [p.topic, p.message.writes.map(w => w.writeId)]))
    expect(byTopic).toEqual({ '': [plain.writeId], eu: [eu.writeId, both.writeId], us: [both.writeId] })
    // The set travels with the write.
    expect(g.published.find(p => p.topic === 'us')?.message.writes[0].jurisdictions?.codes).toEqual(['eu', 'us'])
    // Only the enclave topic's message is a sign of life for every member (announces may be skipped for it).
    await until(() => g.membership.length === 1, { what: 'published' })
    await g.validate(message({}))
    expect(g.membership).toEqual([{ type: 'published' }])
  })

  it('declares this node\'s jurisdiction in its announces (none: the field is absent), and passes a peer\'s on to membership', async () => {
    const g = gossip('eu')
    g.send({ type: 'announce', addresses: [] })
    await until(() => g.published.length === 1, { what: 'the announce' })
    expect(g.published[0].message.announce?.jurisdiction).toBe('eu')
    const none = gossip(null)
    none.send({ type: 'announce', addresses: [] })
    await until(() => none.published.length === 1, { what: 'the announce' })
    expect(none.published[0].message.announce?.jurisdiction).toBeUndefined()

    const data = message({ announce: { addrs: [], jurisdiction: 'us' } })
    expect(await none.validate(data)).toBe('accept')
    none.send({ type: 'received', from: 'peer-b', data, carrier: 'peer-b' })
    await until(() => none.membership.length === 1, { what: 'seen' })
    expect(none.membership[0]).toMatchObject({ type: 'seen', peerId: 'peer-b', jurisdiction: 'us' })
    // An announce's jurisdiction must be a code: anything else is what no honest node sends.
    expect(await none.validate(message({ announce: { addrs: [], jurisdiction: 'U S' } }))).toBe('reject')
  })

  it('ignores (does not forward) a message whose writes are all for other jurisdictions, without a penalty; a mixed one is accepted', async () => {
    const g = gossip('us')
    expect(await g.validate(message({ writes: [write(['eu']), write(['ch', 'eu'])] }))).toBe('ignore')
    expect(g.refused).toEqual([2])
    expect(g.penalties).toEqual([])
    expect(await g.validate(message({ writes: [write(['eu']), write(), write(['eu', 'us'])] }))).toBe('accept')
    // A node that declares none takes unrestricted writes only.
    const none = gossip(null)
    expect(await none.validate(message({ writes: [write(['us'])] }))).toBe('ignore')
  })
})

describe('InboundWrites and jurisdictions', () => {
  it('answers FAILED to a write for other jurisdictions on every path, counts it, and neither merges nor pulls it', async () => {
    system = start()
    const merged: RepramRecord[] = []
    const pulls: string[] = []
    const counts: string[] = []
    const ref = spawnInboundWrites(system, {
      limits: LIMITS,
      jurisdiction: 'us',
      clock: new ManualClock(T0),
      merge: async (r) => { merged.push(r); return { status: 'stored', record: r, replaced: false } },
      transport: { pull: async (peer) => { pulls.push(peer); throw new Error('no') } },
      signal: new AbortController().signal,
      count: (via, result) => { counts.push(`${via}:${result}`) },
      crashed: () => {}
    })
    const send = async (writes: Write[], via: 'replicate' | 'gossip' | 'pulled' | 'received'): Promise<WriteResult[]> =>
      await new Promise((resolve, reject) => dispatch(ref, { type: 'writes', writes, from: 'peer-b', via, replyTo: replyChannel(resolve, reject) }))
    const large = write(['eu'], { value: new Uint8Array(0), size: LIMITS.gossipInlineBytes + 10, hash: new Uint8Array(32).fill(1) })
    expect(await send([write(['eu']), write(), write(['eu', 'us']), large], 'replicate')).toEqual([WriteResult.FAILED, WriteResult.HELD, WriteResult.HELD, WriteResult.FAILED])
    for (const via of ['gossip', 'pulled', 'received'] as const) expect(await send([write(['eu'])], via)).toEqual([WriteResult.FAILED])
    expect(merged.map(r => r.jurisdictions)).toEqual([undefined, ['eu', 'us']])
    expect(pulls).toEqual([])
    expect(counts.filter(c => c.endsWith(':out_of_jurisdiction'))).toEqual(['replicate:out_of_jurisdiction', 'replicate:out_of_jurisdiction', 'gossip:out_of_jurisdiction', 'pulled:out_of_jurisdiction', 'received:out_of_jurisdiction'])
  })
})

describe('MembershipTable.declare', () => {
  it('keeps a member\'s own statement, reports a change once, and ignores non-members', () => {
    const t = new MembershipTable({ memberTtlMs: 1000, pingFailures: 2 })
    t.seen('a', T0)
    expect(t.get('a')?.jurisdiction).toBeUndefined()
    expect(t.declare('a', 'eu')).toBe('updated')
    expect(t.declare('a', 'eu')).toBe('none')
    expect(t.declare('a', null)).toBe('updated')
    expect(t.list()[0].jurisdiction).toBeNull()
    expect(t.declare('stranger', 'eu')).toBe('none')
    expect(t.get('stranger')).toBeUndefined()
  })
})
