/**
 * Write coalescing (src/net/coalesce.ts): real libp2p nodes on 127.0.0.1 over TCP, noise
 * and yamux. Frames a node sends in one event-loop turn leave its socket in one write,
 * in order; a connection closed right after sending still delivers everything; plain
 * `tcp()` (the baseline) writes twice per frame.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Connection, Stream } from '@libp2p/interface'
import type { Socket } from 'node:net'
import { coalescing } from '../../../src/net/coalesce.js'

const PROTOCOL = '/repram-test/coalesce/1'
const nodes: Libp2p[] = []
afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => { await n.stop() })) })

/** Two nodes, the second collecting every byte its protocol handler reads. */
async function pair (transport: typeof tcp | (() => ReturnType<typeof coalescing>)): Promise<{ conn: Connection, received: () => Buffer, ended: Promise<void> }> {
  const mk = async (): Promise<Libp2p> => {
    const n = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [transport() as any], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    nodes.push(n)
    return n
  }
  const a = await mk()
  const b = await mk()
  const chunks: Buffer[] = []
  let end!: () => void
  const ended = new Promise<void>(resolve => { end = resolve })
  await b.handle(PROTOCOL, (stream: Stream) => {
    stream.addEventListener('message', evt => { chunks.push(Buffer.from(evt.data.subarray())) })
    stream.addEventListener('remoteCloseWrite', () => end())
    stream.addEventListener('close', () => end())
  })
  const conn = await a.dial(b.getMultiaddrs()[0])
  return { conn, received: () => Buffer.concat(chunks), ended }
}

/** Counts the socket-level writes (`_write` / `_writev`: one syscall each) of a connection. */
function countWrites (conn: Connection): { writes: () => number } {
  const socket = (conn as unknown as { maConn: { socket: Socket } }).maConn.socket
  expect(socket, 'a TCP connection exposes its socket').toBeDefined()
  let n = 0
  const s = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>
  for (const m of ['_write', '_writev'] as const) {
    const orig = s[m]
    s[m] = function (this: unknown, ...args: unknown[]) { n++; return orig.apply(this, args) }
  }
  return { writes: () => n }
}

const message = (i: number): Uint8Array => Buffer.from(`message ${String(i).padStart(4, '0')};`)

async function sendInOneTurn (conn: Connection, count: number): Promise<{ stream: Stream, writes: number, expected: Buffer }> {
  const stream = await conn.newStream(PROTOCOL)
  // Let the stream's opening frames go first: only the burst below is counted.
  await new Promise(resolve => setImmediate(resolve))
  await new Promise(resolve => setImmediate(resolve))
  const counter = countWrites(conn)
  const sent: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    sent.push(message(i))
    stream.send(message(i))
  }
  await new Promise(resolve => setImmediate(resolve))
  await new Promise(resolve => setImmediate(resolve))
  return { stream, writes: counter.writes(), expected: Buffer.concat(sent) }
}

describe('coalescing TCP writes', () => {
  it('plain tcp() writes each frame on its own (the baseline the wrapper improves)', async () => {
    const { conn } = await pair(tcp)
    const { writes } = await sendInOneTurn(conn, 200)
    expect(writes).toBeGreaterThanOrEqual(200)
  })

  it('sends 200 frames of one turn in one or two socket writes, every byte in order', async () => {
    const { conn, received, ended } = await pair(() => coalescing(tcp()))
    const { stream, writes, expected } = await sendInOneTurn(conn, 200)
    expect(writes).toBeGreaterThanOrEqual(1)
    expect(writes).toBeLessThanOrEqual(2)
    await stream.close()
    await ended
    expect(received().equals(expected)).toBe(true)
  })

  it('delivers what was sent when the connection closes in the same turn', async () => {
    const { conn, received, ended } = await pair(() => coalescing(tcp()))
    const stream = await conn.newStream(PROTOCOL)
    const sent: Uint8Array[] = []
    for (let i = 0; i < 50; i++) {
      sent.push(message(i))
      stream.send(message(i))
    }
    const closing = stream.close()
    await closing
    await conn.close()
    await ended
    expect(received().equals(Buffer.concat(sent))).toBe(true)
  })
})
