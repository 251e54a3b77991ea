/**
 * The compliance monitor (issue 19) against real nodes over real sockets: a 3-node TCP
 * cluster whose nodes serve HTTP on one port at 127.0.0.1-3 (so the monitor can discover
 * them from one node's topology), a fake node that never attests and publishes forged
 * proofs, a webhook receiver, and Postgres on the wire (PGlite served by pglite-socket).
 * Attestation cycles are 1 s (test profile), so a node's replay window is 10 s.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/program.js'
import { startHttpServer, type RepramHttpServer } from '../../src/http/server.js'
import { createMonitor, MonitorStore, openPglite, type ComplianceMonitor, type ComplianceReport, type MonitorConfigInput } from '../../src/monitor/index.js'
import { keyHashOf } from '../../src/sdk/index.js'
import { runCli as runBuiltCli, assertBuilt } from '../cli/run.js'
import { createCluster, stopAll, until, type TestNode } from '../integration/fixture.js'
import { startFakeNode, type FakeNode } from './fake-node.js'
import { captureIo, flagged } from './helpers.js'

const dirs: string[] = []
function tempDir (): string {
  const d = mkdtempSync(join(tmpdir(), 'repram-monitor-'))
  dirs.push(d)
  return d
}

/** A port free on 127.0.0.1, .2 and .3 (each node serves HTTP on it at its own address). */
async function commonFreePort (): Promise<number> {
  for (;;) {
    const probe = createServer()
    await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>(resolve => probe.close(() => resolve()))
    const ok = await Promise.all(['127.0.0.2', '127.0.0.3'].map(async host => await new Promise<boolean>(resolve => {
      const s = createServer()
      s.once('error', () => resolve(false))
      s.listen(port, host, () => s.close(() => resolve(true)))
    })))
    if (ok.every(Boolean)) return port
  }
}

