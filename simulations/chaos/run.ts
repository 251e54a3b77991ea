/**
 * The chaos runner (`npm run chaos`, issue 16): real `repram start` processes, faults under
 * load, and the checks that matter: 0 writes lost after a 201, 0 expired reads, and how long
 * the cluster takes to converge. Writes `chaos.md` and `chaos.json` (and node logs) to
 * `simulations/results/<timestamp>/`; exits 1 when a check fails.
 *
 * @example
 * npm run chaos                              # kill, partition, lossy, skew (~5 min)
 * npm run chaos -- kill partition --short    # the CI forms (~40 s)
 * npm run chaos -- --soak 30m                # the soak alone
 */
import '../../src/polyfill.js'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { killAllChildren } from '../load/lib/children.js'
import { renderMarkdown, renderText, timestamp, writeResults, type Table } from '../load/lib/report.js'
import { lineChart } from '../load/lib/svg.js'
import { ensureDir, parseDuration, runKill, runLossy, runPartition, runSkew, runSoak, type ScenarioOptions, type ScenarioResult } from './scenarios.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ALL = ['kill', 'partition', 'lossy', 'skew'] as const

const USAGE = `usage: npm run chaos -- [kill] [partition] [lossy] [skew] [--flags]

Runs the named scenarios (default: ${ALL.join(', ')}) against real node processes.
  --short              the CI forms: seconds of load instead of tens
  --soak <duration>    run the soak (e.g. 30m, 90s) instead; fails past +10 % RSS after warm-up
  --rate <n>           PUTs per second (default 150; short 60; soak 200)
  --sigstop            partition by SIGSTOP/SIGCONT even where namespaces work
  --node-flags "<…>"   more \`repram start\` flags for every node
  --out <dir>          results directory (default simulations/results/<timestamp>)`

/** One row per scenario for the summary. */
function summary (results: ScenarioResult[]): Table {
  const f = (r: ScenarioResult, k: string): string => r.figures[k] === undefined ? '-' : String(r.figures[k])
  return {
    head: ['scenario', 'result', 'writes', '201', '202', 'other', 'reads', 'expired reads', 'required', 'lost', 'converged ms'],
    rows: results.map(r => [r.name, r.skipped !== undefined ? 'skipped' : r.ok ? 'pass' : 'FAIL', f(r, 'writes'), f(r, 'writes201'), f(r, 'writes202'), f(r, 'writesOther'), f(r, 'reads'), f(r, 'expiredReads'), f(r, 'required'), f(r, 'lost'), f(r, 'convergedMs')])
  }
}

/** The markdown report. */
export function markdown (results: ScenarioResult[], meta: Record<string, string>): string {
  const out = ['# Chaos run', '', Object.entries(meta).map(([k, v]) => `- ${k}: ${v}`).join('\n'), '', renderMarkdown(summary(results)), '']
  for (const r of results) {
    out.push(`## ${r.name}: ${r.skipped !== undefined ? 'skipped' : r.ok ? 'pass' : 'FAIL'}`, '', `Variant: ${r.variant}`, '')
    if (r.skipped !== undefined) { out.push(r.skipped, ''); continue }
    out.push(renderMarkdown({ head: ['check', 'result', 'detail'], rows: r.checks.map(c => [c.what, c.ok ? 'ok' : 'FAIL', c.detail]) }), '')
    out.push(renderMarkdown({ head: ['figure', 'value'], rows: Object.entries(r.figures).map(([k, v]) => [k, String(v)]) }), '')
    out.push('Timeline (s):', '', ...r.timeline.map(([t, e]) => `- ${t.toFixed(1)}: ${e}`), '')
    if (r.rss !== undefined) out.push(`![RSS](${r.name}-rss.svg)`, '', `![V8 heap and external memory](${r.name}-heap.svg)`, '')
  }
  return out.join('\n')
}

