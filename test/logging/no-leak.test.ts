/**
 * Logging (issue 7): no user key or value ever reaches a log line or a metric label, at
 * any level. Four nodes log at `trace` into captured destinations while distinctive keys
 * and values travel every path: HTTP write, read, HEAD and keys; quorum replication and
 * gossip; a late joiner catching up by anti-entropy; read-through; the error paths (bad
 * TTL, oversized, capacity, 404, bad escapes, bad UTF-8, over-long key, unknown route,
 * 405); a malformed gossip message carrying a key; and `/v1/metrics`. Every captured
 * line must be JSON with a `component`, and no line nor the metrics text may contain
 * any key or value, nor their hex, base64, base64url or percent-encoded forms.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { DestinationStream } from 'pino'
import { createRepramNode } from '../../src/create.js'
import { type RepramNode } from '../../src/node/index.js'
import { ClusterReplicator } from '../../src/net/cluster.js'
import { createHttpApp } from '../../src/http/app.js'
import { createLogger } from '../../src/logger.js'
import { topicFor } from '../../src/net/topic.js'
import type { RepramConfigInput } from '../../src/config.js'
import { until } from '../helpers/until.js'

/** One node under test: its HTTP app and the lines it logged. */
interface Logged { node: RepramNode, replicator: ClusterReplicator, app: ReturnType<typeof createHttpApp>['app'], lines: string[] }

const started: Logged[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(started.splice(0).map(async t => { await t.node.stop().catch(() => {}) }))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A networked node (memory transport) logging at trace into `lines`. */
async function startNode (name: string, config: RepramConfigInput): Promise<Logged> {
  const lines: string[] = []
  const destination: DestinationStream = { write: (s: string) => { lines.push(s) } }
  const dataDir = mkdtempSync(join(tmpdir(), 'repram-leak-'))
  dirs.push(dataDir)
  const replicator = new ClusterReplicator()
  const node = await createRepramNode({
    config: {
      profile: 'test',
      listen: [`/memory/leak-${name}-${randomBytes(4).toString('hex')}`],
      dataDir,
      logLevel: 'trace',
      writeTimeoutMs: 3000,
      syncIntervalMs: 0,
      readThroughPeers: 2,
      readThroughTimeoutMs: 1000,
      maxValueBytes: 256 * 1024,
      maxStorageMb: 1,
      ...config
    },
    logger: createLogger('trace', { destination, base: { node: name } }),
    replicator
  })
  const { app } = createHttpApp(node, { rateLimit: 0 })
  const t: Logged = { node, replicator, app, lines }
  started.push(t)
  return t
}

const tag = (): string => randomBytes(12).toString('hex')

/** Every form in which a secret could leak: raw, hex, base64, base64url, percent-encoded. */
function forms (secret: string | Uint8Array): string[] {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret)
  const out = [bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')]
  if (typeof secret === 'string') out.push(secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1))
  return out.filter(s => s.length >= 8)
}

function put (t: Logged, key: string, body: Uint8Array | string, query = '?ttl=60'): Promise<Response> | Response {
  return t.app.request(`/v1/data/${encodeURIComponent(key)}${query}`, { method: 'PUT', body: body as BodyInit })
}

