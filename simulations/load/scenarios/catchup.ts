/**
 * `catchup`: how fast a new node catches up with an enclave that holds many live records
 * (anti-entropy, `/repram/sync/1.0.0`). A seed node is filled with `--records` live
 * records (merged directly: nothing is gossiped), then a fresh node bootstraps from it and
 * the clock runs until it holds every record. Both nodes run in this process over TCP on
 * 127.0.0.1, so one process does the serving and the applying (2 shared cores here).
 * Reports records/s, sync bytes per record (frames and length prefixes, both ways) and
 * the load average.
 *
 * @example
 * npx tsx simulations/load/run.ts catchup
 * npx tsx simulations/load/run.ts catchup --records 20000 --value-bytes 1000
 */
import { loadavg } from 'node:os'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRepramNode } from '../../../src/create.js'
import { type RepramNode } from '../../../src/node/index.js'
import { ClusterReplicator } from '../../../src/net/cluster.js'
import { newWriteId } from '../../../src/record.js'
import { fmt, fmtInt, renderText, writeResults, renderMarkdown, type Table } from '../lib/report.js'
import type { ScenarioContext, ScenarioOptions } from '../lib/scenario.js'

export const name = 'catchup'
export const description = 'time for a new node to catch up with N live records by anti-entropy (records/s, bytes/record)'
export const options = {
  records: { type: 'string', default: '100000', help: 'live records on the seed' },
  'value-bytes': { type: 'string', default: '100', help: 'value size of each record' },
  runs: { type: 'string', default: '2', help: 'catch-ups measured (a fresh joiner each time); the best and the median are shown' }
} satisfies ScenarioOptions

async function metricSum (node: RepramNode, metric: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await node.registry.getSingleMetric(metric)?.get()
  return (m?.values ?? []).filter(v => Object.entries(labels).every(([k, x]) => String((v.labels as Record<string, unknown>)[k]) === x)).reduce((n, v) => n + v.value, 0)
}

async function startNode (dataDir: string, peers: string[]): Promise<RepramNode> {
  return await createRepramNode({
    config: { profile: 'test', listen: ['/ip4/127.0.0.1/tcp/0'], dataDir, peers, maxStorageMb: 2048, syncIntervalMs: 0, syncTimeoutMs: 300_000, memberTtlMs: 60_000, pingIntervalMs: 2000 },
    replicator: new ClusterReplicator()
  })
}

export async function run (ctx: ScenarioContext): Promise<void> {
  const n = ctx.flags.number('records')
  const valueBytes = ctx.flags.number('value-bytes')
  const runs = ctx.flags.number('runs')
  const dirs: string[] = []
  const tmp = (): string => { const d = mkdtempSync(join(tmpdir(), 'repram-catchup-')); dirs.push(d); return d }
  const seed = await startNode(tmp(), [])
  const rows: string[][] = []
  const results: Array<{ rps: number, bytesPerRecord: number, seconds: number, load: number[] }> = []
  try {
    ctx.log(`filling the seed with ${fmtInt(n)} records of ${valueBytes} B`)
    const now = Date.now()
    const value = new Uint8Array(valueBytes).fill(42)
    for (let i = 0; i < n; i += 2000) {
      await Promise.all(Array.from({ length: Math.min(2000, n - i) }, async (_, j) => await seed.merge({ key: `catchup/${String(i + j).padStart(7, '0')}`, value, createdAt: now, expiresAt: now + 3_600_000, writeId: newWriteId() })))
    }
    for (let r = 0; r < runs && !ctx.signal.aborted; r++) {
      const load = loadavg()
      const t0 = performance.now()
      const joiner = await startNode(tmp(), seed.networkInfo().addresses)
      let held = 0
      while (held < n && !ctx.signal.aborted) {
        await new Promise(resolve => setTimeout(resolve, 20))
        held = (await joiner.stats()).records
        if (performance.now() - t0 > 600_000) throw new Error(`catch-up stalled at ${held} records`)
      }
      const seconds = (performance.now() - t0) / 1000
      const bytes = await metricSum(joiner, 'repram_sync_bytes_total')
      const rps = n / seconds
      results.push({ rps, bytesPerRecord: bytes / n, seconds, load })
      rows.push([String(r + 1), fmtInt(n), fmt(seconds, 2), fmtInt(rps), fmt(bytes / n, 1), fmt(bytes / n - valueBytes - 22, 1), load.map(x => x.toFixed(2)).join(' ')])
      ctx.log(`run ${r + 1}: ${fmtInt(rps)} records/s, ${fmt(bytes / n, 1)} B/record, load ${load.map(x => x.toFixed(2)).join(' ')}`)
      await joiner.stop()
    }
  } finally {
    await seed.stop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
  const table: Table = { head: ['run', 'records', 'seconds', 'records/s', 'sync B/record', 'overhead B/record (beyond key+value)', 'load avg 1/5/15'], rows }
  const best = results.reduce((a, b) => b.rps > a.rps ? b : a)
  const summary = `catch-up of ${fmtInt(n)} records (${valueBytes} B values, keys 15 B): best ${fmtInt(best.rps)} records/s, ${fmt(best.bytesPerRecord, 1)} B/record (target >= 20,000 records/s)`
  process.stdout.write(`${renderText(table)}\n${summary}\n`)
  await writeResults(await ctx.resultsDir(), { 'catchup.md': `# catchup\n\n${renderMarkdown(table)}\n\n${summary}\n`, 'catchup.json': JSON.stringify({ records: n, valueBytes, results }, null, 2) })
}
