/**
 * The Membership actor alone: a ManualClock, a fake MembershipTransport that records every
 * call (`connected(id)` answers from a set the test controls) and recorders for views,
 * events, announces and counters. Admission, expiry, health, the tick timer, bootstrap
 * re-dials, pruning, announces, peer exchange and halt; `redialDelayMs` as a table.
 */
import { describe, expect, it } from 'vitest'
import { dispatch, start, type Ref } from 'nact'
import {
  CANDIDATE_BACKOFF_MIN_MS, MAX_HANDSHAKES_IN_FLIGHT, MAX_MEMBERS, REDIAL_MAX_MS, REDIAL_MIN_MS, activeRank, announceIntervalMs, redialDelayMs, spawnMembership,
  type KnownPeer, type Member, type MembershipEvent, type MembershipInit, type MembershipMsg, type PingOptions
} from '../../../actors/membership/index.js'
import type { CrashReport } from '../../../actors/runtime/supervise.js'
import { ManualClock } from '../../../src/clock.js'
import { until } from '../../helpers/until.js'
import { actorHarness } from '../../helpers/actors.js'

const T0 = 1_700_000_000_000
const PING_INTERVAL_MS = 1000
const MEMBER_TTL_MS = 3000
const SELF = 'me'
const addr = (id: string): string => `/ip4/10.0.0.1/tcp/4001/p2p/${id}`
const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `peer-${i}`)

const fresh = actorHarness()

/** Everything the fake transport was asked, in order. */
interface TransportCalls {
  pings: Array<[string, boolean]>
  dials: string[]
  closed: string[]
  exchanged: string[]
  remembered: Array<[string, string[]]>
  verified: Array<[string, string[] | undefined]>
  forgotten: string[]
  addresses: number
}

/** How the fake transport answers; tests change these while the actor runs. */
interface Answers {
  ping: (id: string, opts: PingOptions) => Promise<number | undefined>
  dial: (addr: string) => Promise<string>
  exchange: (id: string) => Promise<KnownPeer[]>
  verify: (id: string, addresses: string[] | undefined) => Promise<boolean>
}

const ADDRESSES = [new Uint8Array([4, 127, 0, 0, 1])]

function membership (over: Partial<Omit<MembershipInit, 'clock' | 'transport' | 'gossip' | 'onView' | 'onEvent' | 'counters' | 'crashed'>> = {}): {
  ref: Ref<MembershipMsg>
  clock: ManualClock
  calls: TransportCalls
  answers: Answers
  open: Set<string>
  views: Array<readonly Member[]>
  events: MembershipEvent[]
  announced: Array<{ type: 'announce', addresses: Uint8Array[] }>
  counted: string[]
  crashes: CrashReport[]
  send: (msg: MembershipMsg) => void
  exchange: (asker: string) => Promise<KnownPeer[]>
  drained: () => Promise<void>
  latest: () => readonly Member[]
} {
  const { system, asker: a } = fresh()
  const clock = new ManualClock(T0)
  const calls: TransportCalls = { pings: [], dials: [], closed: [], exchanged: [], remembered: [], verified: [], forgotten: [], addresses: 0 }
  const answers: Answers = {
    ping: async () => 1,
    dial: async () => { throw new Error('unreachable') },
    exchange: async () => [],
    verify: async () => true
  }
  const open = new Set<string>()
  const views: Array<readonly Member[]> = []
  const events: MembershipEvent[] = []
  const announced: Array<{ type: 'announce', addresses: Uint8Array[] }> = []
  const counted: string[] = []
  const crashes: CrashReport[] = []
  const ref = spawnMembership(system, {
    self: SELF,
    memberTtlMs: MEMBER_TTL_MS,
    pingFailures: 2,
    pingIntervalMs: PING_INTERVAL_MS,
    random: () => 0,
    ...over,
    clock,
    transport: {
      ping: async (id, opts) => { calls.pings.push([id, opts.dial]); return await answers.ping(id, opts) },
      dial: async (addr) => { calls.dials.push(addr); return await answers.dial(addr) },
      connected: (id) => open.has(id),
      verify: async (id, addresses) => { calls.verified.push([id, addresses]); return await answers.verify(id, addresses) },
      closeOutbound: (id) => { calls.closed.push(id) },
      exchange: async (id) => { calls.exchanged.push(id); return await answers.exchange(id) },
      remember: (id, addresses) => { calls.remembered.push([id, addresses]) },
      forget: (id) => { calls.forgotten.push(id) },
      addresses: () => { calls.addresses++; return ADDRESSES }
    },
    gossip: { send: (m) => { announced.push(m) } },
    onView: (v) => { views.push(v) },
    onEvent: (e) => { events.push(e) },
    counters: {
      announce: (result) => { counted.push(`announce:${result}`) },
      exchange: (result) => { counted.push(`exchange:${result}`) },
      dialFailure: (kind) => { counted.push(`dialFailure:${kind}`) },
      candidate: (result) => { counted.push(`candidate:${result}`) }
    },
    crashed: (report) => { crashes.push(report) }
  })
  const send = (msg: MembershipMsg): void => dispatch(ref, msg)
  const exchange = async (from: string): Promise<KnownPeer[]> =>
    await a.ask<KnownPeer[], MembershipMsg>(ref, replyTo => ({ type: 'exchange', asker: from, replyTo }), 5000, 'membership')
  /** Resolves once the actor has handled every message sent before (an exchange is answered in mailbox order). */
  const drained = async (): Promise<void> => { await exchange('probe') }
  const latest = (): readonly Member[] => views.at(-1) ?? []
  return { ref, clock, calls, answers, open, views, events, announced, counted, crashes, send, exchange, drained, latest }
}

