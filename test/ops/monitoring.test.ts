/**
 * Monitoring (issue 7): a networked node serves libp2p's own metrics next to the
 * repram_* ones on /v1/metrics; every repram_* metric a live node exports is on the
 * Grafana dashboard (docs/grafana-dashboard.json) and described in docs/monitoring.md;
 * the alert rules and scrape config in docs/monitoring.md parse and name only metrics
 * that exist.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { createRepramNode } from '../../src/create.js'
import { type RepramNode } from '../../src/node/index.js'
import { ClusterReplicator } from '../../src/net/cluster.js'
import { createHttpApp } from '../../src/http/app.js'
import { until } from '../helpers/until.js'

const ROOT = join(import.meta.dirname, '..', '..')
const monitoringMd = readFileSync(join(ROOT, 'docs', 'monitoring.md'), 'utf8')
const dashboard = JSON.parse(readFileSync(join(ROOT, 'docs', 'grafana-dashboard.json'), 'utf8')) as Record<string, unknown>

/** Metric name → type, from the `# TYPE` lines of an exposition. */
function metricTypes (text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(m => [m[1], m[2]]))
}

/** The metric a PromQL token names: histogram/summary series map to their metric. */
function resolve (token: string, types: Map<string, string>): string | undefined {
  if (types.has(token)) return token
  const m = /^(.*)_(bucket|sum|count)$/.exec(token)
  if (m != null && ['histogram', 'summary'].includes(types.get(m[1]) ?? '')) return m[1]
  return undefined
}

/** Metric names referenced in PromQL: repram_* and libp2p_* tokens (label names excluded). */
function referenced (expr: string): string[] {
  const noLabels = expr.replace(/\{[^}]*\}/g, '{}').replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
  return [...noLabels.matchAll(/\b((?:repram|libp2p)_[a-z0-9_]+)\b/g)].map(m => m[1])
}

function collectExprs (v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) collectExprs(x, out)
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'expr' && typeof x === 'string') out.push(x)
      else collectExprs(x, out)
    }
  }
  return out
}