describe('no key or value reaches a log line or a metric label', () => {
  it('on the write, read, replicate, sync, read-through and error paths, at trace level', async () => {
    // Distinctive secrets: the random part alone is also searched for, so a truncated,
    // re-encoded or partial echo is caught too.
    const ids = Array.from({ length: 8 }, tag)
    const keys = {
      written: `app/session/${ids[0]}`,
      unicode: `ключ/${ids[1]}/ü`,
      planted: `planted/${ids[2]}`,
      missing: `missing/${ids[3]}`,
      rejected: `rejected/${ids[4]}`
    }
    const valueText = `value ünïcödé ✓ ${ids[5]} text`
    const value = new TextEncoder().encode(valueText)
    const binary = Uint8Array.from([...randomBytes(40), 0xff, 0x00, ...Buffer.from(ids[6])])
    const oversized = Buffer.concat([Buffer.from(ids[7]), randomBytes(300 * 1024)])
    const needles = [
      ...ids,
      ...Object.values(keys).flatMap(k => forms(k)),
      ...forms(valueText),
      ...forms(binary),
      // A 48-byte window of the oversized body in each encoding (the whole body is too long to matter).
      ...forms(oversized.subarray(0, 48))
    ]

    const a = await startNode('a', {})
    const [b, c] = await Promise.all(['b', 'c'].map(async n => await startNode(n, { peers: a.node.networkInfo().addresses })))
    await until(() => [a, b, c].every(t => t.node.topology().length === 2), { timeoutMs: 10_000, what: 'three-node membership' })

    // Write and replicate (quorum + gossip), read everywhere.
    expect((await put(a, keys.written, value)).status).toBe(201)
    expect((await put(b, keys.unicode, binary)).status).toBeLessThan(300)
    for (const t of [a, b, c]) {
      await until(async () => (await t.app.request(`/v1/data/${encodeURIComponent(keys.written)}`)).status === 200, { what: 'replicated write' })
      await until(async () => (await t.app.request(`/v1/data/${encodeURIComponent(keys.unicode)}`, { method: 'HEAD' })).status === 200, { what: 'replicated binary write' })
    }
    expect(await (await c.app.request(`/v1/data/${encodeURIComponent(keys.written)}`)).text()).toBe(valueText)
    expect(((await (await a.app.request(`/v1/keys?prefix=${encodeURIComponent('app/')}`)).json()) as { keys: string[] }).keys).toContain(keys.written)

    // Read-through: a record only c holds (merged directly, not gossiped) is read on a.
    const now = Date.now()
    await c.node.merge({ key: keys.planted, value, createdAt: now, expiresAt: now + 60_000, writeId: `w-${ids[2]}` })
    expect(await a.node.get(keys.planted, { local: true })).toBeUndefined()
    expect(await (await a.app.request(`/v1/data/${encodeURIComponent(keys.planted)}`)).text()).toBe(valueText)

    // Sync: a late joiner catches up on its join round.
    const d = await startNode('d', { peers: a.node.networkInfo().addresses })
    await until(async () => (await d.node.get(keys.written, { local: true })) !== undefined && (await d.node.get(keys.unicode, { local: true })) !== undefined,
      { timeoutMs: 10_000, what: 'the late joiner to catch up' })

    // Error paths: bad TTL, oversized (413), capacity (507), 404, bad escapes, bad UTF-8,
    // an over-long key, an unknown route and a wrong method, each carrying a secret.
    expect((await put(a, keys.rejected, value, '?ttl=abc')).status).toBe(400)
    expect((await put(a, keys.rejected, value, '?ttl=10s')).status).toBe(400)
    expect((await put(a, keys.rejected, oversized)).status).toBe(413)
    const big = Buffer.concat([Buffer.from(ids[7]), randomBytes(200 * 1024)])
    const capacity = await Promise.all([0, 1, 2, 3, 4, 5].map(async i => (await put(b, `${keys.rejected}/${i}`, big)).status))
    expect(capacity).toContain(507)
    expect((await a.app.request(`/v1/data/${encodeURIComponent(keys.missing)}`)).status).toBe(404)
    expect((await a.app.request(`/v1/data/${encodeURIComponent(keys.missing)}`, { method: 'HEAD' })).status).toBe(404)
    expect((await a.app.request(`/v1/data/${ids[4]}%ZZ`)).status).toBe(400)
    expect((await a.app.request(`/v1/data/${ids[4]}%C3%28`, { method: 'PUT', body: value })).status).toBe(400)
    expect((await a.app.request(`/v1/data/${ids[4]}${'x'.repeat(1100)}`, { method: 'PUT', body: value })).status).toBe(400)
    expect((await a.app.request(`/v1/elsewhere/${keys.missing}`)).status).toBe(404)
    expect((await a.app.request(`/v1/data/${encodeURIComponent(keys.written)}`, { method: 'DELETE' })).status).toBe(405)
    expect((await a.app.request(`/v1/keys?prefix=${ids[3]}&limit=${ids[3]}`)).status).toBe(400)
    await expect(a.node.put(keys.rejected, value, { ttl: `${ids[4]}` })).rejects.toThrow()

    // A malformed gossip message that carries a key: rejected by b and c, logged without it.
    const topic = topicFor(a.node.config.network, a.node.config.enclave)
    const pubsub = (a.replicator.libp2p as any).services.pubsub
    await pubsub.publish(topic, Buffer.from(`${keys.rejected}=${valueText}`)).catch(() => {})
    await until(() => b.lines.some(l => l.includes('rejected a gossip message')), { what: 'the malformed message to be rejected' })

    // The metrics of every node, after all of that.
    const metrics = await Promise.all([a, b, c, d].map(async t => await (await t.app.request('/v1/metrics')).text()))
    expect(metrics[0]).toContain('repram_writes_total')
    expect(metrics[0]).toContain('libp2p_')

    const all = [a, b, c, d].flatMap(t => t.lines)
    // The nodes did log, at debug/trace too, so the check below is not vacuous.
    expect(all.length).toBeGreaterThan(10)
    expect(all.some(l => (JSON.parse(l) as { level: number }).level <= 20)).toBe(true)
    for (const line of all) {
      const parsed = JSON.parse(line) as Record<string, unknown>
      expect(typeof parsed.component, `no component on ${line}`).toBe('string')
      expect(line.match(/"component":/g)?.length, `one component field: ${line}`).toBe(1)
      for (const n of needles) expect(line.includes(n), `log line leaks ${n}: ${line}`).toBe(false)
    }
    for (const text of metrics) {
      for (const n of needles) expect(text.includes(n), `metrics leak ${n}`).toBe(false)
    }
  })
})
