import { describe, expect, it } from 'vitest'
import { roundRatios, type RunRecord } from '../../simulations/load/scenarios/bench.js'
import type { PhaseResult } from '../../simulations/load/lib/load.js'

const result = (reqPerSec: number, serverCpu: number): PhaseResult => ({ reqPerSec, serverCpu, total: 0, durationS: 8, p50: 1, p90: 1, p99: 1, mean: 1, max: 1, non2xx: 0, errors: 0, timeouts: 0, serverMemMiB: 0, loaderCpu: 50 })

describe('bench: per-round ratios', () => {
  it('prints REPRAM / baseline and server CPU per request for every round, in round order', () => {
    const runs: RunRecord[] = [
      { round: 2, server: 'baseline', phase: 'put', result: result(20_000, 100) },
      { round: 2, server: 'repram', phase: 'put', result: result(25_000, 100) },
      { round: 1, server: 'repram', phase: 'put', result: result(18_000, 90) },
      { round: 1, server: 'baseline', phase: 'put', result: result(24_000, 100) },
      // A round without the baseline (it failed) is left out.
      { round: 3, server: 'repram', phase: 'put', result: result(20_000, 100) }
    ]
    const [line] = roundRatios(runs, ['put'])
    expect(line).toBe('PUT per round, REPRAM / baseline: 0.75×, 1.25×; server CPU µs per request (REPRAM/baseline): 50.0/41.7, 40.0/50.0')
    expect(roundRatios(runs, ['get'])).toEqual([])
  })
})