type Harness = ReturnType<typeof membership>

/** One tick of the clock's ping timer, handled (the next one is armed when a tick is handled). */
async function tick (h: Harness, ms = PING_INTERVAL_MS): Promise<void> {
  h.clock.advance(ms)
  await h.drained()
}

const idsOf = (view: readonly Member[]): string[] => view.map(m => m.id).sort()

describe('Membership', () => {
  describe('admission', () => {
    it('adds a member on a sign of life, remembers its addresses and publishes a view', async () => {
      const h = membership()
      h.send({ type: 'seen', peerId: 'p1', carrier: 'p1', addresses: [addr('p1')] })
      await until(() => h.views.length > 0, { what: 'the first view' })
      expect(h.views[0]).toEqual([expect.objectContaining({ id: 'p1', addresses: [addr('p1')], healthy: true, failures: 0, lastSeen: T0, active: true })])
      expect(Object.isFrozen(h.views[0])).toBe(true)
      expect(h.calls.remembered).toEqual([['p1', [addr('p1')]]])
    })

    it('reports a joined event and pings an active joiner at once, without waiting for a tick', async () => {
      const h = membership()
      h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
      await until(() => h.events.length > 0, { what: 'the joined event' })
      expect(h.events[0]).toMatchObject({ type: 'joined', member: { id: 'p1', active: true, healthy: true } })
      await until(() => h.calls.pings.length === 1, { what: 'the join ping' })
      expect(h.calls.pings).toEqual([['p1', true]])
      expect(h.clock.now()).toBe(T0)
    })

    it('ignores a sign of life from itself', async () => {
      const h = membership()
      h.send({ type: 'seen', peerId: SELF, carrier: SELF, addresses: [addr(SELF)] })
      await h.drained()
      expect(h.views).toEqual([])
      expect(h.events).toEqual([])
    })

    it('asks its first member for the members it knows, and they become members', async () => {
      const h = membership()
      h.answers.exchange = async () => [{ id: 'p2', addresses: [addr('p2')] }, { id: 'p3', addresses: [addr('p3')] }, { id: SELF, addresses: [addr(SELF)] }]
      h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
      await until(() => idsOf(h.latest()).length === 3, { what: 'the exchanged peers as members' })
      expect(idsOf(h.latest())).toEqual(['p1', 'p2', 'p3'])
      expect(h.calls.exchanged).toEqual(['p1'])
      expect(h.calls.remembered).toEqual([['p2', [addr('p2')]], ['p3', [addr('p3')]]])
      expect(h.counted).toContain('exchange:ok')
      // No longer alone: a later joiner is not asked.
      h.send({ type: 'seen', peerId: 'p4', carrier: 'p4' })
      await h.drained()
      expect(idsOf(h.latest())).toEqual(['p1', 'p2', 'p3', 'p4'])
      expect(h.calls.exchanged).toEqual(['p1'])
    })

    it('counts a failed peer exchange and keeps the member', async () => {
      const h = membership()
      h.answers.exchange = async () => { throw new Error('no stream') }
      h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
      await until(() => h.counted.includes('exchange:failed'), { what: 'the failed exchange counted' })
      expect(idsOf(h.latest())).toEqual(['p1'])
    })

    it(`admits at most MAX_MEMBERS (${MAX_MEMBERS}) members`, async () => {
      const h = membership()
      h.answers.ping = async () => await new Promise<undefined>(() => {}) // never answers: keeps the test about admission
      const all = Array.from({ length: MAX_MEMBERS + 1 }, (_, i) => `p${i}`)
      for (const id of all) h.send({ type: 'seen', peerId: id, carrier: id })
      await h.drained()
      expect(h.latest()).toHaveLength(MAX_MEMBERS)
      expect(h.latest().some(m => m.id === all[MAX_MEMBERS])).toBe(false)
      expect(h.events.filter(e => e.type === 'joined')).toHaveLength(MAX_MEMBERS)
    })
  })

  describe('eviction', () => {
    it('forgets a member not heard from for memberTtlMs on the next tick, and tells the transport', async () => {
      const h = membership()
      h.answers.ping = async () => undefined // not connected: no sign of life
      h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
      await until(() => h.views.length > 0, { what: 'p1 joined' })
      for (let t = PING_INTERVAL_MS; t < MEMBER_TTL_MS; t += PING_INTERVAL_MS) await tick(h)
      expect(h.clock.now()).toBe(T0 + MEMBER_TTL_MS - PING_INTERVAL_MS)
      expect(idsOf(h.latest())).toEqual(['p1'])
      expect(h.events.filter(e => e.type === 'left')).toEqual([])
      await tick(h)
      expect(h.latest()).toEqual([])
      expect(h.events.filter(e => e.type === 'left')).toEqual([{ type: 'left', peerId: 'p1', reason: 'expired' }])
      expect(h.calls.forgotten).toEqual(['p1'])
    })

    it('keeps a member that answers its pings', async () => {
      const h = membership()
      h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
      for (let t = 0; t < 2 * MEMBER_TTL_MS; t += PING_INTERVAL_MS) await tick(h)
      expect(idsOf(h.latest())).toEqual(['p1'])
      expect(h.calls.forgotten).toEqual([])
    })

    it('removes a member that leaves at once, and ignores its late signs of life until it connects again', async () => {
      const h = membership()
      h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
      h.send({ type: 'seen', peerId: 'p2', carrier: 'p2' })
      h.send({ type: 'leave', peerId: 'p1' })
      await until(() => h.events.some(e => e.type === 'left'), { what: 'the left event' })
      expect(h.events.filter(e => e.type === 'left')).toEqual([{ type: 'left', peerId: 'p1', reason: 'left' }])
      expect(h.calls.forgotten).toEqual(['p1'])
      expect(idsOf(h.latest())).toEqual(['p2'])
      // A signal still in flight from it does not bring it back.
      h.send({ type: 'seen', peerId: 'p1', carrier: 'p1', addresses: [addr('p1')] })
      await h.drained()
      expect(idsOf(h.latest())).toEqual(['p2'])
      expect(h.events.filter(e => e.type === 'joined')).toHaveLength(2)
      // A new connection (a restart) lets it join again.
      h.send({ type: 'connected', peerId: 'p1' })
      h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
      await until(() => idsOf(h.latest()).includes('p1'), { what: 'p1 joined again' })
      expect(h.events.filter(e => e.type === 'joined').map(e => (e as { member: Member }).member.id)).toEqual(['p1', 'p2', 'p1'])
    })
  })

  describe('health', () => {
    it('marks a member unhealthy after pingFailures failed pings in a row, and recovered after one that succeeds', async () => {
      const h = membership({ pingFailures: 2 })
      let up = false
      h.answers.ping = async () => { if (up) return 3; throw new Error('timeout') }
      h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
      await until(() => h.latest()[0]?.failures === 1, { what: 'the failed join ping' })
      expect(h.latest()[0].healthy).toBe(true)
      expect(h.events.map(e => e.type)).toEqual(['joined', 'ping-failed'])
      await tick(h)
      await until(() => h.latest()[0]?.healthy === false, { what: 'p1 unhealthy' })
      expect(h.events.map(e => e.type)).toEqual(['joined', 'ping-failed', 'ping-failed', 'unhealthy'])
      up = true
      await tick(h)
      await until(() => h.latest()[0]?.healthy === true, { what: 'p1 recovered' })
      expect(h.latest()[0]).toMatchObject({ failures: 0, rttMs: 3 })
      expect(h.events.slice(-1)).toEqual([{ type: 'recovered', peerId: 'p1' }])
    })

    it('ticks every pingIntervalMs of the clock', async () => {
      const h = membership()
      h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
      await until(() => h.latest()[0]?.rttMs === 1, { what: 'the join ping answered' })
      expect(h.calls.pings).toHaveLength(1)
      for (let n = 2; n <= 4; n++) {
        await tick(h, PING_INTERVAL_MS - 1)
        expect(h.calls.pings).toHaveLength(n - 1)
        h.clock.advance(1)
        await until(() => h.calls.pings.length === n, { what: `ping ${n}` })
        await h.drained()
      }
    })
  })

  describe('bootstrap', () => {
    it('dials every bootstrap address on start, except one naming this node', async () => {
      const h = membership({ bootstrap: [addr('b1'), addr(SELF), addr('b2')] })
      await h.drained()
      expect(h.calls.dials).toEqual([])
      h.send({ type: 'start' })
      await until(() => h.calls.dials.length === 2, { what: 'the bootstrap dials' })
      expect(h.calls.dials).toEqual([addr('b1'), addr('b2')])
    })

    // `start` comes once the protocol handlers are up; a tick before it (wiring slower than a
    // ping interval) must not dial early.
    it('dials no bootstrap address before start, even when a tick comes first', async () => {
      const h = membership({ bootstrap: [addr('b1')] })
      await tick(h)
      await tick(h)
      expect(h.calls.dials).toEqual([])
      h.send({ type: 'start' })
      await until(() => h.calls.dials.length === 1, { what: 'the dial on start' })
      expect(h.calls.dials).toEqual([addr('b1')])
    })

    it('re-dials a failed bootstrap address after REDIAL_MIN_MS, then twice as long each time, up to REDIAL_MAX_MS', async () => {
      // Ticks every 100 ms: each delay below is a whole number of them.
      const step = 100
      const h = membership({ pingIntervalMs: step, memberTtlMs: 60_000, bootstrap: [addr('b1')] })
      h.send({ type: 'start' })
      await until(() => h.counted.filter(c => c === 'dialFailure:bootstrap').length === 1, { what: 'the first dial failed' })
      const delays: number[] = []
      for (let failures = 1; failures <= 8; failures++) {
        const delay = redialDelayMs(failures, REDIAL_MIN_MS, REDIAL_MAX_MS)
        delays.push(delay)
        // One tick lands delay - step after the failure (the next tick is armed from there): no dial yet.
        await tick(h, delay - step)
        expect(h.calls.dials).toHaveLength(failures)
        // The tick at the delay dials again.
        await tick(h, step)
        await until(() => h.counted.filter(c => c === 'dialFailure:bootstrap').length === failures + 1, { what: `dial ${failures + 1} failed` })
        expect(h.calls.dials).toHaveLength(failures + 1)
      }
      expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000])
      expect(new Set(h.calls.dials)).toEqual(new Set([addr('b1')]))
    })

    it('does not re-dial a bootstrap peer while it is connected, and dials it again once it is not', async () => {
      const h = membership({ bootstrap: [addr('b1')] })
      h.answers.dial = async () => { h.open.add('b1'); return 'b1' }
      h.send({ type: 'start' })
      await until(() => h.calls.dials.length === 1, { what: 'the first dial' })
      for (let i = 0; i < 5; i++) await tick(h)
      expect(h.calls.dials).toHaveLength(1)
      h.open.delete('b1')
      await tick(h)
      expect(h.calls.dials).toEqual([addr('b1'), addr('b1')])
    })
  })

  describe('pruning', () => {
    it('closes outbound connections to members outside its preferred view on tick, never to preferred or bootstrap peers', async () => {
      const all = ids(8)
      const ranked = [...all].sort((a, b) => activeRank(SELF, a) - activeRank(SELF, b))
      const preferred = ranked.slice(0, 3)
      const bootstrapPeer = ranked[5]
      const h = membership({ activePeers: 3, bootstrap: [addr(bootstrapPeer)] })
      for (const id of all) h.send({ type: 'seen', peerId: id, carrier: id })
      await h.drained()
      expect(h.calls.closed).toEqual([])
      await tick(h)
      const expected = all.filter(id => !preferred.includes(id) && id !== bootstrapPeer).sort()
      expect([...h.calls.closed].sort()).toEqual(expected)
      expect(h.latest().filter(m => m.preferred).map(m => m.id).sort()).toEqual([...preferred].sort())
      await tick(h)
      for (const id of [...preferred, bootstrapPeer]) expect(h.calls.closed).not.toContain(id)
    })

    it('closes nothing when activePeers is 0 (every member is preferred)', async () => {
      const h = membership({ activePeers: 0 })
      for (const id of ids(8)) h.send({ type: 'seen', peerId: id, carrier: id })
      await tick(h)
      await tick(h)
      expect(h.latest()).toHaveLength(8)
      expect(h.calls.closed).toEqual([])
    })
  })

  describe('announces', () => {
    // random 0: the first wait is the whole interval (see announceWaitMs).
    const interval = announceIntervalMs(MEMBER_TTL_MS, PING_INTERVAL_MS, 0)

    it('announces its addresses on gossip once the announce interval of the clock has passed', async () => {
      const h = membership()
      await h.drained()
      h.clock.advance(interval - 1)
      await h.drained()
      expect(h.announced).toEqual([])
      h.clock.advance(1)
      await until(() => h.announced.length === 1, { what: 'the announce' })
      expect(h.announced).toEqual([{ type: 'announce', addresses: ADDRESSES }])
      expect(h.counted).toEqual(['announce:sent'])
    })

    it('skips an announce when it published on gossip within the wait, counted as skipped', async () => {
      const h = membership()
      h.clock.advance(interval / 2)
      h.send({ type: 'published' })
      await h.drained()
      h.clock.advance(interval / 2)
      await until(() => h.counted.includes('announce:skipped'), { what: 'the skipped announce' })
      expect(h.announced).toEqual([])
      // Quiet for a whole wait since: the timer, re-armed for the rest of it, announces.
      h.clock.advance(interval / 2 - 1)
      await h.drained()
      expect(h.announced).toEqual([])
      h.clock.advance(1)
      await until(() => h.announced.length === 1, { what: 'the announce after a quiet wait' })
      expect(h.counted).toEqual(['announce:skipped', 'announce:sent'])
    })
  })

  describe('peer exchange', () => {
    it('answers with the healthy members that have addresses, except the asker', async () => {
      const h = membership({ pingFailures: 1 })
      h.answers.ping = async (id) => { if (id === 'sick') throw new Error('timeout'); return 1 }
      h.send({ type: 'seen', peerId: 'p1', carrier: 'p1', addresses: [addr('p1')] })
      h.send({ type: 'seen', peerId: 'sick', carrier: 'sick', addresses: [addr('sick')] })
      h.send({ type: 'seen', peerId: 'quiet', carrier: 'quiet' })
      h.send({ type: 'seen', peerId: 'asker', carrier: 'asker', addresses: [addr('asker')] })
      await until(() => h.latest().find(m => m.id === 'sick')?.healthy === false, { what: 'sick unhealthy' })
      expect(await h.exchange('asker')).toEqual([{ id: 'p1', addresses: [addr('p1')] }])
      expect(await h.exchange('p1')).toEqual([{ id: 'asker', addresses: [addr('asker')] }])
    })
  })

  describe('halt', () => {
    it('clears every timer, and later ticks and timers do nothing', async () => {
      const h = membership({ bootstrap: [addr('b1')] })
      h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' }) // arms the announce-soon timer besides the tick and announce timers
      await until(() => h.latest()[0]?.rttMs === 1, { what: 'p1 joined and pinged' })
      expect(h.clock.pendingTimers).toBe(3)
      h.send({ type: 'halt' })
      await until(() => h.clock.pendingTimers === 0, { what: 'every timer cleared' })
      const before = { pings: h.calls.pings.length, dials: h.calls.dials.length, views: h.views.length }
      h.clock.advance(10 * MEMBER_TTL_MS)
      h.send({ type: 'tick' })
      h.send({ type: 'announce-timer' })
      h.send({ type: 'announce-soon' })
      await h.drained()
      expect(h.clock.pendingTimers).toBe(0)
      expect({ pings: h.calls.pings.length, dials: h.calls.dials.length, views: h.views.length }).toEqual(before)
      expect(h.announced).toEqual([])
      expect(h.events.filter(e => e.type === 'left')).toEqual([])
      h.send({ type: 'halt' })
      await h.drained()
      expect(h.crashes).toEqual([])
    })

    it('after halt, admits nobody: a new peer is neither pinged nor asked for peer exchange, and exchange answers nothing', async () => {
      const h = membership()
      h.send({ type: 'seen', peerId: 'p1', carrier: 'p1', addresses: [addr('p1')] })
      await until(() => h.latest()[0]?.rttMs === 1, { what: 'p1 joined and pinged' })
      h.send({ type: 'halt' })
      const before = { pings: h.calls.pings.length, exchanged: h.calls.exchanged.length, views: h.views.length }
      h.send({ type: 'seen', peerId: 'late', carrier: 'late' })
      expect(await h.exchange('asker')).toEqual([])
      expect({ pings: h.calls.pings.length, exchanged: h.calls.exchanged.length, views: h.views.length }).toEqual(before)
    })
  })
})

