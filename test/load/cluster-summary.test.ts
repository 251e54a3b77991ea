import { describe, expect, it } from 'vitest'
import { roundSummary } from '../../simulations/load/scenarios/cluster.js'
import { median } from '../../simulations/load/lib/report.js'

type Figures = Parameters<typeof roundSummary>[0][number]

const size = (nodes: number, round: number, writes: number, cpuPerNode: number, p99: number, eqPerNode?: number): Figures => ({
  nodes,
  round,
  writes201PerSec: writes,
  cpuMsPerWrite: cpuPerNode * nodes,
  half: { offered: writes / 2, writes201PerSec: writes / 2, p50: 1, p99 },
  ...(eqPerNode === undefined ? {} : { equal: { offered: 1000, writes201PerSec: 1000, p99: 1, cpuMsPerWrite: eqPerNode * nodes } })
})

describe('cluster: summary over rounds', () => {
  it('median: odd and even counts, non-finite values left out, NaN when empty', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([NaN, 5, Infinity])).toBe(5)
    expect(median([])).toBeNaN()
  })

  it('compares each size with the first by the median over rounds, and prints the spread of the per-round ratios', () => {
    const results = [
      size(3, 1, 4000, 0.10, 20, 0.10), size(7, 1, 1600, 0.13, 60, 0.11),
      size(3, 2, 3000, 0.15, 25, 0.12), size(7, 2, 1500, 0.10, 80, 0.12),
      size(3, 3, 5000, 0.08, 22, 0.11), size(7, 3, 2000, 0.12, 70, 0.10)
    ]
    const lines = roundSummary(results, 1000)
    expect(lines).toHaveLength(1)
    // CPU per node: medians 0.12 / 0.10 = 1.20; per round 1.30, 0.67, 1.50.
    // writes/s: medians 1600 / 4000 = 0.40; per round 0.40, 0.50, 0.40.
    // at 1000/s: medians 0.11 / 0.11 = 1.00; per round 1.10, 1.00, 0.91.
    expect(lines[0]).toBe('7 vs 3 nodes, median of 3 rounds: CPU per write per node 1.20× (rounds 0.67–1.50); writes/s 0.40× (rounds 0.40–0.50); CPU per write per node at 1000/s 1.00× (rounds 0.91–1.10); half-load p99 70.0 ms (rounds 60.0–80.0)')
  })

  it('leaves out the equal-rate figure when no run had one, and prints nothing for one size', () => {
    const lines = roundSummary([size(3, 1, 4000, 0.1, 20), size(5, 1, 3000, 0.1, 30)], 1000)
    expect(lines).toEqual(['5 vs 3 nodes, median of 1 round: CPU per write per node 1.00× (rounds 1.00–1.00); writes/s 0.75× (rounds 0.75–0.75); half-load p99 30.0 ms (rounds 30.0–30.0)'])
    expect(roundSummary([size(3, 1, 4000, 0.1, 20)], 1000)).toEqual([])
    expect(roundSummary([], 1000)).toEqual([])
  })
})
