/**
 * The real-node network simulation: `npm run sim -- --scenario S --nodes N`.
 * N real REPRAM nodes in this process over the simnet transport (see README.md for the
 * simulation profile). Progress goes to stderr; a markdown report, `results.json` and SVG
 * charts go to `simulations/results/network-<timestamp>/`. With `--validate` (default on)
 * the discrete-event model (simulations/model) runs the same parameters and the report
 * shows model against real.
 *
 * @example
 * npx tsx simulations/network/run.ts --scenario steady --nodes 25
 * npx tsx simulations/network/run.ts --scenario all --nodes 25,50 --duration 20
 */
import '../../src/polyfill.js'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DEFAULT_PARAMS, SCENARIOS, runScenario, type RunParams, type RunResult, type ScenarioName } from './scenarios.js'
import { writeReport } from './report.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

const HELP = `usage: npm run sim -- --scenario <${SCENARIOS.join('|')}|all> --nodes <n[,n...]> [flags]

  --rate <w/s>          writes per second, whole cluster (${DEFAULT_PARAMS.rate})
  --duration <s>        seconds of writes (${DEFAULT_PARAMS.duration})
  --value-bytes <n>     value size (${DEFAULT_PARAMS.valueBytes})
  --read-rate <r/s>     reads of expiring records on random nodes (${DEFAULT_PARAMS.readRate})
  --latency <ms>        one-way link latency (${DEFAULT_PARAMS.latencyMs})
  --jitter <ms>         extra per-link latency, uniform, fixed per link (${DEFAULT_PARAMS.jitterMs})
  --loss <p>            loss probability on links, lossy scenario (${DEFAULT_PARAMS.loss})
  --loss-mode <m>       tcp (retransmit after 200 ms) or drop (gossip messages dropped) (${DEFAULT_PARAMS.lossMode})
  --partition <s>       partition length, partition scenario (${DEFAULT_PARAMS.partitionS})
  --churn-every <s>     seconds between leave+join events, churn scenario (${DEFAULT_PARAMS.churnEvery})
  --hot-writers <n>     concurrent writers of the hot key per second (${DEFAULT_PARAMS.hotWriters})
  --config <json>       cluster config overrides, e.g. '{"syncIntervalMs":2000}'
  --seed <n>            random seed (${DEFAULT_PARAMS.seed})
  --workers <n>         worker threads to spread the nodes over (default: one per 25 nodes,
                        at most two per core)
  --warmup <s>          seconds of unmeasured writes before measuring (${DEFAULT_PARAMS.warmupS})
  --no-validate         skip the model comparison
  --out <dir>           results directory (default simulations/results/network-<timestamp>)`

export interface SimRunOptions {
  scenarios: ScenarioName[]
  nodes: number[]
  params: Partial<RunParams>
  validate: boolean
  out: string
  log: (s: string) => void
  signal?: AbortSignal
}

/** Runs scenarios × sizes, writes the report; returns the results and the report path. */
export async function simulate (o: SimRunOptions): Promise<{ results: RunResult[], report: string }> {
  await mkdir(o.out, { recursive: true })
  const results: RunResult[] = []
  for (const scenario of o.scenarios) {
    for (const nodes of o.nodes) {
      const p: RunParams = { ...DEFAULT_PARAMS, ...o.params, scenario, nodes }
      o.log(`== ${scenario}, ${nodes} nodes, ${p.rate} writes/s for ${p.duration} s`)
      const r = await runScenario(p, s => o.log(`[${scenario}/${nodes}] ${s}`), o.signal)
      o.log(`[${scenario}/${nodes}] propagation p50/p99/max ${r.propagation.p50.toFixed(0)}/${r.propagation.p99.toFixed(0)}/${r.propagation.max.toFixed(0)} ms, ${r.gossipMessagesPerWrite.toFixed(0)} msgs/write, stale ${r.staleReads}, missing ${r.missing}, ${(r.wallMs / 1000).toFixed(0)} s`)
      results.push(r)
      await writeFile(join(o.out, 'results.json'), JSON.stringify(results.map(({ deliveries, ...x }) => x), null, 2))
    }
  }
  const report = await writeReport(o.out, results, { validate: o.validate, log: o.log })
  return { results, report }
}

