/**
 * `repram watch` as a real process against an in-process node: one JSON line per event,
 * `--count` ends it, values in base64 with `--values`, and a refused or unreachable node is
 * one `repram: …` line with the right exit code (never a hang).
 */
import type { ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalNode, closedPort, type LocalNode } from '../sdk/helpers.js'
import { assertBuilt, runCli, spawnCli } from './run.js'

let local: LocalNode
let off: LocalNode

beforeAll(async () => {
  assertBuilt()
  local = await startLocalNode()
  off = await startLocalNode({ watchMaxClients: 0 })
})
afterAll(async () => {
  await local?.close()
  await off?.close()
})

/** Resolves with the child's exit code and stdout once it exits. */
async function exited (child: ChildProcess): Promise<{ code: number | null, stdout: string }> {
  let stdout = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  return { code, stdout }
}

/** Resolves once the child says on stderr that it is subscribed. */
async function subscribed (child: ChildProcess): Promise<string> {
  let err = ''
  return await new Promise((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      err += s
      if (err.includes('repram: watching')) resolve(err)
    })
    child.once('close', () => reject(new Error(`repram watch exited first: ${err}`)))
  })
}

describe('repram watch', () => {
  it('prints each write and expiry under the prefix as a JSON line, and exits after --count', async () => {
    const child = spawnCli(['watch', '--prefix', 'cli/', '--values', '--count', '3', '--url', local.url])
    const done = exited(child)
    await subscribed(child)
    const put = await local.node.put('cli/one', new TextEncoder().encode('hello'), { ttl: 1 })
    await local.node.put('other', new Uint8Array(1), { ttl: 60 })
    await local.node.put('cli/two', new Uint8Array([0, 255]), { ttl: 60 })
    const { code, stdout } = await done
    expect(code).toBe(0)
    const lines = stdout.trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
    expect(lines.map(l => [l.event, l.key])).toEqual([['stored', 'cli/one'], ['stored', 'cli/two'], ['expired', 'cli/one']])
    expect(lines[0]).toMatchObject({ writeId: put.writeId, expiresAt: put.expiresAt, size: 5, value: Buffer.from('hello').toString('base64') })
    expect(lines[1].value).toBe('AP8=')
    expect(typeof lines[0].id).toBe('string')
  })

  it('fails with one line and exit 3 when the node has watch off (404), and exit 1 when it cannot be reached', async () => {
    const refused = await runCli(['watch', '--url', off.url])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toMatch(/^repram: 404 not_found: watch is turned off/)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    const dead = await runCli(['watch', '--url', `http://127.0.0.1:${await closedPort()}`])
    expect(dead.code).toBe(1)
    expect(dead.stderr).toMatch(/^repram: cannot reach http:\/\/127\.0\.0\.1:\d+\n$/)
  })

  it('rejects a bad --count as a usage error', async () => {
    const r = await runCli(['watch', '--count', '0', '--url', local.url])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/invalid --count/)
  })
})
