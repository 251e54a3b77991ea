/**
 * Nodes with their HTTP server on 127.0.0.1:0 for tests, each stopped after the test that
 * started it (registers its own afterEach; call at the top of a test file).
 *
 * @example
 * const serve = servedNodes()
 * it('…', async () => { const { node, server } = await serve({ rateLimit: 1 }) })
 */
import { afterEach } from 'vitest'
import { createRepramNode } from '../../src/create.js'
import type { RepramNode } from '../../src/node/index.js'
import { startHttpServer, type RepramHttpServer } from '../../src/http/server.js'

/** What {@link servedNodes} hands back: the starter, and a way to add more cleanup to the same test. */
export interface ServedNodes {
  (config?: Record<string, unknown>): Promise<{ node: RepramNode, server: RepramHttpServer }>
  /** Runs `fn` after the test, before the nodes stop (last added, first run). */
  defer: (fn: () => Promise<void>) => void
}

/** Registers the cleanup and returns the starter of `test`-profile nodes with their HTTP server. */
export function servedNodes (): ServedNodes {
  let cleanup: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const f of cleanup.reverse()) await f()
    cleanup = []
  })
  const serve = (async (config: Record<string, unknown> = {}) => {
    const node = await createRepramNode({ config: { profile: 'test', ...config } })
    const server = await startHttpServer(node, { port: 0, host: '127.0.0.1' })
    cleanup.push(async () => { await server.close(); await node.stop() })
    return { node, server }
  }) as ServedNodes
  serve.defer = (fn) => { cleanup.push(fn) }
  return serve
}
