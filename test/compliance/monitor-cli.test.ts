/**
 * `repram monitor` as a command: bad input is one `repram: …` line and a non-zero exit
 * (in-process and as the built process), and a real monitor process starts, serves
 * /health and /metrics on its own port, and stops on SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/program.js'
import type { CliIo } from '../../src/cli/io.js'
import { assertBuilt, runCli as runBuiltCli, spawnCli, waitForStdout } from '../cli/run.js'

const dir = mkdtempSync(join(tmpdir(), 'repram-monitor-cli-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

async function cli (args: string[]): Promise<{ code: number, err: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let e = ''
  stdout.resume()
  stderr.setEncoding('utf8').on('data', (s: string) => { e += s })
  const io: CliIo = { stdin: new PassThrough(), stdout, stderr, env: {}, exit: () => {} }
  return { code: await runCli(args, io), err: e }
}

const period = ['--from', '2026-01-01', '--to', '2026-04-01']

describe('repram monitor: bad input', () => {
  it.each([
    [['monitor', 'report', '--framework', 'iso27001', ...period], /^repram: --framework must be one of gdpr, hipaa, pci-dss, soc2, got "iso27001"$/],
    [['monitor', 'report', ...period], /^repram: --framework must be one of gdpr, hipaa, pci-dss, soc2$/],
    [['monitor', 'report', '--framework', 'gdpr', '--from', 'last monday', '--to', '2026-04-01'], /^repram: --from must be an ISO 8601 date or date-time .*got "last monday"$/],
    [['monitor', 'report', '--framework', 'gdpr', '--from', '2026-01-01', '--to', '2026-13-45'], /^repram: --to must be an ISO 8601 date/],
    [['monitor', 'report', '--framework', 'gdpr', '--from', '2026-04-01', '--to', '2026-01-01'], /^repram: --from must be before --to$/],
    [['monitor', 'report', '--framework', 'soc2', '--from', '2026-01-01'], /^repram: --to is required/],
    [['monitor', '--nodes', 'n1:8080', '--data-dir', dir], /^repram: invalid config nodes: "n1:8080" is not an http:\/\/ or https:\/\/ URL/],
    [['monitor', '--nodes', 'http://n1:8080', 'not a url', '--data-dir', dir], /^repram: invalid config nodes: "not a url" is not a URL/],
    [['monitor', '--discover', 'http://n1:8080/?x=1', '--data-dir', dir], /^repram: invalid config discover: .* must be a base URL/],
    [['monitor', '--nodes', 'http://n1:8080', '--database', 'mysql://db/x', '--data-dir', dir], /^repram: invalid config database: must be a postgres:\/\//],
    [['monitor', '--nodes', 'http://n1:8080', '--quorum', '0', '--data-dir', dir], /^repram: invalid config quorum: must be a whole number of nodes from 1 to 1000, or all/],
    [['monitor', '--nodes', 'http://n1:8080', '--deadline', 'soon', '--data-dir', dir], /^repram: invalid config deadlineMs: "soon" is not a duration/],
    [['monitor', '--webhook', 'hooks.example/x', '--nodes', 'http://n1:8080', '--data-dir', dir], /^repram: invalid config webhook:/],
    [['monitor', '--data-dir', dir], /^repram: invalid config nodes: give the nodes to watch/]
  ])('%j answers one line and exit code 2', async (args, message) => {
    const r = await cli(args as string[])
    expect(r.code).toBe(2)
    const lines = r.err.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(message as RegExp)
  })

  it('a report with no database is one line and exit code 1', async () => {
    const r = await cli(['monitor', 'report', '--framework', 'gdpr', ...period, '--data-dir', join(dir, 'nothing-here')])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/^repram: no monitor database in .*nothing-here \(run repram monitor first, or pass --data-dir or --database\)\n$/)
  })
})

describe('repram monitor as a process', () => {
  it('rejects bad input in the built command too', async () => {
    assertBuilt()
    const bad = await runBuiltCli(['monitor', '--nodes', 'ftp://n1', '--data-dir', dir])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^repram: invalid config nodes: "ftp:\/\/n1" is not an http:\/\/ or https:\/\/ URL[^\n]*\n$/)
    const fw = await runBuiltCli(['monitor', 'report', '--framework', 'sox', ...period])
    expect(fw.code).toBe(2)
    expect(fw.stderr).toBe('repram: --framework must be one of gdpr, hipaa, pci-dss, soc2, got "sox"\n')
  })

  it('serves /health and /metrics on its own port and stops on SIGTERM', async () => {
    const child = spawnCli(['monitor', '--nodes', 'http://127.0.0.1:9', '--port', '0', '--data-dir', join(dir, 'proc'), '--log-level', 'silent'])
    try {
      const [, url] = await waitForStdout(child, /listening on (http:\/\/\S+)/, 20_000)
      const health = await fetch(`${url}/health`)
      expect(health.status).toBe(200)
      expect(await health.json()).toMatchObject({ status: 'degraded', database: { kind: 'pglite', ok: true, schema: 1 }, nodes: [{ url: 'http://127.0.0.1:9' }] })
      expect(await (await fetch(`${url}/metrics`)).text()).toContain('repram_monitor_nodes{state="down"} 1')
      const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  }, 30_000)
})