describe('redialDelayMs', () => {
  it.each([
    [0, 0],
    [-1, 0],
    [1, REDIAL_MIN_MS],
    [2, 2 * REDIAL_MIN_MS],
    [3, 4 * REDIAL_MIN_MS],
    [6, 32 * REDIAL_MIN_MS],
    [7, REDIAL_MAX_MS],
    [8, REDIAL_MAX_MS],
    [1000, REDIAL_MAX_MS]
  ])('after %i failed dials waits %i ms', (failures, expected) => {
    expect(redialDelayMs(failures, REDIAL_MIN_MS, REDIAL_MAX_MS)).toBe(expected)
  })

  it('doubles from any minimum and never exceeds the maximum', () => {
    expect([1, 2, 3, 4, 5].map(n => redialDelayMs(n, 100, 1000))).toEqual([100, 200, 400, 800, 1000])
    expect(redialDelayMs(1, 5000, 1000)).toBe(1000)
  })
})

describe('Membership verification (issue 16 §2)', () => {
  it('admits a peer only on its own connection: a sign of life without a carrier admits no one', async () => {
    const h = membership()
    h.send({ type: 'seen', peerId: 'stranger' })
    h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
    await h.drained()
    expect(idsOf(h.latest())).toEqual(['p1'])
  })

  it('refuses a candidate relayed by a peer that is not a member', async () => {
    const h = membership()
    h.send({ type: 'seen', peerId: 'fake', carrier: 'outsider', addresses: [addr('fake')] })
    await h.drained()
    expect(h.calls.verified).toEqual([])
    expect(h.counted).toContain('candidate:unverified_source')
    expect(h.latest()).toEqual([])
  })

  it('verifies a candidate relayed by a member by dialling its announced addresses, then admits it', async () => {
    const h = membership()
    h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
    h.send({ type: 'seen', peerId: 'p2', carrier: 'p1', addresses: ['/ip4/10.0.2.1/tcp/4001'] })
    await until(() => idsOf(h.latest()).length === 2, { what: 'p2 admitted' })
    expect(h.calls.verified).toContainEqual(['p2', ['/ip4/10.0.2.1/tcp/4001']])
    expect(h.counted).toEqual(expect.arrayContaining(['candidate:added', 'candidate:verified']))
    expect(h.latest().find(m => m.id === 'p2')?.addresses).toEqual(['/ip4/10.0.2.1/tcp/4001'])
  })

  it('drops a candidate whose dial fails, counts it, and never offers it in peer exchange', async () => {
    const h = membership()
    h.answers.verify = async (id) => id !== 'fake'
    h.send({ type: 'seen', peerId: 'p1', carrier: 'p1', addresses: [addr('p1')] })
    h.send({ type: 'seen', peerId: 'fake', carrier: 'p1', addresses: ['/ip4/10.9.9.9/tcp/1'] })
    await until(() => h.counted.includes('candidate:dial_failed'), { what: 'the failed dial' })
    expect(h.counted).toContain('dialFailure:candidate')
    expect(idsOf(h.latest())).toEqual(['p1'])
    expect((await h.exchange('asker')).map(p => p.id)).toEqual(['p1'])
  })

  it('caps the candidates one member vouches for, and dials them at the configured rate (burst 2x)', async () => {
    const h = membership({ candidates: { perSource: 3, dialRate: 1 } })
    const pending: Array<() => void> = []
    h.answers.verify = async () => await new Promise<boolean>(resolve => { pending.push(() => resolve(false)) })
    h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
    for (let i = 0; i < 10; i++) h.send({ type: 'seen', peerId: `fake-${i}`, carrier: 'p1', addresses: [`/ip4/10.${i}.0.1/tcp/1`] })
    await h.drained()
    expect(h.counted.filter(c => c === 'candidate:added')).toHaveLength(3)
    expect(h.counted.filter(c => c === 'candidate:source_cap')).toHaveLength(7)
    // A burst of 2 (2x the rate of 1/s); the third waits for a token.
    expect(h.calls.verified).toHaveLength(2)
    h.clock.advance(1000)
    await h.drained()
    expect(h.calls.verified).toHaveLength(3)
    for (const p of pending) p()
    expect(idsOf(h.latest())).toEqual(['p1'])
  })

  it('caps the candidates per announced address range', async () => {
    const h = membership({ candidates: { perRange: 2, dialRate: 0 } })
    h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
    for (let i = 0; i < 5; i++) h.send({ type: 'seen', peerId: `fake-${i}`, carrier: 'p1', addresses: [`/ip4/192.0.2.${i + 1}/tcp/1`] })
    await h.drained()
    expect(h.counted.filter(c => c === 'candidate:added')).toHaveLength(2)
    expect(h.counted.filter(c => c === 'candidate:range_cap')).toHaveLength(3)
    expect(h.calls.verified).toEqual([])
  })

  it('backs off the source of a failed candidate before dialling its next one', async () => {
    const h = membership({ candidates: { dialRate: 100 } })
    h.answers.verify = async () => false
    h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
    h.send({ type: 'seen', peerId: 'fake-a', carrier: 'p1', addresses: ['/ip4/10.1.0.1/tcp/1'] })
    await until(() => h.counted.includes('candidate:dial_failed'), { what: 'the first failure' })
    h.send({ type: 'seen', peerId: 'fake-b', carrier: 'p1', addresses: ['/ip4/10.2.0.1/tcp/1'] })
    await h.drained()
    expect(h.calls.verified.map(c => c[0])).toEqual(['fake-a'])
    h.clock.advance(CANDIDATE_BACKOFF_MIN_MS)
    await until(() => h.calls.verified.length === 2, { what: 'the dial after the backoff' })
    expect(h.calls.verified[1][0]).toBe('fake-b')
  })

  it('asks a subscriber that is not a member the handshake: admitted if it answers, else not asked again within memberTtl', async () => {
    const h = membership()
    h.answers.verify = async (id) => id === 'real'
    h.send({ type: 'subscribed', peerId: 'real' })
    h.send({ type: 'subscribed', peerId: 'stranger' })
    await until(() => h.counted.includes('candidate:handshake_failed'), { what: 'the stranger handshake' })
    await until(() => idsOf(h.latest()).includes('real'), { what: 'the real peer admitted' })
    expect(idsOf(h.latest())).toEqual(['real'])
    expect(h.calls.verified).toEqual([['real', undefined], ['stranger', undefined]])
    h.send({ type: 'subscribed', peerId: 'stranger' })
    await h.drained()
    expect(h.calls.verified).toHaveLength(2)
  })

  it('asks a subscriber again on the next tick when too many handshakes were out', async () => {
    const h = membership()
    const pending: Array<() => void> = []
    h.answers.verify = async (id) => id === 'late' ? true : await new Promise<boolean>(resolve => { pending.push(() => resolve(false)) })
    for (let i = 0; i < MAX_HANDSHAKES_IN_FLIGHT; i++) h.send({ type: 'subscribed', peerId: `slow-${i}` })
    h.send({ type: 'subscribed', peerId: 'late' })
    await h.drained()
    expect(h.counted).toContain('candidate:handshake_busy')
    expect(h.calls.verified.map(c => c[0])).not.toContain('late')
    for (const p of pending) p()
    await until(() => h.counted.filter(c => c === 'candidate:handshake_failed').length === MAX_HANDSHAKES_IN_FLIGHT, { what: 'the slow handshakes to fail' })
    h.open.add('late')
    await tick(h)
    await until(() => idsOf(h.latest()).includes('late'), { what: 'the deferred subscriber admitted' })
  })

  it('takes peer-exchange answers as candidates vouched by the member that gave them', async () => {
    const h = membership()
    h.answers.verify = async () => false
    h.answers.exchange = async () => [{ id: 'p2', addresses: ['/ip4/10.0.2.1/tcp/4001'] }, { id: 'p3', addresses: [] }]
    h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
    await until(() => h.calls.verified.some(c => c[0] === 'p2'), { what: 'p2 dialled' })
    expect(h.counted).toContain('candidate:no_address')
    expect(idsOf(h.latest())).toEqual(['p1'])
  })
})