async function main (): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        short: { type: 'boolean' },
        soak: { type: 'string' },
        rate: { type: 'string' },
        sigstop: { type: 'boolean' },
        'node-flags': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  const v = parsed.values
  if (v.help === true) { console.log(USAGE); return 0 }
  const names = parsed.positionals.length > 0 ? parsed.positionals : (v.soak !== undefined ? [] : [...ALL])
  const unknown = names.filter(n => !(ALL as readonly string[]).includes(n))
  if (unknown.length > 0) { console.error(`unknown scenario ${unknown.join(', ')}\n\n${USAGE}`); return 2 }
  const rate = v.rate !== undefined ? Number(v.rate) : undefined
  if (rate !== undefined && !(rate > 0)) { console.error('--rate must be a positive number'); return 2 }
  const soakMs = v.soak !== undefined ? parseDuration(v.soak) : undefined

  const controller = new AbortController()
  const onSignal = (): void => { if (controller.signal.aborted) { killAllChildren(); process.exit(130) } controller.abort() }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const dir = v.out ?? join(ROOT, 'simulations', 'results', timestamp())
  const opts: ScenarioOptions = {
    root: ROOT,
    short: v.short === true,
    logDir: ensureDir(join(dir, 'logs')),
    rate,
    nodeFlags: v['node-flags']?.split(/\s+/).filter(s => s !== ''),
    signal: controller.signal,
    log: (msg) => process.stderr.write(`${msg}\n`)
  }
  const results: ScenarioResult[] = []
  const started = new Date()
  for (const name of names) {
    if (controller.signal.aborted) break
    const r = name === 'kill'
      ? await runKill(opts)
      : name === 'partition'
        ? await runPartition({ ...opts, forceSigstop: v.sigstop === true })
        : name === 'lossy' ? await runLossy(opts) : await runSkew(opts)
    results.push(r)
  }
  if (soakMs !== undefined && !controller.signal.aborted) results.push(await runSoak({ ...opts, durationMs: soakMs }))

  const meta = { started: started.toISOString(), duration: `${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`, form: opts.short === true ? 'short (CI)' : 'full', 'node flags': (opts.nodeFlags ?? []).join(' ') || '(chaos defaults: --replication 3 --ping-interval 500ms --ping-failures 2 --member-ttl 10s --sync-interval 2s --write-timeout 2s)' }
  const files: Record<string, string> = {
    'chaos.md': markdown(results, meta),
    'chaos.json': JSON.stringify({ ...meta, results }, (_k, x) => typeof x === 'number' && !Number.isFinite(x) ? null : x, 2)
  }
  for (const r of results) {
    if (r.rss === undefined) continue
    files[`${r.name}-rss.svg`] = lineChart({ title: 'RSS per node', xLabel: 's', yLabel: 'MiB', series: Object.entries(r.rss).map(([name, s]) => ({ name, points: s.map(p => [p.t, p.rssMiB] as [number, number]) })) })
    const heapSeries = Object.entries(r.rss).flatMap(([name, s]) => [
      { name: `${name} heap used`, points: s.filter(p => Number.isFinite(p.heapUsedMiB)).map(p => [p.t, p.heapUsedMiB] as [number, number]) },
      { name: `${name} heap total`, points: s.filter(p => Number.isFinite(p.heapTotalMiB)).map(p => [p.t, p.heapTotalMiB] as [number, number]) },
      { name: `${name} external`, points: s.filter(p => Number.isFinite(p.externalMiB)).map(p => [p.t, p.externalMiB] as [number, number]) }
    ])
    files[`${r.name}-heap.svg`] = lineChart({ title: 'V8 heap (used, reserved) and external memory per node', xLabel: 's', yLabel: 'MiB', series: heapSeries })
  }
  await writeResults(dir, files)
  console.log(renderText(summary(results)))
  for (const r of results) for (const c of r.checks) if (!c.ok) console.log(`FAIL ${r.name}: ${c.what}: ${c.detail}`)
  for (const r of results) if (r.skipped !== undefined) console.log(`${r.name}: ${r.skipped}`)
  console.log(`\nreport: ${join(dir, 'chaos.md')}`)
  if (controller.signal.aborted) return 130
  return results.every(r => r.ok) ? 0 : 1
}

process.on('exit', killAllChildren)
process.exit(await main().catch(err => { console.error(err); killAllChildren(); return 1 }))
