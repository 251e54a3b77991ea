/**
 * The engine behind the load scenarios (`quick`, `ramp`, `stress`, `soak`, `scale`,
 * `custom`): each is a preset of the same flags. A run is a list of steps, the cross
 * product of `--nodes`, `--workers` and `--value-size` (each a comma-separated list);
 * each step drives the workload (lib/workload.ts) against a cluster of `repram start`
 * processes this runner starts (lib/cli-cluster.ts; restarted when the node count
 * changes, or for every step with `--fresh-cluster`) or against `--urls`. During a step
 * every node's RSS, CPU and record count are sampled each `--sample-interval`, a
 * progress bar shows live figures, and at the end the results directory gets
 * `<scenario>.md`, `<scenario>.json` and SVG charts (throughput, latency p50/p90/p99
 * and RSS per node over time; a by-step summary when there are several steps).
 *
 * @example
 * // simulations/load/scenarios/quick.ts
 * export const options = loadOptions({ nodes: '3', workers: '25', duration: '60' })
 * export async function run (ctx: ScenarioContext) { await runLoad(ctx, name) }
 */
import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, hostname, loadavg } from 'node:os'
import { join } from 'node:path'
import { getJson, parseLoopbackUrls, sampleNodes, startCliCluster, type CliCluster, type NodeSample, type TargetNode } from './cli-cluster.js'
import { createProgress } from './progress.js'
import { fmt, fmtInt, renderMarkdown, renderText, type Table } from './report.js'
import type { ScenarioContext, ScenarioOptions } from './scenario.js'
import { lineChart } from './svg.js'
import { drive, isExpected, KeyTracker, parseRange, parseSize, type DriveResult, type OpStats, type Range, type SizeDistribution, type WorkloadMix } from './workload.js'
import type { LatencyHistogram } from './histogram.js'

/** The flags every load scenario takes, with the defaults a scenario may override. */
export interface LoadDefaults {
  nodes: string
  workers: string
  duration: string
  warmup: string
  'value-size': string
  'size-distribution': string
  ttl: string
  'put-ratio': string
  'key-space': string
  rate: string
  'max-requests': string
  timeout: string
  'max-storage-mb': string
}

const BASE: LoadDefaults = {
  nodes: '3',
  workers: '25',
  duration: '60',
  warmup: '0',
  'value-size': '256-4k',
  'size-distribution': 'log',
  ttl: '60-600',
  'put-ratio': '0.7',
  'key-space': '100000',
  rate: '0',
  'max-requests': '10000000',
  timeout: '10',
  'max-storage-mb': '2048'
}

/** Bounds that keep a run on one shared machine sane. */
const LIMITS = { nodes: 16, workers: 2000, durationS: 7 * 24 * 3600, keySpace: 50_000_000, valueBytes: 64 * 1024 * 1024 } as const

