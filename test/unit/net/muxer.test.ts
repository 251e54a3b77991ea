/**
 * The yamux guard (src/net/muxer.ts): a stream opened in the same tick its connection
 * starts closing sends its opening window update from a microtask. Plain yamux lets the
 * connection's StreamStateError escape there (an uncaught exception: the process dies);
 * the guarded muxer drops the frame.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createLibp2p, type Libp2p } from 'libp2p'
import { memory } from '@libp2p/memory'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { randomUUID } from 'node:crypto'
import { guardedYamux } from '../../../src/net/muxer.js'

const nodes: Libp2p[] = []
afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => { await n.stop() })) })

async function pair (muxer: ReturnType<typeof yamux> | ReturnType<typeof guardedYamux>): Promise<any> {
  const mk = async (): Promise<Libp2p> => {
    const n = await createLibp2p({ addresses: { listen: [`/memory/${randomUUID()}`] }, transports: [memory()], connectionEncrypters: [noise()], streamMuxers: [muxer as any] })
    nodes.push(n)
    return n
  }
  const a = await mk()
  const b = await mk()
  return await a.dial(b.getMultiaddrs()[0])
}

const windowUpdate = { type: 1, flag: 0, streamID: 1, length: 0 }

describe('guarded yamux', () => {
  it('plain yamux throws when a frame goes out on a closing connection (the upstream race)', async () => {
    const conn = await pair(yamux())
    void conn.maConn.close()
    expect(() => conn.muxer.sendFrame(windowUpdate)).toThrow(/closing|closed/)
  })

  it('drops the frame instead, and a stream opened as its connection closes throws nothing', async () => {
    const uncaught: unknown[] = []
    const onUncaught = (err: unknown): void => { uncaught.push(err) }
    process.on('uncaughtException', onUncaught)
    try {
      const conn = await pair(guardedYamux())
      conn.muxer.createStream() // its window update is sent from a microtask…
      void conn.maConn.close() // …after the connection started closing
      expect(conn.muxer.sendFrame(windowUpdate)).toBe(false)
      // The microtask has run by the next macrotask.
      await new Promise(resolve => setImmediate(resolve))
      expect(uncaught).toEqual([])
    } finally {
      process.off('uncaughtException', onUncaught)
    }
  })
})
