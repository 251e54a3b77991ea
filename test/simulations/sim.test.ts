/**
 * Smoke test of the network simulation and the model: a tiny real cluster (5 nodes, a
 * few writes with expiring records) and the model at small N. Asserts the contract
 * figures (no stale reads, nothing missing) and that the report is written.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { simulate, runParamsFrom } from '../../simulations/network/run.js'
import { spawnSync } from 'node:child_process'
import { runModel, announcesPerNodePerSec } from '../../simulations/model/model.js'

const out = mkdtempSync(join(tmpdir(), 'repram-sim-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

describe('network simulation', () => {
  it('replicates every write to every node with no stale reads and writes a report', async () => {
    const { results, report } = await simulate({
      scenarios: ['steady'],
      nodes: [5],
      params: { rate: 5, duration: 4, readRate: 10, shortTtl: 1, config: { pingIntervalMs: 1000, memberTtlMs: 10_000, syncIntervalMs: 1000 } },
      validate: true,
      out,
      log: () => {}
    })
    const r = results[0]
    expect(r.writes).toBeGreaterThan(10)
    expect(r.staleReads).toBe(0)
    expect(r.missing).toBe(0)
    expect(r.wrongWinner).toBe(0)
    expect(r.reads).toBeGreaterThan(0)
    expect(existsSync(report)).toBe(true)
    expect(readFileSync(report, 'utf8')).toContain('| steady | 5 |')
    expect(existsSync(join(out, 'propagation-cdf.svg'))).toBe(true)
  }, 90_000)
})

describe('network simulation over worker threads', () => {
  it('links nodes across two threads, cuts and heals a partition between them, and converges', async () => {
    const { results } = await simulate({
      scenarios: ['partition'],
      nodes: [6],
      params: { workers: 2, rate: 5, duration: 5, partitionS: 2, readRate: 10, shortTtl: 1, config: { pingIntervalMs: 1000, memberTtlMs: 10_000, syncIntervalMs: 1000 } },
      validate: false,
      out: join(out, 'partition'),
      log: () => {}
    })
    const r = results[0]
    expect(r.workers).toBe(2)
    expect(r.writes).toBeGreaterThan(10)
    // Nodes 0, 2, 4 run in one thread and 1, 3, 5 in the other, and the cut is 0–2 | 3–5:
    // writes crossed threads before the cut and after the heal.
    expect(r.undelivered).toBe(0)
    expect(r.convergenceMs).toBeDefined()
    expect(Number.isFinite(r.convergenceMs)).toBe(true)
    expect(r.staleReads).toBe(0)
    expect(r.missing).toBe(0)
    expect(r.wrongWinner).toBe(0)
  }, 120_000)
})

describe('npm run sim flags', () => {
  it.each([
    [{ workers: '1' }, { workers: 1 }],
    [{ workers: '2', 'loss-mode': 'drop', config: '{"gossipD":3}' }, { workers: 2, lossMode: 'drop', config: { gossipD: 3 } }]
  ])('takes %j', (flags, want) => {
    expect(runParamsFrom({ nodes: '2', ...flags }).params).toMatchObject(want)
  })

  it.each([
    [{ workers: '0' }, /--workers must be an integer ≥ 1/],
    [{ workers: '1.5' }, /--workers must be an integer ≥ 1/],
    [{ workers: 'abc' }, /--workers must be a number/],
    [{ nodes: '1' }, /--nodes must be integers ≥ 2/],
    [{ 'loss-mode': 'udp' }, /--loss-mode must be tcp or drop/],
    [{ config: '{gossipD:3' }, /--config must be JSON/]
  ])('refuses %j', (flags, message) => {
    expect(() => runParamsFrom({ nodes: '2', ...flags })).toThrow(message)
  })

  it('exits 2 with a one-line message on a bad flag', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'simulations/network/run.ts', '--nodes', '3', '--workers', '0'], { encoding: 'utf8', timeout: 60_000 })
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toEqual(['npm run sim: --workers must be an integer ≥ 1, got "0" (see --help)'])
  }, 60_000)
})

describe('model', () => {
  it('counts announces a node skips because it wrote within the interval', () => {
    // Never writing: one announce per mean jittered wait (7/8 of the interval).
    expect(announcesPerNodePerSec(8000, 0)).toBeCloseTo(1 / 7, 6)
    // Writing every 10 s on average against a 20 s interval (mean wait W = 17.5 s): a
    // cycle ends in an announce with probability e^(−1.75) and lasts (1 − e^(−1.75))/0.1 s,
    // so 0.021 announces/s instead of 1/17.5 = 0.057: nearly two thirds are skipped.
    const busy = announcesPerNodePerSec(20_000, 0.1)
    expect(busy).toBeCloseTo(0.1 * Math.exp(-1.75) / (1 - Math.exp(-1.75)), 9)
    expect(busy).toBeLessThan(0.4 / 17.5)
    // Fewer announces the more a node writes.
    expect(announcesPerNodePerSec(20_000, 1)).toBeLessThan(busy)
  })

  it('delivers every write to every node at small N, with flood publish and mesh forwarding', () => {
    const m = runModel({ nodes: 20, rate: 10, duration: 5 })
    expect(m.writes).toBeGreaterThan(20)
    expect(m.undelivered).toBe(0)
    // Flood publish alone is N-1 transmissions per write.
    expect(m.messagesPerWrite).toBeGreaterThanOrEqual(19)
    expect(Math.max(...m.reach)).toBeLessThan(200)
  })

  it('repairs dropped gossip through IHAVE/IWANT', () => {
    const m = runModel({ nodes: 30, rate: 10, duration: 5, loss: 0.2, lossMode: 'drop' })
    expect(m.undelivered).toBe(0)
    expect(m.iwantPerWrite).toBeGreaterThan(0)
  })
})
