/**
 * The page of the browser p2p proof (test/browser/p2p.browser.test.ts), bundled by
 * scripts/browser/build.mjs: a libp2p node in the page (WebSockets, noise, yamux,
 * identify, ping, gossipsub) that embeds REPRAM with the `repram()` service. The test
 * drives it through `globalThis.p2p`.
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'
import { multiaddr } from '@multiformats/multiaddr'
import { pino } from 'pino'
import { repram } from '../../src/net/service.js'
import type { RepramNode } from '../../src/node/node.js'

let node: Libp2p<any> | undefined

async function start (target: string, enclave: string): Promise<string> {
  node = await createLibp2p({
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // The browser build of libp2p refuses to dial private addresses unless told: the test node is on 127.0.0.1.
    connectionGater: { denyDialMultiaddr: () => false },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }),
      repram: repram({ config: { profile: 'test', enclave, pingIntervalMs: 300 }, logger: pino({ level: 'warn' }) as never })
    }
  })
  await node.dial(multiaddr(target), { signal: AbortSignal.timeout(10_000) })
  return node.peerId.toString()
}

function repramNode (): RepramNode {
  if (node === undefined) throw new Error('not started')
  return node.services.repram.node as RepramNode
}

const p2p = {
  start,
  peers: (): string[] => repramNode().topology().map(p => p.id),
  put: async (key: string, value: string): Promise<{ replicas: number, quorum: boolean }> => {
    const r = await repramNode().put(key, new TextEncoder().encode(value), { ttl: 60 })
    return { replicas: r.replicas, quorum: r.quorum }
  },
  get: async (key: string): Promise<string | null> => {
    const r = await repramNode().get(key)
    return r === undefined ? null : new TextDecoder().decode(r.value)
  },
  stop: async (): Promise<void> => { await node?.stop() }
}

;(globalThis as unknown as { p2p: typeof p2p, p2pReady: boolean }).p2p = p2p
;(globalThis as unknown as { p2pReady: boolean }).p2pReady = true
