/**
 * MCP over stdio: JSON-RPC lines on stdin and stdout. stdout carries the protocol and
 * nothing else, so everything else a process writes must go to stderr.
 *
 * @example
 * const running = await serveStdio(createRepramMcpServer(backend))
 * await running.closed   // stdin ended or close() was called
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { Readable, Writable } from 'node:stream'

/** A server connected to stdio. */
export interface StdioServing {
  /** Resolves when the client goes away (stdin ends) or {@link close} was called. */
  closed: Promise<void>
  /** Closes the server and its transport. Safe to call twice. */
  close: () => Promise<void>
}

/** Options of {@link serveStdio}. */
export interface ServeStdioOptions {
  /** @default process.stdin */
  stdin?: Readable
  /** @default process.stdout */
  stdout?: Writable
  /**
   * Largest JSON-RPC message read from stdin, bytes. The SDK's transport closes (and the
   * server ends) when a message grows past it, so it must hold a full-size `repram_store`.
   * @default the SDK's 10 MiB
   */
  maxMessageBytes?: number
}

/** Connects `server` to stdin/stdout (the process's by default). */
export async function serveStdio (server: McpServer, opts: ServeStdioOptions = {}): Promise<StdioServing> {
  const stdin = opts.stdin ?? process.stdin
  const stdout = opts.stdout ?? process.stdout
  const transport = new StdioServerTransport(stdin, stdout, { maxBufferSize: opts.maxMessageBytes })
  let ended!: () => void
  const closed = new Promise<void>(resolve => { ended = resolve })
  transport.onclose = () => ended()
  // The SDK's stdio transport does not notice the end of stdin by itself. Requests read
  // before the end are still answered (`printf '…' | repram mcp` gets every answer).
  const inFlight = new Set<string | number>()
  let drained: (() => void) | undefined
  const onEnd = (): void => {
    if (inFlight.size === 0) { void close(); return }
    drained = () => { void close() }
  }
  stdin.once('end', onEnd)
  stdin.once('close', onEnd)
  let closing: Promise<void> | undefined
  const close = async (): Promise<void> => {
    closing ??= (async () => {
      stdin.off('end', onEnd)
      stdin.off('close', onEnd)
      await server.close().catch(() => {})
      ended()
    })()
    return await closing
  }
  await server.connect(transport)
  // Count requests in and answers out (connect() has set the server's handlers by now).
  const receive = transport.onmessage
  transport.onmessage = (message) => {
    const m = message as { id?: string | number, method?: string }
    if (m.id !== undefined && m.method !== undefined) inFlight.add(m.id)
    receive?.(message)
  }
  const send = transport.send.bind(transport)
  transport.send = async (message) => {
    try {
      await send(message)
    } finally {
      const m = message as { id?: string | number, method?: string }
      if (m.id !== undefined && m.method === undefined && inFlight.delete(m.id) && inFlight.size === 0) drained?.()
    }
  }
  return { closed, close }
}