/** The run parameters and sizes from parsed flags; throws a one-line message on a bad value. */
export function runParamsFrom (v: Record<string, string | boolean | undefined>): { params: Partial<RunParams>, nodes: number[] } {
  const num = (k: string): number | undefined => {
    if (v[k] === undefined) return undefined
    const n = Number(v[k])
    if (!Number.isFinite(n)) throw new Error(`--${k} must be a number, got "${String(v[k])}"`)
    return n
  }
  const params: Partial<RunParams> = {}
  const set = <K extends keyof RunParams>(k: K, x: RunParams[K] | undefined): void => { if (x !== undefined) params[k] = x }
  set('rate', num('rate'))
  set('duration', num('duration'))
  set('valueBytes', num('value-bytes'))
  set('readRate', num('read-rate'))
  set('latencyMs', num('latency'))
  set('jitterMs', num('jitter'))
  set('loss', num('loss'))
  set('partitionS', num('partition'))
  set('churnEvery', num('churn-every'))
  set('hotWriters', num('hot-writers'))
  set('seed', num('seed'))
  const warmup = num('warmup')
  if (warmup !== undefined && warmup < 0) throw new Error(`--warmup must be ≥ 0, got "${String(v.warmup)}"`)
  set('warmupS', warmup)
  const workers = num('workers')
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1)) throw new Error(`--workers must be an integer ≥ 1, got "${String(v.workers)}"`)
  set('workers', workers)
  const mode = v['loss-mode']
  if (mode !== undefined && mode !== 'tcp' && mode !== 'drop') throw new Error(`--loss-mode must be tcp or drop, got "${String(mode)}"`)
  if (mode !== undefined) set('lossMode', mode)
  if (typeof v.config === 'string') {
    try {
      set('config', JSON.parse(v.config))
    } catch (err) {
      throw new Error(`--config must be JSON: ${(err as Error).message}`)
    }
  }
  const nodes = String(v.nodes).split(',').map(Number)
  if (nodes.some(n => !Number.isInteger(n) || n < 2)) throw new Error(`--nodes must be integers ≥ 2, got "${String(v.nodes)}"`)
  return { params, nodes }
}

async function main (): Promise<number> {
  let v: Record<string, string | boolean | undefined>
  try {
    v = parseArgs({
      args: process.argv.slice(2),
      options: {
        scenario: { type: 'string', default: 'steady' },
        nodes: { type: 'string', default: '25' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        'value-bytes': { type: 'string' },
        'read-rate': { type: 'string' },
        latency: { type: 'string' },
        jitter: { type: 'string' },
        loss: { type: 'string' },
        'loss-mode': { type: 'string' },
        partition: { type: 'string' },
        'churn-every': { type: 'string' },
        'hot-writers': { type: 'string' },
        config: { type: 'string' },
        seed: { type: 'string' },
        warmup: { type: 'string' },
        workers: { type: 'string' },
        'no-validate': { type: 'boolean' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    }).values
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`)
    return 2
  }
  if (v.help === true) { console.log(HELP); return 0 }
  const sc = String(v.scenario)
  const scenarios = (sc === 'all' ? [...SCENARIOS] : sc.split(',')) as ScenarioName[]
  for (const s of scenarios) if (!SCENARIOS.includes(s)) { console.error(`unknown scenario "${s}"\n\n${HELP}`); return 2 }
  let params: Partial<RunParams>
  let nodes: number[]
  try {
    ({ params, nodes } = runParamsFrom(v))
  } catch (err) {
    console.error(`npm run sim: ${(err as Error).message} (see --help)`)
    return 2
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)
  const out = typeof v.out === 'string' ? v.out : join(ROOT, 'simulations', 'results', `network-${stamp}`)
  const controller = new AbortController()
  process.on('SIGINT', () => { if (controller.signal.aborted) process.exit(130); console.error('\nstopping (again to force)'); controller.abort() })
  const { report, results } = await simulate({ scenarios, nodes, params, validate: v['no-validate'] !== true, out, log: s => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`), signal: controller.signal })
  console.log(`report: ${report}`)
  const bad = results.filter(r => r.staleReads > 0 || r.missing > 0 || r.wrongWinner > 0)
  return bad.length > 0 ? 1 : 0
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(code => process.exit(code), (err) => { console.error(err); process.exit(1) })
}
