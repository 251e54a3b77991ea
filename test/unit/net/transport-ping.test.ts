/**
 * Membership's pings (issue 15): an empty frame on the replicate stream the node keeps to
 * the peer, not a new libp2p ping stream per ping; a ping unanswered within the ping
 * timeout fails and aborts the peer's connections, as libp2p's connection monitor did.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { streamPair } from '@libp2p/utils'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { profileDefaults, type RepramConfig } from '../../../src/config.js'
import { PING_TIMEOUT_FLOOR_MS, REPLICATE_PROTOCOL } from '../../../src/net/constants.js'
import { serveReplicateStream } from '../../../src/net/replicate.js'
import { Libp2pTransport, PingTimeoutError } from '../../../src/net/transport.js'
import type { NetHost } from '../../../src/net/host.js'

const newPeer = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

interface Fake {
  host: NetHost
  /** Protocols of the streams opened, in order. */
  opened: string[]
  /** Frames the peer's replicate server saw (its `seen` calls). */
  frames: number
  /** Connections aborted, with their reasons. */
  aborted: Error[]
  /** Whether a connection to the peer is open. */
  connected: boolean
}

let cleanup: Array<() => void> = []
afterEach(() => {
  for (const c of cleanup.splice(0)) c()
  vi.useRealTimers()
})

/** A host with one peer whose replicate server answers (`silent`: reads nothing, answers nothing). */
async function fakeHost (self: PeerId, config: RepramConfig, silent = false): Promise<Fake> {
  const fake: Fake = { host: undefined as unknown as NetHost, opened: [], frames: 0, aborted: [], connected: true }
  const connection = {
    get status () { return fake.connected ? 'open' : 'closed' },
    limits: undefined,
    abort: (err: Error) => { fake.aborted.push(err); fake.connected = false }
  } as unknown as Connection
  fake.host = {
    peerId: self,
    getConnections: () => fake.connected ? [connection] : [],
    // What hosts offered before: libp2p's ping, a new stream per ping. Never to be used.
    ping: async () => { fake.opened.push('/ipfs/ping/1.0.0'); return 1 },
    newStream: async (_peer: PeerId, protocol: string): Promise<Stream> => {
      fake.opened.push(protocol)
      const [outbound, inbound] = await streamPair()
      cleanup.push(() => { outbound.abort(new Error('test over')); inbound.abort(new Error('test over')) })
      if (!silent) {
        void serveReplicateStream(inbound, 'client', {
          network: config.network,
          enclave: config.enclave,
          maxFrameBytes: 1 << 20,
          maxWritesPerFrame: 64,
          frameTimeoutMs: 1000,
          handler: { writes: async () => [], fetch: async () => undefined, leave: () => {}, seen: () => { fake.frames++ }, refused: () => {} }
        })
      }
      return outbound
    }
  } as unknown as NetHost
  return fake
}

describe('membership pings on the replicate stream', () => {
  it('pings over one reused replicate stream: no stream per ping, an RTT per answer', async () => {
    const config = profileDefaults('test')
    const [self, peer] = await Promise.all([newPeer(), newPeer()])
    const fake = await fakeHost(self, config)
    const transport = new Libp2pTransport(fake.host, config)
    cleanup.push(() => transport.close())
    for (let i = 0; i < 5; i++) {
      const rtt = await transport.ping(peer.toString(), { dial: false })
      expect(rtt).toBeTypeOf('number')
      expect(rtt).toBeGreaterThanOrEqual(0)
    }
    expect(fake.opened).toEqual([REPLICATE_PROTOCOL])
    expect(fake.frames).toBe(5)
    expect(fake.aborted).toEqual([])
  })

  it('does not dial for a ping that may not: undefined and no stream without a connection', async () => {
    const config = profileDefaults('test')
    const [self, peer] = await Promise.all([newPeer(), newPeer()])
    const fake = await fakeHost(self, config)
    fake.connected = false
    const transport = new Libp2pTransport(fake.host, config)
    cleanup.push(() => transport.close())
    expect(await transport.ping(peer.toString(), { dial: false })).toBeUndefined()
    expect(fake.opened).toEqual([])
  })

  it('fails a ping unanswered within the ping timeout, and aborts the connection it went over', async () => {
    const config = profileDefaults('test')
    const [self, peer] = await Promise.all([newPeer(), newPeer()])
    const fake = await fakeHost(self, config, true)
    const transport = new Libp2pTransport(fake.host, config)
    cleanup.push(() => transport.close())
    // The floor wins over the test profile's short interval and dial timeout: a busy peer is not a dead one.
    expect(transport.pingTimeoutMs).toBe(PING_TIMEOUT_FLOOR_MS)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const ping = transport.ping(peer.toString(), { dial: true })
    const failed = expect(ping).rejects.toBeInstanceOf(PingTimeoutError)
    await vi.advanceTimersByTimeAsync(PING_TIMEOUT_FLOOR_MS - 1)
    expect(fake.aborted).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    await failed
    expect(fake.aborted).toHaveLength(1)
    expect(fake.aborted[0]).toBeInstanceOf(PingTimeoutError)
    expect(transport.reputation.score(peer.toString())).toBeLessThan(0)
  })

  it('takes the longest of the ping interval, the dial timeout and the floor as its timeout', async () => {
    const self = await newPeer()
    const base = profileDefaults('test')
    const at = (pingIntervalMs: number, dialTimeoutMs: number): number =>
      new Libp2pTransport({ peerId: self } as unknown as NetHost, { ...base, pingIntervalMs, dialTimeoutMs }).pingTimeoutMs
    expect(at(300, 1000)).toBe(PING_TIMEOUT_FLOOR_MS)
    expect(at(30_000, 1000)).toBe(30_000)
    expect(at(300, 12_000)).toBe(12_000)
  })
})
