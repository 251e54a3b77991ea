/**
 * `bench`: REPRAM's single-node HTTP path against the ceiling of its own stack.
 *
 * 1. Throughput. Two child processes, started fresh each round: a bare hono app on
 *    @hono/node-server keeping values in a Map (the baseline), and a REPRAM node
 *    (built `dist/`, test profile, no rate limit). Both hold the same preloaded keys.
 *    wrk (its own process, when on the PATH; `--generator`) or autocannon (in this
 *    process) drives each with the same load: GET cycling over the
 *    preloaded keys, then PUT of never-used keys with a 1 KiB body and `?ttl=3600`.
 *    Servers alternate inside each phase and the order flips every round, because the
 *    machine is shared and noisy; the headline is the best round of each, the median
 *    is shown too. Server and generator CPU are sampled to show who was saturated. With
 *    2+ CPUs each server runs on CPU 0 and the generator on CPU 1 (`--pin`, taskset),
 *    as the figures of issue 15 were taken: one core each, neither stealing the other's.
 * 2. Memory per record beyond key and value, in fresh `--expose-gc` processes: a plain
 *    Map (the floor), `node.put()` and the full `PUT` through the hono app.
 * 3. `--profile`: one extra, unscored round with the V8 sampling profiler on in each
 *    server during each phase; `.cpuprofile` files and a summary go to the results.
 *
 * @example
 * npm run bench                      # builds, then the default run (~2.5-3.5 min)
 * npx tsx simulations/load/run.ts bench --duration 5 --rounds 1 --skip-memory
 * npx tsx simulations/load/run.ts bench --memory-only --records 20000
 * npx tsx simulations/load/run.ts bench --profile --rounds 1 --skip-memory
 */
import { hostname, loadavg, cpus } from 'node:os'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { pinProcess, startChild, runChild, type ChildHandle } from '../lib/children.js'
import { runPhase, type PhaseResult, type Workload, type LoadShape } from '../lib/load.js'
import { wrkAvailable } from '../lib/wrk.js'
import { fmt, fmtInt, median, renderMarkdown, renderText, writeResults, type Table } from '../lib/report.js'
import { renderProfileSummary, summarizeProfileFile, type ProfileSummary } from '../lib/cpuprofile.js'
import type { ScenarioContext, ScenarioOptions } from '../lib/scenario.js'
import type { ServerConfig, ServerReady } from '../servers/common.js'
import type { MemoryProbeConfig, MemoryProbeResult } from '../probes/memory.js'

export const name = 'bench'
export const description = 'REPRAM node vs a bare hono+Map server: GET/PUT req/s, p50/p99, and memory per record'

export const options = {
  duration: { type: 'string', default: '10', help: 'seconds per measured phase' },
  warmup: { type: 'string', default: '3', help: 'seconds of warmup per server (half GET, half PUT) each round' },
  rounds: { type: 'string', default: '2', help: 'measured rounds; servers alternate within a phase and the order flips each round' },
  connections: { type: 'string', default: '50', help: 'concurrent keep-alive connections' },
  keys: { type: 'string', default: '10000', help: 'preloaded keys that GET cycles over' },
  'value-size': { type: 'string', default: '1024', help: 'bytes per value for GET and PUT' },
  servers: { type: 'string', default: 'baseline,repram', help: 'servers to drive; `baseline:<a>+<b>` adds ablation pieces to the baseline (cors, security, headers-pre, metrics, actor, actor-batch)' },
  phases: { type: 'string', default: 'get,put', help: 'which phases to run' },
  records: { type: 'string', default: '100000', help: 'records per memory measurement' },
  'memory-sizes': { type: 'string', default: '1024,64', help: 'value sizes for the memory measurement' },
  'memory-modes': { type: 'string', default: 'map,node,http', help: 'map = plain Map floor, node = node.put(), http = PUT through the hono app' },
  'memory-parallel': { type: 'string', default: '2', help: 'memory probes run at once (each measures only its own process)' },
  'skip-memory': { type: 'boolean', default: false, help: 'skip the memory measurement' },
  'memory-only': { type: 'boolean', default: false, help: 'only the memory measurement' },
  profile: { type: 'boolean', default: false, help: 'add an unscored round with the CPU profiler on in each server' },
  from: { type: 'string', default: 'dist', help: 'REPRAM library: dist (built, realistic) or src (through tsx)' },
  generator: { type: 'string', default: 'auto', help: 'load generator: wrk (its own process, C: far more req/s per core), autocannon (in this process), or auto: wrk when it is on the PATH' },
  pin: { type: 'string', default: 'auto', help: 'auto: with 2+ CPUs, each server on CPU 0 and the load generator (this process) on CPU 1 (taskset), so neither steals the other\'s core; off: anywhere' }
} satisfies ScenarioOptions

