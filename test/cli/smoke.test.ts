/**
 * One real-process smoke test of the built CLI: `repram start` on port 0 (networked,
 * libp2p on loopback), the data routes over a real socket, a 1 s TTL running out, and a
 * clean exit on SIGTERM.
 * The TTL wait is real time (about 1 s): that is what this test is for.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { until } from '../helpers/until.js'
import { assertBuilt, exitOf, killChild, spawnCli, waitForStdout } from './run.js'

let child: ChildProcess | undefined
let dataDir: string | undefined

beforeAll(() => { assertBuilt() })
afterEach(async () => {
  await killChild(child)
  child = undefined
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  dataDir = undefined
})

describe('repram start (real process)', () => {
  it('serves PUT, GET and HEAD, forgets a 1 s record on every read path, and exits 0 on SIGTERM', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'repram-smoke-'))
    child = spawnCli(['start', '--profile', 'test', '--http-port', '0', '--data-dir', dataDir])
    // The startup lines arrive together: URL, node id, …, one `p2p` line per listen address.
    const [, url, nodeId, p2p] = await waitForStdout(child, /^repram \S+ listening on (http:\/\/\S+)\nnode id (\S+)\n(?:.*\n)*?p2p (\S+)$/m)
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(p2p).toBe(`${p2p.slice(0, p2p.indexOf('/p2p/'))}/p2p/${nodeId}`)
    expect(p2p).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
    const health = await (await fetch(`${url}/v1/health`)).json() as { node_id: string }
    expect(health.node_id).toBe(nodeId)

    const value = new Uint8Array([0, 1, 2, 0xfe, 0xff])
    const put = await fetch(`${url}/v1/data/smoke/short?ttl=1`, { method: 'PUT', body: value })
    expect(put.status).toBe(201)
    expect(put.headers.get('x-original-ttl')).toBe('1')
    const written = await put.json() as { key: string, ttl: number, expiresAt: number }
    expect(written).toMatchObject({ key: 'smoke/short', ttl: 1 })
    const keep = await fetch(`${url}/v1/data/smoke/long?ttl=60`, { method: 'PUT', body: 'stays' })
    expect(keep.status).toBe(201)

    const get = await fetch(`${url}/v1/data/smoke/short`)
    expect(get.status).toBe(200)
    expect(get.headers.get('content-type')).toBe('application/octet-stream')
    expect(get.headers.get('x-expires-at')).toBe(String(written.expiresAt))
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(value)
    const head = await fetch(`${url}/v1/data/smoke/short`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('x-original-ttl')).toBe('1')
    expect(await head.text()).toBe('')
    const listed = await (await fetch(`${url}/v1/keys?prefix=smoke/`)).json() as { keys: string[] }
    expect(listed.keys).toEqual(['smoke/long', 'smoke/short'])

    // Real time must pass for a real TTL: poll until the record is gone, with a deadline.
    await until(async () => (await fetch(`${url}/v1/data/smoke/short`)).status === 404, { timeoutMs: 5000, intervalMs: 50, what: 'GET 404 after the TTL' })
    expect(Date.now()).toBeGreaterThanOrEqual(written.expiresAt)
    expect((await fetch(`${url}/v1/data/smoke/short`, { method: 'HEAD' })).status).toBe(404)
    const after = await (await fetch(`${url}/v1/keys?prefix=smoke/`)).json() as { keys: string[] }
    expect(after.keys).toEqual(['smoke/long'])
    expect(await (await fetch(`${url}/v1/data/smoke/long`)).text()).toBe('stays')

    const started = Date.now()
    const exited = exitOf(child)
    child.kill('SIGTERM')
    const { code, signal } = await exited
    expect({ code, signal }).toEqual({ code: 0, signal: null })
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})
