/**
 * MCP over streamable HTTP at `/mcp` (issue 18 §2). Placeholder mount point while it is being built.
 */
import type { Hono } from 'hono'
import type { RepramNode } from '../node/node.js'

/** Serves the MCP tools at `/mcp`. */
export function mountMcpRoutes (_app: Hono, _node: RepramNode): void {}