/** Targets of issue 2 §8: REPRAM/baseline req/s, and overhead bytes per record. */
const TARGETS = { get: 0.9, put: 0.85, overheadBytes: 300 } as const
/** The reference REPRAM TS implementation, for context. */
const REFERENCE = { get: 0.66, put: 0.77, overheadBytes: 1700 } as const

const SERVERS = {
  baseline: { script: new URL('../servers/baseline.ts', import.meta.url), title: 'baseline (hono + Map)' },
  repram: { script: new URL('../servers/repram.ts', import.meta.url), title: 'REPRAM node' }
} as const
/** `baseline`, `repram`, or `baseline:<piece>+<piece>` (an ablation variant). */
type ServerName = string

function serverSpec (id: ServerName): { script: URL, title: string, middleware: string[] } {
  const [base, pieces] = id.split(':') as [string, string | undefined]
  const s = SERVERS[base as keyof typeof SERVERS]
  if (s === undefined || (pieces !== undefined && base !== 'baseline')) throw new Error(`--servers: unknown server "${id}" (baseline, repram, baseline:<piece>+<piece>)`)
  const middleware = pieces === undefined ? [] : pieces.split('+').filter(p => p !== '')
  return { script: s.script, title: middleware.length === 0 ? s.title : `baseline + ${middleware.join(' + ')}`, middleware }
}
type PhaseName = 'get' | 'put'

const KEY_PREFIX = 'bench/key/'
const PUT_TTL = 3600
/** Server children get a big heap so a long PUT phase never runs into the default limit. */
const SERVER_NODE_ARGS = ['--max-old-space-size=4096']

export interface RunRecord { round: number, server: ServerName, phase: PhaseName, result: PhaseResult }

interface Summary {
  server: ServerName
  phase: PhaseName
  best: PhaseResult
  medianReqPerSec: number
  runs: number
}

