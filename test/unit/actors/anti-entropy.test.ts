/**
 * The AntiEntropy actor alone: a ManualClock and a fake `round` that records each call and
 * resolves at once or when the test releases it. Periodic rounds on the clock, rounds
 * triggered by membership events, the concurrency cap and halt.
 */
import { describe, expect, it } from 'vitest'
import { dispatch, type Ref } from 'nact'
import { MAX_CONCURRENT_ROUNDS, spawnAntiEntropy, type AntiEntropyMsg, type SyncPeer, type SyncTrigger } from '../../../actors/anti-entropy/index.js'
import type { CrashReport } from '../../../actors/runtime/supervise.js'
import { ManualClock } from '../../../src/clock.js'
import { until } from '../../helpers/until.js'
import { actorHarness } from '../../helpers/actors.js'

const T0 = 1_700_000_000_000
const INTERVAL_MS = 1000
const peer = (id: string, healthy = true, active = true): SyncPeer => ({ id, healthy, active })

const fresh = actorHarness()

function antiEntropy (intervalMs = INTERVAL_MS): {
  ref: Ref<AntiEntropyMsg>
  clock: ManualClock
  /** `peer:reason` of every round started, in order. */
  rounds: string[]
  /** While true, rounds stay in flight until `release` ends the oldest. */
  hold: (on: boolean) => void
  release: () => void
  inFlight: () => number
  maxInFlight: () => number
  send: (msg: AntiEntropyMsg) => void
  drained: () => Promise<void>
  crashes: CrashReport[]
} {
  const { system, asker: a } = fresh()
  const clock = new ManualClock(T0)
  const rounds: string[] = []
  const waiting: Array<() => void> = []
  let held = false
  let running = 0
  let max = 0
  const crashes: CrashReport[] = []
  const ref = spawnAntiEntropy(system, {
    round: async (peerId, reason) => {
      rounds.push(`${peerId}:${reason}`)
      running++
      max = Math.max(max, running)
      if (held) await new Promise<void>(resolve => waiting.push(resolve))
      running--
    },
    clock,
    intervalMs,
    crashed: (report) => { crashes.push(report) },
    random: () => 0
  })
  const send = (msg: AntiEntropyMsg): void => dispatch(ref, msg)
  /**
   * Resolves once the actor has handled every message sent before. It has no question to
   * ask, so this sends one it does not know: supervision fails that asker at once.
   */
  const drained = async (): Promise<void> => {
    await expect(a.ask<unknown, AntiEntropyMsg>(ref, replyTo => ({ type: 'probe', replyTo }) as unknown as AntiEntropyMsg, 5000, 'anti-entropy')).rejects.toMatchObject({ name: 'ActorCrashedError' })
    // No crash but the probes.
    expect(crashes.filter(c => c.message !== 'probe')).toEqual([])
  }
  return {
    ref,
    clock,
    rounds,
    hold: (on) => { held = on },
    release: () => { waiting.shift()?.() },
    inFlight: () => running,
    maxInFlight: () => max,
    send,
    drained,
    crashes
  }
}

