/**
 * Clock skew (issue 4, docs/consistency.md): every node judges expiry by its own clock.
 * With node clocks apart by less than `maxClockSkewMs`, records written on any node are
 * accepted everywhere, no node serves a record more than the skew past its `expiresAt`,
 * and no node drops a live one more than the skew early.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Clock } from '../../src/clock.js'
import { createNode, enc, metric, stopAll, until, type TestNode } from './fixture.js'

afterEach(async () => { await stopAll() })

function skewedClock (offsetMs: number): Clock {
  return {
    now: () => Date.now() + offsetMs,
    setTimeout: (fn, ms) => { const t = setTimeout(fn, Math.max(0, ms)); t.unref(); return t },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout)
  }
}

interface Seen { firstSeen?: number, lastServedBefore?: number, firstMissingAfter?: number }

describe('clock skew', () => {
  it('nodes with clocks apart by less than maxClockSkew accept each other\'s writes and expire them by their own clock', async () => {
    const maxSkew = 1500
    const offsets = [-600, 0, 600]
    const config = { maxClockSkewMs: maxSkew, replication: 3 }
    const nodes: TestNode[] = []
    nodes.push(await createNode('memory', config, { clock: skewedClock(offsets[0]) }))
    for (const o of offsets.slice(1)) nodes.push(await createNode('memory', { ...config, peers: nodes[0].addrs }, { clock: skewedClock(o) }))
    await until(() => nodes.every(t => t.node.topology().length === 2), { timeoutMs: 10_000, what: 'membership' })

    // One write from the slowest clock, one from the fastest: 1.2 s apart, within the skew.
    const writes = [
      { key: 'from-slow', writer: 0, put: await nodes[0].node.put('from-slow', enc('s'), { ttl: 2 }) },
      { key: 'from-fast', writer: 2, put: await nodes[2].node.put('from-fast', enc('f'), { ttl: 2 }) }
    ]
    const seen = new Map<string, Seen>()
    const slot = (k: string, i: number): Seen => {
      const id = `${k}@${i}`
      let s = seen.get(id)
      if (s === undefined) seen.set(id, s = {})
      return s
    }
    await until(async () => {
      let done = true
      for (const w of writes) {
        for (let i = 0; i < nodes.length; i++) {
          const s = slot(w.key, i)
          if (s.firstMissingAfter !== undefined) continue
          const before = Date.now()
          const rec = await nodes[i].node.get(w.key, { local: true })
          const after = Date.now()
          if (rec !== undefined) {
            s.firstSeen ??= before
            s.lastServedBefore = before
            done = false
          } else if (s.firstSeen !== undefined) {
            s.firstMissingAfter = after
          } else {
            done = false
          }
        }
      }
      return done
    }, { timeoutMs: 15_000, intervalMs: 20, what: 'every node to hold, then expire, both records' })

    for (const w of writes) {
      const { expiresAt } = w.put
      for (let i = 0; i < nodes.length; i++) {
        const s = slot(w.key, i)
        const own = offsets[i]
        // By its own clock a node never serves past expiresAt, and never drops before it.
        expect((s.lastServedBefore as number) + own).toBeLessThan(expiresAt)
        expect((s.firstMissingAfter as number) + own).toBeGreaterThanOrEqual(expiresAt)
        // Measured on the writer's clock: within the skew on both sides.
        const writerClock = (t: number): number => t + offsets[w.writer]
        expect(writerClock(s.lastServedBefore as number)).toBeLessThanOrEqual(expiresAt + maxSkew)
        expect(writerClock(s.firstMissingAfter as number)).toBeGreaterThanOrEqual(expiresAt - maxSkew)
      }
    }
  })

  it('refuses writes from a clock further ahead than maxClockSkew', async () => {
    const a = await createNode('memory', { maxClockSkewMs: 1000 })
    const b = await createNode('memory', { maxClockSkewMs: 1000, peers: a.addrs }, { clock: skewedClock(5000) })
    await until(() => a.node.topology().length === 1 && b.node.topology().length === 1, { what: 'the pair to meet' })
    await b.node.put('from-the-future', enc('x'), { ttl: 60 })
    await a.node.put('from-now', enc('x'), { ttl: 60 })
    await until(async () => await b.node.has('from-now'), { what: 'a write to reach the node ahead' })
    // Gossip, direct replication and sync all validate createdAt against now + maxClockSkew.
    await until(async () => (await b.node.stats()).records === 2, { what: 'b to hold both' })
    await until(async () => await metric(a.node, 'repram_sync_records_total', { result: 'invalid' }) >= 1, { timeoutMs: 10_000, what: 'anti-entropy to offer it and a to refuse it' })
    expect(await a.node.has('from-the-future')).toBe(false)
  })
})
