/** The soak's RSS growth figure (issue 16): a trend, not the phase of the GC sawtooth. */
import { describe, expect, it } from 'vitest'
import { rssGrowth } from '../../simulations/chaos/scenarios.js'
import type { NodeSample } from '../../simulations/load/lib/cli-cluster.js'

/** Samples every 10 s for 30 min: a major-GC sawtooth of ±`swing` MiB (period 70 s) on a base that grows `perMin` MiB a minute. */
function samples (base: number, perMin: number, swing: number): NodeSample[] {
  const out: NodeSample[] = []
  for (let t = 0; t <= 1800; t += 10) {
    const saw = ((t % 70) / 70 - 0.5) * 2 * swing
    out.push({ t, rssMiB: base + perMin * t / 60 + saw, cpu: NaN, records: 1000, heapUsedMiB: NaN, heapTotalMiB: NaN, externalMiB: NaN })
  }
  return out
}

describe('soak RSS growth', () => {
  it('reads a flat node with a ±15 % GC sawtooth as flat', () => {
    const g = rssGrowth(samples(200, 0, 30), 360)
    expect(Math.abs(g.growth)).toBeLessThan(0.03)
  })

  it('catches a leak of 1 MiB a minute under the same sawtooth (+12 % over 24 min)', () => {
    const g = rssGrowth(samples(200, 1, 30), 360)
    expect(g.growth).toBeGreaterThan(0.1)
    expect(g.baseMiB).toBeGreaterThan(200)
    expect(g.baseMiB).toBeLessThan(212)
  })

  it('ignores samples before the warm-up ends and those the node did not answer', () => {
    const s = samples(200, 0, 0).map(x => x.t < 360 ? { ...x, rssMiB: 50 } : x)
    s[100] = { ...s[100], rssMiB: NaN }
    expect(rssGrowth(s, 360).growth).toBeCloseTo(0, 6)
  })
})
