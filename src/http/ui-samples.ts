/**
 * The dashboard's memory of the last minutes (issue 18 §4): a bounded ring of samples of
 * the node's records, bytes and HTTP request rates, taken every few seconds while the
 * dashboard is on, so a page opened now draws the last ten minutes at once. Served as
 * JSON at `GET /ui/api/samples` (src/http/ui.ts).
 *
 * Sampled on the server rather than by the page: a page only sees what happens while it
 * is open, and each open page would poll the node for the same numbers. One sampler per
 * node costs one `stats()` and one read of the request counter per interval, and at most
 * `retained` small objects.
 *
 * @example
 * const sampler = new UiSampler(node, { intervalMs: 5000, retained: 120 })
 * sampler.start()
 * // … later
 * sampler.snapshot() // { interval_ms: 5000, retained: 120, samples: [{ t, records, bytes, capacity_bytes, rates }] }
 */
import type { Counter } from 'prom-client'
import type { RepramNode } from '../node/node.js'

/** A sample every 5 s: fine enough to see a burst, coarse enough to cost nothing. */
export const UI_SAMPLE_INTERVAL_MS = 5000

/** 120 samples at 5 s: the last 10 minutes. */
export const UI_SAMPLES_RETAINED = 120

/** The HTTP request counter (src/http/metrics.ts) the rates are read from. */
const REQUESTS_METRIC = 'repram_http_requests_total'

/** Requests per second since the previous sample. `reads`, `writes` and `other` split every request; `errors` (status ≥ 400) overlaps them. */
export interface UiRates { reads: number, writes: number, other: number, errors: number }

/** One sample. */
export interface UiSample {
  /** Wall-clock time of the sample, ms since epoch. */
  t: number
  records: number
  bytes: number
  capacity_bytes: number
  /** Null on the first sample (nothing to compare with) and after a gap. */
  rates: UiRates | null
}

/** `GET /ui/api/samples`. */
export interface UiSamples { interval_ms: number, retained: number, samples: UiSample[] }

/** Options of {@link UiSampler}. */
export interface UiSamplerInit {
  /** Time between samples, ms. @default UI_SAMPLE_INTERVAL_MS */
  intervalMs?: number
  /** Samples kept; older ones are dropped. @default UI_SAMPLES_RETAINED */
  retained?: number
}

type Totals = UiRates
type State = { code: 'started', timer: NodeJS.Timeout } | { code: 'stopped' }

/**
 * Samples one node on a timer. It stops by itself (and forgets its samples) once the
 * node is stopping or stopped, at the next tick; {@link UiSampler.stop} does it at once.
 */
export class UiSampler {
  readonly intervalMs: number
  readonly retained: number
  private readonly node: RepramNode
  private state: State = { code: 'stopped' }
  private ring: UiSample[] = []
  private last: { totals: Totals, at: number } | undefined
  private busy = false
  /** Bumped by stop(), so a sample in flight across a stop is dropped. */
  private generation = 0

  constructor (node: RepramNode, init: UiSamplerInit = {}) {
    this.node = node
    this.intervalMs = init.intervalMs ?? UI_SAMPLE_INTERVAL_MS
    this.retained = init.retained ?? UI_SAMPLES_RETAINED
  }

  /** True while the timer runs. */
  get running (): boolean { return this.state.code === 'started' }

  /** Takes a sample now and then every `intervalMs`. Safe to call twice. */
  start (): void {
    if (this.state.code === 'started') return
    const timer = setInterval(() => { void this.sample() }, this.intervalMs)
    // The dashboard never keeps a process alive.
    timer.unref()
    this.state = { code: 'started', timer }
    void this.sample()
  }

  /** Stops the timer and forgets every sample. Safe to call twice. */
  stop (): void {
    if (this.state.code === 'started') clearInterval(this.state.timer)
    this.state = { code: 'stopped' }
    this.generation++
    this.ring = []
    this.last = undefined
  }

  /** The retained samples, oldest first. */
  snapshot (): UiSamples {
    return { interval_ms: this.intervalMs, retained: this.retained, samples: [...this.ring] }
  }

  /** Takes one sample (the timer calls this; tests may too). A sample that fails is skipped. */
  async sample (): Promise<void> {
    if (this.node.state === 'stopping' || this.node.state === 'stopped') { this.stop(); return }
    if (this.busy) return
    this.busy = true
    const gen = this.generation
    try {
      const [stats, totals] = await Promise.all([this.node.stats(), this.requestTotals()])
      // stop() ran while this sample waited: it belongs to the forgotten history.
      if (gen !== this.generation) return
      const at = performance.now()
      const prev = this.last
      // A late sample (the event loop stalled for more than two intervals) starts afresh: its rate would smear the stall.
      const rates = prev === undefined || at - prev.at > 2.5 * this.intervalMs ? null : ratesBetween(prev.totals, totals, (at - prev.at) / 1000)
      this.last = { totals, at }
      this.ring.push({ t: Math.round(performance.timeOrigin + at), records: stats.records, bytes: stats.bytes, capacity_bytes: stats.capacityBytes, rates })
      if (this.ring.length > this.retained) this.ring.splice(0, this.ring.length - this.retained)
    } catch {
      // The node is stopping, or a shard did not answer in time: no sample this turn.
    } finally {
      this.busy = false
    }
  }

  /** Cumulative request counts by kind, from the HTTP request counter. */
  private async requestTotals (): Promise<Totals> {
    const totals: Totals = { reads: 0, writes: 0, other: 0, errors: 0 }
    const counter = this.node.registry.getSingleMetric(REQUESTS_METRIC) as Counter<'route' | 'method' | 'status'> | undefined
    if (counter === undefined) return totals
    for (const v of (await counter.get()).values) {
      const { route, method, status } = v.labels
      if (route === '/v1/data/*' && method === 'PUT') totals.writes += v.value
      else if (route === '/v1/data/*' && (method === 'GET' || method === 'HEAD')) totals.reads += v.value
      else totals.other += v.value
      if (Number(status) >= 400) totals.errors += v.value
    }
    return totals
  }
}

/** Per-second rates between two cumulative readings (a counter that went back counts as 0). */
export function ratesBetween (a: Totals, b: Totals, seconds: number): UiRates {
  const r = (x: number, y: number): number => seconds > 0 ? Math.max(0, y - x) / seconds : 0
  return { reads: r(a.reads, b.reads), writes: r(a.writes, b.writes), other: r(a.other, b.other), errors: r(a.errors, b.errors) }
}
