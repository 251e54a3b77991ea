/**
 * The compliance monitor's pure rules (quorum scope and decision, gap ranges, discovery
 * URLs, inputs, escaping), its schema migrations and its data-directory lock.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  acquireLock, bucketSize, candidateUrl, DataDirLockedError, decideQuorum, esc, hostsOf, loadMonitorConfig, migrate, MIGRATIONS,
  missingRanges, MONITOR_TABLE_MARKERS, renderMonitorSettingsTable, parseExpectedWrite, parseIsoTime, parseMonitorDuration, readLock, replicaScope, SchemaTooNewError, type ScopeNode, type SqlClient
} from '../../src/monitor/index.js'

const dirs: string[] = []
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

describe('proof quorum', () => {
  const node = (nodeId: string, over: Partial<ScopeNode> = {}): ScopeNode => ({ nodeId, enclave: 'default', firstSeen: 1000, ...over })

  it.each([
    // quorum, scope, signers → met, required, missing
    [2, ['A', 'B', 'C'], ['A'], false, 2, ['B', 'C']],
    [2, ['A', 'B', 'C'], ['A', 'C'], true, 2, ['B']],
    [2, ['A'], ['A'], false, 2, []],
    [2, ['A'], ['A', 'X'], true, 2, []],
    ['all', ['A', 'B', 'C'], ['A', 'B'], false, 3, ['C']],
    ['all', ['A', 'B', 'C'], ['C', 'B', 'A'], true, 3, []],
    ['all', [], ['A'], true, 1, []],
    ['all', [], [], false, 1, []]
  ] as const)('quorum %s of scope %j with signers %j: met=%s', (quorum, scope, signers, met, required, missing) => {
    expect(decideQuorum({ quorum, scope: [...scope], signers: [...signers] })).toEqual({ required, expected: scope.length, signers: new Set(signers).size, met, missing: [...missing] })
  })

  it('counts in n the watched nodes of the write\'s enclave and jurisdictions, watched in time', () => {
    const nodes = [
      node('A'),
      node('B', { enclave: 'other' }),
      node('C', { jurisdiction: 'eu' }),
      node('D', { jurisdiction: 'us' }),
      node('E', { firstSeen: 50_000 }),
      node('F', { firstSeen: 50_000, coveredFrom: 500 })
    ]
    expect(replicaScope({ enclave: 'default', expiredAt: 2000 }, nodes, 3000)).toEqual(['A', 'C', 'D', 'F'])
    expect(replicaScope({ enclave: 'default', expiredAt: 2000, jurisdictions: ['eu'] }, nodes, 3000)).toEqual(['C'])
    expect(replicaScope({ enclave: undefined, expiredAt: 48_000 }, nodes, 3000)).toEqual(['A', 'B', 'C', 'D', 'E', 'F'])
  })
})

describe('gaps', () => {
  it.each([
    [10, 20, [], [[10, 20]]],
    [10, 20, [10, 11, 15, 20], [[12, 14], [16, 19]]],
    [10, 12, [10, 11, 12], []],
    [10, 20, [5, 25], [[10, 20]]],
    [1_796_504_000, 1_796_504_009, [1_796_504_003], [[1_796_504_000, 1_796_504_002], [1_796_504_004, 1_796_504_009]]]
  ])('missing cycles of [%d, %d] holding %j: %j', (from, to, have, ranges) => {
    expect(missingRanges(from, to, new Set(have))).toEqual(ranges)
  })
})

describe('discovery', () => {
  it('takes hosts from libp2p addresses, never wildcards or relays', () => {
    expect(hostsOf(['/ip4/10.0.0.7/tcp/9090/p2p/12D3KooWx', '/ip4/0.0.0.0/tcp/9090', '/ip6/::1/tcp/9090', '/dns4/n3.example/tcp/9090', '/ip4/10.0.0.7/tcp/9091', '/ip4/1.2.3.4/tcp/1/p2p/Qm/p2p-circuit', '/memory/x']))
      .toEqual(['10.0.0.7', '[::1]', 'n3.example'])
  })

  it('fills the URL template from the seed\'s scheme and port', () => {
    const seed = new URL('https://seed.example:8443')
    expect(candidateUrl('{scheme}://{host}:{port}', seed, '10.0.0.7')).toBe('https://10.0.0.7:8443')
    expect(candidateUrl('http://{host}:8080/', new URL('http://x'), '[::1]')).toBe('http://[::1]:8080')
  })
})

describe('inputs', () => {
  it('parses ISO 8601 dates and date-times only', () => {
    expect(parseIsoTime('2026-01-01')).toBe(Date.UTC(2026, 0, 1))
    expect(parseIsoTime('2026-01-01T12:30:00Z')).toBe(Date.UTC(2026, 0, 1, 12, 30))
    expect(parseIsoTime('2026-01-01T12:30:00+02:00')).toBe(Date.UTC(2026, 0, 1, 10, 30))
    for (const bad of ['', 'yesterday', '1700000000000', '2026-13-01', '01/02/2026']) expect(parseIsoTime(bad), bad).toBeUndefined()
  })

  it('validates registered writes and never takes a key', () => {
    const ok = { keyHash: 'AB'.repeat(32), writeId: 'w-1', expiresAt: 1_700_000_000_000 }
    expect(parseExpectedWrite(ok)).toEqual({ ...ok, keyHash: 'ab'.repeat(32) })
    expect(parseExpectedWrite({ ...ok, keyHash: 'app/session/42' })).toMatch(/keyHash must be 64 hex digits/)
    expect(parseExpectedWrite({ ...ok, expiresAt: '2026-01-01' })).toMatch(/expiresAt/)
    expect(parseExpectedWrite({ ...ok, jurisdictions: ['eu', 'bad name'] })).toMatch(/jurisdictions/)
  })

  it('reads durations with days, and settings from REPRAM_MONITOR_* below the flags', () => {
    expect(parseMonitorDuration('400d')).toBe(400 * 86_400_000)
    expect(parseMonitorDuration('90s')).toBe(90_000)
    const c = loadMonitorConfig({ env: { REPRAM_MONITOR_NODES: 'http://a:8080/, http://b:8080', REPRAM_MONITOR_QUORUM: 'all', REPRAM_MONITOR_RETENTION: '30d' }, overrides: { deadlineMs: '2m' } })
    expect(c).toMatchObject({ nodes: ['http://a:8080', 'http://b:8080'], quorum: 'all', retentionMs: 30 * 86_400_000, deadlineMs: 120_000 })
    expect(() => loadMonitorConfig({ env: {}, overrides: { token: 'short' } })).toThrow(/invalid config token: .*at least 16 characters/)
    expect(() => loadMonitorConfig({ env: {}, overrides: { token: 'short' } })).not.toThrow(/"short"/)
  })
})

describe('report rendering', () => {
  it('escapes everything', () => {
    expect(esc('<img src=x onerror="a(\'1\')">&')).toBe('&lt;img src=x onerror=&quot;a(&#39;1&#39;)&quot;&gt;&amp;')
    expect(esc(undefined)).toBe('')
  })

  it('picks chart buckets that keep the bars few', () => {
    expect(bucketSize(3_600_000)).toBe(300_000)
    expect(bucketSize(90 * 86_400_000)).toBe(7 * 86_400_000)
  })
})

describe('schema migrations', () => {
  /**
   * The runner's bookkeeping on a stand-in database that understands only the statements
   * `migrate` sends about versions (the real SQL runs at every PGlite and Postgres start of
   * the monitor suites).
   */
  function versionsDb (): SqlClient & { scripts: string[] } {
    const versions = new Set<number>()
    const scripts: string[] = []
    const exec = async (sql: string): Promise<void> => { if (!sql.startsWith('CREATE TABLE IF NOT EXISTS repram_schema_migrations')) scripts.push(sql) }
    const query = async <R>(sql: string, params: unknown[] = []): Promise<R[]> => {
      if (sql.startsWith('SELECT pg_advisory_xact_lock')) return []
      if (sql.startsWith('SELECT version FROM')) return (versions.has(params[0] as number) ? [{ version: params[0] }] : []) as R[]
      if (sql.startsWith('INSERT INTO repram_schema_migrations')) { versions.add(params[0] as number); return [] }
      if (sql.startsWith('SELECT max(version)')) return [{ v: versions.size === 0 ? null : Math.max(...versions) }] as R[]
      throw new Error(`unexpected statement: ${sql}`)
    }
    return { kind: 'pglite', description: 'stand-in', scripts, query, exec, transaction: async (fn) => await fn({ query, exec }), close: async () => {} }
  }

  it('apply once, in order, and a database newer than the code is refused', async () => {
    const db = versionsDb()
    expect(await migrate(db)).toEqual({ version: MIGRATIONS.length, applied: MIGRATIONS.map(m => m.version) })
    expect(await migrate(db)).toEqual({ version: MIGRATIONS.length, applied: [] })
    expect(db.scripts).toEqual(MIGRATIONS.map(m => m.sql))
    const next = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'test: an added column', sql: 'ALTER TABLE repram_nodes ADD COLUMN note text' }]
    expect(await migrate(db, next)).toEqual({ version: next.length, applied: [next.length] })
    await expect(migrate(db)).rejects.toBeInstanceOf(SchemaTooNewError)
    // Versions are strictly increasing: a migration is never inserted before another.
    expect(MIGRATIONS.map(m => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1))
  })
})

