/**
 * MCP over streamable HTTP at `/mcp` (issue 18 §2), mounted by `createHttpApp` when the
 * config says `mcpHttp` (REPRAM_MCP_HTTP). Stateless: each POST gets its own MCP server
 * and transport over the node itself (no HTTP hop), answered as an SSE stream (so
 * `repram_watch` can send its progress notification) and closed when that reply ends or
 * the client goes away. The route is rate limited with the data routes (src/http/app.ts).
 *
 * Errors: a method other than POST gets 405 `{error, message}` like the rest of the API;
 * protocol errors (bad JSON, wrong Accept or Content-Type, a body above the bound) are
 * answered by the SDK's transport as JSON-RPC errors, which is what MCP clients read.
 *
 * @example
 * // REPRAM_MCP_HTTP=true repram start, then in an MCP client:
 * // { "mcpServers": { "repram": { "type": "http", "url": "http://127.0.0.1:8080/mcp" } } }
 */
import type { Hono } from 'hono'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import type { RepramNode } from '../node/node.js'
import { nodeBackend } from './backend.js'
import { MCP_BODY_OVERHEAD_BYTES } from './constants.js'
import { createRepramMcpServer } from './server.js'
import type { RepramToolsOptions } from './tools.js'

/** Options of {@link mountMcpRoutes}. */
export interface McpRoutesOptions extends Pick<RepramToolsOptions, 'watchMaxSeconds' | 'watchDefaultSeconds'> {
  /** Largest request body, bytes. @default 2 × node.config.maxValueBytes + 1 MiB */
  maxBodyBytes?: number
}

/** Serves the MCP tools at `/mcp` for `node`. */
export function mountMcpRoutes (app: Hono, node: RepramNode, opts: McpRoutesOptions = {}): void {
  const backend = nodeBackend(node)
  const maxBodyBytes = opts.maxBodyBytes ?? 2 * node.config.maxValueBytes + MCP_BODY_OVERHEAD_BYTES
  app.post('/mcp', async (c) => {
    const request = c.req.raw
    const server = createRepramMcpServer(backend, {
      watchMaxSeconds: opts.watchMaxSeconds,
      watchDefaultSeconds: opts.watchDefaultSeconds,
      // A client that goes away ends its pending watch at once.
      signal: request.signal,
      info: { transport: 'streamable-http' }
    })
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, maxRequestBodySize: maxBodyBytes })
    let closed = false
    const close = (): void => {
      if (closed) return
      closed = true
      request.signal.removeEventListener('abort', close)
      server.close().catch(() => {})
    }
    request.signal.addEventListener('abort', close, { once: true })
    try {
      await server.connect(transport)
      const res = await transport.handleRequest(request)
      if (res.body === null) {
        close()
        return res
      }
      // Close the per-request server once its reply has been read to the end.
      const body = res.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ flush: close }))
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers })
    } catch (err) {
      close()
      throw err
    }
  })
  app.all('/mcp', (c) => {
    c.header('Allow', 'POST, OPTIONS')
    return c.json({ error: 'method_not_allowed', message: `${c.req.method} is not allowed at /mcp: this MCP endpoint is stateless, send JSON-RPC requests with POST` }, 405)
  })
}
