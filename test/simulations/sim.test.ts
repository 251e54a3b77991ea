/**
 * Smoke test of the network simulation and the model: a tiny real cluster (5 nodes, a
 * few writes with expiring records) and the model at small N. Asserts the contract
 * figures (no stale reads, nothing missing) and that the report is written.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { simulate } from '../../simulations/network/run.js'
import { runModel } from '../../simulations/model/model.js'

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

describe('model', () => {
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
