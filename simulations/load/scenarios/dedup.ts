/**
 * `dedup` (issue 15): what remembering a writeId costs a long-running node. Every write a
 * node receives passes one {@link SeenCache} (inbound writes) and every gossip message
 * another (the gossip peer): 2 minutes and 200,000 ids each. A short cluster run never
 * fills them; a node under steady load lives with them full. The scenario adds ids at a
 * write rate on a simulated clock, in three phases:
 *
 * 1. **filling**: the first TTL's worth of ids, none expire yet;
 * 2. **expiring**: at a rate below the bound, each add first expires the ids past their TTL;
 * 3. **at the bound**: at a rate above it, each add drops the oldest id.
 *
 * The baseline, measured in the same run on the same ids, is a bare `Map.set`. Before the
 * queue (`actors/runtime/seen-cache.ts`) phases 2 and 3 cost 15–246 µs per add.
 *
 * @example
 * npx tsx simulations/load/run.ts dedup
 * npx tsx simulations/load/run.ts dedup --lib /tmp/old   # another checkout's build (dist/)
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { SEEN_WRITE_MAX, SEEN_WRITE_TTL_MS } from '../../../actors/inbound-writes/constants.js'
import { fmt, median, renderMarkdown, renderText, writeResults, type Table } from '../lib/report.js'
import type { ScenarioContext, ScenarioOptions } from '../lib/scenario.js'

export const name = 'dedup'
export const description = 'cost of the writeId dedup caches of a long-running node: filling, expiring, at the bound (µs per add vs a bare Map)'
export const options = {
  rounds: { type: 'string', default: '3', help: 'interleaved rounds (medians reported)' },
  adds: { type: 'string', default: '200000', help: 'ids added per measured phase' },
  lib: { type: 'string', default: '', help: 'measure another checkout\'s build (its dist/), e.g. a worktree of an older commit' }
} satisfies ScenarioOptions

interface Cache { add: (id: string) => boolean }
type CacheClass = new (ttlMs: number, max: number, now: () => number) => Cache

/** Writes per second of each phase: one below the bound (ids expire first), one above. */
const BELOW = Math.floor(SEEN_WRITE_MAX / (SEEN_WRITE_TTL_MS / 1000) / 2)
const ABOVE = Math.ceil(SEEN_WRITE_MAX / (SEEN_WRITE_TTL_MS / 1000) * 2)

/** µs per call of `fn(i)` for i in [0, n). */
function timed (n: number, fn: (i: number) => void): number {
  const t = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn(i)
  return Number(process.hrtime.bigint() - t) / 1000 / n
}

/** One round: the three phases on a fresh cache, and the bare Map on the same ids. */
function round (Seen: CacheClass, adds: number, index: number): Record<string, number> {
  const ids = Array.from({ length: 3 * adds }, (_, i) => `${index.toString(36)}-${i.toString(36)}-0123456789abcdef`)
  let now = 0
  const cache = new Seen(SEEN_WRITE_TTL_MS, SEEN_WRITE_MAX, () => now)
  const fill = Math.min(adds, SEEN_WRITE_MAX)
  const filling = timed(fill, i => { now += SEEN_WRITE_TTL_MS / fill; cache.add(ids[i]) })
  // Past the first TTL: from here on, ids expire as they are added.
  now += SEEN_WRITE_TTL_MS
  const expiring = timed(adds, i => { now += 1000 / BELOW; cache.add(ids[fill + i]) })
  const bound = timed(adds, i => { now += 1000 / ABOVE; cache.add(ids[fill + adds + i]) })
  const map = new Map<string, number>()
  const bare = timed(adds, i => { map.set(ids[i], i) })
  return { filling, expiring, bound, bare }
}

export async function run (ctx: ScenarioContext): Promise<void> {
  const rounds = ctx.flags.number('rounds')
  const adds = ctx.flags.number('adds')
  const lib = ctx.flags.string('lib')
  const from = lib === '' ? new URL('../../../actors/runtime/seen-cache.js', import.meta.url).href : pathToFileURL(join(lib, 'actors', 'runtime', 'seen-cache.js')).href
  const { SeenCache } = await import(from) as { SeenCache: CacheClass }
  ctx.log(`${rounds} rounds of ${adds} adds per phase; TTL ${SEEN_WRITE_TTL_MS / 1000} s, at most ${SEEN_WRITE_MAX} ids; expiring at ${BELOW}/s, at the bound at ${ABOVE}/s${lib === '' ? '' : `; cache from ${lib}`}`)
  const results: Array<Record<string, number>> = []
  for (let r = 0; r < rounds && !ctx.signal.aborted; r++) {
    const res = round(SeenCache, adds, r)
    ctx.log(`  round ${r + 1}: filling ${fmt(res.filling, 2)}, expiring ${fmt(res.expiring, 2)}, at the bound ${fmt(res.bound, 2)}, bare Map ${fmt(res.bare, 2)} µs per add`)
    results.push(res)
  }
  const med = (k: string): number => median(results.map(r => r[k]))
  const bare = med('bare')
  const table: Table = {
    head: ['phase', 'µs per add (median)', 'rounds', '× bare Map.set'],
    rows: (['filling', 'expiring', 'bound', 'bare'] as const).map(k => [
      { filling: 'filling', expiring: `expiring (${BELOW}/s)`, bound: `at the bound (${ABOVE}/s)`, bare: 'bare Map.set (baseline)' }[k],
      fmt(med(k), 2),
      results.map(r => fmt(r[k], 2)).join(' '),
      `${fmt(med(k) / bare, 1)}×`
    ])
  }
  console.log(renderText(table))
  await writeResults(await ctx.resultsDir(), { 'dedup.md': renderMarkdown(table) + '\n', 'dedup.json': JSON.stringify({ rounds: results, lib: lib === '' ? undefined : lib }, null, 2) + '\n' })
}
