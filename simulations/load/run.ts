/**
 * The simulation runner: `tsx simulations/load/run.ts <scenario> [--flags]`.
 * Scenarios are the modules in `scenarios/` (file name = scenario name); each exports
 * `name`, `description`, optional `options` and `run(ctx)` (see lib/scenario.ts).
 * The runner parses flags against the scenario's options, hands it a results directory
 * and an abort signal, and kills every child process on exit, on signals and on errors.
 *
 * @example
 * npx tsx simulations/load/run.ts bench --duration 5
 * npx tsx simulations/load/run.ts --help
 */
// libp2p 3 needs Promise.withResolvers (Node 22); scenarios that run nodes in-process rely on this.
import '../../src/polyfill.js'
import { readdir } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { killAllChildren } from './lib/children.js'
import { timestamp } from './lib/report.js'
import type { Flags, Scenario, ScenarioContext, ScenarioOptions } from './lib/scenario.js'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Flags every scenario has. */
const COMMON_OPTIONS: ScenarioOptions = {
  help: { type: 'boolean', short: 'h', help: 'show this help' },
  out: { type: 'string', help: 'results directory (default simulations/results/<timestamp>)' }
}

async function loadScenarios (): Promise<Map<string, Scenario>> {
  const dir = join(HERE, 'scenarios')
  const files = (await readdir(dir)).filter(f => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort()
  const out = new Map<string, Scenario>()
  for (const f of files) {
    const mod = await import(pathToFileURL(join(dir, f)).href) as Partial<Scenario> & { default?: Scenario }
    const s = mod.default ?? mod
    if (typeof s.name !== 'string' || typeof s.run !== 'function') continue
    out.set(s.name, { name: s.name, description: s.description ?? '', options: s.options, run: s.run })
  }
  return out
}

function usage (scenarios: Map<string, Scenario>, one?: Scenario): string {
  const lines: string[] = []
  if (one === undefined) {
    lines.push('usage: tsx simulations/load/run.ts <scenario> [--flags]', '', 'scenarios:')
    for (const s of scenarios.values()) lines.push(`  ${s.name.padEnd(10)} ${s.description}`)
    lines.push('', '`<scenario> --help` lists its flags.')
  } else {
    lines.push(`usage: tsx simulations/load/run.ts ${one.name} [--flags]`, '', one.description, '', 'flags:')
    for (const [k, o] of Object.entries({ ...one.options, ...COMMON_OPTIONS })) {
      const flag = `--${k}${o.type === 'string' ? ' <v>' : ''}`
      lines.push(`  ${flag.padEnd(24)} ${o.help}${o.default !== undefined ? ` (default ${String(o.default)})` : ''}`)
    }
  }
  return lines.join('\n')
}

function makeFlags (raw: Record<string, string | boolean | undefined>): Flags {
  const get = (name: string): string | boolean | undefined => raw[name]
  return {
    raw,
    string: (name) => {
      const v = get(name)
      if (typeof v !== 'string') throw new Error(`--${name} is required`)
      return v
    },
    optionalString: (name) => {
      const v = get(name)
      return typeof v === 'string' ? v : undefined
    },
    number: (name) => {
      const v = get(name)
      const n = Number(v)
      if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number (got ${String(v)})`)
      return n
    },
    boolean: (name) => get(name) === true,
    list: (name) => {
      const v = get(name)
      return typeof v === 'string' ? v.split(',').map(s => s.trim()).filter(s => s !== '') : []
    }
  }
}

async function main (): Promise<number> {
  const scenarios = await loadScenarios()
  const [name, ...rest] = process.argv.slice(2)
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(usage(scenarios))
    return name === undefined ? 2 : 0
  }
  const scenario = scenarios.get(name)
  if (scenario === undefined) {
    console.error(`unknown scenario "${name}"\n\n${usage(scenarios)}`)
    return 2
  }
  const spec = { ...scenario.options, ...COMMON_OPTIONS }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(Object.entries(spec).map(([k, o]) => [k, { type: o.type, ...(o.short !== undefined ? { short: o.short } : {}), ...(o.default !== undefined ? { default: o.default } : {}) }])) as NonNullable<ParseArgsConfig['options']>
    })
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage(scenarios, scenario)}`)
    return 2
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  if (values.help === true) {
    console.log(usage(scenarios, scenario))
    return 0
  }

  const controller = new AbortController()
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) { killAllChildren(); process.exit(130) }
    console.error(`\n${sig}: stopping (again to force)`)
    controller.abort()
    killAllChildren()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const out = typeof values.out === 'string' ? values.out : join(ROOT, 'simulations', 'results', timestamp())
  const ctx: ScenarioContext = {
    flags: makeFlags(values),
    positionals: parsed.positionals,
    signal: controller.signal,
    root: ROOT,
    resultsDir: async () => {
      const { mkdir } = await import('node:fs/promises')
      await mkdir(out, { recursive: true })
      return out
    },
    log: (msg) => process.stderr.write(`[${scenario.name}] ${msg}\n`)
  }
  try {
    await scenario.run(ctx)
    return controller.signal.aborted ? 130 : 0
  } catch (err) {
    if (controller.signal.aborted) return 130
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err))
    return 1
  } finally {
    killAllChildren()
  }
}

process.on('exit', killAllChildren)
process.on('uncaughtException', (err) => {
  killAllChildren()
  console.error(err)
  process.exit(1)
})

// Exit explicitly: a load generator can leave sockets or timers behind.
process.exit(await main())
