/**
 * Multi-node proofs (issue 6): a flagged record on a 3-node cluster expires and every node
 * that held it signs its own proof with its libp2p identity. Uses the cluster fixture of
 * test/integration (real libp2p over the memory transport, wall-clock TTL of 1 s).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpApp } from '../../src/http/app.js'
import { collectDeletionProofs, keyHashOf, toJsonLines } from '../../src/sdk/index.js'
import { createCluster, stopAll, until } from '../integration/fixture.js'
import { flagged, routedFetch, unflagged } from './helpers.js'

afterEach(async () => { await stopAll() })

describe('deletion proofs on a 3-node cluster', () => {
  it('a flagged record yields 3 valid, independent proofs holding only the key hash; an unflagged one none', async () => {
    const nodes = await createCluster(3, { transport: 'memory' })
    const key = 'hipaa/patient-7/note'
    const put = await nodes[0].node.put(key, flagged(), { ttl: 1 })
    expect(put.quorum).toBe(true)
    await nodes[1].node.put('plain/1', unflagged(), { ttl: 1 })
    for (const t of nodes) await until(async () => await t.node.has(key) && await t.node.has('plain/1'), { what: 'replicated' })

    const apps = Object.fromEntries(nodes.map((t, i) => [`n${i}`, createHttpApp(t.node).app]))
    const urls = nodes.map((_, i) => `http://n${i}`)
    const fetch = routedFetch(apps)
    const r = await until(async () => {
      const got = await collectDeletionProofs(urls, key, { fetch, writeId: put.writeId })
      return got.independentNodes === 3 ? got : undefined
    }, { timeoutMs: 10_000, what: '3 proofs' })

    expect(r.nodeIds).toEqual(nodes.map(t => t.node.nodeId).sort())
    for (const n of r.nodes) expect(n).toMatchObject({ status: 'verified', invalid: [] })
    for (const t of nodes) {
      // Each node signs with its own libp2p identity: the proof's nodeId is the node's peer id.
      expect(t.node.attestations.signer).toMatchObject({ nodeId: t.node.nodeId, ephemeral: false })
    }
    for (const p of r.proofs) {
      expect(p).toMatchObject({ keyHash: keyHashOf(key), writeId: put.writeId, createdAt: put.createdAt, expiredAt: put.expiresAt })
      expect(p.deletedAt).toBeGreaterThanOrEqual(put.expiresAt)
    }
    expect(toJsonLines(r.proofs)).not.toContain('hipaa')

    const none = await collectDeletionProofs(urls, 'plain/1', { fetch })
    expect(none.independentNodes).toBe(0)
    expect(none.nodes.map(n => n.status)).toEqual(['none', 'none', 'none'])
  }, 30_000)
})
