/**
 * Cluster benchmark (issue 3): three node processes on 127.0.0.1 (TCP, noise, yamux,
 * gossipsub; replication 3), PUTs of unique 1 KiB keys through node 1's HTTP API with
 * autocannon (50 connections), then a second run at half the measured rate to measure
 * replication lag: from the PUT's return (in this process) until the record is stored on
 * node 3 (`record:stored` in node 3's process; same machine clock).
 *
 * Prints: writes/s answered 201 (and 202), PUT p50/p99, lag p50/p99/max at half load.
 *
 * @example
 * npx tsx simulations/load/cluster.ts --duration 10 --connections 50
 */
import '../../src/polyfill.js'
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const SELF = fileURLToPath(import.meta.url)
const now = (): number => performance.timeOrigin + performance.now()

type ToChild = { type: 'report' } | { type: 'stop' }
type FromChild = { type: 'ready', url: string, addrs: string[] } | { type: 'arrivals', arrivals: Array<[string, number]> }

// ---- child: one node ----------------------------------------------------------------------
async function child (peers: string[]): Promise<void> {
  const { createRepramNode } = await import('../../src/node/index.js')
  const { startHttpServer } = await import('../../src/http/server.js')
  const dataDir = mkdtempSync(join(tmpdir(), 'repram-bench-'))
  const node = await createRepramNode({
    network: true,
    config: {
      listen: ['/ip4/127.0.0.1/tcp/0'],
      peers,
      mdns: false,
      dataDir,
      rateLimit: 0,
      logLevel: 'warn',
      maxStorageMb: 4096,
      pingIntervalMs: 1000
    }
  })
  const arrivals = new Map<string, number>()
  node.on('record:stored', e => {
    if (e.origin === 'remote' && e.key.startsWith('lag/')) arrivals.set(e.key, now())
  })
  const server = await startHttpServer(node, { port: 0, host: '127.0.0.1' })
  process.send?.({ type: 'ready', url: server.url, addrs: node.networkInfo().addresses } satisfies FromChild)
  process.on('message', (m: ToChild) => {
    if (m.type === 'report') process.send?.({ type: 'arrivals', arrivals: [...arrivals] } satisfies FromChild)
    if (m.type === 'stop') {
      void (async () => {
        await server.close()
        await node.stop()
        rmSync(dataDir, { recursive: true, force: true })
        process.exit(0)
      })()
    }
  })
}

// ---- parent: orchestration and load ----------------------------------------------------
interface Started { proc: ChildProcess, url: string, addrs: string[] }

async function startChild (peers: string[]): Promise<Started> {
  const proc = fork(SELF, ['--child', '--peers', peers.join(',')], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return await new Promise((resolve, reject) => {
    proc.once('exit', code => reject(new Error(`node exited ${String(code)}`)))
    proc.on('message', (m: FromChild) => { if (m.type === 'ready') resolve({ proc, url: m.url, addrs: m.addrs }) })
  })
}

function pct (sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

async function load (url: string, opts: { duration: number, connections: number, rate?: number, prefix: string, onDone?: (key: string, status: number, at: number) => void }): Promise<{ s201: number, s202: number, other: number, lat: number[] }> {
  const { default: autocannon } = await import('autocannon') as { default: any }
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
      setupRequest: (req: Record<string, unknown>, ctx: Record<string, unknown>) => {
        const key = `${opts.prefix}/${process.pid}/${seq++}`
        ctx.key = key
        ctx.t0 = performance.now()
        return { ...req, path: `/v1/data/${key}?ttl=600`, body: value, headers: { 'content-type': 'application/octet-stream' } }
      },
      onResponse: (status: number, _body: string, ctx: Record<string, unknown>) => {
        const at = now()
        lat.push(performance.now() - (ctx.t0 as number))
        if (status === 201) s201++
        else if (status === 202) s202++
        else other++
        opts.onDone?.(ctx.key as string, status, at)
      }
    }]
  })
  await new Promise(resolve => instance.on('done', resolve))
  lat.sort((a, b) => a - b)
  return { s201, s202, other, lat }
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { child: { type: 'boolean' }, peers: { type: 'string' }, duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } } })
  if (values.child === true) {
    await child((values.peers ?? '').split(',').filter(s => s.length > 0))
    return
  }
  const duration = Number(values.duration)
  const connections = Number(values.connections)
  const n1 = await startChild([])
  const [n2, n3] = await Promise.all([startChild(n1.addrs), startChild(n1.addrs)])
  const nodes = [n1, n2, n3]
  try {
    // Wait for full membership on node 1.
    for (let i = 0; i < 200; i++) {
      const topo = await (await fetch(`${n1.url}/v1/topology`)).json() as { peers: unknown[] }
      if (topo.peers.length === 2) break
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    await load(n1.url, { duration: 2, connections, prefix: 'warm' })

    const full = await load(n1.url, { duration, connections, prefix: 'tput' })
    const w201 = full.s201 / duration
    console.log(`throughput: ${connections} connections, ${duration} s, 1 KiB values, R=3 over 3 nodes`)
    console.log(`  writes/s answered 201: ${w201.toFixed(0)}   (202: ${(full.s202 / duration).toFixed(0)}/s, other: ${full.other})`)
    console.log(`  PUT latency p50 ${pct(full.lat, 0.5).toFixed(2)} ms, p99 ${pct(full.lat, 0.99).toFixed(2)} ms`)

    const rate = Math.max(1, Math.floor(w201 / 2))
    const returned = new Map<string, number>()
    const half = await load(n1.url, { duration, connections, rate, prefix: 'lag', onDone: (key, status, at) => { if (status === 201 || status === 202) returned.set(key, at) } })
    const arrivals = await new Promise<Array<[string, number]>>(resolve => {
      n3.proc.once('message', (m: FromChild) => { if (m.type === 'arrivals') resolve(m.arrivals) })
      n3.proc.send({ type: 'report' } satisfies ToChild)
    })
    const lags: number[] = []
    let before = 0
    for (const [key, at] of arrivals) {
      const ret = returned.get(key)
      if (ret === undefined) continue
      if (at <= ret) before++
      lags.push(Math.max(0, at - ret))
    }
    lags.sort((a, b) => a - b)
    console.log(`half load: ${rate} writes/s offered, ${(half.s201 / duration).toFixed(0)}/s answered 201`)
    console.log(`  PUT latency p50 ${pct(half.lat, 0.5).toFixed(2)} ms, p99 ${pct(half.lat, 0.99).toFixed(2)} ms`)
    console.log(`  replication lag to node 3 (PUT return → stored on node 3): p50 ${pct(lags, 0.5).toFixed(2)} ms, p99 ${pct(lags, 0.99).toFixed(2)} ms, max ${(lags[lags.length - 1] ?? NaN).toFixed(2)} ms`)
    console.log(`  ${lags.length}/${returned.size} writes seen on node 3; ${before} already stored there when the PUT returned`)
  } finally {
    for (const n of nodes) n.proc.send({ type: 'stop' } satisfies ToChild)
    await Promise.all(nodes.map(async n => await new Promise(resolve => { if (n.proc.exitCode !== null) resolve(null); else n.proc.once('exit', resolve) })))
  }
}

await main()
