/**
 * The membership actor and its active view: who is pinged, when the view is published,
 * and the libp2p settings that keep a large enclave cheap (fast message ids, mesh
 * degrees, the silent libp2p logger).
 */
import { describe, expect, it } from 'vitest'
import { dispatch, type Ref } from 'nact'
import { MembershipTable, activeRank, spawnMembership, type KnownPeer, type Member, type MembershipEvent, type MembershipMsg, type MembershipTransport, type PingOptions } from '../../../actors/membership/index.js'
import { ManualClock } from '../../../src/clock.js'
import { connectionMonitorOptions, fastMessageId, gossipsubOptions, meshDegrees } from '../../../src/net/libp2p.js'
import { libp2pLogger } from '../../../src/net/libp2p-logger.js'
import { validateConfig, profileDefaults } from '../../../src/config.js'
import { until } from '../../helpers/until.js'
import { actorHarness } from '../../helpers/actors.js'

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `peer-${i}`)

describe('MembershipTable active view', () => {
  it('holds every member when activePeers is 0 or not exceeded', () => {
    const t = new MembershipTable({ memberTtlMs: 1000, pingFailures: 2, activePeers: 0, self: 'me' })
    for (const id of ids(10)) t.seen(id, 0)
    expect(t.activeIds().sort()).toEqual(ids(10).sort())
    const u = new MembershipTable({ memberTtlMs: 1000, pingFailures: 2, activePeers: 10, self: 'me' })
    for (const id of ids(10)) u.seen(id, 0)
    expect(u.activeIds()).toHaveLength(10)
    expect(u.list().every(m => m.active)).toBe(true)
  })

  it('keeps the activePeers members of lowest rank, plus every connected member', () => {
    const t = new MembershipTable({ memberTtlMs: 1000, pingFailures: 2, activePeers: 3, self: 'me' })
    const all = ids(20)
    for (const id of all) t.seen(id, 0)
    const lowest = [...all].sort((a, b) => activeRank('me', a) - activeRank('me', b)).slice(0, 3)
    expect(t.activeIds().sort()).toEqual([...lowest].sort())
    for (const id of all) expect(t.isActive(id)).toBe(lowest.includes(id))

    // A member that connects to us is active too (its RTT comes free from the connection).
    const outsider = all.find(id => !lowest.includes(id)) as string
    t.reconnected(outsider)
    expect(t.isActive(outsider)).toBe(true)
    expect(t.activeIds()).toHaveLength(4)
    expect(t.list().filter(m => m.active).map(m => m.id).sort()).toEqual([...lowest, outsider].sort())
    t.disconnected(outsider)
    expect(t.isActive(outsider)).toBe(false)

    // A sign of life over an open connection marks the member connected.
    const other = all.find(id => !lowest.includes(id) && id !== outsider) as string
    t.seen(other, 1, undefined, true)
    expect(t.get(other)?.connected).toBe(true)
  })

  it('ranks differently per node, so views do not all pick the same members', () => {
    const all = ids(50)
    const top = (self: string): string => [...all].sort((a, b) => activeRank(self, a) - activeRank(self, b)).slice(0, 5).join()
    const views = new Set(['a', 'b', 'c', 'd', 'e'].map(top))
    expect(views.size).toBe(5)
  })
})

