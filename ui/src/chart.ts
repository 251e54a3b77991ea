/**
 * A small line chart as inline SVG, drawn from scratch on each update: a time axis over
 * a fixed window ending now, a y axis from 0 to a rounded maximum, one path per series.
 * Colours come from CSS classes (the CSP allows no inline style).
 */
import { svg } from './dom.js'
import { formatTime } from './format.js'

/** One line: its CSS class and its points (epoch ms, value; null = no value). */
export interface Series { cls: string, points: Array<[number, number | null]> }

/** Size and labels of a chart. */
export interface ChartOptions {
  /** The time window shown, ms, ending at `now`. */
  windowMs: number
  now: number
  /** Tick label of a y value. */
  format: (v: number) => string
  /** Fill under the first series. @default false */
  area?: boolean
}

const W = 320
const H = 120
const PAD = { left: 42, right: 6, top: 8, bottom: 16 }

/** A "nice" upper bound ≥ v: 1, 2, 2.5 or 5 × 10^n. */
export function niceMax (v: number): number {
  if (!(v > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

/** Replaces `host`'s content with a chart of `series`. */
export function drawChart (host: HTMLElement, series: Series[], opts: ChartOptions): void {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' })
  const t0 = opts.now - opts.windowMs
  const values = series.flatMap(s => s.points.filter(p => p[0] >= t0).map(p => p[1])).filter((v): v is number => v !== null)
  const max = niceMax(Math.max(0, ...values))
  const x = (t: number): number => PAD.left + (W - PAD.left - PAD.right) * (t - t0) / opts.windowMs
  const y = (v: number): number => H - PAD.bottom - (H - PAD.top - PAD.bottom) * v / max

  root.append(svg('line', { class: 'axis', x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom }))
  root.append(svg('line', { class: 'axis', x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom }))
  for (const v of [0, max / 2, max]) {
    root.append(svg('text', { class: 'tick', x: PAD.left - 4, y: y(v) + 3, 'text-anchor': 'end' }, opts.format(v)))
  }
  root.append(svg('text', { class: 'tick', x: PAD.left, y: H - 3 }, formatTime(t0)))
  root.append(svg('text', { class: 'tick', x: W - PAD.right, y: H - 3, 'text-anchor': 'end' }, formatTime(opts.now)))

  if (values.length === 0) {
    root.append(svg('text', { class: 'nodata', x: (W + PAD.left) / 2, y: H / 2, 'text-anchor': 'middle' }, 'collecting samples…'))
  }
  series.forEach((s, i) => {
    const runs = pathOf(s.points.filter(p => p[0] >= t0), x, y)
    if (runs === '') return
    if (i === 0 && opts.area === true) {
      const pts = s.points.filter((p): p is [number, number] => p[0] >= t0 && p[1] !== null)
      if (pts.length > 1) {
        const d = `M${x(pts[0][0]).toFixed(1)},${y(0).toFixed(1)}` + pts.map(p => `L${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('') + `L${x(pts[pts.length - 1][0]).toFixed(1)},${y(0).toFixed(1)}Z`
        root.append(svg('path', { class: 'area', d }))
      }
    }
    const path = svg('path', { class: `series ${s.cls}`, d: runs })
    const last = s.points.at(-1)?.[1]
    if (last !== null && last !== undefined) path.append(svg('title', {}, `${s.cls.replace(/^s-/, '')}: ${opts.format(last)}`))
    root.append(path)
  })
  host.replaceChildren(root)
}

/** An SVG path through the points; a null value breaks the line. */
function pathOf (points: Array<[number, number | null]>, x: (t: number) => number, y: (v: number) => number): string {
  let d = ''
  let pen = false
  for (const [t, v] of points) {
    if (v === null) { pen = false; continue }
    d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`
    pen = true
  }
  return d
}
