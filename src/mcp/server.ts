/**
 * The REPRAM MCP server: an `McpServer` of the official SDK with the REPRAM tools
 * (src/mcp/tools.ts) over a backend (src/mcp/backend.ts). Transports: stdio
 * (`repram mcp`, src/mcp/stdio.ts) and streamable HTTP at `/mcp` (src/mcp/http.ts).
 *
 * @example
 * import { createRepramMcpServer } from './server.js'
 * import { nodeBackend } from './backend.js'
 * import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
 * const server = createRepramMcpServer(nodeBackend(node))
 * await server.connect(new StdioServerTransport())
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { VERSION } from '../version.js'
import type { McpBackend } from './backend.js'
import { MCP_SERVER_NAME } from './constants.js'
import { registerRepramTools, type RepramToolsOptions } from './tools.js'

export type { McpBackend } from './backend.js'
export { clientBackend, nodeBackend } from './backend.js'
export type { McpEncryption, RepramToolsOptions } from './tools.js'

/** Builds an MCP server offering the REPRAM tools over `backend`. */
export function createRepramMcpServer (backend: McpBackend, options: RepramToolsOptions = {}): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, version: VERSION },
    {
      capabilities: { tools: {} },
      instructions: 'REPRAM is an ephemeral key-value network: every record expires after its TTL and is then gone for good. ' +
        'Store with repram_store (share the key), read with repram_retrieve or repram_exists, list with repram_list_keys, ' +
        'and wait for another agent\'s write under a prefix with repram_watch instead of polling.'
    }
  )
  registerRepramTools(server, backend, options)
  return server
}
