import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONFIG_FIELDS, loadConfig, parseDuration, profileDefaults, watchEventBytesMax } from '../../src/config.js'
import { ConfigError } from '../../src/errors.js'

describe('config', () => {
  it('builds defaults, then file, then env, then overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'repram-config-'))
    const file = join(dir, 'c.json')
    writeFileSync(file, JSON.stringify({ enclave: 'from-file', replication: 5, maxTtl: 1000 }))
    const c = loadConfig({ env: { REPRAM_CONFIG: file, REPRAM_REPLICATION: '4', REPRAM_MAX_TTL: '2000' }, overrides: { maxTtl: 3000 } })
    expect(c.enclave).toBe('from-file')
    expect(c.replication).toBe(4)
    expect(c.maxTtl).toBe(3000)
    expect(c.httpPort).toBe(8080)
  })

  it('has a test profile with port 0, loopback, 1 s min TTL and mDNS off', () => {
    const c = loadConfig({ profile: 'test', env: {} })
    expect(c).toMatchObject({ httpPort: 0, httpHost: '127.0.0.1', minTtl: 1, mdns: false })
    expect(loadConfig({ env: { REPRAM_PROFILE: 'test' } }).httpPort).toBe(0)
  })

  it('parses env strings: lists, booleans and durations', () => {
    const c = loadConfig({ env: { REPRAM_PEERS: '/ip4/127.0.0.1/tcp/1, /ip4/127.0.0.1/tcp/2', REPRAM_MDNS: 'false', REPRAM_WRITE_TIMEOUT: '250ms', REPRAM_TRUST_PROXY: '1' } })
    expect(c.peers).toEqual(['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'])
    expect(c.mdns).toBe(false)
    expect(c.writeTimeoutMs).toBe(250)
    expect(c.trustProxy).toBe(true)
    expect(parseDuration('5')).toBe(5000)
    expect(parseDuration('2m')).toBe(120_000)
  })

  it.each([
    [{ REPRAM_HTTP_PORT: '70000' }, 'httpPort'],
    [{ REPRAM_HTTP_PORT: 'abc' }, 'httpPort'],
    [{ REPRAM_REPLICATION: '0' }, 'replication'],
    [{ REPRAM_NETWORK: 'lan' }, 'network'],
    [{ REPRAM_MDNS: 'maybe' }, 'mdns'],
    [{ REPRAM_WRITE_TIMEOUT: 'soon' }, 'writeTimeoutMs'],
    [{ REPRAM_MIN_TTL: '500', REPRAM_MAX_TTL: '400' }, 'minTtl'],
    [{ REPRAM_ENCLAVE: 'a b' }, 'enclave'],
    [{ REPRAM_PROFILE: 'prod' }, 'profile']
  ])('names the field of a bad value %j', (env, field) => {
    let err: unknown
    try { loadConfig({ env }) } catch (e) { err = e }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).field).toBe(field)
    expect((err as Error).message).toContain(field)
  })

  it('requires the watch queue to hold the largest watch event, at the edge', () => {
    const edge = watchEventBytesMax(3000, 100)
    const base = { REPRAM_WATCH_VALUE_MAX_BYTES: '3000', REPRAM_MAX_KEY_BYTES: '100' }
    expect(loadConfig({ env: { ...base, REPRAM_WATCH_QUEUE_BYTES: String(edge) } }).watchQueueBytes).toBe(edge)
    let err: unknown
    try { loadConfig({ env: { ...base, REPRAM_WATCH_QUEUE_BYTES: String(edge - 1) } }) } catch (e) { err = e }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).field).toBe('watchQueueBytes')
  })

  it('refuses unknown fields in overrides and files', () => {
    expect(() => loadConfig({ env: {}, overrides: { nope: 1 } as never })).toThrow(/nope/)
  })

  it('never echoes the cluster secret in an error', () => {
    expect(() => loadConfig({ env: { REPRAM_CLUSTER_SECRET: 'short' } })).toThrow(ConfigError)
    try { loadConfig({ env: { REPRAM_CLUSTER_SECRET: 'short' } }) } catch (e) { expect((e as Error).message).not.toContain('short"') }
  })

  it('documents every field of the schema', () => {
    expect(CONFIG_FIELDS.map(f => f.key).sort()).toEqual(Object.keys(profileDefaults()).sort())
    for (const f of CONFIG_FIELDS) expect(f.env).toMatch(/^REPRAM_[A-Z_]+$/)
  })
})
