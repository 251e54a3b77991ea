/**
 * `/dnsaddr` bootstrap addresses (issue 17), on loopback: a DNS server of the test's own
 * (test/helpers/dns-server.ts, UDP on 127.0.0.1) holds `_dnsaddr.boot.repram.test`, and the
 * node is pointed at it with `dnsServers` (REPRAM_DNS_SERVERS), which becomes libp2p's
 * `dns` (src/net/dns.ts). No system resolver, /etc/resolv.conf or network namespace is
 * involved: the lookups are shown to reach the test's server.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpApp } from '../../src/http/app.js'
import { loadConfig } from '../../src/config.js'
import { createNode, stopAll, until, metric, dec, type TestNode } from './fixture.js'
import { startDnsServer, startDohServer, type DnsServer } from '../helpers/dns-server.js'

let dns: DnsServer | undefined

afterEach(async () => {
  await stopAll()
  await dns?.close()
  dns = undefined
})

const idOf = (t: TestNode): string => t.node.networkInfo().nodeId

describe('bootstrap from a /dnsaddr address', () => {
  it('a node given only /dnsaddr/boot.repram.test joins the bootstrap node\'s enclave and a write replicates with 201', async () => {
    const boot = await createNode('tcp', { enclave: 'dnsaddr' })
    // What an operator publishes: one TXT record per address, each ending in the peer id.
    dns = await startDnsServer({ '_dnsaddr.boot.repram.test': { TXT: boot.addrs.map(a => `dnsaddr=${a}`) } })
    const node = await createNode('tcp', { enclave: 'dnsaddr', peers: ['/dnsaddr/boot.repram.test'], dnsServers: [dns.address] })
    await until(() => node.node.topology().map(p => p.id).includes(idOf(boot)) && boot.node.topology().map(p => p.id).includes(idOf(node)), { timeoutMs: 10_000, what: 'membership through the /dnsaddr address' })
    expect(dns.queries).toContain('_dnsaddr.boot.repram.test TXT')
    // The connection went to an address from the TXT record.
    const remote = node.replicator.libp2p!.getConnections(boot.replicator.libp2p!.peerId).map(c => c.remoteAddr.toString())
    expect(remote.some(r => boot.addrs.some(a => a.startsWith(r.replace(/\/p2p\/.*$/, ''))))).toBe(true)
    expect(await metric(node.node, 'repram_dial_failures_total', { kind: 'bootstrap' })).toBe(0)
    const { app } = createHttpApp(node.node)
    const res = await app.request('/v1/data/dnsaddr-k?ttl=60', { method: 'PUT', body: 'via dnsaddr' })
    expect(res.status).toBe(201)
    expect(dec((await boot.node.get('dnsaddr-k'))?.value)).toBe('via dnsaddr')
  })

  it('the TXT record can come from a DNS-over-HTTP(S) URL instead', async () => {
    const boot = await createNode('tcp', { enclave: 'dnsaddr' })
    dns = await startDohServer({ '_dnsaddr.boot.repram.test': { TXT: boot.addrs.map(a => `dnsaddr=${a}`) } })
    const node = await createNode('tcp', { enclave: 'dnsaddr', peers: ['/dnsaddr/boot.repram.test'], dnsServers: [dns.address] })
    await until(() => node.node.topology().map(p => p.id).includes(idOf(boot)), { timeoutMs: 10_000, what: 'membership through DNS over HTTP' })
    expect(dns.queries).toContain('_dnsaddr.boot.repram.test TXT')
  })

  it('a /dnsaddr name without a TXT record: the node starts, counts the failed bootstrap dials and keeps serving', async () => {
    // The server holds _dnsaddr.empty.repram.test, with an A record only.
    dns = await startDnsServer({ '_dnsaddr.empty.repram.test': { A: ['127.0.0.1'] } })
    const node = await createNode('tcp', { peers: ['/dnsaddr/missing.repram.test', '/dnsaddr/empty.repram.test'], dnsServers: [dns.address] })
    await until(async () => await metric(node.node, 'repram_dial_failures_total', { kind: 'bootstrap' }) >= 2, { timeoutMs: 10_000, what: 'the bootstrap dials to fail' })
    // NXDOMAIN for the first; NOERROR without an answer for the second (a name with no TXT record).
    expect(dns.queries).toEqual(expect.arrayContaining(['_dnsaddr.missing.repram.test TXT', '_dnsaddr.empty.repram.test TXT']))
    expect(node.node.topology()).toEqual([])
    const { app } = createHttpApp(node.node)
    expect((await app.request('/v1/health')).status).toBe(200)
    // Alone, a write is its own quorum of one.
    expect((await app.request('/v1/data/alone?ttl=60', { method: 'PUT', body: 'still up' })).status).toBe(201)
  })

  it('REPRAM_DNS_SERVERS takes IPs with optional ports and DNS-over-HTTP(S) URLs, and refuses anything else', () => {
    expect(loadConfig({ env: { REPRAM_DNS_SERVERS: '127.0.0.1:5353, [::1]:53,1.1.1.1,https://cloudflare-dns.com/dns-query' } }).dnsServers)
      .toEqual(['127.0.0.1:5353', '[::1]:53', '1.1.1.1', 'https://cloudflare-dns.com/dns-query'])
    expect(loadConfig({ env: {} }).dnsServers).toEqual([])
    for (const bad of ['dns.example.org', '127.0.0.1:99999', 'udp://1.1.1.1']) expect(() => loadConfig({ env: { REPRAM_DNS_SERVERS: bad } })).toThrow(/REPRAM_DNS_SERVERS/)
  })
})