describe('membership actor', () => {
  const PING_INTERVAL_MS = 1000
  const fresh = actorHarness()

  /**
   * A membership actor on a ManualClock with a fake transport: `ping` is recorded with its
   * `dial` option and answered by `answer`, `connected(id)` answers from `open`.
   */
  const spawn = (activePeers: number, answer: (id: string, opts: PingOptions) => Promise<number | undefined>, open = new Set<string>()): {
    ref: Ref<MembershipMsg>
    clock: ManualClock
    views: Array<readonly Member[]>
    events: MembershipEvent[]
    pings: Array<[string, boolean]>
    drained: () => Promise<void>
  } => {
    const { system, asker: a } = fresh()
    const clock = new ManualClock()
    const views: Array<readonly Member[]> = []
    const events: MembershipEvent[] = []
    const pings: Array<[string, boolean]> = []
    const transport: MembershipTransport = {
      ping: async (id, opts) => { pings.push([id, opts.dial]); return await answer(id, opts) },
      dial: async () => { throw new Error('no dial') },
      connected: (id) => open.has(id),
      verify: async () => true,
      closeOutbound: () => {},
      exchange: async () => [],
      remember: () => {},
      forget: () => {},
      addresses: () => []
    }
    const ref = spawnMembership(system, {
      self: 'me',
      memberTtlMs: 60_000,
      pingFailures: 2,
      pingIntervalMs: PING_INTERVAL_MS,
      activePeers,
      clock,
      transport,
      gossip: { send: () => {} },
      onView: (v) => views.push(v),
      onEvent: (e) => events.push(e),
      crashed: () => {},
      random: () => 0
    })
    // An exchange is answered in mailbox order: once it is, everything sent before it was handled.
    const drained = async (): Promise<void> => { await a.ask<KnownPeer[], MembershipMsg>(ref, replyTo => ({ type: 'exchange', asker: 'probe', replyTo }), 5000, 'membership') }
    return { ref, clock, views, events, pings, drained }
  }
  const byRank = (all: string[]): string[] => [...all].sort((a, b) => activeRank('me', a) - activeRank('me', b))
  const latest = (views: Array<readonly Member[]>, id: string): Member | undefined => views.at(-1)?.find(m => m.id === id)

  it('pings a member that joins its active view at once, and on tick only the active view', async () => {
    const { ref, clock, views, pings } = spawn(2, async () => 1)
    const all = ids(8)
    for (const id of all) dispatch(ref, { type: 'seen', peerId: id, carrier: id } satisfies MembershipMsg)
    const lowest = byRank(all).slice(0, 2)
    // Each active member was pinged when it joined (some before later joiners pushed them out),
    // and its answer is in the view (so no ping is in flight when the tick comes).
    await until(() => lowest.every(id => latest(views, id)?.rttMs === 1), { what: 'the active members pinged on joining' })
    for (const id of lowest) expect(pings).toContainEqual([id, true])
    pings.length = 0
    clock.advance(PING_INTERVAL_MS)
    // A tick pings synchronously: the first ping recorded comes with every other one.
    await until(() => pings.length > 0, { what: 'the pings of a tick' })
    expect(pings.map(([id]) => id).sort()).toEqual([...lowest].sort())
  })

  it('pings a member outside its preferred view only over an open connection, and a missing one is no failure', async () => {
    const all = ids(6)
    const lowest = byRank(all)[0]
    const outsider = all.find(id => id !== lowest) as string
    const open = new Set([outsider])
    const { ref, clock, views, events, pings } = spawn(1, async (id, opts) => opts.dial || open.has(id) ? 1 : undefined, open)
    for (const id of all) dispatch(ref, { type: 'seen', peerId: id, carrier: id })
    await until(() => latest(views, lowest)?.rttMs === 1 && latest(views, outsider)?.rttMs === 1, { what: 'the join pings answered' })
    expect(latest(views, outsider)).toMatchObject({ connected: true, active: true, preferred: false })
    // The outsider's connection closes without membership hearing of it yet.
    open.delete(outsider)
    pings.length = 0
    clock.advance(PING_INTERVAL_MS)
    await until(() => pings.length > 0, { what: 'the pings of a tick' })
    // The outsider is pinged over its connection (never dialled), the preferred member may be dialled, others not at all.
    expect([...pings].sort()).toEqual([[lowest, true], [outsider, false]].sort())
    // The outsider had no connection after all: no longer active, still healthy, not failed.
    await until(() => latest(views, outsider)?.connected === false, { what: 'the outsider marked not connected' })
    expect(latest(views, outsider)).toMatchObject({ connected: false, active: false, healthy: true, failures: 0 })
    expect(events.filter(e => e.type === 'ping-failed' || e.type === 'unhealthy')).toEqual([])
  })

  it('publishes health changes at once and coalesces RTT updates into one view', async () => {
    const answers = new Map<string, () => void>()
    let fail = false
    const { ref, clock, views, events, drained } = spawn(0, async (id) => await new Promise<number>((resolve, reject) => {
      answers.set(id, () => { if (fail) reject(new Error('down')); else resolve(2) })
    }))
    const five = ids(5)
    for (const id of five) dispatch(ref, { type: 'seen', peerId: id, carrier: id })
    await until(() => answers.size === 5, { what: 'the five join pings' })
    await drained()
    // One view per join.
    expect(views.map(v => v.length)).toEqual([1, 2, 3, 4, 5])
    // Five ping answers in one turn: one published view, with every RTT in it.
    const release = (): void => { const all = [...answers.values()]; answers.clear(); for (const a of all) a() }
    release()
    await until(() => views.length === 6, { what: 'the view with the RTTs' })
    await drained()
    expect(views).toHaveLength(6)
    expect(views[5].every(m => m.rttMs === 2)).toBe(true)

    // Two failed pings in a row make a member unhealthy: that view goes out at once, one per member.
    fail = true
    clock.advance(PING_INTERVAL_MS)
    await until(() => answers.size === 5, { what: 'the pings of the first tick' })
    release()
    await until(() => five.every(id => latest(views, id)?.failures === 1), { what: 'one failure each' })
    expect(views.at(-1)?.every(m => m.healthy)).toBe(true)
    const before = views.length
    clock.advance(PING_INTERVAL_MS)
    await until(() => answers.size === 5, { what: 'the pings of the second tick' })
    release()
    await until(() => views.at(-1)?.every(m => !m.healthy), { what: 'every member unhealthy' })
    const unhealthy = views.slice(before).map(v => v.filter(m => !m.healthy).length).filter(n => n > 0)
    expect(unhealthy).toEqual([1, 2, 3, 4, 5])
    expect(events.filter(e => e.type === 'unhealthy').map(e => (e as { peerId: string }).peerId).sort()).toEqual(five)
  })
})

