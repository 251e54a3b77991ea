/**
 * The short forms of `npm run chaos` (issue 16): real `repram start` processes (the built
 * CLI; `npm test` builds first) under a steady write load. SIGKILL of 2 of 5 nodes, then a
 * partition with writes on both sides and its heal (network namespaces where this machine
 * allows them, else SIGSTOP/SIGCONT of the minority). Every write answered 201 must end on
 * every surviving node, and no GET may return a record past its X-Expires-At. Every
 * process, namespace and veth is gone afterwards, whatever happened.
 */
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { killAllChildren } from '../../simulations/load/lib/children.js'
import { chaosNamespaces, probeNetns } from '../../simulations/chaos/lib/netns.js'
import { runKill, runPartition, type ScenarioResult } from '../../simulations/chaos/scenarios.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const namespacesBefore = new Set(probeNetns().netns ? chaosNamespaces() : [])

afterAll(() => {
  killAllChildren()
})

/** The failed checks of a run, for the assertion message. */
const failures = (r: ScenarioResult): string => r.checks.filter(c => !c.ok).map(c => `${c.what}: ${c.detail}`).join('\n')

describe('chaos, short forms', () => {
  it('loses no write answered 201 and serves no expired record when 2 of 5 nodes are SIGKILLed under load', async () => {
    const r = await runKill({ root: ROOT, short: true })
    expect(r.ok, failures(r)).toBe(true)
    expect(r.figures.lost).toBe(0)
    expect(r.figures.expiredReads).toBe(0)
    expect(r.figures.writes201).toBeGreaterThan(100)
    expect(r.figures.writes201AfterKill).toBeGreaterThan(0)
  }, 60_000)

  it('after a partition with writes on both sides heals, every stored write is on every node and no read was expired', async () => {
    const r = await runPartition({ root: ROOT, short: true })
    expect(r.ok, failures(r)).toBe(true)
    expect(r.figures.lost).toBe(0)
    expect(r.figures.expiredReads).toBe(0)
    expect(r.figures.writes201).toBeGreaterThan(100)
    expect(Number.isFinite(r.figures.partitionWritesEverywhereAfterHealMs)).toBe(true)
    // Nothing of the run is left: no namespace, so no veth or qdisc either.
    if (probeNetns().netns) expect(chaosNamespaces().filter(n => !namespacesBefore.has(n))).toEqual([])
  }, 60_000)
})
