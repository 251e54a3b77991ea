/**
 * Time source for every actor. Production uses {@link systemClock}; tests inject a
 * {@link ManualClock} and move time explicitly, so no test waits on wall time.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
  /** Runs `fn` after `ms` milliseconds of this clock's time. */
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

/** Opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = { readonly __timer: true } | NodeJS.Timeout

/** The wall clock. Timers are unref'd so they never keep a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout (fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms))
    t.unref?.()
    return t
  },
  clearTimeout (handle) {
    clearTimeout(handle as NodeJS.Timeout)
  }
}

interface ManualTimer { readonly __timer: true, at: number, seq: number, fn: () => void }

/**
 * A clock that only moves when told to. `advance(ms)` fires due timers in time order.
 *
 * @example
 * const clock = new ManualClock(1_000)
 * clock.setTimeout(() => console.log('fired'), 500)
 * clock.advance(500) // prints "fired"
 */
export class ManualClock implements Clock {
  private current: number
  private seq = 0
  private readonly timers = new Set<ManualTimer>()

  constructor (start = 1_700_000_000_000) {
    this.current = start
  }

  now (): number {
    return this.current
  }

  setTimeout (fn: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { __timer: true, at: this.current + Math.max(0, ms), seq: this.seq++, fn }
    this.timers.add(timer)
    // A timer that is already due runs soon without time moving, as a real one would.
    if (ms <= 0) {
      setImmediate(() => {
        if (this.timers.delete(timer)) timer.fn()
      })
    }
    return timer
  }

  clearTimeout (handle: TimerHandle): void {
    this.timers.delete(handle as ManualTimer)
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance (ms: number): void {
    const target = this.current + ms
    for (;;) {
      let next: ManualTimer | undefined
      for (const t of this.timers) {
        if (t.at <= target && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t
      }
      if (next === undefined) break
      this.timers.delete(next)
      this.current = Math.max(this.current, next.at)
      next.fn()
    }
    this.current = target
  }

  /** Sets the time, firing due timers (time never moves backwards for timers). */
  set (ms: number): void {
    this.advance(Math.max(0, ms - this.current))
    this.current = ms
  }

  /** Number of timers still pending, for leak checks in tests. */
  get pendingTimers (): number {
    return this.timers.size
  }
}