describe('AntiEntropy', () => {
  describe('periodic rounds', () => {
    it('runs one round per interval of the clock with a healthy, active member of the view', async () => {
      const ae = antiEntropy()
      ae.send({ type: 'view', members: [peer('a'), peer('b'), peer('sick', false), peer('far', true, false)] })
      await ae.drained()
      ae.clock.advance(INTERVAL_MS - 1)
      await ae.drained()
      expect(ae.rounds).toEqual([])
      ae.clock.advance(1)
      await until(() => ae.rounds.length === 1, { what: 'the first periodic round' })
      await ae.drained()
      expect(ae.rounds).toHaveLength(1)
      ae.clock.advance(INTERVAL_MS)
      await until(() => ae.rounds.length === 2, { what: 'the second periodic round' })
      await ae.drained()
      // A rotation visits each healthy active member once; the others never.
      expect([...ae.rounds].sort()).toEqual(['a:periodic', 'b:periodic'])
    })

    it('does not queue a tick that comes while a round runs', async () => {
      const ae = antiEntropy()
      ae.hold(true)
      ae.send({ type: 'view', members: [peer('a'), peer('b')] })
      ae.clock.advance(INTERVAL_MS)
      await until(() => ae.rounds.length === 1, { what: 'the first periodic round' })
      ae.clock.advance(INTERVAL_MS)
      await ae.drained()
      ae.hold(false)
      ae.release()
      await until(() => ae.inFlight() === 0, { what: 'the round ended' })
      await ae.drained()
      expect(ae.rounds).toHaveLength(1)
    })

    it('runs no periodic rounds when intervalMs is 0', async () => {
      const ae = antiEntropy(0)
      expect(ae.clock.pendingTimers).toBe(0)
      ae.send({ type: 'view', members: [peer('a'), peer('b')] })
      ae.clock.advance(3600_000)
      await ae.drained()
      expect(ae.rounds).toEqual([])
      expect(ae.clock.pendingTimers).toBe(0)
    })
  })

  describe('triggered rounds', () => {
    const events: Array<[string, SyncTrigger]> = [
      ['joins the active view', { type: 'joined', member: peer('b') }],
      ['reconnects', { type: 'reconnected', peerId: 'b' }],
      ['recovers', { type: 'recovered', peerId: 'b' }]
    ]
    it.each(events)('syncs at once with a member that %s', async (_, event) => {
      const ae = antiEntropy()
      ae.send({ type: 'view', members: [peer('a'), peer('b')] })
      ae.send({ type: 'membership', event })
      await until(() => ae.rounds.length === 1, { what: 'the triggered round' })
      await ae.drained()
      expect(ae.rounds).toEqual(['b:triggered'])
      expect(ae.clock.now()).toBe(T0)
    })

    it('does not sync with a member that joins outside the active view, nor on other events', async () => {
      const ae = antiEntropy()
      ae.send({ type: 'membership', event: { type: 'joined', member: peer('b', true, false) } })
      ae.send({ type: 'membership', event: { type: 'left' } })
      ae.send({ type: 'membership', event: { type: 'unhealthy' } })
      ae.send({ type: 'membership', event: { type: 'ping-failed' } })
      // Even once it is in the view: no trigger was kept for it.
      ae.send({ type: 'view', members: [peer('b')] })
      await ae.drained()
      expect(ae.rounds).toEqual([])
    })

    it(`runs at most MAX_CONCURRENT_ROUNDS (${MAX_CONCURRENT_ROUNDS}) at once; the next starts when one is done`, async () => {
      const ae = antiEntropy()
      ae.hold(true)
      const ids = Array.from({ length: MAX_CONCURRENT_ROUNDS + 2 }, (_, i) => `p${i}`)
      ae.send({ type: 'view', members: ids.map(id => peer(id)) })
      for (const id of ids) ae.send({ type: 'trigger', peerId: id })
      await until(() => ae.rounds.length === MAX_CONCURRENT_ROUNDS, { what: 'the first rounds' })
      await ae.drained()
      expect(ae.rounds).toHaveLength(MAX_CONCURRENT_ROUNDS)
      for (let started = MAX_CONCURRENT_ROUNDS; started < ids.length; started++) {
        ae.release()
        await until(() => ae.rounds.length === started + 1, { what: `round ${started + 1}` })
        await ae.drained()
        expect(ae.rounds).toHaveLength(started + 1)
      }
      expect(ae.rounds).toEqual(ids.map(id => `${id}:triggered`))
      expect(ae.maxInFlight()).toBe(MAX_CONCURRENT_ROUNDS)
      ae.hold(false)
      for (let i = 0; i < MAX_CONCURRENT_ROUNDS; i++) ae.release()
    })
  })

  describe('halt', () => {
    it('clears the timer and starts no more rounds', async () => {
      const ae = antiEntropy()
      expect(ae.clock.pendingTimers).toBe(1)
      ae.send({ type: 'view', members: [peer('a')] })
      ae.send({ type: 'halt' })
      await until(() => ae.clock.pendingTimers === 0, { what: 'the timer cleared' })
      ae.send({ type: 'trigger', peerId: 'a' })
      ae.send({ type: 'tick' })
      ae.clock.advance(10 * INTERVAL_MS)
      await ae.drained()
      expect(ae.rounds).toEqual([])
      expect(ae.clock.pendingTimers).toBe(0)
    })
  })
})