/** The option table of a load scenario: {@link BASE} with `overrides` as defaults. */
export function loadOptions (overrides: Partial<LoadDefaults> = {}): ScenarioOptions {
  const d = { ...BASE, ...overrides }
  return {
    urls: { type: 'string', help: 'drive these running nodes instead of starting a cluster (comma-separated, loopback only)' },
    nodes: { type: 'string', default: d.nodes, help: 'nodes to start; a list (1,3,5,7) runs one step per size' },
    workers: { type: 'string', default: d.workers, help: 'concurrent request loops; a list runs one step per value' },
    duration: { type: 'string', default: d.duration, help: 'seconds measured per step' },
    warmup: { type: 'string', default: d.warmup, help: 'seconds of unmeasured load before each step' },
    'value-size': { type: 'string', default: d['value-size'], help: 'value bytes, fixed (1k) or a range (256-4k); a list runs one step per entry' },
    'size-distribution': { type: 'string', default: d['size-distribution'], help: 'how sizes are drawn from a range: log (log-uniform) or uniform' },
    ttl: { type: 'string', default: d.ttl, help: 'TTL seconds of each PUT, fixed or a range (drawn uniformly)' },
    'put-ratio': { type: 'string', default: d['put-ratio'], help: 'fraction of requests that are PUTs; the rest GET keys this run wrote' },
    'key-space': { type: 'string', default: d['key-space'], help: 'distinct keys PUTs pick from at random (small = overwrites)' },
    rate: { type: 'string', default: d.rate, help: 'total request rate cap, req/s (0 = as fast as the workers go)' },
    'max-requests': { type: 'string', default: d['max-requests'], help: 'stop a step after this many requests' },
    timeout: { type: 'string', default: d.timeout, help: 'per-request timeout, seconds' },
    'max-storage-mb': { type: 'string', default: d['max-storage-mb'], help: 'capacity of each started node (--max-storage-mb; its V8 heap gets this + 1 GiB)' },
    'node-flags': { type: 'string', help: 'extra `repram start` flags for started nodes, e.g. "--replication 2 --write-timeout 2s"' },
    'fresh-cluster': { type: 'boolean', default: false, help: 'start a new cluster for every step (default: only when the node count changes)' },
    'sample-interval': { type: 'string', default: '1', help: 'seconds between RSS/CPU samples of each node' },
    'progress-every': { type: 'string', default: '10', help: 'seconds between progress lines when stderr is not a TTY' }
  }
}

/** One step of a run. */
interface Step { nodes: number, workers: number, valueBytes: Range }

/** Latency summary, ms. */
interface Latency { p50: number, p90: number, p99: number, max: number, mean: number }

/** The JSON of one step. */
export interface StepReport {
  label: string
  nodes: number
  targets: string[]
  selfStarted: boolean
  workers: number
  durationS: number
  elapsedS: number
  rate: number
  mix: WorkloadMix
  requests: number
  reqPerSec: number
  putPerSec: number
  getPerSec: number
  latencyMs: { all: Latency, put: Latency, get: Latency }
  put: { requests: number, s201: number, s202: number, otherStatus: Record<string, number>, failed: Record<string, number> }
  get: { requests: number, s200: number, s404: number, hitRate: number, otherStatus: Record<string, number>, failed: Record<string, number> }
  /** Unexpected statuses plus requests without a response. */
  errors: number
  errorRate: number
  /** Node CPU (all nodes, from /proc) per request answered, ms: less sensitive to a shared machine than req/s. NaN for --urls. */
  nodeCpuMsPerRequest: number
  getsWithoutKey: number
  /** Requests re-sent once after the keep-alive race (server closed an idle socket as it was reused); not errors. */
  staleSocketRetries: number
  loaderCpu: number
  loadavg: { start: number[], end: number[] }
  nodeResources: Array<{ name: string, pid?: number, rssMiB: { start: number, peak: number, end: number, growthPerMin: number }, cpuMean: number, records: number }>
  perSecond: Array<{ t: number, reqPerSec: number, putPerSec: number, getPerSec: number, p50: number, p90: number, p99: number, errors: number }>
  samples: Record<string, NodeSample[]>
}

function latency (h: LatencyHistogram): Latency {
  return { p50: h.percentile(0.5), p90: h.percentile(0.9), p99: h.percentile(0.99), max: h.count === 0 ? NaN : h.max, mean: h.mean() }
}

function unexpected (op: 'put' | 'get', s: OpStats): { other: Record<string, number>, failed: Record<string, number>, n: number } {
  const other: Record<string, number> = {}
  let n = s.failed
  for (const [code, c] of s.status) if (!isExpected(op, code)) { other[String(code)] = c; n += c }
  return { other, failed: Object.fromEntries(s.errors), n }
}

/** Least-squares slope of y over t (per minute). */
function slopePerMin (pts: Array<[number, number]>): number {
  const p = pts.filter(([, y]) => Number.isFinite(y))
  if (p.length < 3) return NaN
  const mt = p.reduce((a, [t]) => a + t, 0) / p.length
  const my = p.reduce((a, [, y]) => a + y, 0) / p.length
  const num = p.reduce((a, [t, y]) => a + (t - mt) * (y - my), 0)
  const den = p.reduce((a, [t]) => a + (t - mt) ** 2, 0)
  return den === 0 ? NaN : 60 * num / den
}

