import { describe, expect, it } from 'vitest'
import { Histogram, Registry } from 'prom-client'
import { createHttpMetrics } from '../../src/http/metrics.js'

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** The lines of one metric family in a `/metrics` text, without HELP/TYPE. */
const series = (text: string, name: string): string[] => text.split('\n').filter(l => l.startsWith(name) && !l.startsWith('#'))

describe('HTTP metrics (cells read at scrape time)', () => {
  it('print exactly what prom-client\'s own Histogram prints for the same observations, bucket edges included', async () => {
    const ours = new Registry()
    const m = createHttpMetrics(ours)
    const ref = new Registry()
    const h = new Histogram({ name: 'repram_http_request_duration_seconds', help: 'HTTP request duration by route pattern and method', labelNames: ['route', 'method'] as const, buckets: BUCKETS, registers: [ref] })
    // Values on each edge, between edges, past the last one, and zero.
    const values = [0, 0.0005, 0.00051, 0.001, 0.003, 0.05, 0.5, 9.99, 10, 10.01, 42]
    for (const [i, v] of values.entries()) {
      const route = i % 2 === 0 ? '/v1/data/*' : '/v1/status'
      const method = i % 3 === 0 ? 'PUT' : 'GET'
      m.record(route, method, 200, v)
      h.observe({ route, method }, v)
    }
    const a = series(await ours.metrics(), 'repram_http_request_duration_seconds').sort()
    const b = series(await ref.metrics(), 'repram_http_request_duration_seconds').sort()
    expect(a.length).toBeGreaterThan(0)
    expect(a).toEqual(b)
  })

  it('count requests by route, method and status across scrapes, and share one set per registry', async () => {
    const reg = new Registry()
    const m = createHttpMetrics(reg)
    expect(createHttpMetrics(reg)).toBe(m)
    for (let i = 0; i < 5; i++) m.record('/v1/data/*', 'PUT', 201, 0.001)
    m.record('/v1/data/*', 'GET', 404, 0.001)
    let text = await reg.metrics()
    expect(text).toContain('repram_http_requests_total{route="/v1/data/*",method="PUT",status="201"} 5')
    expect(text).toContain('repram_http_requests_total{route="/v1/data/*",method="GET",status="404"} 1')
    // Counts gathered between two scrapes are added once, not again.
    m.record('/v1/data/*', 'PUT', 201, 0.001)
    text = await reg.metrics()
    expect(text).toContain('repram_http_requests_total{route="/v1/data/*",method="PUT",status="201"} 6')
    text = await reg.metrics()
    expect(text).toContain('repram_http_requests_total{route="/v1/data/*",method="PUT",status="201"} 6')
    expect(text).toContain('repram_http_request_duration_seconds_count{route="/v1/data/*",method="PUT"} 6')
    const json = await reg.getMetricsAsJSON()
    expect(json.find(x => x.name === 'repram_http_request_duration_seconds')?.type).toBe('histogram')
  })
})