interface Hook { url: string, bodies: Array<Record<string, unknown>>, server: Server }
async function startHook (): Promise<Hook> {
  const bodies: Array<Record<string, unknown>> = []
  const server = createServer((req, res) => {
    let text = ''
    req.setEncoding('utf8').on('data', (s: string) => { text += s }).on('end', () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>)
      res.writeHead(204).end()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, bodies, server }
}


async function metricValue (m: ComplianceMonitor, name: string, labels: Record<string, string> = {}): Promise<number> {
  const got = await m.metrics.registry.getSingleMetric(name)?.get()
  return (got?.values ?? []).filter(v => Object.entries(labels).every(([k, x]) => String((v.labels as Record<string, unknown>)[k]) === x)).reduce((n, v) => n + v.value, 0)
}

let nodes: TestNode[]
let servers: RepramHttpServer[]
let fake: FakeNode
let hook: Hook
let pgServer: PGLiteSocketServer
let pgDb: PGlite
let pgUrl: string
const monitors: ComplianceMonitor[] = []
const dirA = tempDir()
/** Every flagged write made, by batch. */
const written: Array<{ key: string, keyHash: string, writeId: string, expiresAt: number }> = []
let t0: number

const settingsA = (): MonitorConfigInput => ({
  discover: servers[0].url,
  nodes: [fake.url],
  discoverIntervalMs: 1000,
  quorum: 3,
  deadlineMs: 3000,
  checkIntervalMs: 200,
  dataDir: dirA,
  httpPort: 0,
  requestTimeoutMs: 3000,
  reconnectMaxMs: 500,
  logLevel: (process.env.MONITOR_TEST_LOG ?? 'silent') as 'silent'
})

async function monitor (config: MonitorConfigInput): Promise<ComplianceMonitor> {
  const m = await createMonitor({ config })
  monitors.push(m)
  return m
}

/** Flagged writes with a 1 s TTL, spread over the three nodes. */
async function writeBatch (tag: string, n: number): Promise<typeof written> {
  const batch = await Promise.all(Array.from({ length: n }, async (_, i) => {
    const key = `audit/${tag}/${i}`
    const put = await nodes[i % nodes.length].node.put(key, flagged(), { ttl: 1 })
    return { key, keyHash: keyHashOf(key), writeId: put.writeId, expiresAt: put.expiresAt }
  }))
  written.push(...batch)
  return batch
}

beforeAll(async () => {
  t0 = Date.now()
  // PGlite's first start (initdb, in WebAssembly) holds the event loop for a second or two:
  // done before the cluster starts, so the nodes' pings are not starved. (In production the
  // monitor is its own process.)
  pgDb = await PGlite.create()
  await (await MonitorStore.open(await openPglite(dirA))).close()
  const port = await commonFreePort()
  nodes = await createCluster(3, { transport: 'tcp', each: i => ({ listen: [`/ip4/127.0.0.${i + 1}/tcp/0`] }) })
  servers = await Promise.all(nodes.map(async (t, i) => await startHttpServer(t.node, { host: `127.0.0.${i + 1}`, port })))
  fake = await startFakeNode({ cycleMs: 1000 })
  hook = await startHook()
  pgServer = new PGLiteSocketServer({ db: pgDb, host: '127.0.0.1', port: 0, maxConnections: 8 })
  await pgServer.start()
  pgUrl = `postgres://postgres@${pgServer.getServerConn()}/postgres`
}, 30_000)

afterAll(async () => {
  await Promise.all(monitors.map(async m => { await m.stop() }))
  await Promise.all(servers.map(async s => { await s.close() }))
  await fake.close()
  await new Promise<void>(resolve => hook.server.close(() => resolve()))
  await pgServer.stop()
  await pgDb.close()
  await stopAll()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}, 30_000)

let monA: ComplianceMonitor

describe('repram monitor on a 3-node cluster', () => {

  it('discovers the nodes from one topology and holds every proof with k-of-n met (embedded database)', async () => {
    monA = await monitor(settingsA())
    // The seed, the two peers found in its topology (HTTP URLs made from their libp2p hosts), and the fake node.
    const expected = [...servers.map(s => s.url), fake.url].sort()
    await until(() => JSON.stringify(monA.watched.map(s => s.url).sort()) === JSON.stringify(expected), { timeoutMs: 10_000, what: 'the discovered nodes watched' })
    await until(() => monA.watched.every(s => s.state === 'synced'), { timeoutMs: 10_000, what: 'every source synced' })
    expect(monA.store.db.kind).toBe('pglite')

    const batch = await writeBatch('one', 4)
    const ids = nodes.map(t => t.node.nodeId).sort()
    await until(async () => {
      for (const w of batch) if ((await monA.store.write(w.keyHash, w.writeId))?.status !== 'met') return false
      return true
    }, { timeoutMs: 15_000, what: 'the batch met its quorum' })
    for (const w of batch) {
      expect(await monA.store.write(w.keyHash, w.writeId)).toMatchObject({ status: 'met', required: 3, expected: 4, signers: 3, missing: [fake.nodeId] })
      expect((await monA.store.signers(w.keyHash, w.writeId)).nodeIds).toEqual(ids)
    }
    const health = await (await fetch(`${monA.url}/health`)).json() as { status: string, nodes: Array<{ state: string }>, database: { kind: string } }
    expect(health).toMatchObject({ status: 'ok', database: { kind: 'pglite' } })
    expect(health.nodes).toHaveLength(4)
  }, 30_000)

  it('stores forged, altered and malformed proofs as rejected, with the reason, and counts them', async () => {
    const [real] = await monA.store.validProofs(0, Date.now() + 60_000)
    const altered = { ...JSON.parse(real.raw) as Record<string, unknown>, deletedAt: (real.deletedAt as number) + 1 }
    const forged = { ...JSON.parse(real.raw) as Record<string, unknown>, nodeId: fake.nodeId, signature: '00'.repeat(64) }
    const malformed = { keyHash: '<script>alert(1)</script>', writeId: '</td><img src=x onerror=alert(1)>' }
    fake.inject([altered, forged, malformed])
    await until(async () => (await monA.store.counts()).proofsRejected === 3, { timeoutMs: 10_000, what: '3 rejected proofs stored' })
    const rejected = await monA.store.rejectedProofs(0, Date.now() + 1000)
    expect(rejected.map(r => r.reason).sort()).toEqual(['bad_signature', 'bad_signature', 'malformed'])
    // Kept exactly as received.
    expect(rejected.map(r => JSON.parse(r.raw) as unknown)).toContainEqual(malformed)
    expect(rejected.every(r => r.servedBy === fake.nodeId && r.sourceUrl === fake.url)).toBe(true)
    expect(await metricValue(monA, 'repram_monitor_proofs_rejected_total', { reason: 'bad_signature' })).toBe(2)
    expect(await metricValue(monA, 'repram_monitor_proofs_rejected_total', { reason: 'malformed' })).toBe(1)
    const text = await (await fetch(`${monA.url}/metrics`)).text()
    expect(text).toMatch(/repram_monitor_proofs_total\{result="rejected"\} 3/)
    // A forged proof counts for nothing: the quorum is unchanged.
    expect((await monA.store.signers(real.keyHash as string, real.writeId as string)).nodeIds).not.toContain(fake.nodeId)
  }, 20_000)

  it('is stopped mid-stream and restarted within the replay window, and nothing is missing', async () => {
    const batch = await writeBatch('two', 4)
    await monA.stop()
    const lastExpiry = Math.max(...batch.map(w => w.expiresAt))
    // While the monitor is down every node expires the batch, signs, and closes the cycles.
    await until(async () => {
      for (const t of nodes) {
        const latest = await t.node.attestations.cycle('latest')
        if (latest === undefined || latest.cycle.end < lastExpiry + 1000) return false
      }
      return true
    }, { timeoutMs: 10_000, what: 'the nodes to close the cycles of the expiries' })
    monA = await monitor(settingsA())
    await until(async () => {
      for (const w of written) if ((await monA.store.write(w.keyHash, w.writeId))?.status !== 'met') return false
      return true
    }, { timeoutMs: 15_000, what: 'every write met after the restart' })
    for (const w of written) expect((await monA.store.signers(w.keyHash, w.writeId)).nodeIds).toHaveLength(3)
    // Filled from the nodes' rings on reconnect, not from the stream.
    const second = (await monA.store.validProofs(0, Date.now() + 60_000)).filter(p => batch.some(w => w.writeId === p.writeId))
    expect(second).toHaveLength(12)
    expect(second.some(p => p.via === 'backfill')).toBe(true)
    expect((await monA.store.gaps()).filter(g => g.lost)).toEqual([])
    expect(await monA.store.counts()).toMatchObject({ proofsValid: 24, proofsRejected: 3, gaps: 0 })
  }, 40_000)

  it('raises an alert (log, metric, webhook) for a replica that never attests, on a Postgres URL', async () => {
    // One connection: pglite-socket multiplexes many clients onto one single-connection
    // database, and interleaved extended-protocol messages from several clients break it
    // ("unnamed prepared statement does not exist"). A real Postgres server takes the pool.
    const monB = await monitor({ nodes: [...servers.map(s => s.url), fake.url], quorum: 'all', deadlineMs: 1500, checkIntervalMs: 200, database: pgUrl, dbPoolSize: 1, httpPort: 0, webhook: hook.url, webhookTimeoutMs: 2000, webhookRetries: 1, requestTimeoutMs: 3000, reconnectMaxMs: 500, logLevel: (process.env.MONITOR_TEST_LOG ?? 'silent') as 'silent' })
    expect(monB.store.db.kind).toBe('postgres')
    expect(monB.store.schemaVersion).toBe(1)
    await until(() => monB.watched.every(s => s.state === 'synced'), { timeoutMs: 10_000, what: 'every source synced' })
    const [w] = await writeBatch('three', 1)
    // A write the organisation registered from its PUT answer, which no node ever held.
    const ghost = { keyHash: keyHashOf('audit/never-stored'), writeId: 'ghost-1', expiresAt: Date.now() }
    const reg = await fetch(`${monB.url}/v1/writes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ghost) })
    expect(reg.status).toBe(202)
    written.push({ key: 'audit/never-stored', ...ghost })

    const alertFor = (keyHash: string): Record<string, unknown> | undefined => hook.bodies.find(b => b.kind === 'quorum_missed' && b.keyHash === keyHash)
    const body = await until(() => alertFor(w.keyHash), { timeoutMs: 15_000, what: 'the webhook POST for the write' })
    expect(body).toMatchObject({ type: 'repram.monitor.alert', kind: 'quorum_missed', writeId: w.writeId, expiredAt: w.expiresAt, required: 4, expected: 4, missing: [fake.nodeId] })
    expect(body.signers).toEqual(nodes.map(t => t.node.nodeId).sort())
    expect(JSON.stringify(body)).not.toContain('audit/three')
    await until(() => alertFor(ghost.keyHash), { timeoutMs: 10_000, what: 'the webhook POST for the registered write' })
    expect(alertFor(ghost.keyHash)).toMatchObject({ writeId: 'ghost-1', signers: [], origin: 'registered' })
    expect(await monB.store.write(w.keyHash, w.writeId)).toMatchObject({ status: 'missed', signers: 3, missing: [fake.nodeId] })
    expect(await metricValue(monB, 'repram_monitor_alerts_total', { kind: 'quorum_missed' })).toBeGreaterThanOrEqual(2)
    expect(await metricValue(monB, 'repram_monitor_webhook_deliveries_total', { result: 'delivered' })).toBeGreaterThanOrEqual(2)
    // Rows on the Postgres server, readable by any Postgres client.
    const rows = await monB.store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM repram_alerts WHERE kind = \'quorum_missed\' AND webhook = \'delivered\'')
    expect(rows[0].n).toBeGreaterThanOrEqual(2)

    // Two cycles the fake node never closes (a suspended host): a gap in both databases, never hidden.
    fake.skip(2)
    for (const m of [monA, monB]) {
      const [gap] = await until(async () => { const g = (await m.store.gaps()).filter(x => x.lost && x.nodeId === fake.nodeId); return g.length > 0 ? g : undefined }, { timeoutMs: 10_000, what: 'the gap recorded' })
      expect(gap).toMatchObject({ reason: 'rotated_out', url: fake.url, lost: true })
      expect(gap.toCycle! - gap.fromCycle! + 1).toBe(2)
      expect(await metricValue(m, 'repram_monitor_gaps_total', { reason: 'rotated_out' })).toBe(1)
    }
    await until(() => hook.bodies.find(b => b.kind === 'gap'), { timeoutMs: 5_000, what: 'the gap alert on the webhook' })
    await monB.stop()

    // Retention: a monitor told to keep 2 s deletes older rows at start (and every interval).
    const monC = await monitor({ nodes: [servers[0].url], database: pgUrl, dbPoolSize: 1, retentionMs: '2s', retentionIntervalMs: '1s', httpPort: 0, logLevel: 'silent' })
    await until(async () => await metricValue(monC, 'repram_monitor_retention_deleted_total', { table: 'proofs' }) > 0, { timeoutMs: 10_000, what: 'old proofs deleted' })
    const [left] = await monC.store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM repram_proofs WHERE received_at < $1', [Date.now() - 3000])
    expect(left.n).toBe(0)
    await monC.stop()
  }, 40_000)
})

describe('repram monitor report', () => {
  const out = tempDir()
  const reports: Record<string, { json: ComplianceReport, html: string, file: string }> = {}
  const controls: Record<string, string[]> = {
    gdpr: ['Art. 17(1)', 'Art. 5(1)(e)', 'without undue delay', 'storage limitation'],
    hipaa: ['§164.310(d)(2)(i)', '§164.310(d)(2)(ii)', 'final disposition of electronic protected health information', 'before the media are made available for re-use'],
    'pci-dss': ['3.2.1', 'Account data storage is kept to a minimum', 'at least once every three months'],
    soc2: ['CC6.5', 'discontinues logical and physical protections over physical assets']
  }

  it.each(['gdpr', 'hipaa', 'pci-dss', 'soc2'])('writes the %s report with its controls, the right counts and everything escaped', async (framework) => {
    const from = new Date(t0 - 3_600_000).toISOString()
    const to = new Date(Date.now() + 3_600_000).toISOString()
    // The embedded monitor also watched the last test's write: 9 writes of 3 proofs each.
    if (framework === 'gdpr') await until(async () => (await monA.store.counts()).proofsValid === 27, { timeoutMs: 10_000, what: 'the last write in the embedded database' })
    // gdpr is read through the running monitor (it holds the embedded database); the others from the files.
    if (framework === 'hipaa') await Promise.all(monitors.map(async m => { await m.stop() }))
    const cli = captureIo()
    expect(await runCli(['monitor', 'report', '--framework', framework, '--from', from, '--to', to, '--out', out, '--data-dir', dirA, '--quorum', '3'], cli.io), cli.err()).toBe(0)
    const [htmlFile, jsonFile] = cli.out().trim().split('\n')
    const json = JSON.parse(readFileSync(jsonFile, 'utf8')) as ComplianceReport
    const html = readFileSync(htmlFile, 'utf8')
    reports[framework] = { json, html, file: jsonFile }

    expect(json.framework.id).toBe(framework)
    // 9 writes in the embedded database (the registered ghost lives in the Postgres one), each with 3 proofs.
    expect(json.summary).toMatchObject({ proofs: { valid: 27, rejected: 3 }, writes: { total: 9, met: 9, metLate: 0, missed: 0, pending: 0 }, nodes: 4, gaps: 1 })
    expect(json.gaps).toMatchObject([{ nodeId: fake.nodeId, reason: 'rotated_out', lost: true }])
    expect(json.summary.rejectedByReason).toEqual({ bad_signature: 2, malformed: 1 })
    expect(json.attestations).toHaveLength(27)
    expect(json.writes.every(w => w.signers.length === 3 && w.timeline.length === 3)).toBe(true)
    for (const t of nodes) expect(json.nodes.find(n => n.nodeId === t.node.nodeId)?.publicKey).toMatch(/^08011220[0-9a-f]{64}$/)
    expect(html).toContain('rotated_out')
    for (const id of ['summary', 'controls', 'quorum', 'timelines', 'gaps', 'rejected', 'signers', 'alerts', 'verify', 'limits']) expect(html).toContain(`<section id="${id}">`)
    for (const c of controls[framework]) expect(html).toContain(c.replace(/'/g, '&#39;'))
    expect(html).toContain('repram attest verify --file')
    expect(html).toContain('does not prove')
    expect(html).toMatch(/<svg[^>]*aria-label="Proofs over time"/)
    // What a node sent is shown, never run: no script, no external resource.
    expect(html).not.toMatch(/<(?:script|img|link|iframe|object)\b/i)
    expect(html).not.toMatch(/<[^>]*\s(?:src|href)=/i)
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).toContain('&lt;/td&gt;&lt;img src=x onerror=alert(1)&gt;')
    // Key hashes only: no key of any write appears.
    for (const w of written) expect(html + JSON.stringify(json)).not.toContain(w.key)
  }, 20_000)

  it('exports JSON that `repram attest verify --file` re-verifies offline (and a tampered copy fails)', async () => {
    assertBuilt()
    const { file, json } = reports.gdpr
    const ok = await runBuiltCli(['attest', 'verify', '--file', file, '--min-nodes', '3'])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout.toString()).toContain('27 proof(s), 27 valid, 0 invalid; 9 write(s), 9 attested by at least 3 independent node(s)')

    const one = written[0]
    const single = await runBuiltCli(['attest', 'verify', '--file', file, '--key-hash', one.keyHash, '--write-id', one.writeId, '--min-nodes', '3', '--format', 'json'])
    expect(single.code).toBe(0)
    expect(JSON.parse(single.stdout.toString())).toMatchObject({ proofs: 3, ok: true, writes: [{ keyHash: one.keyHash, writeId: one.writeId }] })

    const tampered = structuredClone(json) as ComplianceReport & { attestations: Array<Record<string, unknown>> }
    tampered.attestations[5].deletedAt = (tampered.attestations[5].deletedAt as number) + 1
    const bad = join(out, 'tampered.json')
    writeFileSync(bad, JSON.stringify(tampered))
    const fail = await runBuiltCli(['attest', 'verify', '--file', bad, '--min-nodes', '3'])
    expect(fail.code).toBe(1)
    expect(fail.stderr.trim().split('\n')).toEqual(['repram: 1 proof(s) in ' + bad + ' do not verify (first: bad_signature: the signature does not match the attestation)'])
  }, 30_000)
})
