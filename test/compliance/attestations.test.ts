/**
 * Deletion attestations on one node (DESIGN §6), time driven by a ManualClock: what is
 * signed, what verifies, what the public API serves, and how cycles roll.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { verifyAttestation, keyHashOf, canonicalAttestationString, collectDeletionProofs, type Attestation } from '../../src/sdk/index.js'
import { ephemeralSigner } from '../../src/attest/signer.js'
import { seal, generateKey } from '../../src/sdk/index.js'
import { until } from '../helpers/until.js'
import { flagged, routedFetch, startNode, stopNodes, unflagged } from './helpers.js'

afterEach(async () => { await stopNodes() })

async function metric (node: { registry: { getSingleMetric: (n: string) => { get: () => Promise<{ values: Array<{ value: number, labels: Record<string, unknown> }> }> } | undefined } }, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await node.registry.getSingleMetric(name)?.get()
  return (m?.values ?? []).filter(v => Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x)).reduce((n, v) => n + v.value, 0)
}

describe('deletion attestations on one node', () => {
  it('signs a valid attestation holding only the key hash when a flagged record expires', async () => {
    const { node, clock, app } = await startNode()
    const key = 'patients/4711/visit'
    const put = await node.put(key, flagged(), { ttl: 5 })
    clock.advance(5000)
    const listing = await until(async () => {
      const l = await node.attestations.list(keyHashOf(key))
      return l.attestations!.length === 1 ? l : undefined
    }, { what: 'an attestation' })
    const att = listing.attestations![0]
    expect(att).toMatchObject({ keyHash: keyHashOf(key), writeId: put.writeId, createdAt: put.createdAt, expiredAt: put.expiresAt, deletedAt: clock.now(), nodeId: listing.node_id, cycle: Math.floor(clock.now() / 60_000) })
    expect(Object.keys(att).sort()).toEqual(['createdAt', 'cycle', 'deletedAt', 'expiredAt', 'keyHash', 'nodeId', 'signature', 'writeId'])
    expect(await verifyAttestation(att, { key, writeId: put.writeId })).toMatchObject({ valid: true })
    // Over HTTP too, and nowhere does the key appear.
    const res = await app.request(`/v1/attestations?key_hash=${keyHashOf(key)}`)
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).not.toContain('patients')
    expect(JSON.parse(text)).toMatchObject({ node_id: listing.node_id, public_key: expect.stringMatching(/^[0-9a-f]+$/), key_type: 'Ed25519', ephemeral: true, attestations: [att] })
    expect(await metric(node, 'repram_attestations_signed_total')).toBe(1)
  })

  it('attests records flagged by an SDK envelope', async () => {
    const { node, clock } = await startNode()
    const blob = await seal('lab result', { storageKey: 'lab/1', key: generateKey(), flagged: true })
    const put = await node.put('lab/1', blob, { ttl: 2 })
    clock.advance(2000)
    const [att] = await until(async () => { const l = await node.attestations.list(keyHashOf('lab/1')); return l.attestations!.length > 0 ? l.attestations : undefined })
    expect(att.writeId).toBe(put.writeId)
  })

  it('yields no attestation for an unflagged record', async () => {
    const { node, clock } = await startNode()
    await node.put('plain/1', unflagged(), { ttl: 1 })
    await node.put('marker', flagged(), { ttl: 1 })
    clock.advance(1000)
    // The flagged marker expires in the same sweep: once it is attested, the other would be too.
    await until(async () => (await node.attestations.list(keyHashOf('marker'))).attestations!.length === 1)
    expect((await node.attestations.list(keyHashOf('plain/1'))).attestations).toEqual([])
    expect((await node.attestations.list()).cycles.reduce((n, c) => n + c.count, 0)).toBe(1)
    expect(await metric(node, 'repram_attestations_signed_total')).toBe(1)
  })

  it('rejects forged and altered attestations, and a proof for an earlier write of the key', async () => {
    const { node, clock } = await startNode()
    const key = 'session/abc'
    const first = await node.put(key, flagged('one'), { ttl: 1 })
    clock.advance(1000)
    const [att] = await until(async () => { const l = await node.attestations.list(keyHashOf(key)); return l.attestations!.length === 1 ? l.attestations : undefined })
    expect(await verifyAttestation(att, { key, writeId: first.writeId })).toMatchObject({ valid: true })

    // The key is written again: the old proof must not pass for the new write.
    const second = await node.put(key, flagged('two'), { ttl: 1 })
    expect(await verifyAttestation(att, { key, writeId: second.writeId })).toMatchObject({ valid: false, reason: 'write_mismatch' })

    // Altering any signed field breaks the signature.
    for (const change of [{ deletedAt: att.deletedAt + 1 }, { expiredAt: att.expiredAt - 1 }, { cycle: att.cycle + 1 }, { writeId: second.writeId }, { keyHash: keyHashOf('other') }]) {
      expect(await verifyAttestation({ ...att, ...change })).toMatchObject({ valid: false, reason: 'bad_signature' })
    }
    const flipped = att.signature.slice(0, -2) + (att.signature.endsWith('00') ? '01' : '00')
    expect(await verifyAttestation({ ...att, signature: flipped })).toMatchObject({ valid: false, reason: 'bad_signature' })

    // A forger signing the same body with its own key under the node's id fails; under its own id it is not the node.
    const forger = await ephemeralSigner()
    const forgedSig = Buffer.from(await forger.sign(new TextEncoder().encode(canonicalAttestationString(att)))).toString('hex')
    expect(await verifyAttestation({ ...att, signature: forgedSig })).toMatchObject({ valid: false, reason: 'bad_signature' })
    const own: Attestation = { ...att, nodeId: forger.nodeId }
    own.signature = Buffer.from(await forger.sign(new TextEncoder().encode(canonicalAttestationString(own)))).toString('hex')
    expect(await verifyAttestation(own)).toMatchObject({ valid: true })
    expect(await verifyAttestation(own, { nodeId: att.nodeId })).toMatchObject({ valid: false, reason: 'node_mismatch' })

    // Malformed input never throws.
    for (const bad of [null, 'x', {}, { ...att, keyHash: 'ABC' }, { ...att, signature: undefined }, { ...att, nodeId: 'not-a-peer-id!' }, { ...att, createdAt: -1 }]) {
      expect((await verifyAttestation(bad)).valid).toBe(false)
    }
    expect(await verifyAttestation(att, { key: 'another' })).toMatchObject({ valid: false, reason: 'key_mismatch' })
  })

  it('collectDeletionProofs counts one node once, and only proofs for the expected write', async () => {
    const { node, clock, app } = await startNode()
    const key = 'k/1'
    const w1 = await node.put(key, flagged(), { ttl: 1 })
    clock.advance(1000)
    await until(async () => (await node.attestations.list(keyHashOf(key))).attestations!.length === 1)
    const w2 = await node.put(key, flagged(), { ttl: 1 })
    clock.advance(1000)
    await until(async () => (await node.attestations.list(keyHashOf(key))).attestations!.length === 2)
    const fetch = routedFetch({ a: app, b: app })
    const both = await collectDeletionProofs(['http://a', 'http://b'], key, { fetch })
    expect(both.proofs).toHaveLength(2)
    expect(both.independentNodes).toBe(1)
    const only2 = await collectDeletionProofs(['http://a'], key, { fetch, writeId: w2.writeId })
    expect(only2.proofs.map(p => p.writeId)).toEqual([w2.writeId])
    expect(only2.nodes[0]).toMatchObject({ status: 'verified', invalid: [] })
    expect((await collectDeletionProofs(['http://a'], key, { fetch, writeId: w1.writeId })).proofs.map(p => p.writeId)).toEqual([w1.writeId])
    const down = await collectDeletionProofs(['http://a', 'http://nowhere'], key, { fetch, writeId: w1.writeId })
    expect(down.nodes[1]).toMatchObject({ status: 'error' })
    expect(down.independentNodes).toBe(1)
  })

  it('closes a cycle at its end and keeps only the last 10 closed cycles', async () => {
    const { node, clock } = await startNode({ attestationCycles: 10 })
    const first = Math.floor(clock.now() / 60_000)
    await node.put('early', flagged(), { ttl: 1 })
    clock.advance(1000)
    await until(async () => (await node.attestations.list(keyHashOf('early'))).attestations!.length === 1)
    clock.advance(60_000)
    const latest = await until(async () => await node.attestations.cycle('latest'))
    expect(latest.cycle).toMatchObject({ cycle: first, start: first * 60_000, end: (first + 1) * 60_000, count: 1, dropped: 0, closed: true })
    for (let i = 0; i < 12; i++) clock.advance(60_000)
    const listing = await until(async () => { const l = await node.attestations.list(); return l.cycles.at(-1)!.cycle === first + 13 ? l : undefined })
    expect(listing.cycles).toHaveLength(11)
    expect(listing.cycles.filter(c => c.closed).map(c => c.cycle)).toEqual(Array.from({ length: 10 }, (_, i) => first + 3 + i))
    expect(listing.cycles.at(-1)).toMatchObject({ closed: false })
    expect(await node.attestations.cycle(first)).toBeUndefined()
    expect((await node.attestations.list(keyHashOf('early'))).attestations).toEqual([])
    expect(await metric(node, 'repram_attestation_cycles_closed_total')).toBe(13)
  })

  it('caps attestations per cycle and reports the overflow', async () => {
    const { node, clock } = await startNode({ maxAttestationsPerCycle: 3 })
    for (let i = 0; i < 5; i++) await node.put(`k/${i}`, flagged(), { ttl: 1 })
    clock.advance(1000)
    const open = await until(async () => { const l = await node.attestations.list(); const c = l.cycles.at(-1)!; return c.count + c.dropped === 5 ? c : undefined })
    expect(open).toMatchObject({ count: 3, dropped: 2 })
    expect(await metric(node, 'repram_attestations_dropped_total', { reason: 'overflow' })).toBe(2)
    const text = await node.registry.metrics()
    expect(text).toContain('repram_attestations_signed_total 3')
    expect(text).not.toContain('k/')
  })
})

describe('the public attestation API', () => {
  it('lists cycles, serves latest and one cycle, and filters by key hash', async () => {
    const { node, clock, app } = await startNode()
    const put = await node.put('a', flagged(), { ttl: 1 })
    await node.put('b', flagged(), { ttl: 1 })
    clock.advance(1000)
    await until(async () => (await node.attestations.list()).cycles.at(-1)!.count === 2)
    const cycle = Math.floor(clock.now() / 60_000)
    const list = await (await app.request('/v1/attestations')).json() as Record<string, unknown>
    expect(list).toMatchObject({ node_id: expect.any(String), public_key: expect.any(String), cycle_ms: 60_000, retained_cycles: 10, max_per_cycle: 10_000, cycles: [{ cycle, count: 2, dropped: 0, closed: false }] })
    expect(list).not.toHaveProperty('attestations')

    const open = await app.request(`/v1/attestations/${cycle}`)
    expect(open.status).toBe(200)
    expect(((await open.json()) as { attestations: unknown[] }).attestations).toHaveLength(2)
    const filtered = await (await app.request(`/v1/attestations/${cycle}?key_hash=${keyHashOf('a').toUpperCase()}`)).json() as { key_hash: string, attestations: Attestation[] }
    expect(filtered.key_hash).toBe(keyHashOf('a'))
    expect(filtered.attestations.map(a => a.writeId)).toEqual([put.writeId])

    expect((await app.request('/v1/attestations/latest')).status).toBe(404)
    clock.advance(60_000)
    const latest = await until(async () => { const r = await app.request('/v1/attestations/latest'); return r.status === 200 ? await r.json() as { cycle: { cycle: number, closed: boolean }, attestations: Attestation[], node_id: string } : undefined })
    expect(latest.cycle).toMatchObject({ cycle, closed: true })
    for (const a of latest.attestations) expect(await verifyAttestation(a, { nodeId: latest.node_id })).toMatchObject({ valid: true })
  })

  it('answers bad input with JSON 400, unknown cycles with 404, writes with 405 and plain GETs of the stream with 426', async () => {
    const { app } = await startNode()
    const cases: Array<[string, number, string]> = [
      ['/v1/attestations?key_hash=xyz', 400, 'invalid_key_hash'],
      [`/v1/attestations?key_hash=${'a'.repeat(63)}`, 400, 'invalid_key_hash'],
      ['/v1/attestations/-1', 400, 'invalid_cycle'],
      ['/v1/attestations/1.5', 400, 'invalid_cycle'],
      ['/v1/attestations/abc', 400, 'invalid_cycle'],
      ['/v1/attestations/99999999999999999', 400, 'invalid_cycle'],
      [`/v1/attestations/1?key_hash=${'g'.repeat(64)}`, 400, 'invalid_key_hash'],
      ['/v1/attestations/1', 404, 'not_found'],
      ['/v1/attestations/stream', 426, 'upgrade_required']
    ]
    for (const [path, status, error] of cases) {
      const res = await app.request(path)
      expect(res.status, path).toBe(status)
      expect(await res.json(), path).toMatchObject({ error, message: expect.any(String) })
    }
    const put = await app.request('/v1/attestations', { method: 'POST' })
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toContain('GET')
    expect((await app.request('/v1/attestations')).headers.get('access-control-allow-origin')).toBe('*')
  })
})
