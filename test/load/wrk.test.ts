/**
 * The wrk load generator's glue (simulations/load/lib/wrk.ts): its report (a real one,
 * from wrk 4.1.0 against a node:http server, with the shell's `times` after it) read into
 * figures, and the Lua scripts it is given for each workload.
 */
import { describe, expect, it } from 'vitest'
import { parseWrk, wrkDuration, wrkScript } from '../../simulations/load/lib/wrk.js'

const REPORT = `Running 1s test @ http://127.0.0.1:18080
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   643.63us    1.59ms  27.53ms   95.86%
    Req/Sec    27.77k    15.10k   53.14k    70.00%
  Latency Distribution
     50%  280.00us
     75%  507.00us
     90%    1.24ms
     99%    6.78ms
  27538 requests in 1.00s, 3.39MB read
  Socket errors: connect 0, read 2, write 1, timeout 3
  Non-2xx or 3xx responses: 17
Requests/sec:  27505.68
Transfer/sec:      3.38MB
0m0.000000s 0m0.000000s
0m0.080000s 0m0.360000s
`

describe('wrk glue', () => {
  it('reads throughput, percentiles, errors and the CPU wrk used', () => {
    const r = parseWrk(REPORT)
    expect(r.reqPerSec).toBe(27505.68)
    expect(r.total).toBe(27538)
    expect(r.durationS).toBe(1)
    expect(r.p50).toBeCloseTo(0.28, 6)
    expect(r.p90).toBeCloseTo(1.24, 6)
    expect(r.p99).toBeCloseTo(6.78, 6)
    expect(r.mean).toBeCloseTo(0.64363, 6)
    expect(r.max).toBeCloseTo(27.53, 6)
    expect(r.non2xx).toBe(17)
    expect(r.errors).toBe(3)
    expect(r.timeouts).toBe(3)
    // The last `times` line is the children's (wrk's): 0.08 s user + 0.36 s system.
    expect(r.cpuUs).toBeCloseTo(440_000, 0)
  })

  it('refuses a report without its figures, and units it does not know', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/wrk: no/)
    expect(wrkDuration('2.00m')).toBe(120_000)
    expect(wrkDuration('1.5s')).toBe(1500)
    expect(() => wrkDuration('3h')).toThrow(/cannot read/)
  })

  it('scripts GETs cycling over the preloaded keys and PUTs of fresh keys with a body', () => {
    const get = wrkScript({ kind: 'get', keyPrefix: 'bench/key/', keys: 10000 })
    expect(get).toContain('"/v1/data/" .. "bench/key/" .. string.format("%06d", i % 10000)')
    const put = wrkScript({ kind: 'put', keyPrefix: 'bench/put/"x"/', valueSize: 1024, ttl: 3600 })
    expect(put).toContain('wrk.method = "PUT"')
    expect(put).toContain('string.rep("a", 1024)')
    // The prefix is a Lua string literal: a quote in it cannot end the string.
    expect(put).toContain('"bench/put/\\"x\\"/" .. i .. "?ttl=3600"')
    expect(wrkScript({ kind: 'health' })).toBe('wrk.path = "/v1/health"\n')
    expect(() => wrkScript({ kind: 'keys', keyPrefix: 'k/', keys: 10, limit: 5 })).toThrow(/autocannon/)
  })
})
