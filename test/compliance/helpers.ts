/**
 * Shared helpers of the compliance suites: a single node on a {@link ManualClock}, a
 * flagged value, and a fetch that routes SDK calls to hono apps without sockets.
 */
import { createRepramNode } from '../../src/create.js'
import { type RepramNode } from '../../src/node/index.js'
import { createHttpApp } from '../../src/http/app.js'
import { ManualClock } from '../../src/clock.js'
import type { RepramConfigInput } from '../../src/config.js'
import type { Hono } from 'hono'
import { PassThrough } from 'node:stream'
import type { CliIo } from '../../src/cli/io.js'

/** A value whose first bit is set: the compliance flag (DESIGN §6). */
export function flagged (body = 'ciphertext'): Uint8Array {
  const b = new TextEncoder().encode(`.${body}`)
  b[0] = 0x80
  return b
}

/** A value whose first bit is clear. */
export function unflagged (body = 'plain'): Uint8Array {
  return new TextEncoder().encode(body)
}

/** Nodes started by {@link startNode}; stop them with {@link stopNodes} in afterEach. */
const live = new Set<RepramNode>()

/** A local test-profile node on a manual clock (cycles of 60 s unless overridden). */
export async function startNode (config: RepramConfigInput = {}, clock = new ManualClock(1_700_000_040_000)): Promise<{ node: RepramNode, clock: ManualClock, app: Hono }> {
  const node = await createRepramNode({ config: { profile: 'test', attestationCycleMs: 60_000, ...config }, clock })
  live.add(node)
  return { node, clock, app: createHttpApp(node).app }
}

/** Stops every node {@link startNode} started. */
export async function stopNodes (): Promise<void> {
  const all = [...live]
  live.clear()
  await Promise.all(all.map(async n => { await n.stop() }))
}

/** A fetch for the SDK that sends `http://<name>/…` to `apps[name]` via `app.request()`. */
export function routedFetch (apps: Record<string, Hono>): (input: string) => Promise<Response> {
  return async (input: string) => {
    const u = new URL(input)
    const app = apps[u.host]
    if (app === undefined) throw new TypeError(`fetch failed: no app for ${u.host}`)
    return await app.request(u.pathname + u.search)
  }
}


/** A CLI I/O whose stdout and stderr are collected, for `runCli` in-process. */
export function captureIo (): { io: CliIo, out: () => string, err: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let o = ''
  let e = ''
  stdout.setEncoding('utf8').on('data', (s: string) => { o += s })
  stderr.setEncoding('utf8').on('data', (s: string) => { e += s })
  return { io: { stdin: new PassThrough(), stdout, stderr, env: {}, exit: () => {} }, out: () => o, err: () => e }
}
