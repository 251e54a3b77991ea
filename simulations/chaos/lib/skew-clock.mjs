// Preloaded (`node --import`) into a chaos node whose clock is skewed: shifts the whole
// process's wall clock (Date.now() and `new Date()`) by CHAOS_CLOCK_OFFSET_MS, as a host
// whose system clock is off would. The node's own clock (src/clock.ts systemClock) reads
// Date.now(), so record times, expiry and the peers' skew checks all see the offset.
// Monotonic time (performance.now(), timers) is untouched, as on a real host.
// Plain JavaScript, so plain node loads it without tsx.
const offset = Number(process.env.CHAOS_CLOCK_OFFSET_MS ?? 0)
if (Number.isFinite(offset) && offset !== 0) {
  const RealDate = Date
  class SkewedDate extends RealDate {
    constructor (...args) {
      if (args.length === 0) super(RealDate.now() + offset)
      else super(...args)
    }

    static now () { return RealDate.now() + offset }
  }
  globalThis.Date = SkewedDate
}
