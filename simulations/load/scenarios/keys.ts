/**
 * `keys`: what listing keys costs a loaded node (issue 15, target 3).
 *
 * One REPRAM node (built `dist/`, test profile, no rate limit) preloaded with `--records`
 * keys. Each round, in order:
 * 1. `health` alone, then `GET /v1/keys?limit=<page>` alone, one connection each, as fast as
 *    they go: the time per page minus the time per health request (1 / req/s each; finer
 *    than autocannon's whole-ms latencies) is the server's cost of the page.
 * 2. PUTs at a fixed offered rate (`--put-rate`, coordinated omission corrected), alone.
 * 3. The same PUTs while one client pages through the keys at `--keys-rate` (the default
 *    rate limit's 90 % by default, what one well-behaved client may send).
 * The headline: page latency (target ≤ 1 ms of server time at 100k records) and the PUT
 * p99 with paging over the PUT p99 without (target ≤ 2×). `--lib DIR` runs another
 * checkout's build instead (for a before/after in one session).
 *
 * @example
 * npx tsx simulations/load/run.ts keys                       # 100k records, 3 rounds
 * npx tsx simulations/load/run.ts keys --lib /tmp/old --rounds 1
 */
import { join } from 'node:path'
import { startChild } from '../lib/children.js'
import { runPhase, type PhaseResult } from '../lib/load.js'
import { fmt, fmtInt, renderMarkdown, renderText, writeResults, type Table } from '../lib/report.js'
import type { ScenarioContext, ScenarioOptions } from '../lib/scenario.js'
import type { ServerConfig, ServerReady } from '../servers/common.js'

export const name = 'keys'
export const description = 'GET /v1/keys page cost at 100k records, and PUT p99 with and without a client paging at the rate limit'

export const options = {
  records: { type: 'string', default: '100000', help: 'preloaded records' },
  page: { type: 'string', default: '100', help: 'page size (limit) of each GET /v1/keys' },
  duration: { type: 'string', default: '8', help: 'seconds per measured phase' },
  rounds: { type: 'string', default: '3', help: 'measured rounds' },
  'put-rate': { type: 'string', default: '2000', help: 'offered PUT rate, requests/s over 16 connections' },
  'keys-rate': { type: 'string', default: '90', help: 'offered GET /v1/keys rate while PUTs run (the default rate limit is 100/s)' },
  lib: { type: 'string', default: '', help: 'load the REPRAM build of another checkout (its dist/), e.g. a worktree of an older commit' }
} satisfies ScenarioOptions

/** Targets of issue 15 §3. */
const TARGETS = { pageServerMs: 1, putP99Ratio: 2 } as const
const KEY_PREFIX = 'keys/k/'
const VALUE_SIZE = 64

interface Round { health: PhaseResult, page: PhaseResult, putAlone: PhaseResult, putWithPaging: PhaseResult, paging: PhaseResult }

