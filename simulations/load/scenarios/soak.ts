/**
 * `soak`: long steady load (10 min at 500 req/s) with memory sampled, for leaks
 * A rate-capped load with short TTLs: records churn, so RSS should level off; the report gives each node RSS trend (MiB/min) and the RSS chart.
 * Flags and report: see lib/loadtest.ts (`run.ts soak --help`).
 *
 * @example
 * npm run load -- soak
 * npm run load -- soak --duration 3600 --rate 1000
 */
import { loadOptions, runLoad } from '../lib/loadtest.js'
import type { ScenarioContext } from '../lib/scenario.js'

export const name = 'soak'
export const description = 'long steady load (10 min at 500 req/s) with memory sampled, for leaks'
export const options = loadOptions({ nodes: '3', workers: '10', duration: '600', rate: '500', ttl: '30-120' })

export async function run (ctx: ScenarioContext): Promise<void> {
  await runLoad(ctx, name, 'A rate-capped load with short TTLs: records churn, so RSS should level off; the report gives each node RSS trend (MiB/min) and the RSS chart.')
}
