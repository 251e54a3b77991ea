/**
 * yamux (`@chainsafe/libp2p-yamux`) with one guard against an upstream race that kills the
 * process. A stream opened on a connection sends its opening window update from a
 * microtask; if the connection starts closing in between (this node prunes a connection
 * while gossipsub, identify or the replicate protocol opens a stream on it), the
 * connection's `send()` throws `StreamStateError` inside that microtask, where nothing
 * catches it: an uncaught exception, and `repram start` exits. The guard drops a yamux
 * frame that the connection (or the raw connection under noise) refuses because it is
 * closing; the closing connection aborts its streams anyway. (Reproduced in test/unit/net/muxer.test.ts.)
 */
import { yamux, type YamuxMuxerInit } from '@chainsafe/libp2p-yamux'
import type { MessageStream, StreamMuxer, StreamMuxerFactory } from '@libp2p/interface'

type FrameSender = (...args: unknown[]) => boolean

/** `yamux()` whose muxers drop a frame that a closing connection refuses (no uncaught exception). */
export function guardedYamux (init: YamuxMuxerInit = {}): () => StreamMuxerFactory {
  const make = yamux(init)
  return () => {
    const factory = make()
    return {
      protocol: factory.protocol,
      createStreamMuxer: (maConn: MessageStream): StreamMuxer => {
        const muxer = factory.createStreamMuxer(maConn)
        // Streams bind `muxer.sendFrame` when they are created, so an own property set
        // here, before any stream exists, is what they call.
        const target = muxer as unknown as { sendFrame?: FrameSender }
        const send = target.sendFrame
        if (typeof send !== 'function') throw new Error('yamux changed: no sendFrame to guard (see src/net/muxer.ts)')
        target.sendFrame = function (this: unknown, ...args: unknown[]): boolean {
          try {
            return send.apply(muxer, args)
          } catch (err) {
            // The connection (or the raw one under noise) is closing: nothing more goes out.
            if ((err as Error)?.name === 'StreamStateError') return false
            throw err
          }
        }
        return muxer
      }
    }
  }
}
