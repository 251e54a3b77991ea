/**
 * The TtlReaper alone: a ManualClock and tiny actors standing in for the storage shards,
 * each recording the sweeps it receives. A sweep reaches exactly the shards whose deadline
 * the clock passed, never before; one timer for the earliest deadline, capped at
 * MAX_TIMER_MS; halt clears it.
 */
import { describe, expect, it } from 'vitest'
import { dispatch, spawnStateless, type Ref } from 'nact'
import { MAX_TIMER_MS, spawnTtlReaper, type SweepMsg, type TtlReaperMsg } from '../../../actors/ttl-reaper/index.js'
import type { CrashReport } from '../../../actors/runtime/supervise.js'
import { ManualClock } from '../../../src/clock.js'
import { until } from '../../helpers/until.js'
import { actorHarness } from '../../helpers/actors.js'

const T0 = 1_700_000_000_000

const fresh = actorHarness()

/** What a fake shard understands: the reaper's sweep, and a probe answered in mailbox order. */
type FakeShardMsg = SweepMsg | { type: 'probe', done: () => void }

function reaper (shardCount: number): {
  ref: Ref<TtlReaperMsg>
  clock: ManualClock
  /** Sweeps received, per shard. */
  swept: number[]
  schedule: (shard: number, at: number) => void
  send: (msg: TtlReaperMsg) => void
  /** Resolves once the reaper, then every shard, has handled what was sent to it before. */
  drained: () => Promise<void>
} {
  const { system, asker: a } = fresh()
  const clock = new ManualClock(T0)
  const swept = Array.from({ length: shardCount }, () => 0)
  const shards = swept.map((_, i) => spawnStateless(system, (msg: FakeShardMsg) => {
    if (msg.type === 'sweep') swept[i]++
    else msg.done()
  }, `shard-${i}`) as Ref<FakeShardMsg>)
  const crashes: CrashReport[] = []
  const ref = spawnTtlReaper(system, { clock, crashed: (report) => { crashes.push(report) } })
  dispatch(ref, { type: 'attach', shards })
  const send = (msg: TtlReaperMsg): void => dispatch(ref, msg)
  const drained = async (): Promise<void> => {
    // The reaper answers no question: one it does not know fails its asker once handled (supervision).
    await expect(a.ask<unknown, TtlReaperMsg>(ref, replyTo => ({ type: 'probe', replyTo }) as unknown as TtlReaperMsg, 5000, 'ttl-reaper')).rejects.toMatchObject({ name: 'ActorCrashedError' })
    expect(crashes.filter(c => c.message !== 'probe')).toEqual([])
    // Any sweep it sent is in the shard's mailbox ahead of this probe.
    await Promise.all(shards.map(async s => { await new Promise<void>(resolve => dispatch(s, { type: 'probe', done: resolve })) }))
  }
  return { ref, clock, swept, schedule: (shard, at) => send({ type: 'schedule', shard, at }), send, drained }
}

describe('TtlReaper', () => {
  it('sweeps exactly the shards whose deadline the clock passed, and none before', async () => {
    const r = reaper(4)
    r.schedule(0, T0 + 300)
    r.schedule(1, T0 + 700)
    r.schedule(2, T0 + 700)
    await r.drained()
    expect(r.clock.pendingTimers).toBe(1)
    r.clock.advance(299)
    await r.drained()
    expect(r.swept).toEqual([0, 0, 0, 0])
    r.clock.advance(1)
    await r.drained()
    expect(r.swept).toEqual([1, 0, 0, 0])
    r.clock.advance(399)
    await r.drained()
    expect(r.swept).toEqual([1, 0, 0, 0])
    r.clock.advance(1)
    await r.drained()
    expect(r.swept).toEqual([1, 1, 1, 0])
    // Nothing left to wait for: no timer, and no more sweeps however far the clock goes.
    expect(r.clock.pendingTimers).toBe(0)
    r.clock.advance(60_000)
    await r.drained()
    expect(r.swept).toEqual([1, 1, 1, 0])
  })

  it('arms for an earlier deadline at once, and sweeps a shard again for its next deadline', async () => {
    const r = reaper(2)
    r.schedule(0, T0 + 800)
    r.schedule(1, T0 + 200)
    await r.drained()
    expect(r.clock.pendingTimers).toBe(1)
    r.clock.advance(200)
    await r.drained()
    expect(r.swept).toEqual([0, 1])
    r.schedule(1, T0 + 500)
    await r.drained()
    r.clock.advance(300)
    await r.drained()
    expect(r.swept).toEqual([0, 2])
    r.clock.advance(300)
    await r.drained()
    expect(r.swept).toEqual([1, 2])
  })

  it('sweeps a shard whose deadline has already passed without the clock moving', async () => {
    const r = reaper(1)
    r.schedule(0, T0 - 1)
    await until(() => r.swept[0] === 1, { what: 'the sweep of an overdue shard' })
    expect(r.clock.now()).toBe(T0)
  })

  it(`caps its timer at MAX_TIMER_MS (${MAX_TIMER_MS} ms), so a far deadline is checked on the way`, async () => {
    const r = reaper(1)
    const far = 2 * MAX_TIMER_MS + MAX_TIMER_MS / 2
    r.schedule(0, T0 + far)
    await r.drained()
    r.clock.advance(MAX_TIMER_MS - 1)
    expect(r.clock.pendingTimers).toBe(1)
    r.clock.advance(1)
    // The timer fired at the cap, long before the deadline.
    expect(r.clock.pendingTimers).toBe(0)
    await r.drained()
    expect(r.swept).toEqual([0])
    expect(r.clock.pendingTimers).toBe(1)
    r.clock.advance(MAX_TIMER_MS)
    await r.drained()
    r.clock.advance(far - 2 * MAX_TIMER_MS - 1)
    await r.drained()
    expect(r.swept).toEqual([0])
    r.clock.advance(1)
    await r.drained()
    expect(r.swept).toEqual([1])
    expect(r.clock.pendingTimers).toBe(0)
  })

  it('ignores a deadline for a shard it does not have', async () => {
    const r = reaper(1)
    r.schedule(1, T0 + 100)
    r.schedule(-1, T0 + 100)
    await r.drained()
    expect(r.clock.pendingTimers).toBe(0)
  })

  it('clears its timer on halt, and later deadlines and ticks sweep nothing', async () => {
    const r = reaper(2)
    r.schedule(0, T0 + 100)
    await r.drained()
    expect(r.clock.pendingTimers).toBe(1)
    r.send({ type: 'halt' })
    await until(() => r.clock.pendingTimers === 0, { what: 'the timer cleared' })
    r.schedule(1, T0)
    r.send({ type: 'tick' })
    r.clock.advance(10 * MAX_TIMER_MS)
    await r.drained()
    expect(r.swept).toEqual([0, 0])
    expect(r.clock.pendingTimers).toBe(0)
  })
})