describe('Membership: peers found by discovery (the DHT rendezvous, issue 17)', () => {
  it('takes a discovered peer as a candidate of its source, verifies it by a dial, then admits it', async () => {
    const h = membership()
    h.send({ type: 'discovered', peerId: 'd1', addresses: ['/ip4/10.0.3.1/tcp/4001'], source: 'dht' })
    await until(() => idsOf(h.latest()).includes('d1'), { what: 'd1 admitted' })
    expect(h.calls.verified).toEqual([['d1', ['/ip4/10.0.3.1/tcp/4001']]])
    expect(h.counted).toEqual(expect.arrayContaining(['candidate:added', 'candidate:verified']))
  })

  it('counts a discovered peer for nothing until its dial verifies it, and drops it when the dial fails', async () => {
    const h = membership()
    h.answers.verify = async () => false
    h.send({ type: 'discovered', peerId: 'forged', addresses: ['/ip4/10.0.4.1/tcp/1'], source: 'dht' })
    await until(() => h.counted.includes('candidate:dial_failed'), { what: 'the failed dial' })
    expect(h.latest()).toEqual([])
    expect(await h.exchange('asker')).toEqual([])
  })

  it('caps discovered peers per source and per address range, and dials them at the configured rate', async () => {
    const h = membership({ candidates: { perSource: 4, perRange: 2, dialRate: 1 } })
    const pending: Array<() => void> = []
    h.answers.verify = async () => await new Promise<boolean>(resolve => { pending.push(() => resolve(false)) })
    // Three from one /24: two taken, then the range is full.
    for (let i = 0; i < 3; i++) h.send({ type: 'discovered', peerId: `same-range-${i}`, addresses: [`/ip4/10.7.7.${i + 1}/tcp/1`], source: 'dht' })
    // Then distinct ranges: the dht source's share (4) fills.
    for (let i = 0; i < 4; i++) h.send({ type: 'discovered', peerId: `other-${i}`, addresses: [`/ip4/10.8.${i}.1/tcp/1`], source: 'dht' })
    await h.drained()
    expect(h.counted.filter(c => c === 'candidate:added')).toHaveLength(4)
    expect(h.counted.filter(c => c === 'candidate:range_cap')).toHaveLength(1)
    expect(h.counted.filter(c => c === 'candidate:source_cap')).toHaveLength(2)
    // A burst of 2 dials (2x the rate of 1/s); the next waits for a token.
    expect(h.calls.verified).toHaveLength(2)
    h.clock.advance(1000)
    await h.drained()
    expect(h.calls.verified).toHaveLength(3)
    for (const p of pending) p()
    expect(h.latest()).toEqual([])
  })

  it('ignores a discovered peer that is already a member or refused the handshake within memberTtl', async () => {
    const h = membership()
    h.send({ type: 'seen', peerId: 'p1', carrier: 'p1' })
    h.send({ type: 'discovered', peerId: 'p1', addresses: ['/ip4/10.0.5.1/tcp/1'], source: 'dht' })
    h.answers.verify = async () => false
    h.open.add('stranger')
    h.send({ type: 'subscribed', peerId: 'stranger' })
    await until(() => h.counted.includes('candidate:handshake_failed'), { what: 'the stranger handshake' })
    h.send({ type: 'discovered', peerId: 'stranger', addresses: ['/ip4/10.0.6.1/tcp/1'], source: 'dht' })
    await h.drained()
    expect(h.counted).not.toContain('candidate:added')
    expect(h.calls.verified.map(([id]) => id)).toEqual(['stranger'])
  })
})
