/** HTTP metrics: requests by route/method/status, durations, and refusals. */
import { Counter, Histogram, type Registry } from 'prom-client'

/** The HTTP metrics of one server. */
export interface HttpMetrics {
  requests: Counter<'route' | 'method' | 'status'>
  duration: Histogram<'route' | 'method'>
  rateLimited: Counter
  oversized: Counter
}

/** Registers HTTP metrics on `registry` (once per registry). */
export function createHttpMetrics (registry: Registry): HttpMetrics {
  const existing = registry.getSingleMetric('repram_http_requests_total')
  if (existing !== undefined) {
    return {
      requests: existing as HttpMetrics['requests'],
      duration: registry.getSingleMetric('repram_http_request_duration_seconds') as HttpMetrics['duration'],
      rateLimited: registry.getSingleMetric('repram_http_rate_limited_total') as Counter,
      oversized: registry.getSingleMetric('repram_http_oversized_total') as Counter
    }
  }
  return {
    requests: new Counter({ name: 'repram_http_requests_total', help: 'HTTP requests by route pattern, method and status', labelNames: ['route', 'method', 'status'] as const, registers: [registry] }),
    duration: new Histogram({ name: 'repram_http_request_duration_seconds', help: 'HTTP request duration by route pattern and method', labelNames: ['route', 'method'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] }),
    rateLimited: new Counter({ name: 'repram_http_rate_limited_total', help: 'Requests refused by the per-IP rate limit (429)', registers: [registry] }),
    oversized: new Counter({ name: 'repram_http_oversized_total', help: 'Requests refused because the body exceeded the value limit (413)', registers: [registry] })
  }
}
