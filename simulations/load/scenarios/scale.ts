/**
 * `scale`: the same load on 1, 3, 5 and 7 nodes (a fresh cluster each, 15 s each)
 * How throughput, latency and per-node memory change with cluster size on one machine (all nodes share its cores, so this shows coordination cost, not capacity gained).
 * Flags and report: see lib/loadtest.ts (`run.ts scale --help`).
 *
 * @example
 * npm run load -- scale
 * npm run load -- scale --nodes 1,2,4 --duration 30
 */
import { loadOptions, runLoad } from '../lib/loadtest.js'
import type { ScenarioContext } from '../lib/scenario.js'

export const name = 'scale'
export const description = 'the same load on 1, 3, 5 and 7 nodes (a fresh cluster each, 15 s each)'
export const options = loadOptions({ nodes: '1,3,5,7', workers: '25', duration: '15' })

export async function run (ctx: ScenarioContext): Promise<void> {
  await runLoad(ctx, name, 'How throughput, latency and per-node memory change with cluster size on one machine (all nodes share its cores, so this shows coordination cost, not capacity gained).')
}
