/**
 * `idle-sync`: steady-state anti-entropy traffic of an idle, in-sync cluster. Starts
 * `--nodes` nodes (this process, TCP on 127.0.0.1) holding the same `--records` records,
 * waits until every node has had an in-sync round, then counts for `--duration` seconds
 * the bytes of `/repram/sync/1.0.0` frames (length prefixes included) sent by all nodes.
 * Reports bytes/s per node pair, bytes per round, and, for context, all bytes written to
 * TCP sockets in the same window (pings, gossip heartbeats and announces included, with
 * noise and yamux framing).
 *
 * @example
 * npx tsx simulations/load/run.ts idle-sync
 * npx tsx simulations/load/run.ts idle-sync --nodes 5 --duration 60 --interval 10000
 */
import { loadavg, tmpdir } from 'node:os'
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { Socket } from 'node:net'
import { createRepramNode } from '../../../src/create.js'
import { type RepramNode } from '../../../src/node/index.js'
import { ClusterReplicator } from '../../../src/net/cluster.js'
import { fmt, fmtInt, renderText, renderMarkdown, writeResults, type Table } from '../lib/report.js'
import type { ScenarioContext, ScenarioOptions } from '../lib/scenario.js'

export const name = 'idle-sync'
export const description = 'anti-entropy bytes/s per node pair in an idle, in-sync cluster'
export const options = {
  nodes: { type: 'string', default: '5', help: 'cluster size' },
  records: { type: 'string', default: '10000', help: 'records every node holds' },
  duration: { type: 'string', default: '60', help: 'seconds measured' },
  interval: { type: 'string', default: '10000', help: 'syncIntervalMs (the default config value is 10000)' }
} satisfies ScenarioOptions

async function sum (nodes: RepramNode[], metric: string, labels: Record<string, string> = {}): Promise<number> {
  let n = 0
  for (const node of nodes) {
    const m = await node.registry.getSingleMetric(metric)?.get()
    n += (m?.values ?? []).filter(v => Object.entries(labels).every(([k, x]) => String((v.labels as Record<string, unknown>)[k]) === x)).reduce((a, v) => a + v.value, 0)
  }
  return n
}

function socketBytesWritten (): number {
  const handles = (process as unknown as { _getActiveHandles: () => unknown[] })._getActiveHandles()
  return handles.filter((h): h is Socket => h instanceof Socket).reduce((n, s) => n + s.bytesWritten, 0)
}

export async function run (ctx: ScenarioContext): Promise<void> {
  const count = ctx.flags.number('nodes')
  const records = ctx.flags.number('records')
  const duration = ctx.flags.number('duration')
  const interval = ctx.flags.number('interval')
  const dirs: string[] = []
  const nodes: RepramNode[] = []
  const config = { profile: 'test' as const, listen: ['/ip4/127.0.0.1/tcp/0'], syncIntervalMs: interval, memberTtlMs: 60_000, pingIntervalMs: 5000, pingFailures: 3 }
  try {
    for (let i = 0; i < count; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'repram-idle-'))
      dirs.push(dataDir)
      const peers = i === 0 ? [] : nodes[0].networkInfo().addresses
      nodes.push(await createRepramNode({ config: { ...config, dataDir, peers }, replicator: new ClusterReplicator() }))
    }
    ctx.log(`${count} nodes up; writing ${fmtInt(records)} records`)
    for (let i = 0; i < records; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, records - i) }, async (_, j) => await nodes[(i + j) % count].put(`idle/${i + j}`, new Uint8Array(100), { ttl: 3600 })))
    }
    const deadline = Date.now() + 120_000
    for (;;) {
      const stats = await Promise.all(nodes.map(async n => (await n.stats()).records))
      const peersOk = nodes.every(n => n.topology().length === count - 1)
      if (stats.every(s => s === records) && peersOk) break
      if (Date.now() > deadline) throw new Error(`cluster did not settle: ${stats.join(',')}`)
      await new Promise(resolve => setTimeout(resolve, 200))
    }
    // Let in-flight repair rounds finish: wait for one in-sync round per node.
    const inSync0 = await sum(nodes, 'repram_sync_rounds_total', { result: 'in_sync' })
    while (await sum(nodes, 'repram_sync_rounds_total', { result: 'in_sync' }) < inSync0 + count) await new Promise(resolve => setTimeout(resolve, 200))
    const load = loadavg()
    ctx.log(`in sync; measuring ${duration} s (load ${load.map(x => x.toFixed(2)).join(' ')})`)
    const b0 = await sum(nodes, 'repram_sync_bytes_total', { direction: 'out' })
    const r0 = await sum(nodes, 'repram_sync_rounds_total')
    const repaired0 = await sum(nodes, 'repram_sync_rounds_total', { result: 'repaired' })
    const s0 = socketBytesWritten()
    const t0 = performance.now()
    await new Promise(resolve => setTimeout(resolve, duration * 1000))
    const seconds = (performance.now() - t0) / 1000
    const bytes = await sum(nodes, 'repram_sync_bytes_total', { direction: 'out' }) - b0
    const rounds = await sum(nodes, 'repram_sync_rounds_total') - r0
    const repaired = await sum(nodes, 'repram_sync_rounds_total', { result: 'repaired' }) - repaired0
    const socket = socketBytesWritten() - s0
    const pairs = count * (count - 1) / 2
    const table: Table = {
      head: ['nodes', 'records/node', 'interval ms', 'seconds', 'rounds', 'repairing rounds', 'sync B/round', 'sync B/s per pair', 'all TCP B/s per pair', 'load avg 1/5/15'],
      rows: [[String(count), fmtInt(records), fmtInt(interval), fmt(seconds, 1), fmtInt(rounds), fmtInt(repaired), fmt(rounds > 0 ? bytes / rounds : 0, 1), fmt(bytes / seconds / pairs, 2), fmt(socket / seconds / pairs, 1), load.map(x => x.toFixed(2)).join(' ')]]
    }
    const summary = `idle sync traffic: ${fmt(bytes / seconds / pairs, 2)} B/s per node pair (target <= 1024 B/s); all TCP traffic ${fmt(socket / seconds / pairs, 1)} B/s per pair`
    process.stdout.write(`${renderText(table)}\n${summary}\n`)
    await writeResults(await ctx.resultsDir(), { 'idle-sync.md': `# idle-sync\n\n${renderMarkdown(table)}\n\n${summary}\n` })
  } finally {
    await Promise.all(nodes.map(async n => { await n.stop().catch(() => {}) }))
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
}
