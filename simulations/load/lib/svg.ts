/**
 * Dependency-free SVG line charts for load reports: numeric or categorical x axis,
 * several series, "nice" ticks, a legend. Enough for throughput, latency percentiles
 * and RSS over time; the files open in any browser and render inline on GitHub.
 *
 * @example
 * const svg = lineChart({
 *   title: 'throughput', xLabel: 's', yLabel: 'req/s',
 *   series: [{ name: 'total', points: [[0, 100], [1, 120]] }]
 * })
 */

/** One line. Points with a non-finite y are gaps. */
export interface Series { name: string, points: Array<[number, number]> }

/** What to draw. */
export interface LineChartSpec {
  title: string
  xLabel: string
  yLabel: string
  series: Series[]
  /** Categorical x axis: point x = index into these labels. */
  xCategories?: string[]
  /** Start the y axis at 0. @default true */
  yFromZero?: boolean
  width?: number
  height?: number
}

/** Colour-blind-friendly palette (Okabe–Ito), then greys. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000', '#777777']

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks (lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1]
  if (hi <= lo) hi = lo + (lo === 0 ? 1 : Math.abs(lo))
  const raw = (hi - lo) / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw) ?? 10 * mag
  const out: number[] = []
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)))
  if (out[out.length - 1] < hi) out.push(Number((out[out.length - 1] + step).toPrecision(12)))
  return out
}

function label (v: number): string {
  const a = Math.abs(v)
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`
  return String(Number(v.toPrecision(4)))
}

/** Renders a line chart as a standalone SVG document. */
export function lineChart (spec: LineChartSpec): string {
  const W = spec.width ?? 820
  const H = spec.height ?? 340
  const m = { top: 52, right: 24, bottom: 48, left: 64 }
  const pw = W - m.left - m.right
  const ph = H - m.top - m.bottom
  const all = spec.series.flatMap(s => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
  const cats = spec.xCategories
  const xs = all.map(p => p[0])
  const ys = all.map(p => p[1])
  // Categories sit in the middle of equal slots, so the first and last labels fit.
  const xLo = cats !== undefined ? -0.5 : (xs.length > 0 ? Math.min(...xs) : 0)
  const xHi = cats !== undefined ? cats.length - 0.5 : (xs.length > 0 ? Math.max(...xs) : 1)
  const yTicks = niceTicks(spec.yFromZero === false && ys.length > 0 ? Math.min(...ys) : 0, ys.length > 0 ? Math.max(...ys) : 1)
  const yLo = yTicks[0]
  const yHi = yTicks[yTicks.length - 1]
  const xTicks = cats !== undefined ? cats.map((_, i) => i) : niceTicks(xLo, xHi, 8).filter(t => t >= xLo && t <= xHi)
  const sx = (x: number): number => m.left + (x - xLo) / (xHi - xLo || 1) * pw
  const sy = (y: number): number => m.top + ph - (y - yLo) / (yHi - yLo || 1) * ph
  const f = (n: number): string => n.toFixed(1)

  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`)
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`)
  out.push(`<text x="${m.left}" y="22" font-size="15" font-weight="600">${esc(spec.title)}</text>`)
  for (const t of yTicks) {
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${f(sy(t))}" y2="${f(sy(t))}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${m.left - 6}" y="${f(sy(t) + 4)}" text-anchor="end" fill="#444">${label(t)}</text>`)
  }
  for (const t of xTicks) {
    out.push(`<line x1="${f(sx(t))}" x2="${f(sx(t))}" y1="${m.top + ph}" y2="${m.top + ph + 4}" stroke="#444"/>`)
    out.push(`<text x="${f(sx(t))}" y="${m.top + ph + 17}" text-anchor="middle" fill="#444">${esc(cats !== undefined ? (cats[t] ?? '') : label(t))}</text>`)
  }
  out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#444"/>`)
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="#444"/>`)
  out.push(`<text x="${m.left + pw / 2}" y="${H - 8}" text-anchor="middle" fill="#222">${esc(spec.xLabel)}</text>`)
  out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(spec.yLabel)}</text>`)

  const legendX: number[] = []
  spec.series.reduce((x, s) => { legendX.push(x); return x + 34 + 7 * s.name.length }, 0)
  spec.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]
    // Split at gaps so a missing sample does not draw a misleading line.
    const runs: string[][] = [[]]
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) { if (runs[runs.length - 1].length > 0) runs.push([]); continue }
      runs[runs.length - 1].push(`${f(sx(x))},${f(sy(y))}`)
    }
    for (const r of runs) {
      if (r.length === 1) out.push(`<circle cx="${r[0].split(',')[0]}" cy="${r[0].split(',')[1]}" r="3" fill="${colour}"/>`)
      else if (r.length > 1) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.8" stroke-linejoin="round" points="${r.join(' ')}"/>`)
    }
    if (cats !== undefined) for (const p of r0(s)) out.push(`<circle cx="${f(sx(p[0]))}" cy="${f(sy(p[1]))}" r="3" fill="${colour}"/>`)
    // Legend: one row under the title, clear of the data.
    const lx = m.left + legendX[i]
    const ly = 40
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="2.5"/>`)
    out.push(`<text x="${lx + 24}" y="${ly}" fill="#222">${esc(s.name)}</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}

function r0 (s: Series): Array<[number, number]> {
  return s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
}