export async function run (ctx: ScenarioContext): Promise<void> {
  const f = ctx.flags
  const durationS = f.number('duration')
  const warmupS = f.number('warmup')
  const rounds = f.number('rounds')
  const connections = f.number('connections')
  const keys = f.number('keys')
  const valueSize = f.number('value-size')
  const servers = f.list('servers') as ServerName[]
  const phases = f.list('phases') as PhaseName[]
  const from = f.string('from') as 'dist' | 'src'
  for (const s of servers) serverSpec(s)
  for (const p of phases) if (p !== 'get' && p !== 'put') throw new Error(`--phases: unknown phase "${p}" (get, put)`)
  if (from !== 'dist' && from !== 'src') throw new Error('--from must be dist or src')

  const pin = f.string('pin')
  if (pin !== 'auto' && pin !== 'off') throw new Error('--pin must be auto or off')
  if (pin === 'auto' && cpus().length >= 2) {
    pinProcess(process.pid, '1')
    serverCpus = '0'
    ctx.log('pinned: servers on CPU 0, the load generator on CPU 1')
  }
  const env = environment(ctx.root)
  ctx.log(`node ${process.version}, ${env.cpus} CPUs, load ${env.loadBefore.map(l => l.toFixed(2)).join(' ')}, commit ${env.commit}`)
  const gen = f.string('generator')
  if (gen !== 'auto' && gen !== 'wrk' && gen !== 'autocannon') throw new Error('--generator must be auto, wrk or autocannon')
  if (gen === 'wrk' && !wrkAvailable()) throw new Error('--generator wrk: wrk is not on the PATH (Debian: apt-get install wrk)')
  const generator = gen === 'auto' ? (wrkAvailable() ? 'wrk' : 'autocannon') : gen
  ctx.log(`load generator: ${generator}${gen === 'auto' && generator === 'autocannon' ? ' (wrk is not on the PATH; autocannon saturates its core near 30k req/s here, so a fast server\'s figure is the generator\'s)' : ''}`)
  const shape: LoadShape = { connections, durationS, generator }
  const serverConfig: ServerConfig = { preloadKeys: keys, keyPrefix: KEY_PREFIX, valueSize, from }
  const runs: RunRecord[] = []
  const failures: string[] = []
  const out: string[] = []
  const md: string[] = [`# bench ${new Date().toISOString()}`, '', `node ${process.version} · ${env.cpus} CPUs (${env.cpuModel}) · host ${env.host} · commit ${env.commit} · load before ${env.loadBefore.map(l => l.toFixed(2)).join(' ')}`, '']

  if (!f.boolean('memory-only')) {
    for (let round = 1; round <= rounds && !ctx.signal.aborted; round++) {
      const order = round % 2 === 1 ? servers : [...servers].reverse()
      await withServers(ctx, order, serverConfig, async (live) => {
        for (const s of order) await warm(ctx, live[s], s, phases, valueSize, keys, connections, warmupS, `w${round}`)
        for (const phase of phases) {
          for (const s of order) {
            if (ctx.signal.aborted) return
            ctx.log(`round ${round}/${rounds}: ${s} ${phase.toUpperCase()} for ${durationS} s`)
            const result = await runPhase(urlOf(live[s]), live[s], workload(phase, keys, valueSize, `r${round}/`), shape, ctx.signal)
            ctx.log(`  ${fmtInt(result.reqPerSec)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, server CPU ${fmt(result.serverCpu, 0)}%, generator CPU ${fmt(result.loaderCpu, 0)}%${result.non2xx + result.errors > 0 ? `, ${result.non2xx} non-2xx, ${result.errors} errors` : ''}`)
            runs.push({ round, server: s, phase, result })
          }
        }
      })
    }
  }
  const summaries = summarize(runs)
  if (summaries.length > 0) {
    const t = throughputTable(summaries, phases, servers)
    out.push(`Throughput: ${generator}, ${connections} connections, ${durationS} s per phase, best of ${rounds} round(s), ${valueSize} B values, ${keys} preloaded keys`, renderText(t))
    md.push(`## Throughput`, '', `${generator}, ${connections} connections, ${durationS} s per phase, best of ${rounds} round(s) (median in its own column), ${valueSize} B values, GET over ${keys} preloaded keys, PUT of unique keys with ttl=${PUT_TTL}.`, '', renderMarkdown(t), '')
    const perRound = roundRatios(runs, phases)
    if (perRound.length > 0) { out.push(...perRound); md.push(...perRound.map(l => `- ${l}`), '') }
    const all = runsTable(runs)
    md.push('### Every run', '', renderMarkdown(all), '')
    const warnings = saturationWarnings(summaries)
    if (warnings.length > 0) { out.push(...warnings); md.push(...warnings.map(w => `> ${w}`), '') }
    // Print now: a later part failing must not lose these figures.
    console.log(out.join('\n'))
    out.length = 0
  }

  let memory: MemoryProbeResult[] = []
  if (!f.boolean('skip-memory') && !ctx.signal.aborted) {
    try {
      memory = await measureMemory(ctx, f.list('memory-sizes').map(Number), f.list('memory-modes') as Array<MemoryProbeConfig['mode']>, f.number('records'), from, f.number('memory-parallel'))
    } catch (err) {
      failures.push(`memory: ${(err as Error).message}`)
    }
    const t = memoryTable(memory)
    out.push('', `Memory per record beyond key and value (${fmtInt(f.number('records'))} records, heapUsed+external after full GC; target ≤ ${TARGETS.overheadBytes} B, reference ~${fmtInt(REFERENCE.overheadBytes)} B)`, renderText(t))
    md.push('## Memory per record', '', `${fmtInt(f.number('records'))} records per row, each in a fresh process with \`--expose-gc\`; (heapUsed + external) delta after full GC, divided by records, minus key and value bytes. \`map\` is a plain \`Map<string, Uint8Array>\` (the floor), \`node\` is \`node.put()\` with a fresh Uint8Array per value, \`http\` is \`PUT /v1/data/<key>\` through the node's hono app. Target ≤ ${TARGETS.overheadBytes} B; reference REPRAM TS ~${fmtInt(REFERENCE.overheadBytes)} B.`, '', renderMarkdown(t), '')
  }

  let profiles: Record<string, ProfileSummary> = {}
  if (f.boolean('profile') && !f.boolean('memory-only') && !ctx.signal.aborted) {
    profiles = await profileRound(ctx, servers, phases, serverConfig, shape, warmupS, keys, valueSize)
    const dir = await ctx.resultsDir()
    const text = Object.entries(profiles).map(([k, s]) => renderProfileSummary(k, s)).join('\n\n')
    await writeResults(dir, { 'profile.txt': text + '\n' })
    out.push('', `CPU profiles (unscored round): ${dir}/*.cpuprofile, summary in profile.txt`)
    for (const [k, s] of Object.entries(profiles)) {
      out.push('', `${k}: top self time (${fmt(s.idlePct, 0)}% idle)`)
      for (const r of s.bySelf.slice(0, 12)) out.push(`  ${fmt(r.selfPct).padStart(5)}%  ${r.name}`)
    }
    md.push('## CPU profiles', '', 'One extra round with the sampling profiler on (not scored). Full summaries in `profile.txt`.', '')
    for (const [k, s] of Object.entries(profiles)) {
      md.push(`### ${k}`, '', renderMarkdown({ head: ['self %', 'total %', 'function'], rows: s.bySelf.slice(0, 15).map(r => [fmt(r.selfPct), fmt(r.totalPct), r.name]) }), '')
    }
  }

  if (failures.length > 0) { out.push('', ...failures.map(x => `FAILED ${x}`)); md.push(...failures.map(x => `**FAILED** ${x}`), '') }
  const loadAfter = loadavg()
  const dir = await ctx.resultsDir()
  const json = {
    scenario: name,
    at: new Date().toISOString(),
    environment: { ...env, loadAfter },
    settings: { durationS, warmupS, rounds, connections, keys, valueSize, servers, phases, from, generator, records: f.number('records') },
    targets: TARGETS,
    reference: REFERENCE,
    throughput: summaries.map(s => ({ server: s.server, phase: s.phase, best: s.best, medianReqPerSec: s.medianReqPerSec, runs: s.runs })),
    ratios: ratios(summaries),
    runs,
    memory,
    failures,
    profiles: Object.fromEntries(Object.entries(profiles).map(([k, s]) => [k, { idlePct: s.idlePct, bySelf: s.bySelf, byTotal: s.byTotal, byArea: s.byArea }]))
  }
  md.push(`Load average after: ${loadAfter.map(l => l.toFixed(2)).join(' ')}.`, '')
  await writeResults(dir, { 'bench.json': JSON.stringify(json, null, 2) + '\n', 'bench.md': md.join('\n') })
  console.log(out.join('\n'))
  console.log(`\nResults: ${join(dir, 'bench.json')} and bench.md`)
  if (failures.length > 0) throw new Error(`${failures.length} part(s) failed`)
}

