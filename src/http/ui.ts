/**
 * The dashboard at `/ui` (issue 18 §4). Placeholder mount point while it is being built.
 */
import type { Hono } from 'hono'
import type { RepramNode } from '../node/node.js'

/** Serves the dashboard's static files under `/ui`. */
export function mountUiRoutes (_app: Hono, _node: RepramNode): void {}
