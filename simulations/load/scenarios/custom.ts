/**
 * `custom`: everything from flags (defaults: 1 node, 4 workers, 10 s)
 * Any mix of the load flags; lists in --nodes, --workers and --value-size run one step per combination.
 * Flags and report: see lib/loadtest.ts (`run.ts custom --help`).
 *
 * @example
 * npm run load -- custom
 * npm run load -- custom --nodes 3 --workers 8 --put-ratio 0.5 --ttl 10-30 --value-size 100-200k --size-distribution uniform
 */
import { loadOptions, runLoad } from '../lib/loadtest.js'
import type { ScenarioContext } from '../lib/scenario.js'

export const name = 'custom'
export const description = 'everything from flags (defaults: 1 node, 4 workers, 10 s)'
export const options = loadOptions({ nodes: '1', workers: '4', duration: '10' })

export async function run (ctx: ScenarioContext): Promise<void> {
  await runLoad(ctx, name, 'Any mix of the load flags; lists in --nodes, --workers and --value-size run one step per combination.')
}
