/**
 * `repram mcp` over stdio, run from the built CLI (`node bin/repram.js mcp`): the embedded
 * node, REPRAM_URL mode against a node in this process, client-side encryption, and a
 * stdout that carries the protocol only.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { exportSymmetricKey, generateKey } from '../../src/sdk/keys.js'
import { looksLikeEnvelope } from '../../src/sdk/flags.js'
import { RETRIEVE_NULL_TEXT } from '../../src/mcp/tools.js'
import { BIN, call, callError, ROOT, startNode, startWatch, stdioClient, textOf, UUID_V4, type Cleanups } from './helpers.js'

let cleanups: Cleanups = []
afterEach(async () => {
  for (const f of cleanups.reverse()) await f()
  cleanups = []
})

async function tempDir (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'repram-mcp-'))
  cleanups.push(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

function gone (pid: number): boolean {
  try { process.kill(pid, 0); return false } catch { return true }
}

describe('repram mcp (stdio)', () => {
  it('runs an embedded node: store, retrieve, exists, list, status; exits when the client goes away', async () => {
    const dir = await tempDir()
    const { client, pid, stderr } = await stdioClient(cleanups, { REPRAM_DATA_DIR: dir })
    const put = await call(client, 'repram_store', { data: 'from the agent' })
    expect(put.key).toMatch(UUID_V4)
    expect(put.ttl_seconds).toBe(3600)
    expect((await call(client, 'repram_retrieve', { key: put.key })).data).toBe('from the agent')
    expect(textOf(await client.callTool({ name: 'repram_retrieve', arguments: { key: 'nope' } }))).toBe(RETRIEVE_NULL_TEXT)
    expect((await call(client, 'repram_exists', { key: put.key })).exists).toBe(true)
    expect(await call(client, 'repram_list_keys')).toEqual({ keys: [put.key] })
    const status = await call(client, 'repram_status')
    expect(status.mcp).toMatchObject({ mode: 'embedded', backend: 'node', transport: 'stdio', encryption: 'off' })
    expect(status.capacity_bytes).toBe(64 * 1024 * 1024)
    expect(status.listen_addresses.every((a: string) => a.startsWith('/ip4/127.0.0.1/tcp/'))).toBe(true)
    expect(status.listen_addresses.some((a: string) => a.includes('/tcp/9090/'))).toBe(false)
    // A watch on the embedded node sees a write made through another tool call.
    const watch = startWatch(client, { prefix: 'inbox/', timeout_seconds: 20 })
    await watch.subscribed
    await call(client, 'repram_store', { key: 'inbox/1', data: 'ping', ttl_seconds: 600 })
    expect(await watch.result).toMatchObject({ timed_out: false, key: 'inbox/1', data: 'ping', ttl_seconds: 600 })
    expect(await callError(client, 'repram_store', { data: 42 })).toMatch(/expected string/)
    await client.close()
    expect(gone(pid)).toBe(true)
    expect(stderr()).not.toContain('from the agent')
  })

  it('writes only protocol lines on stdout, even with debug logs on (which go to stderr, without keys or values), and answers what it read before stdin ended', async () => {
    const dir = await tempDir()
    const child = spawn(process.execPath, [BIN, 'mcp'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', REPRAM_MDNS: 'false', REPRAM_DATA_DIR: dir, REPRAM_LOG_LEVEL: 'debug', DEBUG: 'libp2p:tcp*' },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    const exited = new Promise<number | null>(resolve => child.once('close', resolve))
    cleanups.push(async () => { if (child.exitCode === null) { child.kill('SIGKILL'); await exited } })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const lines: string[] = []
    const waiting = new Map<number, () => void>()
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line)
      const id = (JSON.parse(line) as { id?: number }).id
      if (id !== undefined) waiting.get(id)?.()
    })
    // One request at a time: each answer is awaited before the next request is sent.
    const request = async (id: number, method: string, params: unknown): Promise<void> => {
      const answered = new Promise<void>(resolve => waiting.set(id, resolve))
      child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n')
      await answered
    }
    await request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } })
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n')
    await request(2, 'tools/call', { name: 'repram_store', arguments: { key: 'secret-key-123', data: 'secret-value-456' } })
    await request(3, 'tools/call', { name: 'repram_retrieve', arguments: { key: 'secret-key-123' } })
    // Requests followed at once by the end of stdin are still answered before it exits.
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'repram_list_keys', arguments: {} } }) + '\n')
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'repram_status', arguments: {} } }) + '\n')
    child.stdin.end()
    expect(await exited).toBe(0)
    expect(lines.map(l => (JSON.parse(l) as { id: number }).id).sort()).toEqual([1, 2, 3, 4, 5])
    for (const line of lines) expect(JSON.parse(line).jsonrpc).toBe('2.0')
    expect(JSON.parse(JSON.parse(lines[2]).result.content[0].text).data).toBe('secret-value-456')
    // The node did log (on stderr), and never a key or a value.
    expect(stderr).toMatch(/"component":"repram:/)
    expect(stderr).not.toContain('secret-key-123')
    expect(stderr).not.toContain('secret-value-456')
  })

  it('uses the node at REPRAM_URL: TTLs clamped by it, every key across pages, watch over its feed', async () => {
    const { node, server } = await startNode(cleanups, { minTtl: 30, maxTtl: 7200, keysLimitMax: 3 })
    const { client } = await stdioClient(cleanups, { REPRAM_URL: server.url })
    expect((await call(client, 'repram_store', { key: 't/zero', data: 'a', ttl_seconds: 0 })).ttl_seconds).toBe(30)
    expect((await call(client, 'repram_store', { key: 't/neg', data: 'a', ttl_seconds: -5 })).ttl_seconds).toBe(30)
    expect((await call(client, 'repram_store', { key: 't/dec', data: 'a', ttl_seconds: 1800.5 })).ttl_seconds).toBe(1800)
    expect((await call(client, 'repram_store', { key: 't/big', data: 'a', ttl_seconds: 1e300 })).ttl_seconds).toBe(7200)
    expect((await node.get('t/dec'))?.ttl).toBe(1800)
    for (let i = 0; i < 7; i++) await node.put(`many/${i}`, new Uint8Array([i]), { ttl: 60 })
    expect((await call(client, 'repram_list_keys', { prefix: 'many/' })).keys).toEqual(['many/0', 'many/1', 'many/2', 'many/3', 'many/4', 'many/5', 'many/6'])
    expect(textOf(await client.callTool({ name: 'repram_retrieve', arguments: { key: 'nope' } }))).toBe(RETRIEVE_NULL_TEXT)
    expect(await call(client, 'repram_exists', { key: 'nope' })).toEqual({ exists: false })
    const status = await call(client, 'repram_status')
    expect(status.node_id).toBe(node.nodeId)
    expect(status.mcp).toMatchObject({ mode: 'remote', backend: 'remote', url: server.url })
    const watch = startWatch(client, { prefix: 'jobs/', timeout_seconds: 20 })
    await watch.subscribed
    await node.put('jobs/7', new TextEncoder().encode('done'), { ttl: 120 })
    expect(await watch.result).toMatchObject({ timed_out: false, key: 'jobs/7', data: 'done', size: 4, ttl_seconds: 120 })
    expect(await call(client, 'repram_watch', { prefix: 'jobs/', timeout_seconds: 0.3 })).toMatchObject({ timed_out: true })
  })

  it('reports an unreachable REPRAM_URL as a tool error, not a crash', async () => {
    const { client } = await stdioClient(cleanups, { REPRAM_URL: 'http://127.0.0.1:1', REPRAM_MCP_TIMEOUT: '2s' })
    expect(await callError(client, 'repram_store', { data: 'x' })).toMatch(/^repram_store failed: .*127\.0\.0\.1:1/)
    expect(await callError(client, 'repram_status', {})).toMatch(/^repram_status failed: /)
  })

  it('encrypts with a key file: the node holds envelopes only, the agent reads plaintext', async () => {
    const dir = await tempDir()
    const keyFile = join(dir, 'team.key')
    await writeFile(keyFile, exportSymmetricKey(generateKey()) + '\n', { mode: 0o600 })
    const { node, server } = await startNode(cleanups)
    const { client } = await stdioClient(cleanups, { REPRAM_URL: server.url, REPRAM_MCP_KEY_FILE: keyFile })
    const put = await call(client, 'repram_store', { key: 'vault/1', data: 'the launch code', ttl_seconds: 600 })
    expect(put).toMatchObject({ key: 'vault/1', ttl_seconds: 600, encrypted: true })
    const stored = (await node.get('vault/1'))?.value as Uint8Array
    expect(looksLikeEnvelope(stored)).toBe(true)
    expect(Buffer.from(stored).includes('the launch code')).toBe(false)
    expect(await call(client, 'repram_retrieve', { key: 'vault/1' })).toMatchObject({ data: 'the launch code', encrypted: true })
    // Plaintext written by an agent without the key: refused unless asked for as plaintext.
    await node.put('open/1', new TextEncoder().encode('public note'), { ttl: 60 })
    expect(await callError(client, 'repram_retrieve', { key: 'open/1' })).toMatch(/not an encrypted envelope.*"encrypted": false/)
    expect((await call(client, 'repram_retrieve', { key: 'open/1', encrypted: false })).data).toBe('public note')
    await call(client, 'repram_store', { key: 'open/2', data: 'plain on purpose', encrypted: false })
    expect(new TextDecoder().decode((await node.get('open/2'))?.value)).toBe('plain on purpose')
    // A watch decrypts what it returns.
    const watch = startWatch(client, { prefix: 'vault/', timeout_seconds: 20 })
    await watch.subscribed
    await call(client, 'repram_store', { key: 'vault/2', data: 'second secret' })
    expect(await watch.result).toMatchObject({ key: 'vault/2', data: 'second secret', encrypted: true })
    const status = await call(client, 'repram_status')
    expect(status.mcp.encryption).toBe('key')
  })

  it('encrypts with a passphrase from REPRAM_MCP_PASSPHRASE; another passphrase cannot read it', async () => {
    const { node, server } = await startNode(cleanups)
    const { client } = await stdioClient(cleanups, { REPRAM_URL: server.url, REPRAM_MCP_PASSPHRASE: 'correct horse battery staple' })
    await call(client, 'repram_store', { key: 'pp/1', data: 'passphrase protected' })
    expect(looksLikeEnvelope((await node.get('pp/1'))?.value as Uint8Array)).toBe(true)
    expect((await call(client, 'repram_retrieve', { key: 'pp/1' })).data).toBe('passphrase protected')
    const other = await stdioClient(cleanups, { REPRAM_URL: server.url, REPRAM_MCP_PASSPHRASE: 'wrong' })
    expect(await callError(other.client, 'repram_retrieve', { key: 'pp/1' })).toMatch(/^repram_retrieve failed: /)
  })

  it('refuses bad configuration with one line and exit code 2, before serving', async () => {
    const run = async (args: string[], env: Record<string, string> = {}): Promise<{ code: number | null, stdout: string, stderr: string }> => {
      const child = spawn(process.execPath, [BIN, 'mcp', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', REPRAM_MDNS: 'false', ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
      const code = await new Promise<number | null>(resolve => child.once('close', resolve))
      return { code, stdout, stderr }
    }
    const [missing, both, badUrl] = await Promise.all([
      run(['--key-file', '/nonexistent/team.key'], { REPRAM_URL: 'http://127.0.0.1:1' }),
      run(['--key-file', '/x'], { REPRAM_URL: 'http://127.0.0.1:1', REPRAM_MCP_PASSPHRASE: 'p' }),
      run(['--url', 'ftp://example.org'])
    ])
    expect(missing).toEqual({ code: 2, stdout: '', stderr: 'repram: cannot read key file /nonexistent/team.key: no such file\n' })
    expect(both).toEqual({ code: 2, stdout: '', stderr: 'repram: encryption takes one key source, not a key file and REPRAM_MCP_PASSPHRASE\n' })
    expect(badUrl.code).toBe(2)
    expect(badUrl.stdout).toBe('')
    expect(badUrl.stderr).toMatch(/^repram: invalid --url "ftp:\/\/example.org": .*\n$/)
  })
})
