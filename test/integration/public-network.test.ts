/**
 * The public network on loopback (issue 17), with real nodes over TCP: enclave rendezvous
 * over the REPRAM DHT (nodes of enclave `b` that only know a node of enclave `a` form
 * enclave `b`), `/dns4` bootstrap addresses, the connection manager's limits (max
 * connections, inbound connections per second per IP), and what `/v1/status` and
 * `/v1/metrics` show (reachability, relay addresses, the DHT's routing table).
 */
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { createHttpApp } from '../../src/http/app.js'
import { createNode, stopAll, until, metric, enc, dec, type TestNode } from './fixture.js'

afterEach(async () => { await stopAll() })

/** DHT on, server mode (loopback addresses are private: `auto` would stay a client), loopback addresses kept in records. */
const DHT = { dht: true, dhtMode: 'server', dhtPrivateAddresses: true, rendezvousIntervalMs: 300, inboundConnectionRate: 100 } as const

function portOf (t: TestNode): number {
  return Number(/\/tcp\/(\d+)/.exec(t.addrs[0])?.[1])
}

function peersOf (t: TestNode): string[] {
  return t.node.topology().map(p => p.id).sort()
}

describe('public network on loopback', () => {
  it('nodes of enclave b that only know a node of enclave a find each other over the DHT and form enclave b', async () => {
    const a = await createNode('tcp', { ...DHT, enclave: 'a' })
    const t0 = Date.now()
    const bs = await Promise.all([0, 1, 2].map(async () => await createNode('tcp', { ...DHT, enclave: 'b', peers: a.addrs })))
    const ids = bs.map(b => b.node.networkInfo().nodeId)
    await until(() => bs.every((b, i) => peersOf(b).join() === ids.filter((_, j) => j !== i).sort().join()), { timeoutMs: 15_000, what: 'enclave b to form through the rendezvous' })
    const formedMs = Date.now() - t0
    if (process.env.REPRAM_TEST_TIMING !== undefined) console.log('enclave b formed in', formedMs, 'ms')
    // The bootstrap node of the other enclave is no member of b, and b's nodes are none of a's.
    expect(a.node.topology()).toEqual([])
    for (const b of bs) expect(peersOf(b)).not.toContain(a.node.networkInfo().nodeId)
    // Through the DHT: its queries connect b's nodes (each then asks the other the REPRAM
    // handshake), and the rendezvous finds every provider of b's key.
    const sum = async (name: string, labels: Record<string, string> = {}): Promise<number> => (await Promise.all(bs.map(async b => await metric(b.node, name, labels)))).reduce((x, y) => x + y, 0)
    await until(async () => await sum('repram_rendezvous_rounds_total', { result: 'found' }) >= 3, { what: 'rendezvous rounds to find providers' })
    expect(await sum('repram_rendezvous_providers_total')).toBeGreaterThanOrEqual(3)
    expect(await metric(a.node, 'repram_rendezvous_providers_total')).toBe(0)
    // Enclave b replicates: a quorum of its 3 nodes (201), then on every node of b.
    const put = await bs[0].node.put('pub/k', enc('over-the-dht'), { ttl: 60 })
    expect(put).toMatchObject({ quorum: true })
    expect(put.replicas).toBeGreaterThanOrEqual(2)
    await until(async () => dec((await bs[2].node.get('pub/k'))?.value) === 'over-the-dht', { what: 'the write on the third node of b' })
    // The write stayed in enclave b.
    expect(await a.node.get('pub/k')).toBeUndefined()
  })

  it('status and metrics show reachability, relay addresses and the DHT routing table', async () => {
    const a = await createNode('tcp', { ...DHT, enclave: 'a' })
    const b = await createNode('tcp', { ...DHT, enclave: 'a', peers: a.addrs, announce: ['/dns4/node.example.org/tcp/9090'] })
    await until(() => (b.node.networkInfo().publicNetwork?.dht_routing_table ?? 0) >= 1, { what: 'the routing table to hold the bootstrap node' })
    // Loopback only: private. An address the operator announces (a public DNS name) makes it public.
    expect(a.node.networkInfo().publicNetwork).toEqual({ reachability: 'private', relay_addresses: [], dht_routing_table: expect.any(Number), dht_mode: 'server', relay_reservations: null, connections: { direct: expect.any(Number), relayed: 0 } })
    expect(b.node.networkInfo().publicNetwork?.reachability).toBe('public')
    const { app } = createHttpApp(b.node)
    const status = await (await app.request('/v1/status')).json() as { public_network: Record<string, unknown> }
    expect(status.public_network).toMatchObject({ reachability: 'public', relay_addresses: [], dht_mode: 'server' })
    expect(status.public_network.dht_routing_table).toBeGreaterThanOrEqual(1)
    const text = await (await app.request('/v1/metrics')).text()
    expect(text).toMatch(/^repram_reachability\{state="public"\} 1$/m)
    expect(text).toMatch(/^repram_reachability\{state="private"\} 0$/m)
    expect(text).toMatch(/^repram_dht_routing_table_peers [1-9]/m)
    expect(text).toMatch(/^repram_relay_addresses 0$/m)
    // A private node without any public part shows none of it.
    const plain = await createNode('tcp')
    expect(plain.node.networkInfo().publicNetwork).toBeUndefined()
  })

  it('a /dns4 bootstrap address is dialled (resolved from /etc/hosts: localhost)', async () => {
    const a = await createNode('tcp')
    const port = portOf(a)
    const b = await createNode('tcp', { peers: [`/dns4/localhost/tcp/${port}/p2p/${a.node.networkInfo().nodeId}`] })
    await until(() => a.node.topology().length === 1 && b.node.topology().length === 1, { what: 'membership through a /dns4 bootstrap address' })
  })

  it('refuses inbound connections past inboundConnectionRate per second from one IP', async () => {
    const a = await createNode('tcp', { inboundConnectionRate: 2 })
    const port = portOf(a)
    const sockets: Socket[] = []
    try {
      const closed = new Set<number>()
      const opened = await Promise.all([0, 1, 2].map(async i => await new Promise<Socket>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => resolve(s))
        s.on('error', reject)
        s.on('close', () => closed.add(i))
        sockets.push(s)
      })))
      expect(opened).toHaveLength(3)
      // The third connection of the same second is closed at once; the first two wait for their handshake.
      await until(() => closed.size >= 1, { timeoutMs: 3000, what: 'the connection over the rate to be closed' })
      expect([...closed]).toEqual([2])
    } finally {
      for (const s of sockets) s.destroy()
    }
  })

  it('refuses inbound connections past maxConnections', async () => {
    const a = await createNode('tcp', { maxConnections: 1, inboundConnectionRate: 100 })
    const b = await createNode('tcp')
    const c = await createNode('tcp')
    const target = multiaddr(a.addrs[0])
    await b.replicator.libp2p!.dial(target, { signal: AbortSignal.timeout(3000) })
    // A dial resolves once the dialer's side of the upgrade is done; the listener counts
    // the connection when its own side is (the last handshake message may still be on its way).
    await until(() => a.replicator.libp2p!.getConnections().length === 1, { timeoutMs: 3000, what: 'the listener to count the first connection' })
    await expect(c.replicator.libp2p!.dial(target, { signal: AbortSignal.timeout(3000) })).rejects.toThrow()
    expect(a.replicator.libp2p!.getConnections()).toHaveLength(1)
  })
})

