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
import { stallsOf, backgroundStretchMs } from '../../simulations/model/validate.js'
import { quantile } from '../../simulations/network/stats.js'
import { defaultWorkers } from '../../simulations/network/scenarios.js'
import type { ThreadStats } from '../../simulations/network/shards.js'
import type { RunResult } from '../../simulations/network/scenarios.js'

const out = mkdtempSync(join(tmpdir(), 'repram-sim-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

describe('network simulation', () => {
  it('replicates every write to every node with no stale reads and writes a report', async () => {
    const logs: string[] = []
    const { results, report } = await simulate({
      scenarios: ['steady'],
      nodes: [5],
      params: { rate: 5, duration: 4, warmupS: 1, readRate: 10, shortTtl: 1, config: { pingIntervalMs: 1000, memberTtlMs: 10_000, syncIntervalMs: 1000 } },
      validate: true,
      out,
      log: s => logs.push(s)
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
    // The warm-up wrote first (1 s at 5 writes/s), and its writes are not measured.
    expect(logs.some(l => l.includes('warm-up: 5 unmeasured writes in 1 s'))).toBe(true)
    expect(r.writes).toBeLessThanOrEqual(5 * 4 + 1)
    // The thread's stall record covers the write phase (≥ its 4 s), in [end, length ≥ 100 ms] pairs.
    expect(r.gc[0].windowMs).toBeGreaterThanOrEqual(4000)
    for (const [at, ms] of r.gc[0].stalls) { expect(ms).toBeGreaterThanOrEqual(100); expect(at).toBeGreaterThan(0) }
    // The probe's lateness, not its period: five nodes leave the loop free most of the time.
    expect(r.gc[0].loopDelayMs.p50).toBeLessThan(5)
    expect(r.gc[0].loopDelayMs.max).toBeGreaterThanOrEqual(r.gc[0].loopDelayMs.p99)
  }, 90_000)
})

describe('network simulation over worker threads', () => {
  it('links nodes across two threads, cuts and heals a partition between them, and converges', async () => {
    const { results } = await simulate({
      scenarios: ['partition'],
      nodes: [6],
      params: { workers: 2, rate: 5, duration: 5, warmupS: 0, partitionS: 2, readRate: 10, shortTtl: 1, config: { pingIntervalMs: 1000, memberTtlMs: 10_000, syncIntervalMs: 1000 } },
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

describe('network simulation: churn, lossy links and a hot key', () => {
  it('loses nothing and serves nothing expired through churn, dropped gossip and concurrent writers of one key', async () => {
    const { results } = await simulate({
      scenarios: ['churn', 'lossy', 'hotkey'],
      nodes: [6],
      params: { workers: 1, rate: 5, duration: 6, warmupS: 0, churnEvery: 2, loss: 0.2, lossMode: 'drop', hotWriters: 3, readRate: 10, shortTtl: 1, config: { pingIntervalMs: 1000, memberTtlMs: 10_000, syncIntervalMs: 1000 } },
      validate: false,
      out: join(out, 'more'),
      log: () => {}
    })
    expect(results.map(r => r.params.scenario)).toEqual(['churn', 'lossy', 'hotkey'])
    for (const r of results) {
      expect(r.writes).toBeGreaterThan(10)
      expect(r.staleReads).toBe(0)
      expect(r.missing).toBe(0)
      expect(r.wrongWinner).toBe(0)
    }
    const [churn, lossy, hot] = results
    // Every node alive from a write to the end got it: through gossip, or sync for the joiners.
    expect(churn.undelivered).toBe(0)
    // A fifth of the gossip dropped: the mesh's other copies, IHAVE/IWANT and anti-entropy carry the rest.
    expect(lossy.undelivered).toBe(0)
    // The hot key ends with one winner everywhere.
    expect(hot.hotConvergenceMs).toBeDefined()
    expect(hot.notes.some(n => n.includes('still disagree'))).toBe(false)
  }, 180_000)
})

describe('worker threads by default', () => {
  it('runs one thread per 25 nodes, at most two per core', () => {
    expect(defaultWorkers(2, 2)).toBe(1)
    expect(defaultWorkers(25, 2)).toBe(1)
    expect(defaultWorkers(26, 2)).toBe(2)
    expect(defaultWorkers(100, 2)).toBe(4)
    expect(defaultWorkers(1000, 2)).toBe(4)
    expect(defaultWorkers(100, 8)).toBe(4)
  })
})

describe('npm run sim flags', () => {
  it.each([
    [{ workers: '1' }, { workers: 1 }],
    [{ workers: '2', 'loss-mode': 'drop', config: '{"gossipD":3}' }, { workers: 2, lossMode: 'drop', config: { gossipD: 3 } }],
    [{ warmup: '0' }, { warmupS: 0 }],
    [{ warmup: '2.5' }, { warmupS: 2.5 }]
  ])('takes %j', (flags, want) => {
    expect(runParamsFrom({ nodes: '2', ...flags }).params).toMatchObject(want)
  })

  it.each([
    [{ workers: '0' }, /--workers must be an integer ≥ 1/],
    [{ workers: '1.5' }, /--workers must be an integer ≥ 1/],
    [{ workers: 'abc' }, /--workers must be a number/],
    [{ nodes: '1' }, /--nodes must be integers ≥ 2/],
    [{ 'loss-mode': 'udp' }, /--loss-mode must be tcp or drop/],
    [{ config: '{gossipD:3' }, /--config must be JSON/],
    [{ warmup: '-1' }, /--warmup must be ≥ 0/],
    [{ warmup: 'soon' }, /--warmup must be a number/]
  ])('refuses %j', (flags, message) => {
    expect(() => runParamsFrom({ nodes: '2', ...flags })).toThrow(message)
  })

  it('exits 2 with a one-line message on a bad flag', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'simulations/network/run.ts', '--nodes', '3', '--workers', '0'], { encoding: 'utf8', timeout: 60_000 })
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toEqual(['npm run sim: --workers must be an integer ≥ 1, got "0" (see --help)'])
  }, 60_000)
})

/** One thread's stats for the validate mappings: idle, no stalls, unless given. */
const thread = (x: Partial<ThreadStats>): ThreadStats => ({ pauses: 0, totalMs: 0, maxMs: 0, loopDelayMs: { p50: 0, p99: 0, max: 0 }, stalls: [], windowMs: 5000, probes: { late: 0, lateMeanMs: 0 }, ...x })

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

  it('holds messages back through CPU stalls, and only when there are stalls', () => {
    const base = { nodes: 20, rate: 10, duration: 10, cpu: 'shared' as const, cpus: 1, cpuPerMsgMs: 0.05 }
    const bare = runModel(base)
    // stallsPerSec 0 leaves the run as it was (stalls draw from their own random stream).
    expect(runModel({ ...base, stallMs: [300] }).reach).toEqual(bare.reach)
    expect(Math.max(...bare.reach)).toBeLessThan(100)
    // One 300 ms stall per second: a write that arrives during one waits for its end.
    const stalled = runModel({ ...base, stallsPerSec: 1, stallMs: [300] })
    expect(stalled.undelivered).toBe(0)
    // The same transmissions, give or take the IWANTs a held message draws.
    expect(Math.abs(stalled.messagesPerWrite / bare.messagesPerWrite - 1)).toBeLessThan(0.1)
    expect(quantile(stalled.reach, 0.99)).toBeGreaterThan(200)
    // A write can meet more than one stall on its hops (and stalls can follow each other), not many.
    expect(quantile(stalled.reach, 0.99)).toBeLessThan(1500)
    // About 30% of the time is stalled: many writes are held, not all.
    const held = stalled.reach.filter(x => x > 100).length / stalled.reach.length
    expect(held).toBeGreaterThan(0.1)
    expect(held).toBeLessThan(0.7)
  })

  it('takes a run\'s stalls as a rate per thread and their lengths', () => {
    const r = { gc: [thread({ stalls: [[1, 120], [2, 400]], windowMs: 20_000 }), thread({ stalls: [[3, 200]], windowMs: 10_000 })] } as unknown as RunResult
    const st = stallsOf(r)
    expect(st.perSec).toBeCloseTo(3 / 30, 9)
    expect(st.ms).toEqual([120, 400, 200])
    // Results written before stalls were recorded: none.
    expect(stallsOf({ gc: [{ pauses: 1 }] } as unknown as RunResult)).toEqual({ perSec: 0, ms: [] })
  })

  it('takes the background\'s busy stretches as twice the mean lateness of the idle window\'s late probes', () => {
    const probed = (late: number, lateMeanMs: number): ThreadStats => thread({ probes: { late, lateMeanMs } })
    expect(backgroundStretchMs({ idleThreads: [probed(100, 4), probed(300, 8)] } as unknown as RunResult)).toBeCloseTo(2 * (100 * 4 + 300 * 8) / 400, 9)
    expect(backgroundStretchMs({ idleThreads: [probed(0, 0)] } as unknown as RunResult)).toBe(0)
    expect(backgroundStretchMs({} as unknown as RunResult)).toBe(0)
  })

  it('makes messages wait out background stretches, and the longer the stretches the longer the wait', () => {
    const base = { nodes: 20, rate: 10, duration: 10, cpu: 'shared' as const, cpus: 1, cpuPerMsgMs: 0.05, sharedBusy: 0.3 }
    const uniform = runModel(base)
    const short = runModel({ ...base, bgChunkMs: 2 })
    const long = runModel({ ...base, bgChunkMs: 40 })
    expect(long.undelivered).toBe(0)
    // 30% busy as a slowdown costs a message ~0.02 ms; in 40 ms stretches about a third of
    // the writes meet one and wait ~20 ms for it on average: the mean rises by ≥ 6 ms.
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
    expect(mean(long.reach)).toBeGreaterThan(mean(uniform.reach) + 4)
    expect(mean(long.reach)).toBeGreaterThan(mean(short.reach))
    expect(quantile(long.reach, 0.9)).toBeGreaterThan(quantile(uniform.reach, 0.9) + 10)
    expect(quantile(long.reach, 0.99)).toBeGreaterThan(quantile(short.reach, 0.99))
    // No background, no stretches: bgChunkMs changes nothing.
    expect(runModel({ ...base, sharedBusy: 0, bgChunkMs: 40 }).reach).toEqual(runModel({ ...base, sharedBusy: 0 }).reach)
  })

  it('repairs dropped gossip through IHAVE/IWANT', () => {
    const m = runModel({ nodes: 30, rate: 10, duration: 5, loss: 0.2, lossMode: 'drop' })
    expect(m.undelivered).toBe(0)
    expect(m.iwantPerWrite).toBeGreaterThan(0)
  })
})
