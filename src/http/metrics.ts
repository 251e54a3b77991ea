/**
 * HTTP metrics: requests by route/method/status, durations, and refusals. Label sets
 * come from small fixed enums. A finished request costs one Map lookup and a few additions
 * into a plain cell (issue 15: prom-client hashes the label set on every `inc` and
 * `observe`, even on a child, which was ~3 % of a GET). prom-client reads the cells when
 * scraped: the request counter flushes them in its `collect` hook, and the duration
 * histogram is a small metric of our own whose `get()` has prom-client's exact shape, so
 * `/metrics` prints the same series as before.
 */
import { Counter, type Registry } from 'prom-client'

/** The metric shape prom-client's registry prints (`metric.get()`). */
interface MetricValues {
  name: string
  help: string
  type: 'histogram'
  aggregator: 'sum'
  values: Array<{ labels: Record<string, string | number>, value: number, metricName: string }>
}

interface DurationCell {
  labels: { route: string, method: string }
  /** Per bucket (not cumulative); the last one is `+Inf`. */
  counts: Float64Array
  sum: number
  count: number
}

/**
 * A histogram fed through {@link DurationHistogram.cell}: `observe` on a cell is a bucket
 * search and three additions. Registered on a prom-client registry as any metric is.
 */
export class DurationHistogram {
  readonly type = 'histogram' as const
  readonly aggregator = 'sum' as const
  private readonly cells = new Map<string, DurationCell>()

  constructor (readonly name: string, readonly help: string, private readonly bounds: readonly number[]) {}

  /** The cell of one label set (made on first use). */
  cell (route: string, method: string): DurationCell {
    const id = `${route} ${method}`
    let c = this.cells.get(id)
    if (c === undefined) {
      c = { labels: { route, method }, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 }
      this.cells.set(id, c)
    }
    return c
  }

  /** Adds one observation (seconds) to `c`. */
  observe (c: DurationCell, seconds: number): void {
    let i = 0
    while (i < this.bounds.length && seconds > this.bounds[i]) i++
    c.counts[i]++
    c.sum += seconds
    c.count++
  }

  /** prom-client's `Histogram.get()` shape: cumulative buckets with `le`, then sum and count per label set. */
  async get (): Promise<MetricValues> {
    const values: MetricValues['values'] = []
    for (const c of this.cells.values()) {
      let acc = 0
      for (let i = 0; i <= this.bounds.length; i++) {
        acc += c.counts[i]
        values.push({ labels: { le: i < this.bounds.length ? this.bounds[i] : '+Inf', ...c.labels }, value: acc, metricName: `${this.name}_bucket` })
      }
      values.push({ labels: { ...c.labels }, value: c.sum, metricName: `${this.name}_sum` })
      values.push({ labels: { ...c.labels }, value: c.count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset (): void { this.cells.clear() }
}

/** The HTTP metrics of one server. */
export interface HttpMetrics {
  requests: Counter<'route' | 'method' | 'status'>
  duration: DurationHistogram
  rateLimited: Counter
  oversized: Counter
  /** Counts one finished request. */
  record: (route: string, method: string, status: number, seconds: number) => void
}

interface Cell { labels: [string, string, string], pending: number, time: DurationCell }

/** One set of HTTP metrics per registry: every server on a registry shares it. */
const perRegistry = new WeakMap<Registry, HttpMetrics>()

/** Registers HTTP metrics on `registry` (once per registry; later calls share them). */
export function createHttpMetrics (registry: Registry): HttpMetrics {
  const existing = perRegistry.get(registry)
  if (existing !== undefined) return existing
  const cells = new Map<string, Cell>()
  const requests = new Counter({
    name: 'repram_http_requests_total',
    help: 'HTTP requests by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
    // Scrape time: move the counts gathered since the last scrape into prom-client.
    collect () {
      for (const c of cells.values()) {
        if (c.pending === 0) continue
        this.inc({ route: c.labels[0], method: c.labels[1], status: c.labels[2] }, c.pending)
        c.pending = 0
      }
    }
  })
  const duration = new DurationHistogram('repram_http_request_duration_seconds', 'HTTP request duration by route pattern and method',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
  registry.registerMetric(duration as unknown as Parameters<Registry['registerMetric']>[0])
  const rateLimited = new Counter({ name: 'repram_http_rate_limited_total', help: 'Requests refused by the per-IP rate limit (429)', registers: [registry] })
  const oversized = new Counter({ name: 'repram_http_oversized_total', help: 'Requests refused because the body exceeded the value limit (413)', registers: [registry] })
  const metrics: HttpMetrics = {
    requests,
    duration,
    rateLimited,
    oversized,
    record (route, method, status, seconds) {
      const id = `${route} ${method} ${status}`
      let c = cells.get(id)
      if (c === undefined) {
        c = { labels: [route, method, String(status)], pending: 0, time: duration.cell(route, method) }
        cells.set(id, c)
      }
      c.pending++
      duration.observe(c.time, seconds)
    }
  }
  perRegistry.set(registry, metrics)
  return metrics
}
