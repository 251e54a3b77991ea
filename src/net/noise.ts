/**
 * noise (`@chainsafe/libp2p-noise`) without a new `RangeError` per received chunk (issue 15).
 * An encrypted connection splits what it reads into noise messages with a length-prefix
 * decoder that calls noise's `uint16BEDecode` until the buffer runs out. That function
 * reports "fewer than 2 bytes left" by throwing `new RangeError(...)`, which the decoder
 * catches as "wait for more". So every chunk a connection reads ends in a freshly built
 * error with a captured stack trace: about 5–7 µs on this machine (one thrown shared
 * error costs 0.3 µs). Cluster profiles put `uint16BEDecode` at 3.6 % of a writer's CPU,
 * 4.9 % of a replica's and 4–5 % of an idle node's.
 *
 * {@link noiseLength} reads the same big-endian 16-bit length and signals a short buffer
 * with one shared `RangeError`, which the decoder's `instanceof RangeError` check treats
 * the same way. The wrapper installs it on each encrypted connection noise returns; the
 * handshake, the cipher and everything else are noise's own. When a noise release no
 * longer has the decoder where this expects it, the connection is left as it is (only the
 * saving is lost), and test/unit/net/noise.test.ts fails on that version.
 *
 * @example
 * createLibp2p({ connectionEncrypters: [lightNoise()], ... })
 */
import { noise, type NoiseInit } from '@chainsafe/libp2p-noise'
import type { Uint8ArrayList } from 'uint8arraylist'

/** Thrown for "fewer than 2 bytes": built once, so throwing it captures no stack. */
const SHORT = new RangeError('fewer than 2 bytes of a noise length prefix')

/** The big-endian 16-bit length at the start of `data`; throws a shared RangeError below 2 bytes. */
export function noiseLength (data: Uint8Array | Uint8ArrayList): number {
  if (data.byteLength < 2) throw SHORT
  if (data instanceof Uint8Array) return (data[0] << 8) | data[1]
  return (data.get(0) << 8) | data.get(1)
}

/** What this module changes on noise's connection: its message decoder's length reader. */
interface DecodingConnection { decoder?: { lengthDecoder?: unknown } }

/**
 * Installs {@link noiseLength} on an encrypted connection returned by noise; returns
 * whether it did (false: this noise release keeps its decoder elsewhere).
 */
export function lightenDecoder (connection: unknown): boolean {
  const decoder = (connection as DecodingConnection | undefined)?.decoder
  if (decoder === undefined || typeof decoder.lengthDecoder !== 'function') return false
  decoder.lengthDecoder = noiseLength
  return true
}

type NoiseFactory = ReturnType<typeof noise>

/** `noise(init)` whose encrypted connections read length prefixes with {@link noiseLength}. */
export function lightNoise (init?: NoiseInit): NoiseFactory {
  const make = noise(init)
  return (components) => {
    const encrypter = make(components)
    const inbound = encrypter.secureInbound.bind(encrypter)
    const outbound = encrypter.secureOutbound.bind(encrypter)
    const lighten = <T extends { connection: unknown }>(secured: T): T => {
      lightenDecoder(secured.connection)
      return secured
    }
    encrypter.secureInbound = async (...args) => lighten(await inbound(...args))
    encrypter.secureOutbound = async (...args) => lighten(await outbound(...args))
    return encrypter
  }
}