const sizeLabel = (n: number): string => n >= 1024 * 1024 && n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`
const rangeLabel = (r: Range, f: (n: number) => string): string => r.min === r.max ? f(r.min) : `${f(r.min)}–${f(r.max)}`

function stepLabel (s: Step, selfStarted: boolean, targets: number): string {
  return `${selfStarted ? s.nodes : targets} node${(selfStarted ? s.nodes : targets) === 1 ? '' : 's'} · ${s.workers} workers · ${rangeLabel(s.valueBytes, sizeLabel)}`
}

function summarize (step: Step, label: string, targets: TargetNode[], selfStarted: boolean, r: DriveResult, samples: Map<string, NodeSample[]>, mix: WorkloadMix, durationS: number, rate: number, load: { start: number[], end: number[] }): StepReport {
  const pu = unexpected('put', r.put)
  const gu = unexpected('get', r.get)
  const errors = pu.n + gu.n
  const hits = r.get.count(200)
  const misses = r.get.count(404)
  const full = Math.max(1, Math.floor(durationS))
  const perSecond = r.perSecond.slice(0, full).map((s, t) => {
    const e = unexpected('put', s.put).n + unexpected('get', s.get).n
    return { t: t + 1, reqPerSec: s.all.requests, putPerSec: s.put.requests, getPerSec: s.get.requests, p50: s.all.latency.percentile(0.5), p90: s.all.latency.percentile(0.9), p99: s.all.latency.percentile(0.99), errors: e }
  })
  const nodeResources = targets.map(t => {
    const ss = samples.get(t.name) ?? []
    const rss = ss.map(s => s.rssMiB).filter(Number.isFinite)
    const cpu = ss.map(s => s.cpu).filter(Number.isFinite)
    return {
      name: t.name,
      ...(t.pid !== undefined ? { pid: t.pid } : {}),
      rssMiB: { start: rss[0] ?? NaN, peak: rss.length > 0 ? Math.max(...rss) : NaN, end: rss[rss.length - 1] ?? NaN, growthPerMin: slopePerMin(ss.map(s => [s.t, s.rssMiB])) },
      cpuMean: cpu.length > 0 ? cpu.reduce((a, b) => a + b, 0) / cpu.length : NaN,
      records: ss[ss.length - 1]?.records ?? NaN
    }
  })
  const reqPerSec = r.total.requests / r.elapsedS
  return {
    label,
    nodes: targets.length,
    targets: targets.map(t => t.url),
    selfStarted,
    workers: step.workers,
    durationS,
    elapsedS: r.elapsedS,
    rate,
    mix,
    requests: r.total.requests,
    reqPerSec,
    putPerSec: r.put.requests / r.elapsedS,
    getPerSec: r.get.requests / r.elapsedS,
    latencyMs: { all: latency(r.total.latency), put: latency(r.put.latency), get: latency(r.get.latency) },
    put: { requests: r.put.requests, s201: r.put.count(201), s202: r.put.count(202), otherStatus: pu.other, failed: pu.failed },
    get: { requests: r.get.requests, s200: hits, s404: misses, hitRate: hits + misses === 0 ? NaN : hits / (hits + misses), otherStatus: gu.other, failed: gu.failed },
    errors,
    errorRate: r.total.requests === 0 ? NaN : errors / r.total.requests,
    nodeCpuMsPerRequest: 10 * nodeResources.reduce((a, n) => a + n.cpuMean, 0) / reqPerSec,
    getsWithoutKey: r.getsWithoutKey,
    staleSocketRetries: r.staleSocketRetries,
    loaderCpu: r.loaderCpu,
    loadavg: load,
    nodeResources,
    perSecond,
    samples: Object.fromEntries(samples)
  }
}

function stepCharts (s: StepReport, title: string): Record<string, string> {
  const ps = s.perSecond
  return {
    throughput: lineChart({
      title: `${title}: throughput per second`, xLabel: 'seconds', yLabel: 'requests/s',
      series: [
        { name: 'all', points: ps.map(p => [p.t, p.reqPerSec]) },
        { name: 'PUT', points: ps.map(p => [p.t, p.putPerSec]) },
        { name: 'GET', points: ps.map(p => [p.t, p.getPerSec]) }
      ]
    }),
    latency: lineChart({
      title: `${title}: latency per second`, xLabel: 'seconds', yLabel: 'ms',
      series: [
        { name: 'p50', points: ps.map(p => [p.t, p.p50]) },
        { name: 'p90', points: ps.map(p => [p.t, p.p90]) },
        { name: 'p99', points: ps.map(p => [p.t, p.p99]) }
      ]
    }),
    rss: lineChart({
      title: `${title}: RSS per node`, xLabel: 'seconds', yLabel: 'MiB',
      series: Object.entries(s.samples).map(([name, ss]) => ({ name, points: ss.map(x => [x.t, x.rssMiB] as [number, number]) }))
    })
  }
}

function environment (root: string): { node: string, cpus: number, cpuModel: string, host: string, commit: string } {
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'actors'], { cwd: root, encoding: 'utf8' }).trim()
    if (dirty !== '') commit += '+dirty'
  } catch { /* not a git checkout */ }
  const c = cpus()
  return { node: process.version, cpus: c.length, cpuModel: c[0]?.model ?? 'unknown', host: hostname(), commit }
}

function positiveInt (v: string, flag: string, max: number): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${flag}: "${v}" must be an integer in [1, ${max}]`)
  return n
}

