/**
 * `cluster` (issues 3 and 15): N node processes on 127.0.0.1 (TCP, noise, yamux,
 * gossipsub; replication 3), for each N of `--nodes` (a fresh cluster each): PUTs of
 * unique 1 KiB keys through node 1's HTTP API with autocannon (`--connections`, default
 * 50), then a second run at half the measured rate to measure latency and replication
 * lag: from the PUT's return (in this process) until the record is stored on the last
 * node (`record:stored` in its process; same machine clock), then a third run at one
 * rate for every size (`--rate`). Before the load, an idle run measures what the nodes
 * burn with no writes (heartbeats, pings, anti-entropy).
 *
 * Node CPU (user + system of every node process) per write answered 201 is the figure
 * that does not depend on how many cores the box has: summed over nodes, and per node
 * (the sum over N). Every size is compared with the first one (issue 15 target: per-node
 * CPU per write at 5 and 7 nodes within 1.3× of 3; writes/s ≥ 0.5× and ≥ 0.33×). At
 * full load the sizes run at different rates (n processes share this box's cores), so
 * their batches differ in size and the idle cost is spread over different write counts;
 * the equal-rate run compares them at one rate.
 *
 * Prints one table, then per size the median over rounds of each compared figure (see
 * {@link roundSummary}); writes `cluster.md` and `cluster.json` to the results directory.
 *
 * @example
 * npm run load -- cluster                                  # 3 nodes
 * npx tsx simulations/load/run.ts cluster --nodes 3,5,7 --duration 10
 * npx tsx simulations/load/run.ts cluster --nodes 7 --set gossipD=4 --lib /tmp/old
 */
import { loadavg } from 'node:os'
import autocannon from 'autocannon'
import { startChild, type ChildHandle } from '../lib/children.js'
import type { ChildUsage } from '../lib/child-harness.js'
import { getJson } from '../lib/cli-cluster.js'
import { join } from 'node:path'
import { renderProfileSummary, summarizeProfileFile } from '../lib/cpuprofile.js'
import { fmt, fmtInt, median, renderMarkdown, renderText, writeResults, type Table } from '../lib/report.js'
import type { ScenarioContext, ScenarioOptions } from '../lib/scenario.js'
import type { ClusterNodeConfig, ClusterNodeReady } from '../servers/cluster-node.js'

export const name = 'cluster'
export const description = '3 node processes, R=3: writes/s answered 201, PUT p50/p99, replication lag to node 3 at half load'
export const options = {
  duration: { type: 'string', default: '10', help: 'seconds per measured run' },
  connections: { type: 'string', default: '50', help: 'concurrent autocannon connections' },
  from: { type: 'string', default: 'dist', help: 'REPRAM library: dist (built) or src (through tsx)' },
  nodes: { type: 'string', default: '3', help: 'cluster sizes to measure, each a fresh cluster (e.g. 3,5,7)' },
  rounds: { type: 'string', default: '1', help: 'rounds over the sizes (sizes interleave: 3,5,7,3,5,7…)' },
  set: { type: 'string', default: '', help: 'config fields for every node, e.g. gossipD=4,gossipFloodPublish=false' },
  lib: { type: 'string', default: '', help: 'run another checkout\'s build (its dist/), e.g. a worktree of an older commit' },
  rate: { type: 'string', default: '1000', help: 'writes/s offered to every size in the equal-load run (CPU per write at one rate for all sizes; 0 skips it)' },
  idle: { type: 'string', default: '3', help: 'seconds of the idle run before load (CPU per node per second with no writes; 0 skips it)' },
  profile: { type: 'boolean', default: false, help: 'CPU-profile node 1 (the writer) and node 2 (a receiver) during each full-load run, and node 2 during the idle run; summaries in profile-*.txt' }
} satisfies ScenarioOptions

const NODE_SCRIPT = new URL('../servers/cluster-node.ts', import.meta.url)
const now = (): number => performance.timeOrigin + performance.now()

