/**
 * Serves the HTTP API on a socket, with graceful shutdown: on `close()` new requests
 * get 503, idle keep-alive sockets are closed at once, in-flight requests get up to
 * `drainTimeoutMs`, then every socket is closed.
 */
import type { AddressInfo } from 'node:net'
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import type { RepramNode } from '../node/node.js'
import { createHttpApp, type HttpAppOptions, type HttpAppState } from './app.js'
import { attachAttestationStream } from './attestations.js'
import { answerClientError } from './client-error.js'

/** Options of {@link startHttpServer}; defaults come from the node's config. */
export interface HttpServerOptions extends HttpAppOptions {
  /** @default node.config.httpPort */
  port?: number
  /** @default node.config.httpHost */
  host?: string
  /** @default node.config.drainTimeoutMs */
  drainTimeoutMs?: number
}

/** A running HTTP server. */
export interface RepramHttpServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  readonly port: number
  readonly host: string
  readonly app: Hono
  readonly server: Server
  readonly state: HttpAppState
  /** Drains and closes. Safe to call twice. Does not stop the node. */
  close(): Promise<void>
}

/** Starts serving `node` over HTTP. */
export async function startHttpServer (node: RepramNode, opts: HttpServerOptions = {}): Promise<RepramHttpServer> {
  const { app, state, watch, direct } = createHttpApp(node, opts)
  const host = opts.host ?? node.config.httpHost
  const port = opts.port ?? node.config.httpPort
  const drainTimeoutMs = opts.drainTimeoutMs ?? node.config.drainTimeoutMs
  const server = await new Promise<Server>((resolve, reject) => {
    // The data routes are answered ahead of hono (direct.ts); everything else goes to it.
    const s = serve({
      fetch: app.fetch,
      port,
      hostname: host,
      createServer: (options: ServerOptions, listener: RequestListener) => createServer(options, (req, res) => {
        if (!direct(req, res)) listener(req, res)
      })
    } as Parameters<typeof serve>[0]) as Server
    s.once('error', reject)
    s.once('listening', () => { s.off('error', reject); resolve(s) })
  })
  // Slow-loris bounds: a request must arrive whole within 30 s; idle keep-alive 5 s.
  server.requestTimeout = 30_000
  server.headersTimeout = 10_000
  server.keepAliveTimeout = 5_000
  // What the HTTP parser refuses gets the API's JSON error, not Node's bare 400.
  server.on('clientError', answerClientError)
  const attestationStream = attachAttestationStream(server, node, node.attestations, { rateLimit: opts.rateLimit, trustProxy: opts.trustProxy })
  const addr = server.address() as AddressInfo
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  let closing: Promise<void> | undefined
  return {
    url: `http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost === '[::]' ? '[::1]' : shownHost}:${addr.port}`,
    port: addr.port,
    host: addr.address,
    app,
    server,
    state,
    close: () => {
      closing ??= (async () => {
        state.draining = true
        attestationStream.close()
        // Watch streams never finish by themselves: end them so their clients move on.
        watch.closeAll()
        const closed = new Promise<void>(resolve => server.close(() => resolve()))
        server.closeIdleConnections()
        const deadline = Date.now() + drainTimeoutMs
        while (state.inFlight > 0 && Date.now() < deadline) {
          await new Promise(resolve => setTimeout(resolve, 20))
          server.closeIdleConnections()
        }
        server.closeAllConnections()
        await closed
      })()
      return closing
    }
  }
}
