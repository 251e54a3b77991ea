/**
 * The MCP store tool with a configured signing key (owned keys, docs/owned-keys.md):
 * `repram_store` with `"owned": true` writes under the key's namespace, signed, through the
 * embedded-node backend and the remote (HTTP) backend alike; without a signing key the
 * schema has no `owned` and a call asking for it is refused. In-process MCP client and
 * server over the SDK's in-memory transport.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { clientBackend, nodeBackend, type McpBackend } from '../../src/mcp/backend.js'
import { createRepramMcpServer } from '../../src/mcp/server.js'
import { RepramClient } from '../../src/sdk/client.js'
import { ed25519Signer, type WriteSigner } from '../../src/sdk/owned.js'
import { call, callError, startNode, type Cleanups } from './helpers.js'

const cleanups: Cleanups = []
afterEach(async () => {
  for (const f of cleanups.reverse()) await f()
  cleanups.length = 0
})

async function connect (backend: McpBackend, signer?: WriteSigner): Promise<Client> {
  const server = createRepramMcpServer(backend, { signer })
  const [a, b] = InMemoryTransport.createLinkedPair()
  const client = new Client({ name: 'owned-test', version: '1' })
  await Promise.all([server.connect(a), client.connect(b)])
  cleanups.push(async () => { await client.close(); await server.close() })
  return client
}

const signer = ed25519Signer(new Uint8Array(32).fill(5))

describe('repram_store with a signing key', () => {
  it.each(['node', 'remote'] as const)('writes "owned": true under the namespace, signed (%s backend); a plain key stays plain', async (kind) => {
    const { node, server } = await startNode(cleanups)
    const client = await connect(kind === 'node' ? nodeBackend(node) : clientBackend(new RepramClient(server.url)), signer)
    const tools = await client.listTools()
    expect(Object.keys((tools.tools.find(t => t.name === 'repram_store')?.inputSchema.properties ?? {}))).toContain('owned')
    const put = await call(client, 'repram_store', { key: 'agents/status', data: 'ready', ttl_seconds: 600, owned: true })
    expect(put.key).toBe(`${signer.namespace}agents/status`)
    expect(put.ttl_seconds).toBe(600)
    expect(new TextDecoder().decode((await node.get(put.key))?.value)).toBe('ready')
    // Generated keys go under the namespace too; a key already under it is signed as given.
    expect((await call(client, 'repram_store', { data: 'x', owned: true })).key.startsWith(signer.namespace)).toBe(true)
    expect((await call(client, 'repram_store', { key: `${signer.namespace}direct`, data: 'y' })).key).toBe(`${signer.namespace}direct`)
    expect((await call(client, 'repram_store', { key: 'plain/k', data: 'z' })).key).toBe('plain/k')
    expect(await call(client, 'repram_retrieve', { key: put.key })).toMatchObject({ data: 'ready' })
  })

  it('refuses "owned" without a signing key, and another owner\'s key is a 403 the tool reports', async () => {
    const { node } = await startNode(cleanups)
    const plain = await connect(nodeBackend(node))
    expect(await callError(plain, 'repram_store', { key: 'k', data: 'v', owned: true })).toMatch(/signing key/)
    const other = ed25519Signer(new Uint8Array(32).fill(6))
    const signed = await connect(nodeBackend(node), signer)
    expect(await callError(signed, 'repram_store', { key: `${other.namespace}k`, data: 'v' })).toMatch(/owner/)
    expect(await node.has(`${other.namespace}k`)).toBe(false)
  })
})
