/**
 * The membership actor and its active view: who is pinged, when the view is published,
 * and the libp2p settings that keep a large enclave cheap (fast message ids, mesh
 * degrees, the silent libp2p logger).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { dispatch, start, stop } from 'nact'
import { MembershipTable, activeRank, spawnMembership, type Member, type MembershipMsg } from '../../../actors/membership/index.js'
import { fastMessageId, gossipsubOptions, meshDegrees } from '../../../src/net/libp2p.js'
import { libp2pLogger } from '../../../src/net/libp2p-logger.js'
import { validateConfig, profileDefaults } from '../../../src/config.js'

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
  let system: ReturnType<typeof start> | undefined
  afterEach(() => {
    if (system !== undefined) stop(system)
    system = undefined
  })

  const spawn = (activePeers: number, ping: (id: string, opts: { dial: boolean }) => Promise<number | undefined>): { ref: ReturnType<typeof spawnMembership>, views: Array<readonly Member[]> } => {
    system = start()
    const views: Array<readonly Member[]> = []
    const ref = spawnMembership(system, {
      memberTtlMs: 60_000,
      pingFailures: 2,
      activePeers,
      self: 'me',
      now: () => 1000,
      ping,
      onView: (v) => views.push(v),
      onEvent: () => {}
    })
    return { ref, views }
  }
  const settle = async (): Promise<void> => { for (let i = 0; i < 20; i++) await new Promise(resolve => setImmediate(resolve)) }

  it('pings a member that joins its active view at once, and on tick only the active view', async () => {
    const pinged: string[] = []
    const { ref } = spawn(2, async (id) => { pinged.push(id); return 1 })
    const all = ids(8)
    for (const id of all) dispatch(ref, { type: 'seen', peerId: id } satisfies MembershipMsg)
    await settle()
    const lowest = [...all].sort((a, b) => activeRank('me', a) - activeRank('me', b)).slice(0, 2)
    // Each active member was pinged when it joined (some before later joiners pushed them out).
    for (const id of lowest) expect(pinged).toContain(id)
    pinged.length = 0
    dispatch(ref, { type: 'tick' })
    await settle()
    expect(pinged.sort()).toEqual([...lowest].sort())
  })

  it('pings a member outside its preferred view only over an open connection, and a missing one is no failure', async () => {
    const calls: Array<[string, boolean]> = []
    const all = ids(6)
    const lowest = [...all].sort((a, b) => activeRank('me', a) - activeRank('me', b))[0]
    const outsider = all.find(id => id !== lowest) as string
    const { ref, views } = spawn(1, async (id, opts) => { calls.push([id, opts.dial]); return id === lowest ? 1 : undefined })
    for (const id of all) dispatch(ref, { type: 'seen', peerId: id, connected: id === outsider })
    await settle()
    dispatch(ref, { type: 'tick' })
    await settle()
    // The outsider was pinged over its connection (never dialled); others not at all.
    expect(calls.filter(([id]) => id === outsider).map(([, dial]) => dial)).toEqual([false])
    expect(calls.filter(([id]) => id === lowest).every(([, dial]) => dial)).toBe(true)
    expect(calls.every(([id]) => id === lowest || id === outsider)).toBe(true)
    // The outsider had no connection after all: no longer active, still healthy, not failed.
    const seenOutsider = views.at(-1)?.find(m => m.id === outsider)
    expect(seenOutsider).toMatchObject({ connected: false, active: false, healthy: true, failures: 0 })
  })

  it('publishes health changes at once and coalesces RTT updates into one view', async () => {
    const answers = new Map<string, () => void>()
    let fail = false
    const { ref, views } = spawn(0, async (id) => await new Promise<number>((resolve, reject) => {
      answers.set(id, () => { if (fail) reject(new Error('down')); else resolve(2) })
    }))
    for (const id of ids(5)) dispatch(ref, { type: 'seen', peerId: id })
    await settle()
    const afterJoins = views.length
    expect(afterJoins).toBe(5)
    // Five ping answers in one turn: one published view, with every RTT in it.
    for (const answer of answers.values()) answer()
    answers.clear()
    await settle()
    expect(views.length).toBe(afterJoins + 1)
    expect(views.at(-1)?.every(m => m.rttMs === 2)).toBe(true)

    // Two failed pings make a member unhealthy: that view goes out at once.
    fail = true
    for (let round = 0; round < 2; round++) {
      dispatch(ref, { type: 'tick' })
      await settle()
      for (const answer of answers.values()) answer()
      answers.clear()
      await settle()
    }
    expect(views.at(-1)?.every(m => !m.healthy)).toBe(true)
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
