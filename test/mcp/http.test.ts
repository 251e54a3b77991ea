/**
 * The MCP tools at `/mcp` (streamable HTTP, stateless), driven by the SDK's own MCP
 * client against a node started in this process with `mcpHttp: true`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { RETRIEVE_NULL_TEXT, TOOL_NAMES } from '../../src/mcp/tools.js'
import { call, callError, httpClient, startNode, startWatch, textOf, UUID_V4, type Cleanups } from './helpers.js'

let cleanups: Cleanups = []
afterEach(async () => {
  for (const f of cleanups.reverse()) await f()
  cleanups = []
})

async function setup (config: Record<string, unknown> = {}): Promise<Awaited<ReturnType<typeof startNode>> & { client: Awaited<ReturnType<typeof httpClient>> }> {
  const started = await startNode(cleanups, { mcpHttp: true, ...config })
  const client = await httpClient(cleanups, `${started.server.url}/mcp`)
  return { ...started, client }
}

describe('MCP over streamable HTTP at /mcp', () => {
  it('lists the six tools, the reference four with their input schemas', async () => {
    const { client } = await setup()
    const { tools } = await client.listTools()
    expect(tools.map(t => t.name)).toEqual([...TOOL_NAMES])
    const schema = (name: string): any => tools.find(t => t.name === name)?.inputSchema
    expect(schema('repram_store').required).toEqual(['data'])
    // The reference's three, then REPRAM's optional jurisdictions.
    expect(Object.keys(schema('repram_store').properties)).toEqual(['data', 'ttl_seconds', 'key', 'jurisdictions'])
    expect(schema('repram_store').properties.ttl_seconds.type).toBe('number')
    expect(schema('repram_retrieve').required).toEqual(['key'])
    expect(schema('repram_exists').required).toEqual(['key'])
    expect(Object.keys(schema('repram_list_keys').properties)).toEqual(['prefix'])
    expect(schema('repram_list_keys').required ?? []).toEqual([])
    expect(schema('repram_watch').required).toEqual(['prefix'])
  })

  it('stores under a generated UUID v4 key and answers {key, ttl_seconds, expires_at}', async () => {
    const { client, node } = await setup()
    const put = await call(client, 'repram_store', { data: 'hello agents', ttl_seconds: 60 })
    expect(Object.keys(put)).toEqual(['key', 'ttl_seconds', 'expires_at'])
    expect(put.key).toMatch(UUID_V4)
    expect(put.ttl_seconds).toBe(60)
    const rec = await node.get(put.key)
    expect(new TextDecoder().decode(rec?.value)).toBe('hello agents')
    expect(put.expires_at).toBe(new Date(rec?.expiresAt as number).toISOString())
    const again = await call(client, 'repram_store', { data: 'x' })
    expect(again.key).toMatch(UUID_V4)
    expect(again.key).not.toBe(put.key)
    expect(again.ttl_seconds).toBe(node.config.defaultTtl)
  })

  it('stores with jurisdictions the node is in, and fails clearly on one no node is in', async () => {
    const { client, node } = await setup({ jurisdiction: 'eu' })
    await call(client, 'repram_store', { key: 'j/eu', data: 'a', ttl_seconds: 60, jurisdictions: ['eu'] })
    expect((await node.get('j/eu'))?.jurisdictions).toEqual(['eu'])
    const refused = await client.callTool({ name: 'repram_store', arguments: { key: 'j/ap', data: 'a', jurisdictions: ['ap'] } })
    expect(refused.isError).toBe(true)
    expect(JSON.stringify(refused.content)).toContain('no_jurisdiction_member')
    expect(await node.get('j/ap')).toBeUndefined()
  })

  it('applies numeric TTLs the node truncates and clamps: 0, -5, 1800.5 and past the maximum', async () => {
    const { client, node } = await setup({ minTtl: 30, maxTtl: 7200 })
    expect((await call(client, 'repram_store', { key: 't/zero', data: 'a', ttl_seconds: 0 })).ttl_seconds).toBe(30)
    expect((await call(client, 'repram_store', { key: 't/neg', data: 'a', ttl_seconds: -5 })).ttl_seconds).toBe(30)
    expect((await call(client, 'repram_store', { key: 't/dec', data: 'a', ttl_seconds: 1800.5 })).ttl_seconds).toBe(1800)
    expect((await call(client, 'repram_store', { key: 't/big', data: 'a', ttl_seconds: 1e12 })).ttl_seconds).toBe(7200)
    expect((await node.get('t/dec'))?.ttl).toBe(1800)
  })

  it('retrieves data with its TTL facts, and a missing key as the reference\'s null text', async () => {
    const { client } = await setup()
    await call(client, 'repram_store', { key: 'app/greeting', data: 'héllo ✓', ttl_seconds: 600 })
    const got = await call(client, 'repram_retrieve', { key: 'app/greeting' })
    expect(Object.keys(got)).toEqual(['data', 'created_at', 'remaining_ttl_seconds', 'expires_at'])
    expect(got.data).toBe('héllo ✓')
    expect(got.remaining_ttl_seconds).toBeGreaterThan(590)
    expect(got.remaining_ttl_seconds).toBeLessThanOrEqual(600)
    expect(Date.parse(got.expires_at) - Date.parse(got.created_at)).toBe(600_000)
    const missing = await client.callTool({ name: 'repram_retrieve', arguments: { key: 'app/nothing' } })
    expect(missing.isError).toBeFalsy()
    expect(textOf(missing)).toBe(RETRIEVE_NULL_TEXT)
  })

  it('returns a value that is not UTF-8 as base64 with encoding "base64"', async () => {
    const { client, node } = await setup()
    await node.put('bin/1', new Uint8Array([0xff, 0x00, 0xfe]), { ttl: 60 })
    const got = await call(client, 'repram_retrieve', { key: 'bin/1' })
    expect(got.encoding).toBe('base64')
    expect(Buffer.from(got.data, 'base64')).toEqual(Buffer.from([0xff, 0x00, 0xfe]))
  })

  it('says whether a key exists, with its remaining TTL', async () => {
    const { client } = await setup()
    await call(client, 'repram_store', { key: 'lock/a', data: 'held', ttl_seconds: 120 })
    const yes = await call(client, 'repram_exists', { key: 'lock/a' })
    expect(Object.keys(yes)).toEqual(['exists', 'remaining_ttl_seconds', 'expires_at'])
    expect(yes.exists).toBe(true)
    expect(yes.remaining_ttl_seconds).toBeGreaterThan(110)
    expect(await call(client, 'repram_exists', { key: 'lock/b' })).toEqual({ exists: false })
  })

  it('lists every key under a prefix, across more than one page of keysLimitMax', async () => {
    const { client, node } = await setup({ keysLimitMax: 3 })
    const want: string[] = []
    for (let i = 0; i < 8; i++) {
      want.push(`ns/${i}`)
      await node.put(`ns/${i}`, new Uint8Array([i]), { ttl: 60 })
    }
    await node.put('other/1', new Uint8Array([1]), { ttl: 60 })
    expect(await call(client, 'repram_list_keys', { prefix: 'ns/' })).toEqual({ keys: want })
    expect((await call(client, 'repram_list_keys')).keys).toEqual([...want, 'other/1'].sort())
    expect(await call(client, 'repram_list_keys', { prefix: 'none/' })).toEqual({ keys: [] })
  })

  it('reports the node\'s status and how the MCP server reaches it', async () => {
    const { client, node } = await setup()
    const status = await call(client, 'repram_status')
    expect(status.node_id).toBe(node.nodeId)
    expect(status.status).toBe('ok')
    expect(status.limits.min_ttl).toBe(node.config.minTtl)
    expect(status.mcp).toMatchObject({ backend: 'node', transport: 'streamable-http', encryption: 'off' })
  })

  it('watch returns the next write under the prefix, with its data, and stops listening', async () => {
    const { client, node } = await setup()
    const listeners = node.listenerCount('record:stored')
    const watch = startWatch(client, { prefix: 'chat/room1/', timeout_seconds: 20 })
    await watch.subscribed
    await node.put('chat/room2/x', new TextEncoder().encode('elsewhere'), { ttl: 60 })
    await node.put('chat/room1/m1', new TextEncoder().encode('hi there'), { ttl: 90 })
    const seen = await watch.result
    expect(seen).toMatchObject({ timed_out: false, key: 'chat/room1/m1', ttl_seconds: 90, size: 8, data: 'hi there' })
    expect(node.listenerCount('record:stored')).toBe(listeners)
  })

  it('watch answers timed_out when nothing is written in time, and clamps its wait to the maximum', async () => {
    const { client, node } = await setup()
    const listeners = node.listenerCount('record:stored')
    expect(await call(client, 'repram_watch', { prefix: 'quiet/', timeout_seconds: 0.2 })).toEqual({ timed_out: true, prefix: 'quiet/', timeout_seconds: 0.2 })
    expect(node.listenerCount('record:stored')).toBe(listeners)
  })

  it('clamps a watch longer than mcpWatchMaxSeconds to it, and says so in status', async () => {
    const { client } = await setup({ mcpWatchMaxSeconds: 1 })
    expect(await call(client, 'repram_watch', { prefix: 'quiet/', timeout_seconds: 30 })).toEqual({ timed_out: true, prefix: 'quiet/', timeout_seconds: 1 })
    expect((await call(client, 'repram_status')).mcp).toMatchObject({ watch_max_seconds: 1 })
  })

  it('answers bad input with a clear tool error, not a crash', async () => {
    const { client, node } = await setup({ maxKeyBytes: 16 })
    expect(await callError(client, 'repram_retrieve', { key: 5 })).toMatch(/repram_retrieve.*expected string/)
    expect(await callError(client, 'repram_store', { ttl_seconds: 60 })).toMatch(/repram_store.*data/)
    expect(await callError(client, 'repram_store', { data: 'x', ttl_seconds: '10s' })).toMatch(/ttl_seconds/)
    expect(await callError(client, 'repram_store', { data: 'x', key: 'k'.repeat(17) })).toBe('repram_store failed: invalid_key: key is 17 bytes; the limit is 16')
    expect(await callError(client, 'repram_retrieve', { key: '' })).toMatch(/^repram_retrieve failed: invalid_key: /)
    expect(await callError(client, 'repram_watch', { prefix: 'a/', timeout_seconds: -1 })).toBe('repram_watch failed: timeout_seconds must be a number above 0')
    expect(await callError(client, 'repram_store', { data: 'x', encrypted: true })).toMatch(/encrypted/)
    const unknown = await client.callTool({ name: 'repram_delete', arguments: { key: 'a' } })
    expect(unknown.isError).toBe(true)
    // Still serving.
    expect((await call(client, 'repram_store', { key: 'ok', data: 'fine' })).key).toBe('ok')
    expect(node.state).toBe('started')
  })

  it('answers methods other than POST with 405 JSON {error, message}', async () => {
    const { server } = await setup()
    for (const method of ['GET', 'DELETE', 'PUT']) {
      const res = await fetch(`${server.url}/mcp`, { method })
      expect(res.status).toBe(405)
      expect(res.headers.get('allow')).toBe('POST, OPTIONS')
      const body = await res.json() as { error: string, message: string }
      expect(body.error).toBe('method_not_allowed')
      expect(body.message).toMatch(/POST/)
    }
  })

  it('answers a body that is not JSON-RPC with a JSON-RPC error, and a too-large body with 413', async () => {
    const { server } = await setup({ maxValueBytes: 1024 })
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }
    const bad = await fetch(`${server.url}/mcp`, { method: 'POST', headers, body: '{not json' })
    expect(bad.status).toBe(400)
    expect((await bad.json() as { error: { code: number } }).error.code).toBe(-32700)
    const big = await fetch(`${server.url}/mcp`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(2 * 1024 * 1024 + 4096) } }) })
    expect(big.status).toBe(413)
    await big.body?.cancel()
  })

  it('is not served unless mcpHttp is on', async () => {
    const { server } = await startNode(cleanups)
    const res = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })
    expect(res.status).toBe(404)
    expect((await res.json() as { error: string }).error).toBe('not_found')
  })
})