function pct (sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

interface LoadOutcome { s201: number, s202: number, other: number, lat: number[] }

async function load (url: string, opts: { duration: number, connections: number, rate?: number, prefix: string, signal: AbortSignal, onDone?: (key: string, status: number, at: number) => void }): Promise<LoadOutcome> {
  const value = Buffer.alloc(1024, 0x61)
  let seq = 0
  const lat: number[] = []
  let s201 = 0
  let s202 = 0
  let other = 0
  const instance = autocannon({
    url,
    connections: opts.connections,
    duration: opts.duration,
    ...(opts.rate !== undefined ? { overallRate: opts.rate } : {}),
    requests: [{
      method: 'PUT',
      setupRequest: (req, ctx) => {
        const key = `${opts.prefix}/${process.pid}/${seq++}`
        ctx.key = key
        ctx.t0 = performance.now()
        return { ...req, path: `/v1/data/${key}?ttl=600`, body: value, headers: { 'content-type': 'application/octet-stream' } }
      },
      onResponse: (status, _body, ctx) => {
        const at = now()
        lat.push(performance.now() - (ctx.t0 as number))
        if (status === 201) s201++
        else if (status === 202) s202++
        else other++
        opts.onDone?.(ctx.key as string, status, at)
      }
    }]
  })
  const onAbort = (): void => instance.stop()
  opts.signal.addEventListener('abort', onAbort, { once: true })
  try {
    await instance
  } finally {
    opts.signal.removeEventListener('abort', onAbort)
  }
  lat.sort((a, b) => a - b)
  return { s201, s202, other, lat }
}

interface SizeResult {
  nodes: number
  round: number
  writes201PerSec: number
  writes202PerSec: number
  other: number
  p50: number
  p99: number
  /** CPU of every node process per write answered 201, ms. */
  cpuMsPerWrite: number
  half: { offered: number, writes201PerSec: number, p50: number, p99: number }
  /** The run at `--rate` (the same for every size): CPU of every node per write answered 201, ms. */
  equal?: { offered: number, writes201PerSec: number, p99: number, cpuMsPerWrite: number }
  /** CPU per node per second with no writes (heartbeats, pings, anti-entropy), ms. */
  idleCpuMsPerSecPerNode?: number
  lagMs: { p50: number, p99: number, seen: number, returned: number }
}

export async function run (ctx: ScenarioContext): Promise<void> {
  const duration = ctx.flags.number('duration')
  const connections = ctx.flags.number('connections')
  const from = ctx.flags.string('from')
  if (from !== 'dist' && from !== 'src') throw new Error('--from must be dist or src')
  const sizes = ctx.flags.list('nodes').map(Number)
  if (sizes.some(n => !Number.isInteger(n) || n < 1 || n > 32)) throw new Error('--nodes: sizes from 1 to 32')
  const rounds = ctx.flags.number('rounds')
  const extra: Record<string, unknown> = {}
  for (const kv of ctx.flags.list('set')) {
    const [k, v] = kv.split('=')
    if (k === undefined || v === undefined) throw new Error(`--set: "${kv}" is not field=value`)
    extra[k] = v
  }
  const lib = ctx.flags.string('lib')
  const profile = ctx.flags.boolean('profile')
  const rate = ctx.flags.number('rate')
  const idle = ctx.flags.number('idle')
  const loadBefore = loadavg()
  const results: SizeResult[] = []
  for (let round = 1; round <= rounds && !ctx.signal.aborted; round++) {
    for (const n of sizes) {
      if (ctx.signal.aborted) break
      results.push(await measure(ctx, n, round, { duration, connections, from, extra, lib, profile, rate, idle }))
    }
  }
  const loadAfter = loadavg()
  const base = sizes[0]
  const baseOf = (r: SizeResult): SizeResult | undefined => results.find(b => b.nodes === base && b.round === r.round)
  const t: Table = {
    head: ['nodes', 'round', 'writes/s (201)', '× first', 'p50 ms', 'p99 ms', 'CPU ms/write (all nodes)', 'CPU ms/write/node', '× first', 'half load: offered', 'p99 ms', 'lag p99 ms', `at ${rate}/s: CPU ms/write/node`, '× first', 'p99 ms', 'idle CPU ms/s/node', '202/s', 'other'],
    rows: results.map(r => {
      const b = baseOf(r)
      const perNode = (x: SizeResult): number | undefined => x.equal === undefined ? undefined : x.equal.cpuMsPerWrite / x.nodes
      const eq = perNode(r)
      const eqBase = b === undefined ? undefined : perNode(b)
      return [String(r.nodes), String(r.round), fmtInt(r.writes201PerSec), b === undefined ? '-' : fmt(r.writes201PerSec / b.writes201PerSec, 2),
        fmt(r.p50, 1), fmt(r.p99, 1), fmt(r.cpuMsPerWrite, 3), fmt(r.cpuMsPerWrite / r.nodes, 3), b === undefined ? '-' : fmt((r.cpuMsPerWrite / r.nodes) / (b.cpuMsPerWrite / b.nodes), 2),
        fmtInt(r.half.offered), fmt(r.half.p99, 1), fmt(r.lagMs.p99, 1),
        eq === undefined ? '-' : fmt(eq, 3), eq === undefined || eqBase === undefined ? '-' : fmt(eq / eqBase, 2), r.equal === undefined ? '-' : fmt(r.equal.p99, 1),
        r.idleCpuMsPerSecPerNode === undefined ? '-' : fmt(r.idleCpuMsPerSecPerNode, 1),
        fmtInt(r.writes202PerSec), String(r.other)]
    })
  }
  const header = `cluster: ${connections} connections, ${duration} s per run, 1 KiB values, R=3, PUTs through node 1, all nodes on this machine${Object.keys(extra).length > 0 ? `, config ${JSON.stringify(extra)}` : ''}${lib === '' ? '' : `, library from ${lib}`}`
  const loadLine = `load average ${loadBefore.map(x => x.toFixed(2)).join(' ')} → ${loadAfter.map(x => x.toFixed(2)).join(' ')} (${from})`
  const summary = roundSummary(results, rate)
  const summaryText = summary.length === 0 ? '' : `${summary.join('\n')}\n`
  process.stdout.write(`${header}\n${renderText(t)}\n${summaryText}${loadLine}\n`)
  await writeResults(await ctx.resultsDir(), {
    'cluster.md': `# cluster\n\n${header}\n\n${renderMarkdown(t)}\n\n${summary.map(l => `- ${l}`).join('\n')}${summary.length === 0 ? '' : '\n\n'}${loadLine}\n`,
    'cluster.json': JSON.stringify({ duration, connections, from, extra, lib, results, loadavg: { before: loadBefore, after: loadAfter } }, null, 2) + '\n'
  })
}

/** The figures of one size that the issue 15 targets compare with the first size. */
type SizeFigures = Pick<SizeResult, 'nodes' | 'round' | 'writes201PerSec' | 'cpuMsPerWrite' | 'half' | 'equal'>

/**
 * One line per size after the first, over every round of the run: the median of each
 * figure across rounds, its ratio to the first size's median, and the spread of the
 * per-round ratios (each round against the first size in the same round). This host's
 * CPU time for identical work drifts by tens of percent from one minute to the next, so
 * a single round's ratio is a noisy estimate; the median over interleaved rounds is the
 * run's figure, and the spread shows how far single rounds wander.
 */
export function roundSummary (results: readonly SizeFigures[], rate: number): string[] {
  if (results.length === 0) return []
  const base = results[0].nodes
  const rounds = new Set(results.map(r => r.round)).size
  const perNode = (r: SizeFigures): number => r.cpuMsPerWrite / r.nodes
  const eqPerNode = (r: SizeFigures): number => r.equal === undefined ? NaN : r.equal.cpuMsPerWrite / r.nodes
  const of = (n: number): SizeFigures[] => results.filter(r => r.nodes === n)
  const baseIn = (round: number): SizeFigures | undefined => results.find(b => b.nodes === base && b.round === round)
  const ratio = (x: number): string => Number.isFinite(x) ? `${x.toFixed(2)}×` : '-'
  const spread = (rs: SizeFigures[], f: (r: SizeFigures) => number): string => {
    const xs: number[] = []
    for (const r of rs) {
      const b = baseIn(r.round)
      if (b === undefined) continue
      const x = f(r) / f(b)
      if (Number.isFinite(x)) xs.push(x)
    }
    if (xs.length === 0) return '-'
    return `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`
  }
  const figure = (label: string, rs: SizeFigures[], bs: SizeFigures[], f: (r: SizeFigures) => number): string =>
    `${label} ${ratio(median(rs.map(f)) / median(bs.map(f)))} (rounds ${spread(rs, f)})`
  const bs = of(base)
  const lines: string[] = []
  for (const n of [...new Set(results.map(r => r.nodes))]) {
    if (n === base) continue
    const rs = of(n)
    const parts = [
      figure('CPU per write per node', rs, bs, perNode),
      figure('writes/s', rs, bs, r => r.writes201PerSec),
      ...(rs.some(r => r.equal !== undefined) ? [figure(`CPU per write per node at ${rate}/s`, rs, bs, eqPerNode)] : []),
      `half-load p99 ${median(rs.map(r => r.half.p99)).toFixed(1)} ms (rounds ${Math.min(...rs.map(r => r.half.p99)).toFixed(1)}–${Math.max(...rs.map(r => r.half.p99)).toFixed(1)})`
    ]
    lines.push(`${n} vs ${base} nodes, median of ${rounds} round${rounds === 1 ? '' : 's'}: ${parts.join('; ')}`)
  }
  return lines
}

/** CPU (user + system) of every node between two usage samples, µs. */
function cpuBetween (u0: ChildUsage[], u1: ChildUsage[]): number[] {
  return u1.map((u, i) => (u.cpuUserUs - u0[i].cpuUserUs) + (u.cpuSystemUs - u0[i].cpuSystemUs))
}

/**
 * One fresh cluster of `n` nodes: idle (`--idle` s), full load, half load with lag to the
 * last node, then the equal-load run at `--rate`.
 */
async function measure (ctx: ScenarioContext, n: number, round: number, o: { duration: number, connections: number, from: 'dist' | 'src', extra: Record<string, unknown>, lib: string, profile: boolean, rate: number, idle: number }): Promise<SizeResult> {
  const { duration, connections } = o
  const start = async (peers: string[], i: number): Promise<ChildHandle<ClusterNodeReady>> =>
    await startChild<ClusterNodeReady>(NODE_SCRIPT, { config: { peers, from: o.from, extra: o.extra, ...(o.lib === '' ? {} : { libRoot: o.lib }) } satisfies ClusterNodeConfig, label: `node${i}` })
  const nodes: Array<ChildHandle<ClusterNodeReady>> = []
  try {
    const n1 = await start([], 1)
    nodes.push(n1)
    nodes.push(...await Promise.all(Array.from({ length: n - 1 }, async (_, i) => await start(n1.ready.addrs, i + 2))))
    const last = nodes[nodes.length - 1]
    const url = n1.ready.url
    // Wait for full membership on every node.
    for (const node of nodes) {
      for (let i = 0; i < 300; i++) {
        const topo = await getJson<{ peers: unknown[] }>(`${node.ready.url}/v1/topology`)
        if (topo.peers.length === n - 1) break
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    }
    ctx.log(`${n} nodes up (round ${round}); 2 s warm-up`)
    await load(url, { duration: 2, connections, prefix: 'warm', signal: ctx.signal })
    let idleCpuMsPerSecPerNode: number | undefined
    if (o.idle > 0) {
      // After the warm-up, so membership, meshes and JIT are settled; the writes it left
      // are still live (anti-entropy digests include them, as under steady load).
      const idleProfiled = o.profile ? nodes.slice(1, 2) : []
      for (const c of idleProfiled) await c.profileStart()
      const i0 = await Promise.all(nodes.map(async c => await c.usage()))
      const t0 = performance.now()
      await new Promise(resolve => setTimeout(resolve, o.idle * 1000))
      const i1 = await Promise.all(nodes.map(async c => await c.usage()))
      for (const c of idleProfiled) {
        const dir = await ctx.resultsDir()
        const file = join(dir, `n${n}-r${round}-node2-idle.cpuprofile`)
        await c.profileStop(file)
        await writeResults(dir, { [`profile-n${n}-r${round}-idle.txt`]: renderProfileSummary(`${n} nodes, node 2 idle`, await summarizeProfileFile(file, 40)) + '\n' })
      }
      const secs = (performance.now() - t0) / 1000
      idleCpuMsPerSecPerNode = cpuBetween(i0, i1).reduce((a, b) => a + b, 0) / 1000 / n / secs
    }

    const profiled = o.profile ? nodes.slice(0, 2) : []
    for (const c of profiled) await c.profileStart()
    const u0 = await Promise.all(nodes.map(async c => await c.usage()))
    const full = await load(url, { duration, connections, prefix: 'tput', signal: ctx.signal })
    const u1 = await Promise.all(nodes.map(async c => await c.usage()))
    if (profiled.length > 0) {
      const dir = await ctx.resultsDir()
      const texts: string[] = []
      for (const [i, c] of profiled.entries()) {
        const file = join(dir, `n${n}-r${round}-node${i + 1}.cpuprofile`)
        await c.profileStop(file)
        texts.push(renderProfileSummary(`${n} nodes, node ${i + 1}${i === 0 ? ' (writer)' : ' (receiver)'}`, await summarizeProfileFile(file, 40)))
      }
      await writeResults(dir, { [`profile-n${n}-r${round}.txt`]: texts.join('\n\n') + '\n' })
    }
    const fullCpu = cpuBetween(u0, u1)
    const cpuUs = fullCpu.reduce((a, b) => a + b, 0)
    const w201 = full.s201 / duration
    const cpuMsPerWrite = cpuUs / 1000 / Math.max(1, full.s201)
    const byNode = fullCpu.map(c => c / 1000 / Math.max(1, full.s201))
    ctx.log(`  ${n} nodes: ${w201.toFixed(0)} writes/s (201), p99 ${pct(full.lat, 0.99).toFixed(1)} ms, ${cpuMsPerWrite.toFixed(3)} ms CPU per write (${(cpuMsPerWrite / n).toFixed(3)} per node; by node ${byNode.map(x => x.toFixed(3)).join(' ')})`)

    const rate = Math.max(1, Math.floor(w201 / 2))
    const returned = new Map<string, number>()
    const half = await load(url, { duration, connections, rate, prefix: 'lag', signal: ctx.signal, onDone: (key, status, at) => { if (status === 201 || status === 202) returned.set(key, at) } })
    const arrivals = await last.call<Array<[string, number]>>('arrivals')
    const lags: number[] = []
    for (const [key, at] of arrivals) {
      const ret = returned.get(key)
      if (ret === undefined) continue
      lags.push(Math.max(0, at - ret))
    }
    lags.sort((a, b) => a - b)
    ctx.log(`  half load ${rate}/s: p99 ${pct(half.lat, 0.99).toFixed(1)} ms, lag to node ${n} p99 ${pct(lags, 0.99).toFixed(1)} ms`)
    let equal: SizeResult['equal']
    if (o.rate > 0) {
      // The same offered rate for every size: batch sizes and the idle share per write no
      // longer depend on how fast this box runs n processes on its cores.
      const e0 = await Promise.all(nodes.map(async c => await c.usage()))
      const eq = await load(url, { duration, connections, rate: o.rate, prefix: 'equal', signal: ctx.signal })
      const e1 = await Promise.all(nodes.map(async c => await c.usage()))
      const cpu = cpuBetween(e0, e1)
      const cpuMs = cpu.reduce((a, b) => a + b, 0) / 1000 / Math.max(1, eq.s201)
      equal = { offered: o.rate, writes201PerSec: eq.s201 / duration, p99: pct(eq.lat, 0.99), cpuMsPerWrite: cpuMs }
      ctx.log(`  at ${o.rate}/s: ${equal.writes201PerSec.toFixed(0)} writes/s (201), p99 ${equal.p99.toFixed(1)} ms, ${(cpuMs / n).toFixed(3)} ms CPU per write per node (by node ${cpu.map(c => (c / 1000 / Math.max(1, eq.s201)).toFixed(3)).join(' ')})${idleCpuMsPerSecPerNode === undefined ? '' : `; idle ${idleCpuMsPerSecPerNode.toFixed(1)} ms/s per node`}`)
    }
    return {
      nodes: n,
      round,
      writes201PerSec: w201,
      writes202PerSec: full.s202 / duration,
      other: full.other,
      p50: pct(full.lat, 0.5),
      p99: pct(full.lat, 0.99),
      cpuMsPerWrite,
      half: { offered: rate, writes201PerSec: half.s201 / duration, p50: pct(half.lat, 0.5), p99: pct(half.lat, 0.99) },
      lagMs: { p50: pct(lags, 0.5), p99: pct(lags, 0.99), seen: lags.length, returned: returned.size },
      ...(equal === undefined ? {} : { equal }),
      ...(idleCpuMsPerSecPerNode === undefined ? {} : { idleCpuMsPerSecPerNode })
    }
  } finally {
    await Promise.all(nodes.map(async c => await c.stop()))
  }
}
