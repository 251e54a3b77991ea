/**
 * The enclave rendezvous alone (issue 17): the key it provides, its rounds on a
 * ManualClock over a fake content routing, what it hands on, and how it stops.
 */
import { describe, expect, it } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'
import { ManualClock } from '../../../src/clock.js'
import { Rendezvous, rendezvousKey, type RendezvousResult, type RendezvousRouting } from '../../../src/net/rendezvous.js'
import { topicFor } from '../../../src/net/topic.js'
import { until } from '../../helpers/until.js'

const SELF = '12D3KooWBZDaHRUb3HtyQsPrW9YrAq3xpyFTJtYUqRtzmqJqm9Pj'
const OTHERS = ['12D3KooWCm53F2jvGRSi3P8FuKPHn64xdieRMyr3QKGfXn1Be4ga', '12D3KooWSq8Mnsfe2d5hZgGahFqpqLrq9Ue7ihq6JXcYV36srD2X', '12D3KooWPjoCuXiXFxZbZjW3THKsuBwsakKFPEPTY2gStc89EBFF']

function routing (providers: string[], opts: { failProvide?: boolean, failFind?: boolean, hang?: boolean } = {}): RendezvousRouting & { provided: CID[], found: number } {
  const r = {
    provided: [] as CID[],
    found: 0,
    provide: async (key: CID, o: { signal: AbortSignal }) => {
      r.provided.push(key)
      if (opts.hang === true) await new Promise((_resolve, reject) => o.signal.addEventListener('abort', () => reject(o.signal.reason)))
      if (opts.failProvide === true) throw new Error('no peers')
    },
    findProviders: async function * (_key: CID, _o: { signal: AbortSignal }) {
      r.found++
      if (opts.failFind === true) throw new Error('no peers')
      for (const id of providers) yield { id: peerIdFromString(id), multiaddrs: [multiaddr('/ip4/10.0.0.1/tcp/4001')] }
    }
  }
  return r
}

function start (r: RendezvousRouting, over: { maxProviders?: number, ready?: () => boolean } = {}): { clock: ManualClock, rv: Rendezvous, got: string[], rounds: RendezvousResult[] } {
  const clock = new ManualClock()
  const got: string[] = []
  const rounds: RendezvousResult[] = []
  return {
    clock,
    got,
    rounds,
    rv: new Rendezvous({ routing: r, key: null as unknown as CID, selfId: SELF, clock, intervalMs: 1000, timeoutMs: 500, maxProviders: over.maxProviders ?? 10, onProvider: (id, addrs) => { got.push(`${id}@${addrs.join()}`) }, onRound: (res) => { rounds.push(res) }, ready: over.ready })
  }
}

describe('enclave rendezvous', () => {
  it('derives one key per enclave topic, the same on every node', async () => {
    const a = await rendezvousKey(topicFor('public', 'a'))
    expect((await rendezvousKey(topicFor('public', 'a'))).equals(a)).toBe(true)
    expect((await rendezvousKey(topicFor('public', 'b'))).equals(a)).toBe(false)
    expect((await rendezvousKey(topicFor('private', 'a'))).equals(a)).toBe(false)
  })

  it('provides, then hands on every provider but itself, once at start and again each interval', async () => {
    const r = routing([SELF, ...OTHERS])
    const { clock, rv, got, rounds } = start(r)
    rv.start()
    clock.advance(0)
    await until(() => rounds.length === 1, { what: 'the first round' })
    expect(got).toEqual(OTHERS.map(id => `${id}@/ip4/10.0.0.1/tcp/4001`))
    expect(rounds).toEqual(['found'])
    clock.advance(999)
    await Promise.resolve()
    expect(r.provided).toHaveLength(1)
    clock.advance(1)
    await until(() => rounds.length === 2, { what: 'the second round' })
    expect(r.provided).toHaveLength(2)
    await rv.stop()
  })

  it('takes at most maxProviders from a round', async () => {
    const { clock, rv, got, rounds } = start(routing(OTHERS), { maxProviders: 2 })
    rv.start()
    clock.advance(0)
    await until(() => rounds.length === 1, { what: 'the round' })
    expect(got).toHaveLength(2)
    await rv.stop()
  })

  it('still looks up providers when providing fails, and reports a round that found nothing', async () => {
    const { clock, rv, got, rounds } = start(routing(OTHERS.slice(0, 1), { failProvide: true }))
    rv.start()
    clock.advance(0)
    await until(() => rounds.length === 1, { what: 'the round' })
    expect(got).toHaveLength(1)
    const alone = start(routing([], { failProvide: true, failFind: true }))
    alone.rv.start()
    alone.clock.advance(0)
    await until(() => alone.rounds.length === 1, { what: 'the failed round' })
    expect(alone.rounds).toEqual(['failed'])
    await Promise.all([rv.stop(), alone.rv.stop()])
  })

  it('looks up without providing until the node is ready (a relay client without its relayed address yet)', async () => {
    const r = routing(OTHERS)
    let ready = false
    const { clock, rv, got, rounds } = start(r, { ready: () => ready })
    rv.start()
    clock.advance(0)
    await until(() => rounds.length === 1, { what: 'the first round' })
    expect(r.provided).toHaveLength(0)
    expect(r.found).toBe(1)
    expect(got).toHaveLength(3)
    ready = true
    clock.advance(1000)
    await until(() => rounds.length === 2, { what: 'the second round' })
    expect(r.provided).toHaveLength(1)
    await rv.stop()
  })

  it('stop aborts a round in flight and arms no further round', async () => {
    const r = routing(OTHERS, { hang: true })
    const { clock, rv, rounds } = start(r)
    rv.start()
    clock.advance(0)
    await until(() => r.provided.length === 1, { what: 'the round to start' })
    await rv.stop()
    clock.advance(10_000)
    await Promise.resolve()
    expect(r.provided).toHaveLength(1)
    expect(rounds).toEqual([])
    await rv.stop()
  })
})