function number (ctx: ScenarioContext, flag: string, min: number, max: number): number {
  const n = ctx.flags.number(flag)
  if (n < min || n > max) throw new Error(`--${flag} must be in [${min}, ${max}] (got ${n})`)
  return n
}

const loads = (): number[] => loadavg().map(x => Number(x.toFixed(2)))

/** Runs the load scenario `scenario` with the flags in `ctx`. */
export async function runLoad (ctx: ScenarioContext, scenario: string, about: string): Promise<StepReport[]> {
  const f = ctx.flags
  // ---- validate every flag before anything starts
  const urlList = f.list('urls')
  const given = urlList.length > 0 ? parseLoopbackUrls(urlList) : undefined
  const nodeCounts = f.list('nodes').map(v => positiveInt(v, 'nodes', LIMITS.nodes))
  const workerCounts = f.list('workers').map(v => positiveInt(v, 'workers', LIMITS.workers))
  const sizes = f.list('value-size').map(v => parseRange(v, '--value-size', true))
  if (sizes.some(s => s.max > LIMITS.valueBytes)) throw new Error(`--value-size: at most ${sizeLabel(LIMITS.valueBytes)}`)
  const distribution = f.string('size-distribution')
  if (distribution !== 'log' && distribution !== 'uniform') throw new Error('--size-distribution must be log or uniform')
  const ttl = parseRange(f.string('ttl'), '--ttl')
  if (ttl.min < 1) throw new Error('--ttl must be at least 1 s')
  const durationS = number(ctx, 'duration', 0.5, LIMITS.durationS)
  const warmupS = number(ctx, 'warmup', 0, 3600)
  const putRatio = number(ctx, 'put-ratio', 0, 1)
  const keySpace = positiveInt(f.string('key-space'), 'key-space', LIMITS.keySpace)
  const rate = number(ctx, 'rate', 0, 1_000_000)
  const maxRequests = positiveInt(f.string('max-requests'), 'max-requests', Number.MAX_SAFE_INTEGER)
  const timeoutMs = number(ctx, 'timeout', 0.1, 600) * 1000
  const maxStorageMb = positiveInt(f.string('max-storage-mb'), 'max-storage-mb', 1024 * 1024)
  const sampleMs = number(ctx, 'sample-interval', 0.1, 3600) * 1000
  const progressEvery = number(ctx, 'progress-every', 1, 3600)
  const nodeFlags = (f.optionalString('node-flags') ?? '').split(/\s+/).filter(s => s !== '')
  const fresh = f.boolean('fresh-cluster')
  if (nodeCounts.length === 0 || workerCounts.length === 0 || sizes.length === 0) throw new Error('--nodes, --workers and --value-size need at least one value')
  if (given !== undefined && nodeCounts.length > 1) throw new Error('--nodes lists several cluster sizes, which needs self-started clusters: leave out --urls')

  const steps: Step[] = []
  for (const nodes of given !== undefined ? [given.length] : nodeCounts) for (const workers of workerCounts) for (const valueBytes of sizes) steps.push({ nodes, workers, valueBytes })

  const dir = await ctx.resultsDir()
  const logDir = join(dir, 'logs')
  await mkdir(logDir, { recursive: true })
  const env = environment(ctx.root)
  const loadStart = loads()
  const startedAt = new Date().toISOString()
  ctx.log(`${steps.length} step${steps.length === 1 ? '' : 's'} × ${durationS} s; node ${env.node}, ${env.cpus} CPUs, load ${loadStart.join(' ')}; results in ${dir}`)

  const reports: StepReport[] = []
  let cluster: CliCluster | undefined
  let keys: KeyTracker | undefined
  try {
    for (const [i, step] of steps.entries()) {
      if (ctx.signal.aborted) break
      let targets: TargetNode[]
      if (given !== undefined) {
        targets = given
        keys ??= new KeyTracker(keySpace)
        await Promise.all(given.map(async t => await getJson(`${t.url}/v1/health`).catch((err: Error) => { throw new Error(`${t.url} is not answering /v1/health: ${err.message}`) })))
      } else {
        if (cluster === undefined || cluster.nodes.length !== step.nodes || fresh) {
          await cluster?.stop()
          cluster = undefined
          ctx.log(`starting ${step.nodes} repram node${step.nodes === 1 ? '' : 's'}`)
          cluster = await startCliCluster({ size: step.nodes, root: ctx.root, extraArgs: nodeFlags, maxStorageMb, logDir, logPrefix: steps.length === 1 ? '' : `step${i + 1}-`, signal: ctx.signal, log: ctx.log })
          keys = new KeyTracker(keySpace)
        }
        targets = cluster.nodes
      }
      const mix: WorkloadMix = { putRatio, ttlS: ttl, valueBytes: step.valueBytes, sizeDistribution: distribution as SizeDistribution, keySpace }
      const label = stepLabel(step, given === undefined, targets.length)
      const common = { urls: targets.map(t => t.url), workers: step.workers, mix, keys: keys as KeyTracker, rate, maxRequests, timeoutMs, signal: ctx.signal }
      if (warmupS > 0) {
        const bar = createProgress({ label: `${scenario} warmup`, totalS: warmupS, everyS: progressEvery })
        const w = await drive({ ...common, durationS: warmupS, onTick: (t, r) => bar.update(t, `${fmtInt(r.total.requests)} requests`) })
        bar.done(`${fmtInt(w.total.requests)} requests (not measured)`)
      }
      const loadBefore = loads()
      const t0 = performance.now()
      const sampler = sampleNodes(targets, sampleMs, t0)
      const barLabel = steps.length === 1 ? scenario : `${scenario} ${i + 1}/${steps.length}`
      const bar = createProgress({ label: barLabel, totalS: durationS, everyS: progressEvery })
      let r: DriveResult
      try {
        r = await drive({
          ...common,
          durationS,
          onTick: (t, res) => {
            const last = res.perSecond[Math.floor(t) - 1]
            const errs = unexpected('put', res.put).n + unexpected('get', res.get).n
            bar.update(t, `${label} · ${fmtInt(last?.all.requests ?? 0)} req/s · p99 ${fmt(last?.all.latency.percentile(0.99) ?? NaN, 1)} ms · ${fmtInt(res.total.requests)} req · ${fmtInt(res.put.count(202))}×202 · ${fmtInt(res.get.count(404))}×404 · ${fmtInt(errs)} errors`)
          }
        })
      } finally {
        await sampler.stop()
      }
      const report = summarize(step, label, targets, given === undefined, r, sampler.samples, mix, durationS, rate, { start: loadBefore, end: loads() })
      reports.push(report)
      bar.done(`${fmtInt(report.requests)} requests, ${fmtInt(report.reqPerSec)} req/s, p50 ${fmt(report.latencyMs.all.p50, 2)} ms, p99 ${fmt(report.latencyMs.all.p99, 2)} ms, ${fmtInt(report.errors)} errors, peak RSS ${report.nodeResources.map(n => fmt(n.rssMiB.peak, 0)).join('/')} MiB, load ${report.loadavg.end.join(' ')}`)
      const charts = stepCharts(report, steps.length === 1 ? `${scenario} (${label})` : `${scenario} step ${i + 1} (${label})`)
      const base = steps.length === 1 ? scenario : `${scenario}-step${i + 1}`
      for (const [kind, svg] of Object.entries(charts)) await writeFile(join(dir, `${base}-${kind}.svg`), svg)
    }
  } finally {
    await cluster?.stop()
  }

  const loadEnd = loads()
  await writeReport({ dir, scenario, about, env, startedAt, loadStart, loadEnd, reports, flags: ctx.flags.raw, interrupted: ctx.signal.aborted })
  process.stdout.write(`${renderText(summaryTable(reports))}\n\nload average ${loadStart.join(' ')} → ${loadEnd.join(' ')} (1/5/15 min; ${env.cpus} CPUs, shared)\nreport: ${join(dir, `${scenario}.md`)}\n`)
  return reports
}

