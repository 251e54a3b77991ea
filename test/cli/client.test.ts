/**
 * The client commands of the built CLI (real processes, so stdin/stdout are real
 * pipes) against nodes served in-process on 127.0.0.1:0.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRepramNode } from '../../src/create.js'
import { type RepramNode, type Replicator } from '../../src/node/index.js'
import { startHttpServer, type RepramHttpServer } from '../../src/http/server.js'
import { assertBuilt, runCli } from './run.js'

const MAX_VALUE = 64 * 1024

/** A replication layer that never reaches quorum, so PUT answers 202. */
function noQuorum (): Replicator {
  return {
    start: async () => {},
    replicate: async () => ({ replicas: 1, quorum: false }),
    info: () => ({ nodeId: 'no-quorum', addresses: [], peers: 2 }),
    topology: () => [],
    stop: async () => {}
  }
}

let node: RepramNode
let server: RepramHttpServer
/** A second node: quorum never reached, 1 MiB over 64 shards = 16 KiB per shard (for 202 and 507). */
let small: RepramNode
let smallServer: RepramHttpServer
let url: string

beforeAll(async () => {
  assertBuilt()
  node = await createRepramNode({ config: { profile: 'test', maxValueBytes: MAX_VALUE } })
  server = await startHttpServer(node, { port: 0, host: '127.0.0.1' })
  url = server.url
  small = await createRepramNode({ config: { profile: 'test', maxStorageMb: 1, shards: 64 }, replicator: noQuorum() })
  smallServer = await startHttpServer(small, { port: 0, host: '127.0.0.1' })
})
afterAll(async () => {
  await server?.close()
  await smallServer?.close()
  await node?.stop()
  await small?.stop()
})

/** Runs the CLI against the main node (REPRAM_URL). */
const repram = async (args: string[], opts: { stdin?: Uint8Array | string, env?: Record<string, string> } = {}) =>
  await runCli(args, { ...opts, env: { REPRAM_URL: url, ...opts.env } })

/** stderr must be exactly one `repram: …` line. */
function oneErrorLine (stderr: string): string {
  expect(stderr).toMatch(/^repram: [^\n]+\n$/)
  return stderr.trimEnd()
}

describe('repram put / get', () => {
  it('round-trips random bytes (0x00 and 0xff included) from stdin to stdout unchanged', async () => {
    const value = Buffer.concat([Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x00]), randomBytes(32 * 1024), Buffer.from([0xff, 0x00])])
    const key = 'bin/sp ace/ü?#%/../x'
    const put = await repram(['put', key, '--ttl', '60'], { stdin: value })
    expect(put.stderr).toBe('')
    expect(put.code).toBe(0)
    expect(JSON.parse(put.stdout.toString())).toMatchObject({ key, ttl: 60, replicas: 1 })
    expect(Buffer.compare(Buffer.from((await node.get(key))!.value), value)).toBe(0)

    const get = await repram(['get', key])
    expect(get.code).toBe(0)
    expect(get.stderr).toBe('')
    expect(Buffer.compare(get.stdout, value)).toBe(0)
  })

  it('takes the value from the argument, and from stdin when it is "-"', async () => {
    const arg = await repram(['put', 'text/arg', 'héllo', '--ttl', '60'])
    expect(arg.code).toBe(0)
    expect(Buffer.from((await node.get('text/arg'))!.value).toString('utf8')).toBe('héllo')
    const dash = await repram(['put', 'text/dash', '-', '--ttl', '60', '--quiet'], { stdin: 'from stdin' })
    expect(dash.code).toBe(0)
    expect(dash.stdout.length).toBe(0)
    expect(Buffer.from((await node.get('text/dash'))!.value).toString('utf8')).toBe('from stdin')
  })

  it('says when a write was stored locally without reaching quorum (202), and still exits 0', async () => {
    const put = await repram(['put', 'q/one', 'v', '--ttl', '60', '--url', smallServer.url])
    expect(put.code).toBe(0)
    expect(JSON.parse(put.stdout.toString())).toMatchObject({ key: 'q/one', replicas: 1 })
    expect(oneErrorLine(put.stderr)).toMatch(/quorum not reached \(202\)/)
  })
})

