/**
 * noise without a new RangeError per received chunk (src/net/noise.ts): the length
 * reader's results and its shared error, the wrapper installing it on this noise
 * release's connections (plain noise() keeps its own), and real libp2p nodes on
 * 127.0.0.1 (TCP, yamux) moving data through it intact in both directions, in chunks
 * that split noise messages and their length prefixes anywhere.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Connection, Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { randomBytes } from 'node:crypto'
import { lightNoise, lightenDecoder, noiseLength } from '../../../src/net/noise.js'

const ECHO = '/repram-test/echo/1'
const nodes: Libp2p[] = []
afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => { await n.stop() })) })

/** Two nodes with `encrypter`; the second echoes every byte of the protocol back. Returns both ends' connections. */
async function pair (encrypter: ReturnType<typeof noise>): Promise<{ conn: Connection, inbound: Connection }> {
  const mk = async (): Promise<Libp2p> => {
    const n = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [encrypter], streamMuxers: [yamux()] })
    nodes.push(n)
    return n
  }
  const a = await mk()
  const b = await mk()
  await b.handle(ECHO, (stream: Stream) => {
    stream.addEventListener('message', evt => { stream.send(evt.data) })
    stream.addEventListener('remoteCloseWrite', () => { void stream.close() })
  })
  const inbound = new Promise<Connection>(resolve => { b.addEventListener('connection:open', evt => { resolve(evt.detail) }, { once: true }) })
  const conn = await a.dial(b.getMultiaddrs()[0])
  return { conn, inbound: await inbound }
}

/** The length reader of the encrypted connection under a libp2p connection's muxer. */
function lengthReader (conn: Connection): unknown {
  return (conn as unknown as { muxer: { maConn: { decoder?: { lengthDecoder?: unknown } } } }).muxer.maConn.decoder?.lengthDecoder
}

describe('noise length reader', () => {
  it('reads the big-endian 16-bit length of a Uint8Array and of a list split anywhere', () => {
    expect(noiseLength(Uint8Array.of(0x01, 0x02, 0xff))).toBe(0x0102)
    expect(noiseLength(Uint8Array.of(0xff, 0xff))).toBe(0xffff)
    const split = new Uint8ArrayList(Uint8Array.of(0x12), Uint8Array.of(0x34, 0x56))
    expect(noiseLength(split)).toBe(0x1234)
  })

  it('signals fewer than 2 bytes with one shared RangeError, not a new one per call', () => {
    const caught: unknown[] = []
    for (const data of [new Uint8Array(0), Uint8Array.of(0x01), new Uint8ArrayList(), new Uint8ArrayList(Uint8Array.of(0x01))]) {
      try {
        noiseLength(data)
      } catch (err) {
        caught.push(err)
      }
    }
    expect(caught).toHaveLength(4)
    expect(caught[0]).toBeInstanceOf(RangeError)
    expect(new Set(caught).size).toBe(1)
  })

  it('lightenDecoder changes only a connection with a length-decoding decoder', () => {
    const conn = { decoder: { lengthDecoder: () => 0 } }
    expect(lightenDecoder(conn)).toBe(true)
    expect(conn.decoder.lengthDecoder).toBe(noiseLength)
    expect(lightenDecoder({})).toBe(false)
    expect(lightenDecoder({ decoder: {} })).toBe(false)
    expect(lightenDecoder(undefined)).toBe(false)
  })
})

describe('lightNoise', () => {
  it('installs the reader on both ends of this noise release (plain noise keeps its throwing one)', async () => {
    const plain = await pair(noise())
    for (const end of [plain.conn, plain.inbound]) {
      expect(typeof lengthReader(end)).toBe('function')
      expect(lengthReader(end)).not.toBe(noiseLength)
    }
    const light = await pair(lightNoise())
    expect(lengthReader(light.conn)).toBe(noiseLength)
    expect(lengthReader(light.inbound)).toBe(noiseLength)
  })

  it('carries 1 MiB both ways intact, in sends of uneven sizes', async () => {
    const { conn } = await pair(lightNoise())
    const stream = await conn.newStream(ECHO)
    const data = randomBytes(1024 * 1024)
    const back: Buffer[] = []
    let got = 0
    const done = new Promise<void>((resolve, reject) => {
      stream.addEventListener('message', evt => {
        const chunk = Buffer.from(evt.data.subarray())
        back.push(chunk)
        got += chunk.byteLength
        if (got >= data.byteLength) resolve()
      })
      stream.addEventListener('close', evt => { if (evt.error !== undefined) reject(evt.error) })
    })
    // Sizes that straddle noise's 65,535-byte messages and split their prefixes across reads.
    const sizes = [1, 2, 3, 65_535, 65_536, 70_000, 17, 100_000]
    for (let off = 0, i = 0; off < data.byteLength; i++) {
      const n = Math.min(sizes[i % sizes.length], data.byteLength - off)
      stream.send(data.subarray(off, off + n))
      off += n
    }
    await done
    expect(Buffer.concat(back).equals(data)).toBe(true)
    await stream.close()
  })
})
