/** Small statistics helpers shared by the real-node simulation and the model. */

/** The q-quantile (0..1) of `xs` by nearest rank; NaN when empty. */
export function quantile (xs: number[], q: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))
  return s[i]
}

/** p50, p99 and max of a sample. */
export interface Summary { n: number, p50: number, p99: number, max: number }

export function summarize (xs: number[]): Summary {
  return { n: xs.length, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: xs.length === 0 ? NaN : Math.max(...xs) }
}

/** Points of an empirical CDF, thinned to at most `points`. */
export function cdf (xs: number[], points = 200): Array<[number, number]> {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return []
  const step = Math.max(1, Math.floor(s.length / points))
  const out: Array<[number, number]> = []
  for (let i = 0; i < s.length; i += step) out.push([s[i], (i + 1) / s.length])
  out.push([s[s.length - 1], 1])
  return out
}

export const fmt = (x: number, digits = 0): string => Number.isFinite(x) ? x.toFixed(digits) : '–'

export function fmtBytes (n: number): string {
  if (!Number.isFinite(n)) return '–'
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${Math.round(n)} B`
}

/** Deterministic PRNG (mulberry32), shared by the simulation and the model. */
export function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
