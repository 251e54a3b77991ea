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

describe('public network settings (issue 17)', () => {
  it('--network public with no profile named takes the public profile: DHT, relay client, AutoNAT, DCUtR on; mDNS off; smaller quotas', () => {
    const c = loadConfig({ env: {}, overrides: { network: 'public' } })
    expect(c).toMatchObject({ profile: 'public', network: 'public', mdns: false, dht: true, relayClient: true, relayServer: false, autonat: true, dcutr: true, upnp: false, maxConnections: 100, inboundConnectionRate: 2 })
    expect(c.maxValueBytes).toBeLessThan(profileDefaults('default').maxValueBytes)
    expect(c.rateLimit).toBeLessThan(profileDefaults('default').rateLimit)
    expect(loadConfig({ env: { REPRAM_NETWORK: 'public' } }).profile).toBe('public')
    // A named profile wins, and mDNS is on only when asked.
    expect(loadConfig({ env: { REPRAM_NETWORK: 'public', REPRAM_PROFILE: 'default' } })).toMatchObject({ profile: 'default', network: 'public', dht: false })
    expect(loadConfig({ env: { REPRAM_PROFILE: 'public', REPRAM_MDNS: 'true' } }).mdns).toBe(true)
    expect(profileDefaults('default')).toMatchObject({ dht: false, relayClient: false, relayServer: false, autonat: false, dcutr: false, upnp: false })
  })

  it('checks the public network settings at their edges and names the field', () => {
    const load = (o: Record<string, string>): unknown => loadConfig({ env: {}, overrides: o })
    expect(loadConfig({ env: {}, overrides: { maxConnections: '1', inboundConnectionRate: '1', relayMaxBytes: '4096', relayMaxReservations: '1', relayMaxDurationMs: '1s', rendezvousIntervalMs: '0' } })).toMatchObject({ maxConnections: 1, inboundConnectionRate: 1, relayMaxBytes: 4096, relayMaxReservations: 1, relayMaxDurationMs: 1000, rendezvousIntervalMs: 0 })
    expect(() => load({ maxConnections: '0' })).toThrow(/maxConnections/)
    expect(() => load({ inboundConnectionRate: '0' })).toThrow(/inboundConnectionRate.*REPRAM_INBOUND_CONNECTION_RATE/)
    expect(() => load({ relayMaxBytes: '4095' })).toThrow(/relayMaxBytes/)
    expect(() => load({ relayMaxDurationMs: '999ms' })).toThrow(/relayMaxDurationMs/)
    expect(() => load({ dhtMode: 'sometimes' })).toThrow(/dhtMode/)
    expect(() => load({ profile: 'internet' })).toThrow(/default, test, docker, public/)
    expect(loadConfig({ env: { REPRAM_PEERS: '/dns4/boot.example.org/tcp/9090/p2p/12D3KooWBZDaHRUb3HtyQsPrW9YrAq3xpyFTJtYUqRtzmqJqm9Pj,/dnsaddr/bootstrap.example.org,/dns6/boot6.example.org/tcp/9090' } }).peers).toHaveLength(3)
  })
})
