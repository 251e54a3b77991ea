/**
 * Summaries of V8 `.cpuprofile` files (what `node --cpu-prof` or the inspector's
 * `Profiler.stop` write): self and inclusive time per function, and self time per
 * package / area, so a profile can be read in a terminal or pasted into a note.
 */
import { readFile } from 'node:fs/promises'

interface CallFrame { functionName: string, url: string, lineNumber: number, columnNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, hitCount?: number, children?: number[] }
/** The subset of the V8 profile format used here. */
export interface CpuProfile { nodes: ProfileNode[], startTime: number, endTime: number, samples: number[], timeDeltas: number[] }

/** One row of a summary. */
export interface ProfileRow {
  /** `function (area/file:line)`. */
  name: string
  /** Where it lives: a package, `node:*` internals, `repram` or a V8 pseudo-frame. */
  area: string
  selfMs: number
  selfPct: number
  totalMs: number
  totalPct: number
}

/** A whole summary. */
export interface ProfileSummary {
  totalMs: number
  /** Share of samples that were idle (event loop waiting), in %. */
  idlePct: number
  bySelf: ProfileRow[]
  byTotal: ProfileRow[]
  byArea: Array<{ area: string, selfMs: number, selfPct: number }>
}

/** The area a script URL belongs to. */
export function areaOf (url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)'
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0]
  const nm = url.lastIndexOf('/node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/')
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  const m = /\/(dist\/)?(src|actors|simulations)\/(.*)$/.exec(url)
  if (m !== null) return m[2] === 'simulations' ? 'simulations' : `repram/${m[2]}/${m[3].split('/')[0].replace(/\.(js|ts)$/, '')}`
  return url
}

function shortFile (url: string): string {
  if (url === '') return ''
  if (url.startsWith('node:')) return url
  const nm = url.lastIndexOf('/node_modules/')
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length)
  const m = /\/((?:dist\/)?(?:src|actors|simulations)\/.*)$/.exec(url)
  return m !== null ? m[1] : url.replace(/^file:\/\//, '')
}

/** Summarises a profile; `top` rows per table. */
export function summarizeProfile (p: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map<number, ProfileNode>()
  const parent = new Map<number, number>()
  for (const n of p.nodes) {
    byId.set(n.id, n)
    for (const c of n.children ?? []) parent.set(c, n.id)
  }
  const keyOf = (n: ProfileNode): string => `${n.callFrame.functionName}|${n.callFrame.url}|${n.callFrame.lineNumber}`
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  const frames = new Map<string, CallFrame>()
  let all = 0
  let idle = 0
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample: charge the next delta to this sample.
    const dt = (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1000
    const leaf = byId.get(p.samples[i])
    if (leaf === undefined) continue
    all += dt
    if (leaf.callFrame.functionName === '(idle)') idle += dt
    const k = keyOf(leaf)
    frames.set(k, leaf.callFrame)
    self.set(k, (self.get(k) ?? 0) + dt)
    const seen = new Set<string>()
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)
      if (n === undefined) break
      const nk = keyOf(n)
      if (seen.has(nk)) continue
      seen.add(nk)
      frames.set(nk, n.callFrame)
      total.set(nk, (total.get(nk) ?? 0) + dt)
    }
  }
  const busy = all - idle
  const pct = (ms: number): number => busy > 0 ? 100 * ms / busy : 0
  const row = (k: string): ProfileRow => {
    const f = frames.get(k) as CallFrame
    const file = shortFile(f.url)
    const fn = f.functionName === '' ? '(anonymous)' : f.functionName
    const s = self.get(k) ?? 0
    const t = total.get(k) ?? 0
    return { name: file === '' ? fn : `${fn} (${file}:${f.lineNumber + 1})`, area: areaOf(f.url, fn), selfMs: s, selfPct: pct(s), totalMs: t, totalPct: pct(t) }
  }
  const pseudo = new Set(['(idle)', '(root)', '(program)'])
  const keys = [...frames.keys()].filter(k => !pseudo.has(k.split('|')[0]))
  const bySelf = keys.sort((a, b) => (self.get(b) ?? 0) - (self.get(a) ?? 0)).slice(0, top).map(row)
  const byTotal = [...frames.keys()].filter(k => !pseudo.has(k.split('|')[0]) && k.split('|')[1] !== '')
    .sort((a, b) => (total.get(b) ?? 0) - (total.get(a) ?? 0)).slice(0, top).map(row)
  const areas = new Map<string, number>()
  for (const [k, s] of self) {
    const f = frames.get(k) as CallFrame
    if (f.functionName === '(idle)') continue
    const a = areaOf(f.url, f.functionName)
    areas.set(a, (areas.get(a) ?? 0) + s)
  }
  const byArea = [...areas].sort((a, b) => b[1] - a[1]).map(([area, ms]) => ({ area, selfMs: ms, selfPct: pct(ms) }))
  return { totalMs: all, idlePct: all > 0 ? 100 * idle / all : 0, bySelf, byTotal, byArea }
}

/** Reads and summarises a `.cpuprofile` file. */
export async function summarizeProfileFile (file: string, top = 25): Promise<ProfileSummary> {
  return summarizeProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, top)
}

/** Plain-text rendering of a summary. */
export function renderProfileSummary (title: string, s: ProfileSummary): string {
  const out: string[] = [`${title}: ${(s.totalMs / 1000).toFixed(1)} s sampled, ${s.idlePct.toFixed(1)}% idle; percentages are of busy time`]
  out.push('', '  self%   self ms  total%  function')
  for (const r of s.bySelf) out.push(`  ${r.selfPct.toFixed(1).padStart(5)} ${r.selfMs.toFixed(0).padStart(9)}  ${r.totalPct.toFixed(1).padStart(6)}  ${r.name}`)
  out.push('', '  total%  self%  function (inclusive time)')
  for (const r of s.byTotal) out.push(`  ${r.totalPct.toFixed(1).padStart(6)} ${r.selfPct.toFixed(1).padStart(6)}  ${r.name}`)
  out.push('', '  self%  area')
  for (const a of s.byArea.slice(0, 20)) out.push(`  ${a.selfPct.toFixed(1).padStart(5)}  ${a.area}`)
  return out.join('\n')
}
