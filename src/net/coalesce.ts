/**
 * Write coalescing for TCP connections (issue 15). Under a libp2p connection every yamux
 * frame becomes a noise message, and `@libp2p/tcp` writes each message as two
 * `socket.write` calls (the 2-byte length, then the ciphertext): two `write` syscalls per
 * frame, since an uncorked socket writes at once. Profiles of a loaded cluster showed
 * those syscalls as the largest single cost of a writer (19 % of its CPU) and 8 % of a
 * replica's. Here each connection's socket is corked on its first write of an
 * event-loop turn and uncorked at the end of the turn (`setImmediate`): everything the
 * turn sent to that peer (replicate batches, their acks, gossip, window updates) leaves
 * in one `writev`. Order is unchanged; backpressure is the socket's own (a corked write
 * still returns false past the high-water mark); `end()` uncorks, so a closing
 * connection still sends what it has; a destroyed one drops it, as it drops the unsent
 * bytes of an uncorked socket.
 *
 * The hook is the transport's public side: `dial` and `createListener` get an upgrader
 * that corks each raw connection before upgrading it. Connections of any other kind
 * (no `socket` to cork) pass through unchanged.
 *
 * @example
 * createLibp2p({ transports: [coalescing(tcp())], ... })
 */
import type { Socket } from 'node:net'
import type { MultiaddrConnection, Transport, Upgrader } from '@libp2p/interface'

type SendData = (data: unknown) => unknown

/** What this module needs of `@libp2p/tcp`'s connection: its socket and its `sendData`. */
interface CorkableConnection {
  socket?: Socket
  sendData?: SendData
}

/** Marks connections already corked (an upgrader can be wrapped twice by nested transports). */
const CORKED = Symbol('repram.corked')

/**
 * Makes `maConn` coalesce its socket writes per event-loop turn. Returns whether it did
 * (false: not a socket connection, or already done).
 */
export function corkPerTurn (maConn: MultiaddrConnection): boolean {
  const c = maConn as unknown as CorkableConnection & { [CORKED]?: true }
  const socket = c.socket
  const send = c.sendData
  if (c[CORKED] === true || socket === undefined || typeof socket.cork !== 'function' || typeof send !== 'function') return false
  c[CORKED] = true
  let corked = false
  const uncork = (): void => {
    corked = false
    socket.uncork()
  }
  c.sendData = function (this: unknown, data: unknown): unknown {
    if (!corked && !socket.destroyed && !socket.writableEnded) {
      corked = true
      socket.cork()
      setImmediate(uncork)
    }
    return send.call(this, data)
  }
  return true
}

/** `upgrader` whose inbound and outbound upgrades first cork the raw connection. */
function corkingUpgrader (upgrader: Upgrader): Upgrader {
  return new Proxy(upgrader, {
    get (target, prop) {
      if (prop === 'upgradeInbound' || prop === 'upgradeOutbound') {
        const upgrade = target[prop] as (maConn: MultiaddrConnection, ...rest: unknown[]) => unknown
        return (maConn: MultiaddrConnection, ...rest: unknown[]) => {
          corkPerTurn(maConn)
          return upgrade.call(target, maConn, ...rest)
        }
      }
      const v = Reflect.get(target, prop, target)
      return typeof v === 'function' ? v.bind(target) : v
    }
  })
}

/** A transport factory whose connections coalesce their writes per event-loop turn (see the module doc). */
export function coalescing<C> (factory: (components: C) => Transport): (components: C) => Transport {
  return (components: C) => {
    const transport = factory(components)
    return new Proxy(transport, {
      get (target, prop) {
        if (prop === 'dial') {
          return async (ma: Parameters<Transport['dial']>[0], options: Parameters<Transport['dial']>[1]) =>
            await target.dial(ma, { ...options, upgrader: corkingUpgrader(options.upgrader) })
        }
        if (prop === 'createListener') {
          return (options: Parameters<Transport['createListener']>[0]) =>
            target.createListener({ ...options, upgrader: corkingUpgrader(options.upgrader) })
        }
        const v = Reflect.get(target, prop, target)
        return typeof v === 'function' ? v.bind(target) : v
      }
    })
  }
}
