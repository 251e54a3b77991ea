/**
 * Defaults of the MCP server (issue 18 §2), each with its reason. Every one can be changed:
 * `repram mcp` flags and `REPRAM_MCP_*` env (src/cli/mcp-command.ts), or the options of
 * `createRepramMcpServer` / `mountMcpRoutes`.
 */

/** Name the server gives itself in the MCP handshake. */
export const MCP_SERVER_NAME = 'repram'

/**
 * Wait of `repram_watch` when the call names none: long enough for another agent to
 * answer, short enough that a host's own request timeout (often 60 s) does not fire first.
 */
export const DEFAULT_WATCH_SECONDS = 30

/**
 * Longest wait of `repram_watch`: each pending watch holds a listener (and, over HTTP, a
 * request and an SSE connection); five minutes bounds how long a forgotten one lingers.
 */
export const MAX_WATCH_SECONDS = 300

/** Storage cap of the node `repram mcp` embeds, MiB: a side-car for one agent, not a server. */
export const EMBEDDED_MAX_STORAGE_MB = 64

/**
 * Extra bytes an MCP request body at `/mcp` may have beyond twice `maxValueBytes`: the
 * JSON-RPC envelope and JSON escaping of the data (a `repram_store` of a full-size value
 * must fit; a body above the bound gets 413 before it is parsed).
 */
export const MCP_BODY_OVERHEAD_BYTES = 1024 * 1024