describe('WebSockets between Node nodes', () => {
  it('a node dials another node\'s /ws listener (Node 20 has no global WebSocket: the polyfill gives ws\'s) and they replicate', async () => {
    const a = await createNode('tcp', { listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
    const wsAddr = a.addrs.find(x => x.includes('/ws/'))
    expect(wsAddr).toBeDefined()
    const b = await createNode('tcp', { peers: [wsAddr as string] })
    await until(() => a.node.topology().length === 1 && b.node.topology().length === 1, { what: 'membership over WebSockets' })
    expect(b.replicator.libp2p!.getConnections()[0].remoteAddr.toString()).toContain('/ws')
    expect((await b.node.put('ws/k', enc('over ws'), { ttl: 60 })).quorum).toBe(true)
    expect(dec((await a.node.get('ws/k'))?.value)).toBe('over ws')
  })
})

describe('circuit relay on loopback', () => {
  it('two nodes reachable only through a relay reserve on it, find each other over the DHT, and replicate over the limited relayed connection', async () => {
    const relay = await createNode('tcp', { ...DHT, enclave: 'relay', relayServer: true, relayMaxReservations: 2 })
    const hidden = { ...DHT, dhtMode: 'client', enclave: 'b', relayClient: true, listen: [] as string[], peers: relay.addrs } as const
    const t0 = Date.now()
    const [n1, n2] = await Promise.all([createNode('tcp', hidden), createNode('tcp', hidden)])
    // Each reserved a slot and advertises a /p2p-circuit address through the relay, and no other.
    await until(() => [n1, n2].every(n => (n.node.networkInfo().publicNetwork?.relay_addresses.length ?? 0) > 0), { what: 'relay reservations' })
    for (const n of [n1, n2]) {
      expect(n.node.networkInfo().addresses.every(a => a.includes(`/p2p/${relay.node.networkInfo().nodeId}/p2p-circuit/`))).toBe(true)
      expect(n.node.networkInfo().publicNetwork?.reachability).toBe('private')
    }
    expect(relay.node.networkInfo().publicNetwork?.relay_reservations).toBe(2)
    await until(() => n1.node.topology().length === 1 && n2.node.topology().length === 1, { timeoutMs: 20_000, what: 'the two hidden nodes to meet through the relay' })
    if (process.env.REPRAM_TEST_TIMING !== undefined) console.log('relayed enclave formed in', Date.now() - t0, 'ms')
    const conns = n1.replicator.libp2p!.getConnections(n2.replicator.libp2p!.peerId)
    expect(conns.length).toBeGreaterThan(0)
    expect(conns.every(c => c.remoteAddr.toString().includes('/p2p-circuit') && c.limits !== undefined)).toBe(true)
    const put = await n1.node.put('relayed/k', enc('through the relay'), { ttl: 60 })
    expect(put.quorum).toBe(true)
    expect(dec((await n2.node.get('relayed/k'))?.value)).toBe('through the relay')
    // The relay is no member of enclave b and holds none of its records.
    expect(relay.node.topology()).toEqual([])
    expect(await relay.node.get('relayed/k')).toBeUndefined()
  })
  it('a relayed connection carries at most relayMaxBytes: a small write crosses it (201), one past the cap does not (202)', async () => {
    const relay = await createNode('tcp', { ...DHT, enclave: 'relay', relayServer: true, relayMaxBytes: 256 * 1024 })
    const hidden = { ...DHT, dhtMode: 'client', enclave: 'b', relayClient: true, listen: [] as string[], peers: relay.addrs, maxValueBytes: 1024 * 1024 } as const
    const [n1, n2] = await Promise.all([createNode('tcp', hidden), createNode('tcp', hidden)])
    await until(() => n1.node.topology().length === 1 && n2.node.topology().length === 1, { timeoutMs: 20_000, what: 'the two hidden nodes to meet through the relay' })
    expect((await n1.node.put('small', enc('fits'), { ttl: 60 })).quorum).toBe(true)
    const big = new Uint8Array(512 * 1024).fill(7)
    const put = await n1.node.put('big', big, { ttl: 60 })
    expect(put).toMatchObject({ quorum: false, replicas: 1 })
    expect(await n2.node.has('big')).toBe(false)
  })
})
