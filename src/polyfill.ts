/**
 * Node 20 lacks `Promise.withResolvers`, which libp2p 3 uses, and a global `WebSocket`,
 * which libp2p's WebSockets transport dials with. This module must be
 * imported before anything else in every entry point (CLI, library index, tests).
 */
import { WebSocket } from 'ws'

interface Resolvers<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> }
if (typeof P.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T> (): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve']
      let reject!: Resolvers<T>['reject']
      const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
      return { promise, resolve, reject }
    }
  })
}

// Node 20 has no global WebSocket, which @libp2p/websockets dials with
// (`ReferenceError: WebSocket is not defined`): the `ws` package's, until Node 22.
const G = globalThis as unknown as { WebSocket?: unknown }
if (G.WebSocket === undefined) G.WebSocket = WebSocket

export {}
