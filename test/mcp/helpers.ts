/**
 * Fixtures of the MCP tests: nodes on 127.0.0.1 with `/mcp`, MCP clients over HTTP and
 * over stdio (the built CLI), and readers of the tools' JSON text results.
 */
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { createRepramNode } from '../../src/create.js'
import type { RepramNode } from '../../src/node/index.js'
import { startHttpServer, type RepramHttpServer } from '../../src/http/server.js'

/** The repository root, and the built CLI's entry point. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = `${ROOT}bin/repram.js`

/** A UUID v4. */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** Cleanups run after each test, newest first. */
export type Cleanups = Array<() => Promise<void>>

/** A local node (profile test: 127.0.0.1, port 0, no mDNS, silent) with its HTTP API. */
export async function startNode (cleanups: Cleanups, config: Record<string, unknown> = {}): Promise<{ node: RepramNode, server: RepramHttpServer }> {
  const node = await createRepramNode({ config: { profile: 'test', ...config } })
  const server = await startHttpServer(node, { port: 0, host: '127.0.0.1' })
  cleanups.push(async () => { await server.close(); await node.stop() })
  return { node, server }
}

/** An MCP client connected to `url` (the node's `/mcp`) over streamable HTTP. */
export async function httpClient (cleanups: Cleanups, url: string): Promise<Client> {
  const client = new Client({ name: 'repram-test', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  cleanups.push(async () => { await client.close() })
  return client
}

/** An MCP client of `repram mcp` run from the built CLI, with `env` over a clean environment; stderr is collected. */
export async function stdioClient (cleanups: Cleanups, env: Record<string, string>, args: string[] = []): Promise<{ client: Client, stderr: () => string, pid: number }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp', ...args],
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', REPRAM_MDNS: 'false', ...env },
    stderr: 'pipe'
  })
  let stderr = ''
  transport.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const client = new Client({ name: 'repram-test', version: '1.0.0' })
  await client.connect(transport)
  const pid = transport.pid as number
  // close() ends stdin and waits for the process to exit (SIGTERM, then SIGKILL, if it lingers).
  cleanups.push(async () => { await client.close() })
  return { client, stderr: () => stderr, pid }
}

/** The text of a tool result's single text block. */
export function textOf (r: unknown): string {
  const res = r as CallToolResult
  if (res.content.length !== 1 || res.content[0].type !== 'text') throw new Error(`expected one text block, got ${JSON.stringify(res.content)}`)
  return res.content[0].text
}

/** Calls a tool that must succeed and parses its JSON text. */
export async function call (client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const r = await client.callTool({ name, arguments: args })
  if (r.isError === true) throw new Error(`${name} failed: ${textOf(r)}`)
  const text = textOf(r)
  return text.startsWith('null') ? null : JSON.parse(text)
}

/** Calls a tool that must fail and returns its one-line message. */
export async function callError (client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const r = await client.callTool({ name, arguments: args })
  if (r.isError !== true) throw new Error(`${name} succeeded: ${textOf(r)}`)
  return textOf(r)
}

/**
 * Starts `repram_watch` and resolves `subscribed` once the server says the watch is
 * subscribed (its progress notification), so a test writes only after that.
 */
export function startWatch (client: Client, args: Record<string, unknown>): { subscribed: Promise<void>, result: Promise<any> } {
  let ready!: () => void
  const subscribed = new Promise<void>(resolve => { ready = resolve })
  const result = client.callTool({ name: 'repram_watch', arguments: args }, undefined, { onprogress: () => ready() })
    .then(r => {
      if (r.isError === true) throw new Error(`repram_watch failed: ${textOf(r)}`)
      return JSON.parse(textOf(r))
    })
  return { subscribed, result }
}
