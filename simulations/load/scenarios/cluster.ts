/**
 * `cluster` (issue 3): three node processes on 127.0.0.1 (TCP, noise, yamux, gossipsub;
 * replication 3), PUTs of unique 1 KiB keys through node 1's HTTP API with autocannon
 * (`--connections`, default 50), then a second run at half the measured rate to measure
 * replication lag: from the PUT's return (in this process) until the record is stored
 * on node 3 (`record:stored` in node 3's process; same machine clock).
 *
 * Prints: writes/s answered 201 (and 202), PUT p50/p99, lag p50/p99/max at half load;
 * writes `cluster.md` and `cluster.json` to the results directory.
 *
 * @example
 * npm run load -- cluster
 * npx tsx simulations/load/run.ts cluster --duration 10 --connections 50
 */
import { loadavg } from 'node:os'
import autocannon from 'autocannon'
import { startChild, type ChildHandle } from '../lib/children.js'
import { getJson } from '../lib/cli-cluster.js'
import { writeResults } from '../lib/report.js'
import type { ScenarioContext, ScenarioOptions } from '../lib/scenario.js'
import type { ClusterNodeConfig, ClusterNodeReady } from '../servers/cluster-node.js'

export const name = 'cluster'
export const description = '3 node processes, R=3: writes/s answered 201, PUT p50/p99, replication lag to node 3 at half load'
export const options = {
  duration: { type: 'string', default: '10', help: 'seconds per measured run' },
  connections: { type: 'string', default: '50', help: 'concurrent autocannon connections' },
  from: { type: 'string', default: 'dist', help: 'REPRAM library: dist (built) or src (through tsx)' }
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

export async function run (ctx: ScenarioContext): Promise<void> {
  const duration = ctx.flags.number('duration')
  const connections = ctx.flags.number('connections')
  const from = ctx.flags.string('from')
  if (from !== 'dist' && from !== 'src') throw new Error('--from must be dist or src')
  const loadBefore = loadavg()
  const start = async (peers: string[], i: number): Promise<ChildHandle<ClusterNodeReady>> =>
    await startChild<ClusterNodeReady>(NODE_SCRIPT, { config: { peers, from } satisfies ClusterNodeConfig, label: `node${i}` })
  const nodes: Array<ChildHandle<ClusterNodeReady>> = []
  try {
    const n1 = await start([], 1)
    nodes.push(n1)
    nodes.push(...await Promise.all([2, 3].map(async i => await start(n1.ready.addrs, i))))
    const n3 = nodes[2]
    const url = n1.ready.url
    // Wait for full membership on node 1.
    for (let i = 0; i < 200; i++) {
      const topo = await getJson<{ peers: unknown[] }>(`${url}/v1/topology`)
      if (topo.peers.length === 2) break
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    ctx.log('3 nodes up; 2 s warm-up')
    await load(url, { duration: 2, connections, prefix: 'warm', signal: ctx.signal })

    const full = await load(url, { duration, connections, prefix: 'tput', signal: ctx.signal })
    const w201 = full.s201 / duration
    const lines: string[] = []
    lines.push(`throughput: ${connections} connections, ${duration} s, 1 KiB values, R=3 over 3 nodes`)
    lines.push(`  writes/s answered 201: ${w201.toFixed(0)}   (202: ${(full.s202 / duration).toFixed(0)}/s, other: ${full.other})`)
    lines.push(`  PUT latency p50 ${pct(full.lat, 0.5).toFixed(2)} ms, p99 ${pct(full.lat, 0.99).toFixed(2)} ms`)
    process.stdout.write(lines.join('\n') + '\n')

    const rate = Math.max(1, Math.floor(w201 / 2))
    const returned = new Map<string, number>()
    const half = await load(url, { duration, connections, rate, prefix: 'lag', signal: ctx.signal, onDone: (key, status, at) => { if (status === 201 || status === 202) returned.set(key, at) } })
    const arrivals = await n3.call<Array<[string, number]>>('arrivals')
    const lags: number[] = []
    let before = 0
    for (const [key, at] of arrivals) {
      const ret = returned.get(key)
      if (ret === undefined) continue
      if (at <= ret) before++
      lags.push(Math.max(0, at - ret))
    }
    lags.sort((a, b) => a - b)
    const lagLines = [
      `half load: ${rate} writes/s offered, ${(half.s201 / duration).toFixed(0)}/s answered 201`,
      `  PUT latency p50 ${pct(half.lat, 0.5).toFixed(2)} ms, p99 ${pct(half.lat, 0.99).toFixed(2)} ms`,
      `  replication lag to node 3 (PUT return → stored on node 3): p50 ${pct(lags, 0.5).toFixed(2)} ms, p99 ${pct(lags, 0.99).toFixed(2)} ms, max ${(lags[lags.length - 1] ?? NaN).toFixed(2)} ms`,
      `  ${lags.length}/${returned.size} writes seen on node 3; ${before} already stored there when the PUT returned`
    ]
    process.stdout.write(lagLines.join('\n') + '\n')
    lines.push(...lagLines)
    const loadAfter = loadavg()
    const loadLine = `load average ${loadBefore.map(x => x.toFixed(2)).join(' ')} → ${loadAfter.map(x => x.toFixed(2)).join(' ')} (${from})`
    process.stdout.write(loadLine + '\n')
    const json = {
      duration,
      connections,
      from,
      throughput: { writes201PerSec: w201, writes202PerSec: full.s202 / duration, other: full.other, p50: pct(full.lat, 0.5), p99: pct(full.lat, 0.99) },
      halfLoad: { offeredPerSec: rate, writes201PerSec: half.s201 / duration, p50: pct(half.lat, 0.5), p99: pct(half.lat, 0.99) },
      lagMs: { p50: pct(lags, 0.5), p99: pct(lags, 0.99), max: lags[lags.length - 1] ?? null, seen: lags.length, returned: returned.size, storedBeforeReturn: before },
      loadavg: { before: loadBefore, after: loadAfter }
    }
    await writeResults(await ctx.resultsDir(), { 'cluster.md': `# cluster\n\n\`\`\`\n${lines.join('\n')}\n${loadLine}\n\`\`\`\n`, 'cluster.json': JSON.stringify(json, null, 2) + '\n' })
  } finally {
    await Promise.all(nodes.map(async n => await n.stop()))
  }
}