function urlOf (c: ChildHandle<ServerReady>): string {
  return `http://127.0.0.1:${c.ready.port}`
}

function workload (phase: PhaseName, keys: number, valueSize: number, tag: string): Workload {
  return phase === 'get'
    ? { kind: 'get', keyPrefix: KEY_PREFIX, keys }
    : { kind: 'put', keyPrefix: `bench/put/${tag}`, valueSize, ttl: PUT_TTL }
}

/** CPUs the server children are pinned to (see `--pin`); undefined = anywhere. */
let serverCpus: string | undefined

/** Starts fresh server children, runs `fn`, always stops them. */
async function withServers (ctx: ScenarioContext, which: ServerName[], cfg: ServerConfig, fn: (live: Record<ServerName, ChildHandle<ServerReady>>) => Promise<void>): Promise<void> {
  const live: Partial<Record<ServerName, ChildHandle<ServerReady>>> = {}
  try {
    for (const s of which) {
      const spec = serverSpec(s)
      live[s] = await startChild<ServerReady>(spec.script, { config: { ...cfg, middleware: spec.middleware }, label: s, nodeArgs: SERVER_NODE_ARGS, cwd: ctx.root, cpus: serverCpus })
      ctx.log(`${s}: ${live[s].ready.label} on port ${live[s].ready.port}, pid ${live[s].pid}`)
    }
    await fn(live as Record<ServerName, ChildHandle<ServerReady>>)
  } finally {
    await Promise.all(Object.values(live).map(async c => await c?.stop()))
  }
}

