/** Minimal dependency-free SVG line/point charts for simulation reports. */

export interface Series {
  name: string
  points: Array<[number, number]>
  /** Draw points only (no line). */
  dots?: boolean
  dashed?: boolean
}

export interface ChartOptions {
  title: string
  xLabel: string
  yLabel: string
  logX?: boolean
  logY?: boolean
  width?: number
  height?: number
  yMin?: number
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf']

function esc (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function ticks (lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = []
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e)
    return out.filter(t => t >= lo * 0.999 && t <= hi * 1.001)
  }
  const span = hi - lo || 1
  const raw = span / 5
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => span / s <= 6) ?? raw
  const out: number[] = []
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(Number(t.toPrecision(12)))
  return out
}

/** Renders series as an SVG string. */
export function lineChart (series: Series[], o: ChartOptions): string {
  const W = o.width ?? 640
  const H = o.height ?? 400
  const m = { l: 70, r: 160, t: 40, b: 50 }
  const all = series.flatMap(s => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.logX || x > 0) && (!o.logY || y > 0))
  if (all.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="20" y="30">${esc(o.title)}: no data</text></svg>`
  let [x0, x1] = [Math.min(...all.map(p => p[0])), Math.max(...all.map(p => p[0]))]
  let [y0, y1] = [o.yMin ?? Math.min(0, ...all.map(p => p[1])), Math.max(...all.map(p => p[1]))]
  if (o.logY) y0 = Math.min(...all.map(p => p[1]))
  if (x0 === x1) { x0 = o.logX ? x0 / 2 : x0 - 1; x1 = o.logX ? x1 * 2 : x1 + 1 }
  if (y0 === y1) { y0 = o.logY ? y0 / 2 : y0 - 1; y1 = o.logY ? y1 * 2 : y1 + 1 }
  if (o.logY) { y0 = 10 ** Math.floor(Math.log10(y0)); y1 = 10 ** Math.ceil(Math.log10(y1)) }
  if (o.logX) { x0 = 10 ** Math.floor(Math.log10(x0)); x1 = 10 ** Math.ceil(Math.log10(x1)) }
  const fx = (x: number): number => m.l + (o.logX ? (Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (x - x0) / (x1 - x0)) * (W - m.l - m.r)
  const fy = (y: number): number => H - m.b - (o.logY ? (Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (y - y0) / (y1 - y0)) * (H - m.t - m.b)
  const parts: string[] = []
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`)
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`)
  parts.push(`<text x="${m.l}" y="22" font-size="15" font-weight="bold">${esc(o.title)}</text>`)
  for (const t of ticks(x0, x1, o.logX === true)) {
    parts.push(`<line x1="${fx(t)}" x2="${fx(t)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/><text x="${fx(t)}" y="${H - m.b + 16}" text-anchor="middle">${t}</text>`)
  }
  for (const t of ticks(y0, y1, o.logY === true)) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${fy(t)}" y2="${fy(t)}" stroke="#eee"/><text x="${m.l - 6}" y="${fy(t) + 4}" text-anchor="end">${t}</text>`)
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`)
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(o.xLabel)}</text>`)
  parts.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`)
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.logX || x > 0) && (!o.logY || y > 0))
    if (s.dots === true) {
      for (const [x, y] of pts) parts.push(`<circle cx="${fx(x).toFixed(1)}" cy="${fy(y).toFixed(1)}" r="4" fill="${c}"/>`)
    } else if (pts.length > 0) {
      parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''} points="${pts.map(([x, y]) => `${fx(x).toFixed(1)},${fy(y).toFixed(1)}`).join(' ')}"/>`)
    }
    const ly = m.t + 10 + i * 18
    parts.push(`<rect x="${W - m.r + 10}" y="${ly - 8}" width="12" height="4" fill="${c}"/><text x="${W - m.r + 28}" y="${ly - 2}">${esc(s.name)}</text>`)
  })
  parts.push('</svg>')
  return parts.join('\n')
}
