/**
 * Logging (issue 7): JSON lines with a `component` when stdout is not a terminal,
 * human-readable lines when it is (run under `script`, which gives the process a
 * pseudo-terminal); `REPRAM_LOG_LEVEL` filters; a child's component replaces its
 * parent's instead of printing two `component` keys. Runs the built dist/.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { DestinationStream } from 'pino'
import { createLogger } from '../../src/logger.js'
import { loadConfig } from '../../src/config.js'

const ROOT = join(import.meta.dirname, '..', '..')
// Logs one line at each level through two nested component loggers, at REPRAM_LOG_LEVEL.
const PROGRAM = "const { createLogger } = await import('./dist/src/logger.js'); const { loadConfig } = await import('./dist/src/config.js');" +
  " const log = createLogger(loadConfig({ env: process.env }).logLevel).child({ component: 'repram:node' }).child({ component: 'repram:cluster' });" +
  " for (const l of ['trace', 'debug', 'info', 'warn']) log[l]({ n: 1 }, l + ' line'); await new Promise(r => setTimeout(r, 100))"

function capture (): { lines: string[], destination: DestinationStream } {
  const lines: string[] = []
  return { lines, destination: { write: (s: string) => { lines.push(s) } } }
}

describe('log format', () => {
  it('writes one JSON object per line, with a single, innermost component', () => {
    const { lines, destination } = capture()
    const log = createLogger('info', { destination }).child({ component: 'repram:node' }).child({ component: 'repram:cluster' }).child({ peer: 'p' })
    log.info({ records: 3 }, 'hello')
    expect(lines).toHaveLength(1)
    expect(lines[0].match(/"component":/g)).toHaveLength(1)
    expect(JSON.parse(lines[0])).toMatchObject({ level: 30, component: 'repram:cluster', peer: 'p', records: 3, msg: 'hello' })
  })

  it('REPRAM_LOG_LEVEL filters lines', () => {
    const { lines, destination } = capture()
    const log = createLogger(loadConfig({ env: { REPRAM_LOG_LEVEL: 'warn' } }).logLevel, { destination }).child({ component: 'repram:x' })
    log.info('dropped')
    log.warn('kept')
    expect(lines.map(l => JSON.parse(l).msg)).toEqual(['kept'])
    expect(() => loadConfig({ env: { REPRAM_LOG_LEVEL: 'verbose' } })).toThrow(/logLevel/)
  })

  it('a process whose stdout is a pipe logs JSON', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', PROGRAM], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, REPRAM_LOG_LEVEL: 'debug' } })
    const lines = r.stdout.trim().split('\n').map(l => JSON.parse(l) as { msg: string, component: string })
    expect(lines.map(l => l.msg)).toEqual(['debug line', 'info line', 'warn line'])
    for (const l of lines) expect(l.component).toBe('repram:cluster')
  })

  it('a process on a terminal logs human-readable lines', () => {
    const cmd = `${process.execPath} --input-type=module -e "${PROGRAM.replace(/"/g, '\\"')}"`
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, REPRAM_LOG_LEVEL: 'info', TERM: 'dumb' } })
    expect(r.status).toBe(0)
    // eslint-disable-next-line no-control-regex
    const text = r.stdout.replace(/\x1b\[[0-9;]*m/g, '')
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: info line/m)
    expect(text).toMatch(/^\s+component: "repram:cluster"/m)
    expect(text).not.toContain('debug line')
    expect(text).not.toContain('{"level"')
  })
})