export async function run (ctx: ScenarioContext): Promise<void> {
  const f = ctx.flags
  const records = f.number('records')
  const page = f.number('page')
  const durationS = f.number('duration')
  const rounds = f.number('rounds')
  const putRate = f.number('put-rate')
  const keysRate = f.number('keys-rate')
  const lib = f.string('lib')
  const cfg: ServerConfig = { preloadKeys: records, keyPrefix: KEY_PREFIX, valueSize: VALUE_SIZE, from: 'dist', ...(lib === '' ? {} : { libRoot: lib }) }
  ctx.log(`starting a node with ${fmtInt(records)} records${lib === '' ? '' : ` from ${lib}`}`)
  const server = await startChild<ServerReady>(new URL('../servers/repram.ts', import.meta.url), { config: cfg, label: 'repram', nodeArgs: ['--max-old-space-size=4096'], cwd: ctx.root })
  const url = `http://127.0.0.1:${server.ready.port}`
  const results: Round[] = []
  try {
    for (let round = 1; round <= rounds && !ctx.signal.aborted; round++) {
      ctx.log(`round ${round}/${rounds}`)
      // Warm the PUT path (and let the preload's garbage go) before anything is measured.
      await runPhase(url, server, { kind: 'put', keyPrefix: `keys/warm${round}/`, valueSize: VALUE_SIZE, ttl: 3600 }, { connections: 16, durationS: 2, overallRate: putRate }, ctx.signal)
      const health = await runPhase(url, server, { kind: 'health' }, { connections: 1, durationS }, ctx.signal)
      const pageAlone = await runPhase(url, server, { kind: 'keys', keyPrefix: KEY_PREFIX, keys: records, limit: page }, { connections: 1, durationS }, ctx.signal)
      ctx.log(`  page of ${page}: ${fmt(pageServerMs(pageAlone, health), 3)} ms of server time (${fmtInt(pageAlone.reqPerSec)} pages/s vs ${fmtInt(health.reqPerSec)} health/s), p99 ${pageAlone.p99} ms`)
      const put = { kind: 'put', keyPrefix: `keys/put${round}a/`, valueSize: VALUE_SIZE, ttl: 3600 } as const
      const putAlone = await runPhase(url, server, put, { connections: 16, durationS, overallRate: putRate }, ctx.signal)
      ctx.log(`  PUT alone at ${putRate}/s: p50 ${putAlone.p50} ms, p99 ${putAlone.p99} ms`)
      const [putWithPaging, paging] = await Promise.all([
        runPhase(url, server, { ...put, keyPrefix: `keys/put${round}b/` }, { connections: 16, durationS, overallRate: putRate }, ctx.signal),
        runPhase(url, server, { kind: 'keys', keyPrefix: KEY_PREFIX, keys: records, limit: page }, { connections: 1, durationS, overallRate: keysRate }, ctx.signal)
      ])
      ctx.log(`  PUT with paging at ${keysRate}/s: p50 ${putWithPaging.p50} ms, p99 ${putWithPaging.p99} ms; pages p99 ${paging.p99} ms, ${paging.timeouts} timeouts`)
      results.push({ health, page: pageAlone, putAlone, putWithPaging, paging })
    }
  } finally {
    await server.stop()
  }

  const t: Table = {
    head: ['round', 'pages/s', 'health/s', 'page server ms', 'page p99 ms', 'PUT p99 alone', 'PUT p99 with paging', 'ratio', 'pages p99 under PUTs', 'timeouts'],
    rows: results.map((r, i) => [
      String(i + 1), fmtInt(r.page.reqPerSec), fmtInt(r.health.reqPerSec), fmt(pageServerMs(r.page, r.health), 3), fmt(r.page.p99, 0),
      fmt(r.putAlone.p99, 1), fmt(r.putWithPaging.p99, 1), fmt(r.putWithPaging.p99 / Math.max(r.putAlone.p99, 1), 2), fmt(r.paging.p99, 1), String(r.paging.timeouts + r.putWithPaging.timeouts)
    ])
  }
  const serverMs = results.map(r => pageServerMs(r.page, r.health))
  const ratios = results.map(r => r.putWithPaging.p99 / Math.max(r.putAlone.p99, 1))
  const verdict = [
    `page of ${page} at ${fmtInt(records)} records: server time ${fmt(Math.min(...serverMs), 3)}–${fmt(Math.max(...serverMs), 3)} ms (target ≤ ${TARGETS.pageServerMs} ms)`,
    `PUT p99 with a client paging at ${keysRate}/s over PUT p99 alone: ${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}× (target ≤ ${TARGETS.putP99Ratio}×)`
  ]
  const text = [`keys: ${fmtInt(records)} records, PUT ${putRate}/s over 16 connections, ${durationS} s phases${lib === '' ? '' : `, library from ${lib}`}`, renderText(t), '', ...verdict].join('\n')
  console.log(text)
  const dir = await ctx.resultsDir()
  await writeResults(dir, { 'keys.md': [`# keys ${new Date().toISOString()}`, '', renderMarkdown(t), '', ...verdict.map(v => `- ${v}`), ''].join('\n'), 'keys.json': JSON.stringify(results, null, 2) + '\n' })
  ctx.log(`results in ${join(dir, 'keys.md')}`)
}

/** Server time of one page, ms: time per page minus time per health request, one connection each. */
function pageServerMs (page: PhaseResult, health: PhaseResult): number {
  return Math.max(0, 1000 / page.reqPerSec - 1000 / health.reqPerSec)
}