function yamlBlocks (md: string): unknown[] {
  return [...md.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map(m => parseYaml(m[1]) as unknown)
}

describe('metrics of a networked node', () => {
  const nodes: RepramNode[] = []
  const dirs: string[] = []
  let text = ''
  let types = new Map<string, string>()

  beforeAll(async () => {
    const start = async (peers: string[]): Promise<RepramNode> => {
      const dataDir = mkdtempSync(join(tmpdir(), 'repram-mon-'))
      dirs.push(dataDir)
      const node = await createRepramNode({
        config: { profile: 'test', listen: ['/ip4/127.0.0.1/tcp/0'], peers, dataDir, readThroughPeers: 1, maxValueBytes: 1024, writeTimeoutMs: 3000 },
        replicator: new ClusterReplicator()
      })
      nodes.push(node)
      return node
    }
    const a = await start([])
    const b = await start(a.networkInfo().addresses)
    await until(() => a.topology().length === 1 && b.topology().length === 1, { timeoutMs: 10_000, what: 'two-node membership' })
    const { app } = createHttpApp(a, { rateLimit: 0 })
    // Some traffic: writes (quorum), reads, a 404 with read-through, a 413, 429s.
    for (let i = 0; i < 3; i++) await app.request(`/v1/data/mon/${i}?ttl=60`, { method: 'PUT', body: 'x' })
    const limited = createHttpApp(a, { rateLimit: 1 }).app
    for (let i = 0; i < 4; i++) await limited.request('/v1/keys')
    await app.request('/v1/data/mon/0')
    await app.request('/v1/data/none')
    await app.request('/v1/data/big', { method: 'PUT', body: 'x'.repeat(2048) })
    await until(async () => (await b.get('mon/2', { local: true })) !== undefined, { what: 'replication' })
    const res = await app.request('/v1/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    text = await res.text()
    types = metricTypes(text)
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async n => { await n.stop() }))
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it('serves libp2p metrics on the same endpoint as the repram_* ones', () => {
    expect(types.get('repram_records')).toBe('gauge')
    expect(types.get('libp2p_connection_manager_connections')).toBeDefined()
    expect(text).toMatch(/^libp2p_connection_manager_connections\{[^}]*="(inbound|outbound)"\} 1$/m)
    expect(text).toMatch(/^libp2p_data_transfer_bytes_total\{protocol="\/meshsub\/[\d.]+ sent"\} [1-9]/m)
    expect(text).toMatch(/^libp2p_protocol_streams_total\{protocol="(inbound|outbound) \/repram\/replicate\/1\.0\.0"\} [1-9]/m)
    // libp2p's plugin does not add a second, unprefixed set of process metrics.
    expect(types.has('process_cpu_seconds_total')).toBe(false)
    expect(types.has('repram_process_cpu_seconds_total')).toBe(true)
  })

  it('every repram_* metric is on the Grafana dashboard and described in docs/monitoring.md', () => {
    const names = [...types.keys()].filter(n => n.startsWith('repram_'))
    expect(names.length).toBeGreaterThan(50)
    const onDashboard = new Set(collectExprs(dashboard).flatMap(referenced).map(t => resolve(t, types) ?? t))
    const missing = names.filter(n => !onDashboard.has(n))
    expect(missing, 'metrics missing from docs/grafana-dashboard.json').toEqual([])
    const undescribed = names.filter(n => !monitoringMd.includes(`\`${n}\``))
    expect(undescribed, 'metrics not described in docs/monitoring.md').toEqual([])
  })

  it('the dashboard queries only metrics that exist, and is importable JSON', () => {
    const exprs = collectExprs(dashboard)
    expect(exprs.length).toBeGreaterThan(40)
    const unknown = exprs.flatMap(referenced).filter(t => resolve(t, types) === undefined)
    expect(unknown, 'dashboard names metrics the node does not export').toEqual([])
    expect(dashboard.uid).toBeTypeOf('string')
    const panels = dashboard.panels as Array<{ id: number, gridPos: unknown }>
    expect(new Set(panels.map(p => p.id)).size).toBe(panels.length)
    for (const p of panels) expect(p.gridPos).toBeDefined()
  })

  it('the alert rules parse, cover the four required alerts, and name only existing metrics', () => {
    const blocks = yamlBlocks(monitoringMd)
    const rulesDoc = blocks.find((b): b is { groups: Array<{ name: string, rules: Array<Record<string, any>> }> } => (b as any)?.groups !== undefined)
    expect(rulesDoc).toBeDefined()
    const rules = rulesDoc!.groups.flatMap(g => g.rules)
    for (const r of rules) {
      expect(r.alert, JSON.stringify(r)).toMatch(/^Repram[A-Za-z]+$/)
      expect(typeof r.expr).toBe('string')
      expect(r.labels?.severity).toMatch(/^(critical|warning|info)$/)
      expect(r.annotations?.summary).toBeTypeOf('string')
      expect(r.for).toMatch(/^\d+[smh]$/)
      const unknown = referenced(r.expr).filter(t => resolve(t, types) === undefined)
      expect(unknown, `${r.alert} names metrics the node does not export`).toEqual([])
      expect((r.expr.match(/\(/g) ?? []).length).toBe((r.expr.match(/\)/g) ?? []).length)
    }
    const byName = new Map(rules.map(r => [r.alert as string, r.expr as string]))
    expect(byName.get('RepramNodeDown')).toMatch(/\bup\b/)
    expect(byName.get('RepramQuorumFailuresRising')).toContain('repram_quorum_outcomes_total')
    expect(byName.get('RepramCapacityHigh')).toMatch(/repram_bytes_stored[\s\S]*repram_capacity_bytes[\s\S]*0\.9/)
    expect(byName.get('RepramPeersBelowReplication')).toContain('repram_peers_active')
  })

  it('the scrape config parses and scrapes /v1/metrics', () => {
    const scrapes = yamlBlocks(monitoringMd).filter((b): b is { scrape_configs: Array<Record<string, any>> } => (b as any)?.scrape_configs !== undefined)
    expect(scrapes.length).toBeGreaterThan(0)
    for (const job of scrapes.flatMap(s => s.scrape_configs)) {
      expect(job.job_name).toBe('repram')
      expect(job.metrics_path).toBe('/v1/metrics')
    }
  })
})
