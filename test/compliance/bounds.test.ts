/**
 * Bounds under load: 100k flagged expirations (as the storage shards emit them) over 20
 * cycles. The attestor holds at most `(retained + 1) × maxPerCycle` proofs,
 * counts the rest as dropped, and the heap stays flat once the ring buffer is full.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { ephemeralSigner } from '../../src/attest/signer.js'
import { canonicalAttestationBytes } from '../../src/sdk/index.js'
import { until } from '../helpers/until.js'
import { startNode, stopNodes } from './helpers.js'

afterEach(async () => { await stopNodes() })

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function heapUsed (): number {
  gc(); gc()
  return process.memoryUsage().heapUsed
}

const MiB = 1024 * 1024

describe('attestor bounds', () => {
  it('holds its bounds under 100k flagged expirations and keeps memory flat across cycles', async () => {
    const CYCLES = 20
    const PER_CYCLE = 5000
    const CAP = 1000
    const RETAINED = 10
    const { node, clock } = await startNode({ maxAttestationsPerCycle: CAP, attestationCycles: RETAINED, attestationCycleMs: 60_000 })
    const heap: number[] = []
    const t0 = performance.now()
    // Start on a cycle boundary.
    clock.advance(60_000 - (clock.now() % 60_000))
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // The exact event the storage shards emit on expiry (the write → expiry path itself is
      // covered in attestations.test.ts; here the attestor is the subject).
      const now = clock.now()
      for (let i = 0; i < PER_CYCLE; i++) {
        node.emit('record:expired', { key: `load/${cycle}/${i}`, createdAt: now - 1000, expiresAt: now, writeId: `w${cycle}-${i}`.padEnd(16, '0'), size: 33, flagged: true })
      }
      await until(async () => { const c = (await node.attestations.list()).cycles.at(-1)!; return c.count + c.dropped === PER_CYCLE }, { timeoutMs: 15_000, what: `cycle ${cycle} attested` })
      clock.advance(60_000)
      const listing = await node.attestations.list()
      const held = listing.cycles.reduce((n, c) => n + c.count, 0)
      expect(held).toBeLessThanOrEqual((RETAINED + 1) * CAP)
      expect(listing.cycles.length).toBeLessThanOrEqual(RETAINED + 1)
      heap.push(heapUsed())
    }
    const elapsed = performance.now() - t0
    const listing = await node.attestations.list()
    expect(listing.cycles.filter(c => c.closed)).toHaveLength(RETAINED)
    for (const c of listing.cycles.filter(c => c.closed)) expect(c).toMatchObject({ count: CAP, dropped: PER_CYCLE - CAP })
    const text = await node.registry.metrics()
    expect(text).toContain(`repram_attestations_signed_total ${CYCLES * CAP}`)
    expect(text).toContain(`repram_attestations_dropped_total{reason="overflow"} ${CYCLES * (PER_CYCLE - CAP)}`)
    expect(text).toContain(`repram_attestations_retained ${RETAINED * CAP}`)
    // Flat: once the ring is full (cycle 11 on), more cycles do not grow the heap.
    const full = heap.slice(RETAINED + 1)
    const growth = Math.max(...full) - full[0]
    console.log(`[bounds] ${CYCLES * PER_CYCLE} flagged expirations, ${CYCLES * CAP} signed, in ${(elapsed / 1000).toFixed(1)} s; heap after each cycle (MiB): ${heap.map(h => (h / MiB).toFixed(1)).join(' ')}; growth once full: ${(growth / MiB).toFixed(2)} MiB`)
    expect(growth).toBeLessThan(8 * MiB)
  }, 60_000)

  it('measures signing throughput and the memory of one retained attestation', async () => {
    const signer = await ephemeralSigner()
    const N = 5000
    const bodies = Array.from({ length: N }, (_, i) => ({ keyHash: i.toString(16).padStart(64, '0'), writeId: `w${i}`.padEnd(16, 'x'), createdAt: 1_700_000_000_000 + i, expiredAt: 1_700_000_060_000 + i, deletedAt: 1_700_000_060_001 + i, nodeId: signer.nodeId, cycle: 28_333_334 }))
    const before = heapUsed()
    const t0 = performance.now()
    const kept = bodies.map(b => ({ ...b, signature: Buffer.from(signer.sign(canonicalAttestationBytes(b)) as Uint8Array).toString('hex') }))
    const perSecond = N / ((performance.now() - t0) / 1000)
    bodies.length = 0
    const perAttestation = (heapUsed() - before) / N
    console.log(`[bounds] Ed25519 attestation signing: ${Math.round(perSecond)}/s on one core; ~${Math.round(perAttestation)} bytes of heap per retained attestation (${kept.length} kept)`)
    expect(perSecond).toBeGreaterThan(1000)
    expect(perAttestation).toBeLessThan(2048)
  })
})
