/**
 * `quick`: 60 s of the default 70/30 PUT/GET mix, 3 nodes, 25 workers
 * The first figure to look at: sustained req/s, latency percentiles, errors and RSS of a 3-node cluster under a steady closed-loop load.
 * Flags and report: see lib/loadtest.ts (`run.ts quick --help`).
 *
 * @example
 * npm run load -- quick
 * npm run load -- quick --urls http://127.0.0.1:8080,http://127.0.0.1:8081
 */
import { loadOptions, runLoad } from '../lib/loadtest.js'
import type { ScenarioContext } from '../lib/scenario.js'

export const name = 'quick'
export const description = '60 s of the default 70/30 PUT/GET mix, 3 nodes, 25 workers'
export const options = loadOptions({ nodes: '3', workers: '25', duration: '60' })

export async function run (ctx: ScenarioContext): Promise<void> {
  await runLoad(ctx, name, 'The first figure to look at: sustained req/s, latency percentiles, errors and RSS of a 3-node cluster under a steady closed-loop load.')
}
