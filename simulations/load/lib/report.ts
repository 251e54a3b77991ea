/** Tables for the terminal and for markdown, and the results directory. */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** A table: a header row and data rows of cells. Right-aligns cells that look numeric. */
export interface Table { head: string[], rows: string[][] }

const numeric = (s: string): boolean => /^[-+≥≤~]?[\d.,]+(\s?[%×a-zA-Z/]*)?$/.test(s.trim())

/** Fixed-width text rendering. */
export function renderText (t: Table): string {
  const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map(r => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => numeric(c) ? c.padStart(widths[i]) : c.padEnd(widths[i])).join('  ').trimEnd()
  return [line(t.head), widths.map(w => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n')
}

/** GitHub markdown rendering. */
export function renderMarkdown (t: Table): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|')
  const align = t.head.map((_, i) => t.rows.length > 0 && t.rows.every(r => numeric(r[i] ?? '')) ? '---:' : '---')
  return [`| ${t.head.map(esc).join(' | ')} |`, `| ${align.join(' | ')} |`, ...t.rows.map(r => `| ${r.map(esc).join(' | ')} |`)].join('\n')
}

/** `2024-05-01T10-20-30Z`: sortable and safe in file names. */
export function timestamp (d = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')
}

/** Creates `dir` and writes `files` (name → content) into it. */
export async function writeResults (dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true })
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content)
}

/** `12,345`. */
export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US')
/** Fixed decimals. */
export const fmt = (n: number, d = 1): string => Number.isFinite(n) ? n.toFixed(d) : '-'

/** The median of `xs` (the mean of the middle two when even), non-finite values left out; NaN when none is left. */
export function median (xs: readonly number[]): number {
  const v = xs.filter(x => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const m = v.length >> 1
  return v.length % 2 === 1 ? v[m] : (v[m - 1] + v[m]) / 2
}
