/**
 * Audit exports (JSON lines, CEF) and `repram attest verify`, run in-process against a
 * real HTTP server.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/program.js'
import { startHttpServer, type RepramHttpServer } from '../../src/http/server.js'
import { keyHashOf, toCef, toJsonLines, verifyAttestation, type Attestation } from '../../src/sdk/index.js'
import { until } from '../helpers/until.js'
import { captureIo, flagged, startNode, stopNodes } from './helpers.js'

const servers: RepramHttpServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map(async s => { await s.close() }))
  await stopNodes()
})


const sample: Attestation = { keyHash: 'ab'.repeat(32), writeId: 'w=1|x\\y', createdAt: 1_700_000_000_000, expiredAt: 1_700_000_060_000, deletedAt: 1_700_000_060_005, nodeId: '12D3KooWJ7bTjUeD4FQ7aH1JdGzJQmPbxT9Yp4xUq3vP5f7D6hfo', cycle: 28_333_334, signature: '00'.repeat(64) }

describe('audit exports', () => {
  it('writes one JSON object per line that still verifies', async () => {
    const { node, clock } = await startNode()
    await node.put('a', flagged(), { ttl: 1 })
    await node.put('b', flagged(), { ttl: 1 })
    clock.advance(1000)
    const atts = await until(async () => { const c = await node.attestations.cycle(Math.floor(clock.now() / 60_000)); return c!.attestations.length === 2 ? c!.attestations : undefined })
    const lines = toJsonLines(atts.map(a => ({ ...a, source: 'http://n1:8080' }))).trimEnd().split('\n')
    expect(lines).toHaveLength(2)
    for (const line of lines) {
      const o = JSON.parse(line) as Attestation & { type: string, source: string, verified: boolean, deletedAtIso: string }
      expect(o).toMatchObject({ type: 'repram.deletion_attestation', source: 'http://n1:8080', verified: true, deletedAtIso: new Date(o.deletedAt).toISOString() })
      expect(await verifyAttestation(o)).toMatchObject({ valid: true })
    }
  })

  it('formats CEF with header and extension escaping', () => {
    const line = toCef([{ ...sample, source: 'http://n1:8080/' }], { vendor: 'Acme|Corp' }).trimEnd()
    expect(line.startsWith('CEF:0|Acme\\|Corp|repram|1|deletion-attestation|Deletion attestation|3|')).toBe(true)
    expect(line).toContain(`rt=${sample.deletedAt} start=${sample.createdAt} end=${sample.expiredAt} cs1Label=keyHash cs1=${sample.keyHash}`)
    expect(line).toContain('cs2=w\\=1|x\\\\y')
    expect(line).toContain(`cn1Label=cycle cn1=${sample.cycle} request=http://n1:8080/ outcome=verified`)
    expect(toCef([sample], { verified: false })).toContain('outcome=unverified')
  })
})

describe('repram attest verify', () => {
  it('prints a per-node table and exits non-zero below --min-nodes', async () => {
    const { node, clock } = await startNode()
    const server = await startHttpServer(node)
    servers.push(server)
    const put = await node.put('audit/1', flagged(), { ttl: 1 })
    clock.advance(1000)
    await until(async () => (await node.attestations.list(keyHashOf('audit/1'))).attestations!.length === 1)

    const ok = captureIo()
    expect(await runCli(['attest', 'verify', '--key', 'audit/1', '--write-id', put.writeId, '--nodes', server.url], ok.io)).toBe(0)
    expect(ok.out()).toMatch(/NODE\s+NODE ID\s+JURISDICTION\s+STATUS\s+VALID\s+INVALID\s+DELETED AT/)
    // The node declares no jurisdiction: '-' in that column (version 1 proofs).
    expect(ok.out()).toMatch(new RegExp(`${server.url.replace(/[.]/g, '\\.')}  ${node.attestations.signer!.nodeId}  -\\s+verified  1`))
    expect(ok.out()).toContain('1 independent node(s) attest deletion (min 1)')

    const dead = 'http://127.0.0.1:1'
    const few = captureIo()
    expect(await runCli(['attest', 'verify', '--key-hash', keyHashOf('audit/1'), '--nodes', `${server.url},${dead}`, '--min-nodes', '2', '--timeout', '2s'], few.io)).toBe(1)
    expect(few.out()).toMatch(/127\.0\.0\.1:1\s+-\s+-\s+error/)
    expect(few.err()).toContain('fewer than --min-nodes 2')

    const jsonl = captureIo()
    expect(await runCli(['attest', 'verify', '--key', 'audit/1', '--nodes', server.url, '--format', 'jsonl'], jsonl.io)).toBe(0)
    expect(JSON.parse(jsonl.out())).toMatchObject({ type: 'repram.deletion_attestation', writeId: put.writeId, source: server.url })

    const usage = captureIo()
    expect(await runCli(['attest', 'verify', '--nodes', server.url], usage.io)).toBe(2)
    expect(usage.err()).toContain('exactly one of --key and --key-hash')
  })

  it('verifies version 2 proofs of a node with a jurisdiction, and counts them only for that jurisdiction', async () => {
    const { node, clock } = await startNode({ jurisdiction: 'eu' })
    const server = await startHttpServer(node)
    servers.push(server)
    const put = await node.put('audit/eu', flagged(), { ttl: 1, jurisdictions: ['eu'] })
    clock.advance(1000)
    await until(async () => (await node.attestations.list(keyHashOf('audit/eu'))).attestations!.length === 1)

    const eu = captureIo()
    expect(await runCli(['attest', 'verify', '--key', 'audit/eu', '--write-id', put.writeId, '--nodes', server.url, '--jurisdiction', 'eu'], eu.io)).toBe(0)
    expect(eu.out()).toMatch(new RegExp(`${node.attestations.signer!.nodeId}  eu\\s+verified  1`))
    const line = captureIo()
    expect(await runCli(['attest', 'verify', '--key', 'audit/eu', '--nodes', server.url, '--format', 'jsonl'], line.io)).toBe(0)
    const proof = JSON.parse(line.out())
    expect(proof.jurisdiction).toBe('eu')
    expect(await verifyAttestation(proof)).toMatchObject({ valid: true })

    const us = captureIo()
    expect(await runCli(['attest', 'verify', '--key', 'audit/eu', '--nodes', server.url, '--jurisdiction', 'us'], us.io)).toBe(1)
    expect(us.out()).toMatch(/\s+invalid\s+0\s+1\s+/)
    const bad = captureIo()
    expect(await runCli(['attest', 'verify', '--key', 'audit/eu', '--nodes', server.url, '--jurisdiction', 'e u'], bad.io)).toBe(2)
    expect(bad.err()).toContain('invalid --jurisdiction')
  })
})