/** Warms a server up on both request shapes so JIT tiers settle before measuring. */
async function warm (ctx: ScenarioContext, c: ChildHandle<ServerReady>, s: ServerName, phases: PhaseName[], valueSize: number, keys: number, connections: number, warmupS: number, tag: string): Promise<void> {
  if (warmupS <= 0) return
  ctx.log(`warming ${s} for ${warmupS} s`)
  const per = Math.max(1, Math.round(warmupS / phases.length))
  for (const p of phases) await runPhase(urlOf(c), c, workload(p, keys, valueSize, `${tag}/`), { connections, durationS: per, generator: 'autocannon' }, ctx.signal)
}

function summarize (runs: RunRecord[]): Summary[] {
  const groups = new Map<string, RunRecord[]>()
  for (const r of runs) {
    const k = `${r.server}|${r.phase}`
    groups.set(k, [...(groups.get(k) ?? []), r])
  }
  return [...groups.values()].map(g => ({
    server: g[0].server,
    phase: g[0].phase,
    best: g.reduce((a, b) => b.result.reqPerSec > a.result.reqPerSec ? b : a).result,
    medianReqPerSec: median(g.map(r => r.result.reqPerSec)),
    runs: g.length
  }))
}

function ratios (sums: Summary[]): Record<string, { best: number, median: number, target: number, reference: number, pass: boolean }> {
  const out: Record<string, { best: number, median: number, target: number, reference: number, pass: boolean }> = {}
  for (const phase of ['get', 'put'] as const) {
    const b = sums.find(s => s.server === 'baseline' && s.phase === phase)
    const r = sums.find(s => s.server === 'repram' && s.phase === phase)
    if (b === undefined || r === undefined) continue
    const best = r.best.reqPerSec / b.best.reqPerSec
    out[phase] = { best, median: r.medianReqPerSec / b.medianReqPerSec, target: TARGETS[phase], reference: REFERENCE[phase], pass: best >= TARGETS[phase] }
  }
  return out
}

/** µs of server CPU per request: CPU % × 10,000 / (req/s). */
function cpuPerRequestUs (r: PhaseResult): number {
  return r.serverCpu * 10_000 / r.reqPerSec
}

/**
 * REPRAM / baseline per round and phase, and their server CPU per request: on a shared
 * machine one round can swing by a tenth or more, so the spread is printed, not only the
 * headline. CPU per request (server CPU time over requests) still counts when a round's
 * server did not have its core to itself.
 */