function summaryTable (reports: StepReport[]): Table {
  return {
    head: ['step', 'nodes', 'workers', 'values', 'requests', 'req/s', 'PUT/s', 'GET/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', '201', '202', 'GET hit %', 'errors', 'error %', 'peak RSS MiB/node', 'node CPU ms/req', 'per node', '× step 1', 'load 1m'],
    rows: reports.map((r, i) => [
      String(i + 1), String(r.nodes), String(r.workers), rangeLabel(r.mix.valueBytes, sizeLabel), fmtInt(r.requests), fmtInt(r.reqPerSec), fmtInt(r.putPerSec), fmtInt(r.getPerSec),
      fmt(r.latencyMs.all.p50, 2), fmt(r.latencyMs.all.p90, 2), fmt(r.latencyMs.all.p99, 2), fmt(r.latencyMs.all.max, 1),
      fmtInt(r.put.s201), fmtInt(r.put.s202), fmt(100 * r.get.hitRate, 2), fmtInt(r.errors), fmt(100 * r.errorRate, 3),
      r.nodeResources.map(n => fmt(n.rssMiB.peak, 0)).join(' / '), fmt(r.nodeCpuMsPerRequest, 2),
      // CPU per request per node: flat in cluster size when a request's cost does not grow with N (issue 15).
      fmt(r.nodeCpuMsPerRequest / r.nodes, 3), fmt((r.nodeCpuMsPerRequest / r.nodes) / (reports[0].nodeCpuMsPerRequest / reports[0].nodes), 2),
      fmt(r.loadavg.end[0], 2)
    ])
  }
}

