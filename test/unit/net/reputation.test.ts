/**
 * Reputation rules (src/net/reputation.ts) as tables on a ManualClock: the score of each
 * mix of faults, flaky signs and rewards, bands against the thresholds, decay, gossipsub's
 * thresholds, and the per-peer token bucket at its edge.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/clock.js'
import {
  FAULT_HALF_LIFE_MS, FLAKY_HALF_LIFE_MS, PENALTY_REASONS, PENALTY_RULES, PeerRateLimiter, PeerReputation, REWARD_CAP,
  bandOf, decayed, flakyFloor, gossipThresholds, partsAt, refill, scoreOf, type PenaltyReason, type ScoreBand
} from '../../../src/net/reputation.js'

const T0 = 1_700_000_000_000
const GRAY = -80
const DISCONNECT = -160

function reputation (clock = new ManualClock(T0)): { rep: PeerReputation, clock: ManualClock, penalties: PenaltyReason[], bands: Array<[string, ScoreBand]> } {
  const penalties: PenaltyReason[] = []
  const bands: Array<[string, ScoreBand]> = []
  const rep = new PeerReputation({ clock, graylistScore: GRAY, disconnectScore: DISCONNECT, onPenalty: r => penalties.push(r), onBand: (p, b) => bands.push([p, b]) })
  return { rep, clock, penalties, bands }
}

describe('scoring rules', () => {
  it.each([
    // [what, fault, flaky, reward, score]
    ['nothing observed', 0, 0, 0, 0],
    ['rewards only, capped', 0, 0, 50, REWARD_CAP],
    ['flaky signs under the floor', 0, 5, 0, -5],
    ['flaky signs past the floor: capped at a tenth of graylist', 0, 500, 0, -8],
    ['flaky signs offset by rewards', 0, 500, 10, 2],
    ['one fault', 20, 0, 0, -20],
    ['four faults and flakiness: graylisted', 80, 500, 0, -88],
    ['rewards cover half a fault at most', 20, 0, 1000, -10]
  ])('%s', (_what, fault, flaky, reward, score) => {
    expect(scoreOf({ fault, flaky, reward }, GRAY)).toBe(score)
  })

  it('an honest peer on a flaky link is never graylisted, nor below gossipsub\'s gossip threshold', () => {
    const worst = scoreOf({ fault: 0, flaky: Number.MAX_SAFE_INTEGER, reward: 0 }, GRAY)
    expect(worst).toBe(-flakyFloor(GRAY))
    expect(worst).toBeGreaterThan(gossipThresholds(GRAY).gossipThreshold)
    expect(bandOf(worst, GRAY, DISCONNECT)).toBe('penalised')
  })

  it.each([
    [1, 'good'], [0, 'good'], [-0.01, 'penalised'], [-80, 'penalised'], [-80.01, 'graylisted'], [-160, 'graylisted'], [-160.5, 'disconnected']
  ] as const)('score %d is %s', (score, band) => {
    expect(bandOf(score, GRAY, DISCONNECT)).toBe(band)
  })

  it('gossipsub thresholds keep its ordering: graylist ≤ publish ≤ gossip < 0', () => {
    const t = gossipThresholds(GRAY)
    expect(t).toMatchObject({ gossipThreshold: -10, publishThreshold: -50, graylistThreshold: -80 })
    expect(t.acceptPXThreshold).toBeGreaterThanOrEqual(0)
    expect(t.opportunisticGraftThreshold).toBeGreaterThanOrEqual(0)
  })

  it.each([
    [100, 0, 60_000, 100],
    [100, 60_000, 60_000, 50],
    [100, 120_000, 60_000, 25],
    [0, 1e9, 1, 0],
    [100, -5, 60_000, 100]
  ])('decayed(%d, %d ms, half-life %d) = %d', (v, dt, half, out) => {
    expect(decayed(v, dt, half)).toBeCloseTo(out, 9)
  })

  it('faults fade slower than flakiness', () => {
    const p = partsAt({ fault: 40, flaky: 4, reward: 0, at: T0 }, T0 + FLAKY_HALF_LIFE_MS)
    expect(p.flaky).toBeCloseTo(2)
    expect(p.fault).toBeCloseTo(40 * 2 ** (-FLAKY_HALF_LIFE_MS / FAULT_HALF_LIFE_MS))
  })

  it('every penalty reason has a rule; faults are what no honest node produces', () => {
    expect(Object.keys(PENALTY_RULES).sort()).toEqual([...PENALTY_REASONS].sort())
    expect(PENALTY_REASONS.filter(r => PENALTY_RULES[r].kind === 'fault').sort()).toEqual(['budget', 'invalid_gossip', 'invalid_write'])
  })
})

describe('PeerReputation', () => {
  it('four invalid frames take a peer below graylist; the band change is told once', () => {
    const { rep, penalties, bands } = reputation()
    for (let i = 0; i < 3; i++) rep.penalise('bad', 'invalid_write')
    expect(rep.score('bad')).toBe(-60)
    expect(rep.graylisted('bad')).toBe(false)
    rep.penalise('bad', 'invalid_write')
    rep.penalise('bad', 'invalid_write')
    expect(rep.score('bad')).toBe(-100)
    expect(rep.graylisted('bad')).toBe(true)
    expect(rep.disconnected('bad')).toBe(false)
    expect(penalties).toEqual(Array(5).fill('invalid_write'))
    expect(bands).toEqual([['bad', 'penalised'], ['bad', 'graylisted']])
  })

  it('a flaky honest peer that answers most of the time stays above graylist however long it lasts', () => {
    const { rep, clock } = reputation()
    for (let i = 0; i < 10_000; i++) {
      rep.penalise('flaky', i % 2 === 0 ? 'ping_failed' : 'pull_failed')
      rep.penalise('flaky', 'replicate_failed')
      rep.penalise('flaky', 'rate_limited')
      rep.reward('flaky', 'ping_ok')
      clock.advance(100)
    }
    expect(rep.score('flaky')).toBeGreaterThanOrEqual(-flakyFloor(GRAY))
    expect(['good', 'penalised']).toContain(rep.band('flaky'))
  })

  it('a peer that stops misbehaving comes back over time', () => {
    const { rep, clock } = reputation()
    for (let i = 0; i < 5; i++) rep.penalise('p', 'invalid_gossip')
    expect(rep.graylisted('p')).toBe(true)
    clock.advance(FAULT_HALF_LIFE_MS)
    expect(rep.score('p')).toBeCloseTo(-50)
    expect(rep.graylisted('p')).toBe(false)
  })

  it('goes below the disconnect score after enough faults', () => {
    const { rep, bands } = reputation()
    rep.penalise('p', 'budget', 17)
    expect(rep.score('p')).toBe(-170)
    expect(rep.disconnected('p')).toBe(true)
    expect(bands).toEqual([['p', 'disconnected']])
  })

  it('tracks at most maxPeers, dropping neutral entries before the others', () => {
    const clock = new ManualClock(T0)
    const rep = new PeerReputation({ clock, graylistScore: GRAY, disconnectScore: DISCONNECT, maxPeers: 3 })
    rep.penalise('bad', 'invalid_write', 5)
    rep.reward('n1', 'ping_ok')
    rep.reward('n2', 'ping_ok')
    rep.reward('n3', 'ping_ok')
    expect(rep.size).toBeLessThanOrEqual(3)
    expect(rep.score('bad')).toBe(-100)
  })
})

describe('PeerRateLimiter (token bucket per peer)', () => {
  it.each([
    // [writes/s, bytes/s, largest write, sizes, admitted]
    [10, 0, 1, Array(20).fill(1), 20], // burst: 2 s worth
    [10, 0, 1, Array(21).fill(1), 20], // one past the burst
    [0, 0, 1, Array(1000).fill(1), 1000], // no limit
    [0, 100, 1, [100, 100, 1], 2], // bytes: the burst is 200
    [0, 100, 1, [150, 60], 1], // the second does not fit in what is left
    [0, 10, 500, [500, 1], 1], // one largest write always fits an empty bucket
    [10, 100, 1, [1, 1, 300], 2] // both buckets: the bytes stop it first
  ])('%d writes/s, %d B/s, largest %d: %j → %d admitted', (writesPerSec, bytesPerSec, maxWriteBytes, sizes, admitted) => {
    const lim = new PeerRateLimiter({ writesPerSec, bytesPerSec, maxWriteBytes }, new ManualClock(T0))
    expect(lim.admit('p', sizes)).toBe(admitted)
  })

  it('refills at the rate: at the edge one more write per 1/rate s, and each peer has its own bucket', () => {
    const clock = new ManualClock(T0)
    const lim = new PeerRateLimiter({ writesPerSec: 10, bytesPerSec: 0, maxWriteBytes: 1 }, clock)
    expect(lim.admit('a', Array(20).fill(1))).toBe(20)
    expect(lim.admit('a', [1])).toBe(0)
    expect(lim.admit('b', [1])).toBe(1)
    clock.advance(99)
    expect(lim.admit('a', [1])).toBe(0)
    clock.advance(1)
    expect(lim.admit('a', [1, 1])).toBe(1)
    clock.advance(10_000)
    expect(lim.admit('a', Array(25).fill(1))).toBe(20)
  })

  it('refill never passes the capacity and never goes back in time', () => {
    expect(refill({ tokens: 5, at: T0 }, T0 + 1e9, 10, 20)).toEqual({ tokens: 20, at: T0 + 1e9 })
    expect(refill({ tokens: 5, at: T0 }, T0 - 1000, 10, 20)).toEqual({ tokens: 5, at: T0 })
  })
})

describe('gossipsub\'s share of the score', () => {
  it('leaves flakiness out (gossipsub prunes any negative peer from its mesh) and keeps faults and rewards', () => {
    const { rep } = reputation()
    rep.penalise('flaky', 'ping_failed', 3)
    expect(rep.score('flaky')).toBe(-3)
    expect(rep.gossipScore('flaky')).toBe(0)
    rep.penalise('bad', 'invalid_gossip', 5)
    rep.penalise('bad', 'pull_failed')
    expect(rep.gossipScore('bad')).toBe(-100)
    rep.reward('good', 'replicate_held', 3)
    expect(rep.gossipScore('good')).toBeCloseTo(0.3)
  })
})