export function roundRatios (runs: readonly RunRecord[], phases: readonly PhaseName[]): string[] {
  const lines: string[] = []
  for (const phase of phases) {
    const rounds = [...new Set(runs.filter(r => r.phase === phase).map(r => r.round))].sort((a, b) => a - b)
    const ratio: string[] = []
    const cpu: string[] = []
    for (const round of rounds) {
      const b = runs.find(r => r.phase === phase && r.round === round && r.server === 'baseline')?.result
      const x = runs.find(r => r.phase === phase && r.round === round && r.server === 'repram')?.result
      if (b === undefined || x === undefined || b.reqPerSec <= 0 || x.reqPerSec <= 0) continue
      ratio.push(`${fmt(x.reqPerSec / b.reqPerSec, 2)}×`)
      cpu.push(`${fmt(cpuPerRequestUs(x), 1)}/${fmt(cpuPerRequestUs(b), 1)}`)
    }
    if (ratio.length > 0) lines.push(`${phase.toUpperCase()} per round, REPRAM / baseline: ${ratio.join(', ')}; server CPU µs per request (REPRAM/baseline): ${cpu.join(', ')}`)
  }
  return lines
}

function throughputTable (sums: Summary[], phases: PhaseName[], servers: ServerName[]): Table {
  const rows: string[][] = []
  const rs = ratios(sums)
  for (const phase of phases) {
    for (const server of servers) {
      const s = sums.find(x => x.server === server && x.phase === phase)
      if (s === undefined) continue
      const b = s.best
      rows.push([phase.toUpperCase(), serverSpec(server).title, fmtInt(b.reqPerSec), fmtInt(s.medianReqPerSec), `${fmt(b.p50, 0)} ms`, `${fmt(b.p99, 0)} ms`, `${fmt(b.serverCpu, 0)}%`, `${fmt(b.loaderCpu, 0)}%`, String(b.non2xx + b.errors), '', ''])
    }
    const r = rs[phase]
    if (r !== undefined) rows.push([phase.toUpperCase(), 'ratio REPRAM / baseline', `${fmt(r.best, 2)}×`, `${fmt(r.median, 2)}×`, '', '', '', '', '', `≥ ${r.target}× ${r.pass ? 'PASS' : 'MISS'}`, `${r.reference}×`])
  }
  return { head: ['phase', 'server', 'req/s (best)', 'req/s (median)', 'p50', 'p99', 'server CPU', 'generator CPU', 'errors', 'target', 'reference'], rows }
}

function runsTable (runs: RunRecord[]): Table {
  return {
    head: ['round', 'phase', 'server', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'server CPU', 'generator CPU', 'server heap+ext MiB', 'non-2xx', 'errors'],
    rows: runs.map(r => [String(r.round), r.phase.toUpperCase(), r.server, fmtInt(r.result.reqPerSec), fmt(r.result.p50, 0), fmt(r.result.p90, 0), fmt(r.result.p99, 0), fmt(r.result.max, 0), `${fmt(r.result.serverCpu, 0)}%`, `${fmt(r.result.loaderCpu, 0)}%`, fmt(r.result.serverMemMiB, 0), String(r.result.non2xx), String(r.result.errors)])
  }
}

/** Flags runs where the generator, not the server, was the bottleneck, or that had errors. */
function saturationWarnings (sums: Summary[]): string[] {
  const w: string[] = []
  for (const s of sums) {
    if (s.best.loaderCpu > 90 && s.best.serverCpu < 90) w.push(`warning: ${s.server} ${s.phase.toUpperCase()}: the load generator (${fmt(s.best.loaderCpu, 0)}% CPU) was busier than the server (${fmt(s.best.serverCpu, 0)}%); the ratio understates the gap`)
    if (s.best.non2xx + s.best.errors > 0) w.push(`warning: ${s.server} ${s.phase.toUpperCase()}: ${s.best.non2xx} non-2xx replies and ${s.best.errors} errors`)
  }
  return w
}