interface ReportInput {
  dir: string
  scenario: string
  about: string
  env: ReturnType<typeof environment>
  startedAt: string
  loadStart: number[]
  loadEnd: number[]
  reports: StepReport[]
  flags: Readonly<Record<string, string | boolean | undefined>>
  /** Stopped by a signal: the last step is partial and its nodes were killed mid-request. */
  interrupted: boolean
}

async function writeReport (x: ReportInput): Promise<void> {
  const { dir, scenario, reports } = x
  const first = reports[0]
  const md: string[] = [
    `# ${scenario} — ${x.startedAt}`, '',
    x.about, '',
    `node ${x.env.node} · ${x.env.cpus} CPUs (${x.env.cpuModel}) · host ${x.env.host} · commit ${x.env.commit} · load average ${x.loadStart.join(' ')} → ${x.loadEnd.join(' ')} (1/5/15 min; the machine is shared, so figures move with other load)`, ''
  ]
  if (first !== undefined) {
    const m = first.mix
    md.push(`Workload: ${Math.round(m.putRatio * 100)} % PUT / ${Math.round((1 - m.putRatio) * 100)} % GET (GETs ask for keys this run wrote and that are still live), TTL ${rangeLabel(m.ttlS, n => `${n} s`)}, values ${reports.map(r => rangeLabel(r.mix.valueBytes, sizeLabel)).filter((v, i, a) => a.indexOf(v) === i).join(', ')} (${m.sizeDistribution === 'log' ? 'log-uniform' : 'uniform'}), key space ${fmtInt(m.keySpace)}, ${first.rate > 0 ? `rate capped at ${fmtInt(first.rate)} req/s` : 'no rate cap'}; requests round-robin over ${first.selfStarted ? 'self-started `repram start` processes on 127.0.0.1 (default profile, mDNS off, no rate limit, R=3 unless --node-flags says otherwise)' : 'the given URLs'}. Errors = responses other than PUT 201/202 and GET 200/404, plus requests without a response. Node CPU ms/req = CPU of all nodes (from /proc) per request answered: steadier than req/s when other processes take the cores.`, '')
  }
  if (x.interrupted) md.push('**Interrupted** by a signal: the last step is partial, and its errors may be requests cut off when the nodes were killed.', '')
  md.push('## Summary', '', renderMarkdown(summaryTable(reports)), '')
  if (reports.length > 1) {
    // Label steps by what varies between them.
    const parts = reports.map(r => [`${r.nodes} node${r.nodes === 1 ? '' : 's'}`, `${r.workers} workers`, rangeLabel(r.mix.valueBytes, sizeLabel)])
    const varies = [0, 1, 2].filter(k => parts.some(p => p[k] !== parts[0][k]))
    const cats = parts.map(p => (varies.length > 0 ? varies : [0]).map(k => p[k]).join(' · '))
    await writeFile(join(dir, `${scenario}-summary-throughput.svg`), lineChart({ title: `${scenario}: throughput by step`, xLabel: 'step', yLabel: 'requests/s', xCategories: cats, series: [{ name: 'all', points: reports.map((r, i) => [i, r.reqPerSec]) }, { name: 'PUT', points: reports.map((r, i) => [i, r.putPerSec]) }, { name: 'GET', points: reports.map((r, i) => [i, r.getPerSec]) }] }))
    await writeFile(join(dir, `${scenario}-summary-latency.svg`), lineChart({ title: `${scenario}: latency by step`, xLabel: 'step', yLabel: 'ms', xCategories: cats, series: [{ name: 'p50', points: reports.map((r, i) => [i, r.latencyMs.all.p50]) }, { name: 'p90', points: reports.map((r, i) => [i, r.latencyMs.all.p90]) }, { name: 'p99', points: reports.map((r, i) => [i, r.latencyMs.all.p99]) }] }))
    await writeFile(join(dir, `${scenario}-summary-rss.svg`), lineChart({ title: `${scenario}: peak RSS by step`, xLabel: 'step', yLabel: 'MiB', xCategories: cats, series: [{ name: 'max over nodes', points: reports.map((r, i) => [i, Math.max(...r.nodeResources.map(n => n.rssMiB.peak))]) }, { name: 'mean over nodes', points: reports.map((r, i) => [i, r.nodeResources.reduce((a, n) => a + n.rssMiB.peak, 0) / r.nodeResources.length]) }] }))
    md.push(`![throughput by step](${scenario}-summary-throughput.svg)`, '', `![latency by step](${scenario}-summary-latency.svg)`, '', `![peak RSS by step](${scenario}-summary-rss.svg)`, '')
  }
  for (const [i, r] of reports.entries()) {
    const base = reports.length === 1 ? scenario : `${scenario}-step${i + 1}`
    md.push(`## ${reports.length === 1 ? 'Details' : `Step ${i + 1}`}: ${r.label}`, '')
    const other = (o: Record<string, number>): string => Object.entries(o).map(([k, v]) => `${k}×${fmtInt(v)}`).join(', ') || '0'
    md.push(renderMarkdown({
      head: ['op', 'requests', 'per s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'outcomes'],
      rows: [
        ['PUT', fmtInt(r.put.requests), fmtInt(r.putPerSec), fmt(r.latencyMs.put.p50, 2), fmt(r.latencyMs.put.p90, 2), fmt(r.latencyMs.put.p99, 2), fmt(r.latencyMs.put.max, 1), `201×${fmtInt(r.put.s201)}, 202×${fmtInt(r.put.s202)}, other status: ${other(r.put.otherStatus)}, no response: ${other(r.put.failed)}`],
        ['GET', fmtInt(r.get.requests), fmtInt(r.getPerSec), fmt(r.latencyMs.get.p50, 2), fmt(r.latencyMs.get.p90, 2), fmt(r.latencyMs.get.p99, 2), fmt(r.latencyMs.get.max, 1), `200×${fmtInt(r.get.s200)}, 404×${fmtInt(r.get.s404)} (hit rate ${fmt(100 * r.get.hitRate, 2)} %), other status: ${other(r.get.otherStatus)}, no response: ${other(r.get.failed)}`],
        ['all', fmtInt(r.requests), fmtInt(r.reqPerSec), fmt(r.latencyMs.all.p50, 2), fmt(r.latencyMs.all.p90, 2), fmt(r.latencyMs.all.p99, 2), fmt(r.latencyMs.all.max, 1), `errors ${fmtInt(r.errors)} (${fmt(100 * r.errorRate, 3)} %)`]
      ]
    }), '')
    md.push(renderMarkdown({
      head: ['node', 'RSS start MiB', 'RSS peak MiB', 'RSS end MiB', 'RSS trend MiB/min', 'CPU mean %', 'records at end'],
      rows: r.nodeResources.map(n => [n.name, fmt(n.rssMiB.start, 0), fmt(n.rssMiB.peak, 0), fmt(n.rssMiB.end, 0), fmt(n.rssMiB.growthPerMin, 1), fmt(n.cpuMean, 0), fmtInt(n.records)])
    }), '')
    md.push(`${fmt(r.elapsedS, 1)} s measured · load generator CPU ${fmt(r.loaderCpu, 0)} % of a core · load average ${r.loadavg.start.join(' ')} → ${r.loadavg.end.join(' ')}${r.getsWithoutKey > 0 ? ` · ${fmtInt(r.getsWithoutKey)} GETs sent as PUTs (no live key yet)` : ''}${r.staleSocketRetries > 0 ? ` · ${fmtInt(r.staleSocketRetries)} requests re-sent after the keep-alive race (an idle socket closed by the server as it was reused)` : ''}`, '')
    md.push(`![throughput](${base}-throughput.svg)`, '', `![latency](${base}-latency.svg)`, '', `![RSS](${base}-rss.svg)`, '')
  }
  md.push(`Flags: \`${Object.entries(x.flags).filter(([, v]) => v !== undefined && v !== false).map(([k, v]) => v === true ? `--${k}` : `--${k} ${String(v)}`).join(' ')}\``, '', 'Node output (startup lines, warnings, errors): `logs/`.', '')
  await writeFile(join(dir, `${scenario}.md`), md.join('\n'))
  const json = { scenario, startedAt: x.startedAt, interrupted: x.interrupted, environment: { ...x.env, loadavg: { start: x.loadStart, end: x.loadEnd } }, flags: x.flags, steps: reports }
  await writeFile(join(dir, `${scenario}.json`), JSON.stringify(json, (_k, v: unknown) => typeof v === 'number' && !Number.isFinite(v) ? null : v, 2) + '\n')
}