describe('gossipsub settings', () => {
  it('derives the mesh bounds from D in the proportions of the defaults', () => {
    expect(meshDegrees(6)).toEqual({ D: 6, Dlo: 4, Dhi: 12, Dout: 2 })
    expect(meshDegrees(4)).toEqual({ D: 4, Dlo: 3, Dhi: 8, Dout: 2 })
    expect(meshDegrees(2)).toEqual({ D: 2, Dlo: 2, Dhi: 4, Dout: 1 })
    expect(meshDegrees(1)).toEqual({ D: 1, Dlo: 1, Dhi: 2, Dout: 0 })
    for (let d = 1; d <= 32; d++) {
      const m = meshDegrees(d)
      expect(m.Dlo <= m.D && m.D <= m.Dhi && m.Dout < m.Dlo && m.Dout <= m.D / 2).toBe(true)
    }
  })

  it('passes the config knobs to gossipsub', () => {
    const c = validateConfig({ ...profileDefaults('test'), gossipD: 4, gossipDlazy: 3, gossipFactor: 0.1, gossipFloodPublish: false })
    expect(gossipsubOptions(c)).toMatchObject({ D: 4, Dlo: 3, Dhi: 8, Dlazy: 3, gossipFactor: 0.1, floodPublish: false, fastMsgIdFn: fastMessageId })
    const base = profileDefaults('test')
    // Each new limit at its edges: the last valid value passes, the next one names the field.
    for (const [key, lo, hi] of [['gossipD', 1, 32], ['gossipDlazy', 0, 64], ['gossipFactor', 0, 1], ['activePeers', 0, 4096]] as const) {
      expect(validateConfig({ ...base, [key]: lo })[key]).toBe(lo)
      expect(validateConfig({ ...base, [key]: hi })[key]).toBe(hi)
      expect(() => validateConfig({ ...base, [key]: lo - 1 })).toThrow(new RegExp(key))
      expect(() => validateConfig({ ...base, [key]: key === 'gossipFactor' ? 1.01 : hi + 1 })).toThrow(new RegExp(key))
    }
    expect(validateConfig({ ...base, gossipFloodPublish: 'off' }).gossipFloodPublish).toBe(false)
    expect(() => validateConfig({ ...base, gossipFloodPublish: 'maybe' })).toThrow(/gossipFloodPublish/)
  })

  it('names a message by author and sequence number, and never names an unsigned one', () => {
    const from = new Uint8Array([1, 2, 3])
    expect(fastMessageId({ from, seqno: new Uint8Array([9]) })).toBe(fastMessageId({ from: from.slice(), seqno: new Uint8Array([9]) }))
    expect(fastMessageId({ from, seqno: new Uint8Array([9]) })).not.toBe(fastMessageId({ from, seqno: new Uint8Array([8]) }))
    expect(fastMessageId({ seqno: new Uint8Array([9]) })).toBe('')
  })
})

describe('connection monitor settings', () => {
  it('pings every connection 6 ping intervals apart (members are pinged on their replicate stream) with membership\'s ping timeout', () => {
    expect(connectionMonitorOptions(profileDefaults())).toEqual({ pingInterval: 30_000, pingTimeout: { minTimeout: 5000 } })
    expect(connectionMonitorOptions({ pingIntervalMs: 300, dialTimeoutMs: 1000 })).toEqual({ pingInterval: 1800, pingTimeout: { minTimeout: 5000 } })
    expect(connectionMonitorOptions({ pingIntervalMs: 20_000, dialTimeoutMs: 1000 })).toEqual({ pingInterval: 120_000, pingTimeout: { minTimeout: 20_000 } })
  })
})

describe('libp2p logger', () => {
  it('is silent unless DEBUG is set, when libp2p keeps its own', () => {
    const quiet = libp2pLogger({})
    expect(quiet).toBeDefined()
    const log = quiet?.forComponent('libp2p:test')
    expect(log?.enabled).toBe(false)
    expect(() => { log?.('x %s', 1); log?.error('e'); log?.trace('t'); log?.newScope('sub')('y') }).not.toThrow()
    expect(libp2pLogger({ DEBUG: 'libp2p:*' })).toBeUndefined()
    expect(libp2pLogger({ DEBUG: '' })).toBeDefined()
  })
})
