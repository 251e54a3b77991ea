/** GET /v1/watch (issue 18 §3). Placeholder mount point while it is being built. */
import type { Hono } from 'hono'
import type { RepramNode } from '../node/node.js'

/** Serves `GET /v1/watch`. */
export function mountWatchRoutes (_app: Hono, _node: RepramNode, _opts: { trustProxy: boolean }): void {}
