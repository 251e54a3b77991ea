/**
 * The TtlReaper actor owns time for expiry. Each shard keeps its records in an expiry
 * heap (so an overwrite updates the index in place and nothing goes stale) and reports
 * its earliest deadline here; the reaper keeps one timer for the earliest deadline of
 * all shards and sends `sweep` to every shard that is due. No record is ever found by
 * scanning: a sweep pops only what has expired.
 *
 * Timers are capped at {@link MAX_TIMER_MS}, so a wall-clock jump delays a sweep by at
 * most that much; reads never depend on the reaper, since every read checks expiry.
 */
import { dispatch, spawn, type Ref } from 'nact'
import type { Clock, TimerHandle } from '../../src/clock.js'
import { assertNever } from '../runtime/ask.js'
import { supervise, type CrashReporter } from '../runtime/supervise.js'

/** Longest single timer; bounds how late a sweep can be after a wall-clock jump. */
export const MAX_TIMER_MS = 1000

/** What the reaper sends a shard whose deadline came: the shard removes what expired. */
export interface SweepMsg { type: 'sweep' }

/** Every message the reaper understands. */
export type TtlReaperMsg =
  | { type: 'attach', shards: Array<Ref<SweepMsg>> }
  | { type: 'schedule', shard: number, at: number }
  | { type: 'tick' }
  | { type: 'halt' }

interface ReaperState {
  shards: Array<Ref<SweepMsg>>
  deadlines: number[]
  timer: { code: 'armed', at: number, handle: TimerHandle } | { code: 'idle' } | { code: 'halted' }
}

/** What the reaper is built from. */
export interface TtlReaperInit {
  clock: Clock
  /** Where crashes are reported (the node logs and counts them). */
  crashed: CrashReporter
}

/** Spawns the reaper. Send `attach` with the shard refs before any `schedule`. */
export function spawnTtlReaper (parent: Parameters<typeof spawn>[0], init: TtlReaperInit): Ref<TtlReaperMsg> {
  const { clock } = init
  let self: Ref<TtlReaperMsg> | undefined

  const arm = (s: ReaperState): void => {
    if (s.timer.code === 'halted') return
    let next = Infinity
    for (const d of s.deadlines) if (d < next) next = d
    if (s.timer.code === 'armed') {
      if (s.timer.at <= next) return
      clock.clearTimeout(s.timer.handle)
      s.timer = { code: 'idle' }
    }
    if (next === Infinity) return
    const now = clock.now()
    const at = Math.min(next, now + MAX_TIMER_MS)
    const handle = clock.setTimeout(() => { if (self !== undefined) dispatch(self, { type: 'tick' }) }, at - now)
    s.timer = { code: 'armed', at, handle }
  }

  self = spawn(parent, (s: ReaperState, msg: TtlReaperMsg): ReaperState => {
    switch (msg.type) {
      case 'attach':
        s.shards = msg.shards
        s.deadlines = msg.shards.map(() => Infinity)
        return s
      case 'schedule':
        if (msg.shard >= 0 && msg.shard < s.deadlines.length) s.deadlines[msg.shard] = msg.at
        arm(s)
        return s
      case 'tick': {
        if (s.timer.code === 'halted') return s
        s.timer = { code: 'idle' }
        const now = clock.now()
        s.deadlines.forEach((d, i) => {
          if (d <= now) {
            s.deadlines[i] = Infinity
            dispatch(s.shards[i], { type: 'sweep' })
          }
        })
        arm(s)
        return s
      }
      case 'halt':
        if (s.timer.code === 'armed') clock.clearTimeout(s.timer.handle)
        s.timer = { code: 'halted' }
        return s
      default:
        return assertNever(msg)
    }
  }, 'ttl-reaper', {
    initialState: { shards: [], deadlines: [], timer: { code: 'idle' } },
    // Every step above leaves the state consistent, so after a crash the reaper keeps
    // its deadlines and timer and goes on with the next message.
    onCrash: supervise('ttl-reaper', 'resume', init.crashed)
  })
  return self
}