describe('repram put --encrypt / get --decrypt', () => {
  it('stores only an envelope, and gives the plaintext back with the same key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'repram-keys-'))
    try {
      const keyFile = join(dir, 'team.key')
      const keygen = await repram(['keygen', '--symmetric', '--out', keyFile])
      expect(keygen.code).toBe(0)
      const secret = Buffer.from([0x00, 0x73, 0x65, 0x63, 0xff])
      const put = await repram(['put', 'enc/one', '--ttl', '60', '--encrypt', '--key-file', keyFile], { stdin: secret })
      expect(put.stderr).toBe('')
      expect(put.code).toBe(0)
      const stored = Buffer.from((await node.get('enc/one'))!.value)
      expect(stored.length).toBeGreaterThan(secret.length)
      expect(stored.includes(secret)).toBe(false)
      const get = await repram(['get', 'enc/one', '--decrypt', '--key-file', keyFile])
      expect(get.code).toBe(0)
      expect(Buffer.compare(get.stdout, secret)).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('repram keys', () => {
  beforeAll(async () => {
    for (const k of ['list/a', 'list/b', 'list/c', 'list/d', 'list/e', 'other/z']) await node.put(k, new Uint8Array([1]), { ttl: 60 })
  })

  it('lists keys under a prefix one per line, and says when more pages remain', async () => {
    const page = await repram(['keys', '--prefix', 'list/', '--limit', '2'])
    expect(page.code).toBe(0)
    expect(page.stdout.toString()).toBe('list/a\nlist/b\n')
    expect(oneErrorLine(page.stderr)).toMatch(/more keys remain/)
  })

  it('follows next_cursor with --all until every key is listed, in order', async () => {
    const all = await repram(['keys', '--prefix', 'list/', '--limit', '2', '--all'])
    expect(all.code).toBe(0)
    expect(all.stderr).toBe('')
    expect(all.stdout.toString()).toBe('list/a\nlist/b\nlist/c\nlist/d\nlist/e\n')
    const json = await repram(['keys', '--prefix', 'list/', '--limit', '2', '--all', '--json'])
    expect(JSON.parse(json.stdout.toString())).toEqual({ keys: ['list/a', 'list/b', 'list/c', 'list/d', 'list/e'] })
  })
})

describe('repram status', () => {
  it('prints the node status as pretty JSON', async () => {
    const status = await repram(['status'])
    expect(status.code).toBe(0)
    const text = status.stdout.toString()
    expect(text).toContain('\n  "node_id": ')
    expect(JSON.parse(text)).toMatchObject({ node_id: node.nodeId, version: node.version, enclave: 'default' })
  })
})

describe('exit codes and error lines', () => {
  it('exits 3 with "not found: <key>" when the key has no live record', async () => {
    const r = await repram(['get', 'missing/key'])
    expect(r.code).toBe(3)
    expect(r.stdout.length).toBe(0)
    expect(oneErrorLine(r.stderr)).toBe('repram: not found: missing/key')
  })

  it('exits 4 when the node rejects a bad TTL (400 invalid_ttl) and stores nothing', async () => {
    const r = await repram(['put', 'bad/ttl', 'v', '--ttl', 'soon'])
    expect(r.code).toBe(4)
    expect(oneErrorLine(r.stderr)).toMatch(/^repram: 400 invalid_ttl: /)
    expect(await node.has('bad/ttl')).toBe(false)
  })

  it('exits 4 when no node may hold a write\'s --jurisdiction (422 no_jurisdiction_member), 2 on a malformed one; nothing stored', async () => {
    const r = await repram(['put', 'where/ap', 'v', '--ttl', '60', '--jurisdiction', 'ap'])
    expect(r.code).toBe(4)
    expect(oneErrorLine(r.stderr)).toMatch(/^repram: 422 no_jurisdiction_member: /)
    const bad = await repram(['put', 'where/bad', 'v', '--jurisdiction', 'e u'])
    expect(bad.code).toBe(2)
    expect(oneErrorLine(bad.stderr)).toMatch(/^repram: invalid --jurisdiction: /)
    expect(await node.has('where/ap')).toBe(false)
    expect(await node.has('where/bad')).toBe(false)
  })

  it('exits 4 when the value is above maxValueBytes (413 value_too_large)', async () => {
    const r = await repram(['put', 'big/one', '--ttl', '60'], { stdin: new Uint8Array(MAX_VALUE + 1) })
    expect(r.code).toBe(4)
    expect(oneErrorLine(r.stderr)).toMatch(/^repram: 413 value_too_large: /)
    expect(await node.has('big/one')).toBe(false)
  })

  it('exits 5 when the node is out of capacity (507 capacity_exceeded)', async () => {
    const r = await repram(['put', 'full/one', '--ttl', '60', '--url', smallServer.url], { stdin: new Uint8Array(16 * 1024 + 1) })
    expect(r.code).toBe(5)
    expect(oneErrorLine(r.stderr)).toMatch(/^repram: 507 capacity_exceeded: /)
  })

  it('exits 1 naming the URL when nothing listens there', async () => {
    const port = await freePort()
    const r = await repram(['status', '--url', `http://127.0.0.1:${port}`])
    expect(r.code).toBe(1)
    expect(oneErrorLine(r.stderr)).toMatch(new RegExp(`^repram: cannot reach http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`))
  })

  it('exits 2 on usage errors before sending anything', async () => {
    const missing = await repram(['get'])
    expect(missing.code).toBe(2)
    expect(oneErrorLine(missing.stderr)).toBe("repram: missing required argument 'key'")
    const badUrl = await repram(['status', '--url', 'ftp://example.org'])
    expect(badUrl.code).toBe(2)
    expect(oneErrorLine(badUrl.stderr)).toMatch(/--url/)
  })

  it('exits 2 when start gets a bad config flag, with one line naming the field', async () => {
    const r = await runCli(['start', '--profile', 'test', '--replication', 'many'])
    expect(r.code).toBe(2)
    expect(oneErrorLine(r.stderr)).toMatch(/^repram: invalid config replication: .*--replication/)
    expect(r.stdout.length).toBe(0)
  })

  it('exits 1 with one clear line when start finds its HTTP port in use', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'repram-cli-'))
    try {
      const r = await runCli(['start', '--profile', 'test', '--http-port', String(server.port), '--data-dir', dataDir])
      expect(r.code).toBe(1)
      expect(oneErrorLine(r.stderr)).toBe(`repram: cannot listen on 127.0.0.1:${server.port}: address already in use (choose another --http-port / REPRAM_HTTP_PORT)`)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('exits 1 with one clear line when start finds its libp2p listen address in use', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'repram-cli-'))
    try {
      const listen = `/ip4/127.0.0.1/tcp/${server.port}`
      const r = await runCli(['start', '--profile', 'test', '--listen', listen, '--data-dir', dataDir])
      expect(r.code).toBe(1)
      expect(oneErrorLine(r.stderr)).toBe(`repram: cannot listen on ${listen}: address already in use (choose another --listen / REPRAM_LISTEN)`)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

/** A port nothing listens on: bound by the OS, then released. */
async function freePort (): Promise<number> {
  const srv = createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as { port: number }
  await new Promise<void>(resolve => srv.close(() => resolve()))
  return port
}
