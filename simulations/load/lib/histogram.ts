/**
 * A fixed-size latency histogram with logarithmic buckets (2 % wide, 10 µs to ~10 min),
 * so a load run can keep one per second and one per operation without storing every
 * sample. Percentiles are read as the upper bound of the bucket that holds them, so they
 * are at most 2 % pessimistic.
 *
 * @example
 * const h = new LatencyHistogram()
 * h.record(1.7); h.record(12)
 * h.percentile(0.99) // ≈ 12 ms
 */

/** Smallest latency told apart, in ms. */
const FLOOR_MS = 0.01
/** Bucket growth factor: each bucket is 2 % wider than the previous one. */
const GROWTH = 1.02
/** Buckets: FLOOR_MS × GROWTH^1100 ≈ 30 min, far past any request timeout. */
const BUCKETS = 1100
const LOG_GROWTH = Math.log(GROWTH)

/** Log-bucketed latency counts, in milliseconds. */
export class LatencyHistogram {
  readonly counts = new Uint32Array(BUCKETS)
  count = 0
  sum = 0
  max = 0

  /** Adds one latency (ms). */
  record (ms: number): void {
    const i = ms <= FLOOR_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / FLOOR_MS) / LOG_GROWTH))
    this.counts[i]++
    this.count++
    this.sum += ms
    if (ms > this.max) this.max = ms
  }

  /** Adds every sample of `other`. */
  merge (other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i]
    this.count += other.count
    this.sum += other.sum
    if (other.max > this.max) this.max = other.max
  }

  /** The latency (ms) under which a fraction `q` of the samples fall; NaN when empty. */
  percentile (q: number): number {
    if (this.count === 0) return NaN
    const rank = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]
      if (seen >= rank) return Math.min(this.max, FLOOR_MS * GROWTH ** i)
    }
    return this.max
  }

  /** Mean latency (ms); NaN when empty. */
  mean (): number {
    return this.count === 0 ? NaN : this.sum / this.count
  }
}
