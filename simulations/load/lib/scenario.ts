/**
 * The contract between the runner (`simulations/load/run.ts`) and a scenario module.
 * A scenario is a file `simulations/load/scenarios/<name>.ts` that exports `name`,
 * `description`, optional `options` (its flags) and `run(ctx)`. The runner discovers
 * the files, so a new scenario needs no change anywhere else.
 *
 * @example
 * // simulations/load/scenarios/hello.ts
 * import type { ScenarioContext, ScenarioOptions } from '../lib/scenario.js'
 * export const name = 'hello'
 * export const description = 'prints a greeting'
 * export const options = { who: { type: 'string', default: 'world', help: 'whom to greet' } } satisfies ScenarioOptions
 * export async function run (ctx: ScenarioContext): Promise<void> { ctx.log(`hello ${ctx.flags.string('who')}`) }
 */

/** One flag of a scenario, in the shape `node:util` `parseArgs` takes, plus help text. */
export interface ScenarioOption {
  type: 'string' | 'boolean'
  short?: string
  default?: string | boolean
  /** One line for `--help`. */
  help: string
}

/** The flags of a scenario by long name (`duration` is `--duration`). */
export type ScenarioOptions = Record<string, ScenarioOption>

/** Typed access to parsed flags; numeric getters name the flag on a bad value. */
export interface Flags {
  readonly raw: Readonly<Record<string, string | boolean | undefined>>
  string(name: string): string
  optionalString(name: string): string | undefined
  number(name: string): number
  boolean(name: string): boolean
  /** A comma-separated list flag. */
  list(name: string): string[]
}

/** What a scenario gets from the runner. */
export interface ScenarioContext {
  readonly flags: Flags
  /** Positional arguments after the scenario name. */
  readonly positionals: readonly string[]
  /** Aborted on SIGINT/SIGTERM: stop promptly and let the runner clean up. */
  readonly signal: AbortSignal
  /** Repository root (absolute). */
  readonly root: string
  /** `simulations/results/<timestamp>/`, created on first call. */
  resultsDir(): Promise<string>
  /** Progress output (stderr), so stdout holds only the report. */
  log(msg: string): void
}

/** A loaded scenario module. */
export interface Scenario {
  name: string
  description: string
  options?: ScenarioOptions
  run(ctx: ScenarioContext): Promise<void>
}