async function measureMemory (ctx: ScenarioContext, sizes: number[], modes: Array<MemoryProbeConfig['mode']>, records: number, from: 'dist' | 'src', parallel: number): Promise<MemoryProbeResult[]> {
  const jobs = sizes.flatMap(valueSize => modes.map(mode => ({ mode, valueSize })))
  const out: Array<MemoryProbeResult | undefined> = jobs.map(() => undefined)
  let next = 0
  // Each probe is its own process and measures only itself, so running a few at once
  // changes how long they take, not what they measure.
  const worker = async (): Promise<void> => {
    while (next < jobs.length && !ctx.signal.aborted) {
      const i = next++
      const { mode, valueSize } = jobs[i]
      ctx.log(`memory: ${mode}, ${fmtInt(records)} × ${valueSize} B`)
      const r = await runChild<MemoryProbeResult>(new URL('../probes/memory.ts', import.meta.url), {
        nodeArgs: ['--expose-gc', '--max-old-space-size=4096'],
        config: { mode, records, valueSize, from } satisfies MemoryProbeConfig,
        label: `memory probe (${mode}, ${valueSize} B)`,
        // A probe reports when done; a loaded machine can make the HTTP path take minutes.
        readyTimeoutMs: 15 * 60_000,
        cwd: ctx.root
      })
      if (r.stored !== records) throw new Error(`memory probe (${mode}): ${r.stored} records stored, expected ${records}`)
      ctx.log(`  ${mode} × ${valueSize} B: ${fmt(r.overhead, 0)} B overhead per record (${fmt(r.perRecord, 0)} B total), inserted in ${fmt(r.insertMs / 1000, 1)} s`)
      out[i] = r
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker))
  return out.filter((r): r is MemoryProbeResult => r !== undefined)
}

function memoryTable (rs: MemoryProbeResult[]): Table {
  const floor = (size: number): MemoryProbeResult | undefined => rs.find(r => r.mode === 'map' && r.valueSize === size)
  return {
    head: ['value', 'store', 'B/record', 'key+value', 'overhead', 'over Map', 'heap/rec', 'external/rec', 'RSS/rec', 'target'],
    rows: rs.map(r => {
      const f = floor(r.valueSize)
      const title = r.mode === 'map' ? 'plain Map (floor)' : r.mode === 'node' ? 'REPRAM node.put' : 'REPRAM HTTP PUT'
      return [`${r.valueSize} B`, title, fmt(r.perRecord, 0), String(r.keyBytes + r.valueSize), fmt(r.overhead, 0), r.mode === 'map' || f === undefined ? '' : fmt(r.overhead - f.overhead, 0), fmt(r.heapPerRecord, 0), fmt(r.externalPerRecord, 0), fmt(r.rssPerRecord, 0), r.mode === 'map' ? '' : `≤ ${TARGETS.overheadBytes} ${r.overhead <= TARGETS.overheadBytes ? 'PASS' : 'MISS'}`]
    })
  }
}

async function profileRound (ctx: ScenarioContext, servers: ServerName[], phases: PhaseName[], cfg: ServerConfig, shape: LoadShape, warmupS: number, keys: number, valueSize: number): Promise<Record<string, ProfileSummary>> {
  const dir = await ctx.resultsDir()
  const out: Record<string, ProfileSummary> = {}
  await withServers(ctx, servers, cfg, async (live) => {
    for (const s of servers) await warm(ctx, live[s], s, phases, valueSize, keys, shape.connections, warmupS, 'pw')
    for (const phase of phases) {
      for (const s of servers) {
        if (ctx.signal.aborted) return
        const file = join(dir, `${s}-${phase}.cpuprofile`)
        ctx.log(`profiling ${s} ${phase.toUpperCase()} for ${shape.durationS} s`)
        await live[s].profileStart()
        const r = await runPhase(urlOf(live[s]), live[s], workload(phase, keys, valueSize, 'prof/'), shape, ctx.signal)
        await live[s].profileStop(file)
        ctx.log(`  ${fmtInt(r.reqPerSec)} req/s under the profiler`)
        out[`${s} ${phase.toUpperCase()}`] = await summarizeProfileFile(file, 40)
      }
    }
  })
  return out
}

function environment (root: string): { node: string, cpus: number, cpuModel: string, host: string, commit: string, loadBefore: number[] } {
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'actors'], { cwd: root, encoding: 'utf8' }).trim()
    if (dirty !== '') commit += '+dirty'
  } catch { /* not a git checkout */ }
  const c = cpus()
  return { node: process.version, cpus: c.length, cpuModel: c[0]?.model ?? 'unknown', host: hostname(), commit, loadBefore: loadavg() }
}
