/**
 * wrk (https://github.com/wg/wrk, Debian package `wrk`) as a load generator: a C program
 * that keeps far more requests per second per core than autocannon (which saturates its
 * core near 30k req/s here, so a fast server's figure is the generator's). One wrk thread
 * per phase, in its own process (inheriting this process's CPU pinning), its requests
 * shaped by a Lua script written for the workload, its CPU read from the shell's `times`.
 *
 * @example
 * if (wrkAvailable()) r = await runWrk('http://127.0.0.1:8080', { kind: 'health' }, 50, 10)
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GeneratorFigures, Workload } from './load.js'

/** Width of the preloaded key numbers (see servers/common.ts). */
const KEY_DIGITS = 6

let available: boolean | undefined

/** Whether `wrk` is on the PATH. */
export function wrkAvailable (): boolean {
  if (available === undefined) {
    try {
      execFileSync('wrk', ['--version'], { stdio: 'ignore' })
      available = true
    } catch (err) {
      // wrk --version exits 1 after printing its banner: only a missing binary is ENOENT.
      available = (err as NodeJS.ErrnoException).code !== 'ENOENT'
    }
  }
  return available
}

/** A Lua string literal. */
const lua = (s: string): string => JSON.stringify(s)

/** The Lua script that makes `w`'s requests (the same paths and bodies as the autocannon shapes). */
export function wrkScript (w: Workload): string {
  switch (w.kind) {
    case 'health':
      return 'wrk.path = "/v1/health"\n'
    case 'get':
      return [
        'local i = 0',
        'request = function()',
        `  local path = "/v1/data/" .. ${lua(w.keyPrefix)} .. string.format("%0${KEY_DIGITS}d", i % ${w.keys})`,
        '  i = i + 1',
        '  return wrk.format("GET", path)',
        'end', ''
      ].join('\n')
    case 'put':
      return [
        'wrk.method = "PUT"',
        `wrk.body = string.rep("a", ${w.valueSize})`,
        'wrk.headers["Content-Type"] = "application/octet-stream"',
        'local i = 0',
        'request = function()',
        `  local path = "/v1/data/" .. ${lua(w.keyPrefix)} .. i .. "?ttl=${w.ttl}"`,
        '  i = i + 1',
        '  return wrk.format(nil, path)',
        'end', ''
      ].join('\n')
    case 'keys':
      throw new Error('wrk: the keys workload runs on autocannon')
  }
}

/** What one wrk run measured: a phase's figures without the server's, and the CPU wrk used (µs). */
export type WrkResult = GeneratorFigures & { cpuUs: number }

/** ms from wrk's `1.23ms` / `456.00us` / `1.02s` / `2.00m`. */
export function wrkDuration (s: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s.trim())
  if (m === null) throw new Error(`wrk: cannot read the duration "${s}"`)
  const v = Number(m[1])
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60_000
}

/** Reads wrk's `--latency` report and the shell's `times` lines after it. */
export function parseWrk (out: string): WrkResult {
  const num = (re: RegExp): number => {
    const m = re.exec(out)
    if (m === null) throw new Error(`wrk: no ${String(re)} in its report:\n${out}`)
    return Number(m[1])
  }
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)
    if (m === null) throw new Error(`wrk: no ${p}% latency in its report:\n${out}`)
    return wrkDuration(m[1])
  }
  const lat = /^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(out)
  if (lat === null) throw new Error(`wrk: no latency line in its report:\n${out}`)
  const total = num(/^\s+(\d+) requests in/m)
  const dur = /requests in ([\d.]+\w+),/.exec(out)
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  // `times`: the shell's own user/system line, then its children's (wrk): "0m1.234s 0m0.567s".
  const times = [...out.matchAll(/^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/gm)]
  const child = times[times.length - 1]
  return {
    reqPerSec: num(/^Requests\/sec:\s+([\d.]+)/m),
    total,
    durationS: dur === null ? NaN : wrkDuration(dur[1]) / 1000,
    p50: pct('50'),
    p90: pct('90'),
    p99: pct('99'),
    mean: wrkDuration(lat[1]),
    max: wrkDuration(lat[3]),
    non2xx: /Non-2xx or 3xx responses: (\d+)/.exec(out) === null ? 0 : Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1]),
    errors: sock === null ? 0 : Number(sock[1]) + Number(sock[2]) + Number(sock[3]),
    timeouts: sock === null ? 0 : Number(sock[4]),
    cpuUs: child === undefined ? NaN : ((Number(child[1]) * 60 + Number(child[2])) + (Number(child[3]) * 60 + Number(child[4]))) * 1e6
  }
}

/** Runs wrk (one thread, `connections` connections, `durationS` s) with `w`'s requests against `url`. */
export async function runWrk (url: string, w: Workload, connections: number, durationS: number, signal?: AbortSignal): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'repram-wrk-'))
  const script = join(dir, 'load.lua')
  writeFileSync(script, wrkScript(w))
  try {
    const out = await new Promise<string>((resolve, reject) => {
      // `times` after wrk prints the CPU its children used: wrk's own, the generator's cost.
      const child = spawn('sh', ['-c', 'wrk "$@" && times', 'wrk', '-t1', `-c${connections}`, `-d${durationS}s`, '--timeout', '10s', '--latency', '-s', script, url], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
      child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
      const onAbort = (): void => { child.kill('SIGINT') }
      signal?.addEventListener('abort', onAbort, { once: true })
      child.on('error', reject)
      child.on('close', code => {
        signal?.removeEventListener('abort', onAbort)
        if (code === 0) resolve(stdout)
        else reject(new Error(`wrk exited with ${String(code)}: ${stderr.trim() || stdout.trim()}`))
      })
    })
    return parseWrk(out)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
