/**
 * `ramp`: concurrency 1, 5, 10, 20, 50 on one 3-node cluster (15 s each)
 * One cluster, rising concurrency: where throughput stops growing and latency starts to, i.e. the knee of the curve.
 * Flags and report: see lib/loadtest.ts (`run.ts ramp --help`).
 *
 * @example
 * npm run load -- ramp
 * npm run load -- ramp --workers 1,10,100 --duration 10
 */
import { loadOptions, runLoad } from '../lib/loadtest.js'
import type { ScenarioContext } from '../lib/scenario.js'

export const name = 'ramp'
export const description = 'concurrency 1, 5, 10, 20, 50 on one 3-node cluster (15 s each)'
export const options = loadOptions({ nodes: '3', workers: '1,5,10,20,50', duration: '15' })

export async function run (ctx: ScenarioContext): Promise<void> {
  await runLoad(ctx, name, 'One cluster, rising concurrency: where throughput stops growing and latency starts to, i.e. the knee of the curve.')
}