describe('data directory lock', () => {
  it('admits one monitor, takes over a stale lock and is released', () => {
    const dir = mkdtempSync(join(tmpdir(), 'repram-lock-'))
    dirs.push(dir)
    const lock = acquireLock(dir)
    lock.update({ url: 'http://127.0.0.1:8090' })
    expect(readLock(dir)).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:8090' })
    expect(() => acquireLock(dir)).toThrow(DataDirLockedError)
    lock.release()
    expect(readLock(dir)).toBeUndefined()
    // A lock left by a process that no longer runs.
    writeFileSync(join(dir, 'monitor.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: 0 }))
    expect(readLock(dir)).toBeUndefined()
    const again = acquireLock(dir)
    expect(readLock(dir)?.pid).toBe(process.pid)
    again.release()
  })
})

describe('docs', () => {
  it('docs/configuration.md holds exactly the monitor settings table generated from src/monitor/config.ts', () => {
    const md = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'configuration.md'), 'utf8')
    const start = md.indexOf(MONITOR_TABLE_MARKERS.start)
    const end = md.indexOf(MONITOR_TABLE_MARKERS.end)
    expect(start, 'the table markers').toBeGreaterThanOrEqual(0)
    expect(md.slice(start, end + MONITOR_TABLE_MARKERS.end.length)).toBe(renderMonitorSettingsTable())
  })
})
