/**
 * HTTP metrics: requests by route/method/status, durations, and refusals. Label sets
 * come from small fixed enums, and each label combination's child is looked up once
 * and cached, so a request pays one Map lookup and two increments, not label hashing.
 */
import { Counter, Histogram, type Registry } from 'prom-client'

/** The HTTP metrics of one server. */
export interface HttpMetrics {
  requests: Counter<'route' | 'method' | 'status'>
  duration: Histogram<'route' | 'method'>
  rateLimited: Counter
  oversized: Counter
  /** Counts one finished request. */
  record: (route: string, method: string, status: number, seconds: number) => void
}

interface Children { count: Counter.Internal, time: Histogram.Internal<'route' | 'method'> }

/** Registers HTTP metrics on `registry` (once per registry; later calls share them). */
export function createHttpMetrics (registry: Registry): HttpMetrics {
  const get = <T>(name: string): T | undefined => registry.getSingleMetric(name) as T | undefined
  const requests = get<HttpMetrics['requests']>('repram_http_requests_total') ??
    new Counter({ name: 'repram_http_requests_total', help: 'HTTP requests by route pattern, method and status', labelNames: ['route', 'method', 'status'] as const, registers: [registry] })
  const duration = get<HttpMetrics['duration']>('repram_http_request_duration_seconds') ??
    new Histogram({ name: 'repram_http_request_duration_seconds', help: 'HTTP request duration by route pattern and method', labelNames: ['route', 'method'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] })
  const rateLimited = get<Counter>('repram_http_rate_limited_total') ??
    new Counter({ name: 'repram_http_rate_limited_total', help: 'Requests refused by the per-IP rate limit (429)', registers: [registry] })
  const oversized = get<Counter>('repram_http_oversized_total') ??
    new Counter({ name: 'repram_http_oversized_total', help: 'Requests refused because the body exceeded the value limit (413)', registers: [registry] })
  const children = new Map<string, Children>()
  return {
    requests,
    duration,
    rateLimited,
    oversized,
    record (route, method, status, seconds) {
      const id = `${route} ${method} ${status}`
      let ch = children.get(id)
      if (ch === undefined) {
        ch = { count: requests.labels(route, method, String(status)), time: duration.labels(route, method) }
        children.set(id, ch)
      }
      ch.count.inc()
      ch.time.observe(seconds)
    }
  }
}
