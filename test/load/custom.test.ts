/**
 * The load-testing framework end to end (issue 7): `run.ts custom` starts a one-node
 * cluster of the built CLI, drives it for 3 s with 2 workers, stops it, and leaves a
 * markdown report, a JSON report and SVG charts with sane figures. Needs the build
 * (`npm test` builds first).
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BUILT = existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))
const out = mkdtempSync(join(tmpdir(), 'repram-load-test-'))

afterAll(() => rmSync(out, { recursive: true, force: true }))

async function runScenario (args: string[]): Promise<{ code: number | null, output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'simulations', 'load', 'run.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (b: Buffer) => { output += b.toString() })
  child.stderr.on('data', (b: Buffer) => { output += b.toString() })
  const timer = setTimeout(() => child.kill('SIGTERM'), 40_000)
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  clearTimeout(timer)
  return { code, output }
}

describe.skipIf(!BUILT)('load runner', () => {
  it('runs the custom scenario against a self-started node and writes md, json and svg reports', async () => {
    const { code, output } = await runScenario(['custom', '--nodes', '1', '--workers', '2', '--duration', '3', '--ttl', '30-60', '--value-size', '64-1k', '--out', out])
    expect(code, output).toBe(0)

    const files = readdirSync(out)
    expect(files).toEqual(expect.arrayContaining(['custom.md', 'custom.json', 'custom-throughput.svg', 'custom-latency.svg', 'custom-rss.svg']))

    const report = JSON.parse(readFileSync(join(out, 'custom.json'), 'utf8')) as { steps: Array<Record<string, any>> }
    expect(report.steps).toHaveLength(1)
    const step = report.steps[0]
    expect(step.requests).toBeGreaterThan(0)
    expect(step.reqPerSec).toBeGreaterThan(0)
    expect(step.errors).toBe(0)
    expect(step.errorRate).toBe(0)
    expect(step.put.s201 + step.put.s202).toBe(step.put.requests)
    expect(step.get.s200 + step.get.s404).toBe(step.get.requests)
    expect(step.latencyMs.all.p50).toBeGreaterThan(0)
    expect(step.latencyMs.all.p99).toBeGreaterThanOrEqual(step.latencyMs.all.p50)
    expect(step.latencyMs.all.p99).toBeLessThan(10_000)
    expect(step.nodeResources).toHaveLength(1)
    expect(step.nodeResources[0].rssMiB.peak).toBeGreaterThan(10)
    expect(step.perSecond.length).toBeGreaterThanOrEqual(2)

    const md = readFileSync(join(out, 'custom.md'), 'utf8')
    expect(md).toContain('## Summary')
    expect(md).toContain('custom-throughput.svg')
    for (const chart of ['throughput', 'latency', 'rss']) {
      const svg = readFileSync(join(out, `custom-${chart}.svg`), 'utf8')
      expect(svg.startsWith('<svg')).toBe(true)
      expect(svg).toContain('<polyline')
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true)
    }
    // Every node the runner started has exited (their pids are gone).
    const pid = step.nodeResources[0].pid as number
    expect(existsSync(`/proc/${pid}`)).toBe(false)
  }, 45_000)
})
