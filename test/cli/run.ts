/**
 * Runs the built `repram` command (bin/repram.js → dist/) as a real process.
 * The CLI tests need `npm run build` first; `npm test` does it (pretest).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Absolute path of the `repram` bin script. */
export const BIN = fileURLToPath(new URL('../../bin/repram.js', import.meta.url))
const BUILT = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url))

/** Fails with a clear message when the CLI has not been built. */
export function assertBuilt (): void {
  if (!existsSync(BUILT)) throw new Error('dist/src/cli/main.js is missing: run `npm run build` first (npm test does it for you)')
}

/** The outcome of one CLI run. */
export interface CliResult { code: number | null, signal: NodeJS.Signals | null, stdout: Buffer, stderr: string }

/** Environment of every CLI child: never on the LAN, never the developer's own REPRAM_* settings. */
export function cliEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('REPRAM_')) env[k] = v
  return { ...env, REPRAM_MDNS: 'false', ...extra }
}

/** Spawns `repram ...args` (long-running: the caller must kill it). */
export function spawnCli (args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] })
}

/** Runs `repram ...args` to completion, feeding `stdin` (bytes) and collecting raw stdout. */
export async function runCli (args: string[], opts: { stdin?: Uint8Array | string, env?: Record<string, string>, timeoutMs?: number } = {}): Promise<CliResult> {
  const child = spawnCli(args, opts.env)
  const out: Buffer[] = []
  let err = ''
  child.stdout!.on('data', (b: Buffer) => out.push(b))
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s })
  child.stdin!.on('error', () => {}) // the CLI may exit before reading stdin
  child.stdin!.end(opts.stdin ?? '')
  // A safety net only (the test times out at 30 s): a loaded CI box can be slow to spawn.
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000)
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', (c, s) => resolve([c, s]))
    })
    return { code, signal, stdout: Buffer.concat(out), stderr: err }
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves with the first match of `re` in the child's stdout, or rejects when it exits first. */
export async function waitForStdout (child: ChildProcess, re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
  let seen = ''
  let errSeen = ''
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { errSeen += s })
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`no match for ${re} within ${timeoutMs} ms; stdout: ${seen}; stderr: ${errSeen}`)) }, timeoutMs)
    const onData = (b: Buffer): void => {
      seen += b.toString('utf8')
      const m = seen.match(re)
      if (m != null) { cleanup(); resolve(m) }
    }
    const onExit = (code: number | null): void => { cleanup(); reject(new Error(`exited with ${code} before ${re} appeared; stdout: ${seen}; stderr: ${errSeen}`)) }
    const cleanup = (): void => { clearTimeout(timer); child.stdout?.off('data', onData); child.off('exit', onExit) }
    child.stdout?.on('data', onData)
    child.once('exit', onExit)
  })
}

/** Resolves with the exit code once the child exits (at once if it already has). */
export async function exitOf (child: ChildProcess): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode }
  return await new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })))
}

/** Kills a child that is still running and waits for it to go. */
export async function killChild (child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
  const gone = exitOf(child)
  child.kill('SIGKILL')
  await gone
}
