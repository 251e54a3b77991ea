/**
 * The replicate server's per-frame signal (issue 16 soak): each frame in work gets its own
 * signal, aborted at the frame's deadline or when the stream closes, and released when the
 * frame is answered (no AbortSignal.any over a per-stream signal, which leaked in Node 20).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { lpStream, streamPair } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { serveReplicateStream, type ReplicateHandler } from '../../../src/net/replicate.js'
import { ReplicateRequest, ReplicateResponse, WriteResult, type Write } from '../../../src/wire/pb/repram.js'

const write = (key: string): Write => ({ key, value: new Uint8Array([1]), createdAt: 1, expiresAt: 2, writeId: `w-${key}`, origin: new Uint8Array() })

function handler (writes: ReplicateHandler['writes']): ReplicateHandler {
  return { writes, fetch: async () => undefined, leave: () => {}, seen: () => {}, refused: () => {} }
}

let streams: Stream[] = []
afterEach(() => { for (const s of streams) s.abort(new Error('test over')); streams = [] })

async function serve (h: ReplicateHandler, frameTimeoutMs: number): Promise<{ client: ReturnType<typeof lpStream>, served: Promise<void>, outbound: Stream }> {
  const [outbound, inbound] = await streamPair()
  streams.push(outbound, inbound)
  const served = serveReplicateStream(inbound, 'peer-a', { network: 'n', enclave: 'e', maxFrameBytes: 1 << 20, maxWritesPerFrame: 64, frameTimeoutMs, handler: h })
  return { client: lpStream(outbound), served, outbound }
}

describe('replicate server, frame signals', () => {
  it('gives each frame its own live signal and answers every frame of a long-lived stream', async () => {
    const seen: AbortSignal[] = []
    const { client } = await serve(handler(async (ws, _from, signal) => { seen.push(signal); return ws.map(() => WriteResult.HELD) }), 60_000)
    for (let id = 1; id <= 50; id++) {
      await client.write(ReplicateRequest.encode({ id, network: 'n', enclave: 'e', writes: [write(`k${id}`)], members: false }))
      const res = ReplicateResponse.decode(await client.read())
      expect(res.id).toBe(id)
      expect(res.results).toEqual([WriteResult.HELD])
    }
    expect(new Set(seen).size).toBe(50)
    expect(seen.every(s => !s.aborted)).toBe(true)
  })

  it('aborts a frame\'s signal at its deadline and answers its writes FAILED', async () => {
    let signal: AbortSignal | undefined
    const { client } = await serve(handler(async (_ws, _from, s) => {
      signal = s
      await new Promise<void>(resolve => s.addEventListener('abort', () => resolve(), { once: true }))
      throw s.reason
    }), 50)
    await client.write(ReplicateRequest.encode({ id: 7, network: 'n', enclave: 'e', writes: [write('a'), write('b')], members: false }))
    const res = ReplicateResponse.decode(await client.read())
    expect(res.id).toBe(7)
    expect(res.results).toEqual([WriteResult.FAILED, WriteResult.FAILED])
    expect(signal?.aborted).toBe(true)
    expect((signal?.reason as Error).name).toBe('TimeoutError')
  })

  it('aborts the signals of frames in work when the stream closes', async () => {
    const signals: AbortSignal[] = []
    let started!: () => void
    const allStarted = new Promise<void>(resolve => { started = resolve })
    const { client, served, outbound } = await serve(handler(async (_ws, _from, s) => {
      signals.push(s)
      if (signals.length === 2) started()
      await new Promise<void>(resolve => s.addEventListener('abort', () => resolve(), { once: true }))
      return [WriteResult.FAILED]
    }), 60_000)
    await client.write(ReplicateRequest.encode({ id: 1, network: 'n', enclave: 'e', writes: [write('a')], members: false }))
    await client.write(ReplicateRequest.encode({ id: 2, network: 'n', enclave: 'e', writes: [write('b')], members: false }))
    await allStarted
    outbound.abort(new Error('peer gone'))
    await served
    await expect.poll(() => signals.every(s => s.aborted)).toBe(true)
  })
})
