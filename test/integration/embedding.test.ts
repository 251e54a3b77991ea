/**
 * Embedding (DESIGN §3): a host libp2p application with a protocol of its own embeds
 * REPRAM as a service, replicates with standalone nodes, and its protocol keeps working.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { memory } from '@libp2p/memory'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'
import { lpStream } from '@libp2p/utils'
import { repram } from '../../src/net/service.js'
import { createRepramNode } from '../../src/create.js'
import { type RepramNode } from '../../src/node/index.js'
import { createNode, dec, enc, listenAddr, stopAll, TRANSPORTS, until } from './fixture.js'

const ECHO = '/host-app/echo/1.0.0'
const hosts: Array<Libp2p<any>> = []
const extra: RepramNode[] = []
afterEach(async () => {
  await Promise.all(extra.splice(0).map(async n => { await n.stop() }))
  await Promise.all(hosts.splice(0).map(async h => { await h.stop() }))
  await stopAll()
})

async function hostApp (transport: 'tcp' | 'memory', withRepram: boolean): Promise<Libp2p<any>> {
  const services: Record<string, any> = { identify: identify(), ping: ping(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }) }
  if (withRepram) services.repram = repram({ config: { profile: 'test', pingIntervalMs: 200 } })
  const node = await createLibp2p({
    addresses: { listen: [listenAddr(transport)] },
    transports: [tcp(), memory()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services
  })
  hosts.push(node)
  await node.handle(ECHO, async (stream) => {
    const lp = lpStream(stream)
    const msg = await lp.read()
    await lp.write(msg)
    await stream.close()
  })
  return node
}

async function echo (from: Libp2p<any>, to: Libp2p<any>): Promise<string> {
  const stream = await from.dialProtocol(to.peerId, ECHO, { signal: AbortSignal.timeout(5000) })
  const lp = lpStream(stream)
  await lp.write(enc('ping from the app'))
  const back = await lp.read()
  await stream.close()
  return dec(back.subarray()) ?? ''
}

describe.each(TRANSPORTS)('embedding over %s', (transport) => {
  it('a host app embeds repram() as a service, replicates with standalone nodes, and its own protocol keeps working', async () => {
    const app = await hostApp(transport, true)
    const embedded = app.services.repram.node as RepramNode
    expect(embedded.nodeId).toBe(app.peerId.toString())
    const standalone = await createNode(transport, { peers: app.getMultiaddrs().map(String) })
    await until(() => embedded.topology().length === 1 && standalone.node.topology().length === 1, { what: 'membership' })
    const fromApp = await embedded.put('app/1', enc('from the app'), { ttl: 60 })
    expect(fromApp.quorum).toBe(true)
    const fromNode = await standalone.node.put('node/1', enc('from the node'), { ttl: 60 })
    expect(fromNode.quorum).toBe(true)
    await until(async () => await standalone.node.has('app/1') && await embedded.has('node/1'), { what: 'replication both ways' })
    expect(dec((await embedded.get('node/1'))?.value)).toBe('from the node')
    const lib = standalone.replicator.libp2p
    expect(lib).toBeDefined()
    if (lib !== undefined) expect(await echo(lib, app)).toBe('ping from the app')
  })

  it('createRepramNode({ libp2p }) runs on an existing node and leaves it running on stop', async () => {
    const app = await hostApp(transport, false)
    const node = await createRepramNode({ libp2p: app, config: { profile: 'test' } })
    extra.push(node)
    expect(node.nodeId).toBe(app.peerId.toString())
    const standalone = await createNode(transport, { peers: [app.getMultiaddrs()[0].toString()] })
    await until(() => node.topology().length === 1, { what: 'membership' })
    await standalone.node.put('k', enc('v'), { ttl: 60 })
    await until(async () => await node.has('k'), { what: 'replication' })
    await node.stop()
    expect(app.status).toBe('started')
    const lib = standalone.replicator.libp2p
    if (lib !== undefined) expect(await echo(lib, app)).toBe('ping from the app')
  })
})
