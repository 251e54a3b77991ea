/**
 * `stress`: payload sizes 1 KiB to 1 MiB on one 3-node cluster (15 s each)
 * Large values: gossip inline up to 64 KiB, blob pulls above; short TTLs (5-15 s) keep a 1 MiB step inside each node capacity.
 * Flags and report: see lib/loadtest.ts (`run.ts stress --help`).
 *
 * @example
 * npm run load -- stress
 * npm run load -- stress --value-size 64k,1m,4m --workers 4
 */
import { loadOptions, runLoad } from '../lib/loadtest.js'
import type { ScenarioContext } from '../lib/scenario.js'

export const name = 'stress'
export const description = 'payload sizes 1 KiB to 1 MiB on one 3-node cluster (15 s each)'
export const options = loadOptions({ nodes: '3', workers: '10', duration: '15', 'value-size': '1k,16k,64k,256k,1m', ttl: '5-15', 'key-space': '20000' })

export async function run (ctx: ScenarioContext): Promise<void> {
  await runLoad(ctx, name, 'Large values: gossip inline up to 64 KiB, blob pulls above; short TTLs (5-15 s) keep a 1 MiB step inside each node capacity.')
}
