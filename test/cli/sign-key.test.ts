/**
 * `repram keygen --sign` and `repram put --sign-key FILE` (owned keys, docs/owned-keys.md),
 * run in-process through `runCli` with captured streams against a node served on
 * 127.0.0.1:0.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRepramNode } from '../../src/create.js'
import type { RepramNode } from '../../src/node/index.js'
import { startHttpServer, type RepramHttpServer } from '../../src/http/server.js'
import { runCli } from '../../src/cli/program.js'
import type { CliIo } from '../../src/cli/io.js'

let node: RepramNode
let server: RepramHttpServer
let dir: string

beforeAll(async () => {
  node = await createRepramNode({ config: { profile: 'test' } })
  server = await startHttpServer(node, { port: 0, host: '127.0.0.1' })
  dir = mkdtempSync(join(tmpdir(), 'repram-sign-key-'))
})
afterAll(async () => {
  await server?.close()
  await node?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Runs the CLI in-process; resolves with the exit code and what it wrote. */
async function repram (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (b: Buffer) => { out += b.toString() })
  stderr.on('data', (b: Buffer) => { err += b.toString() })
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean }
  stdin.isTTY = true
  const io: CliIo = { stdin, stdout, stderr, env: { REPRAM_URL: server.url }, exit: () => {} }
  const code = await runCli(args, io)
  return { code, stdout: out, stderr: err }
}

describe('signing keys on the command line', () => {
  it('keygen --sign writes an Ed25519 signing key (0600) and prints the namespace it owns; put --sign-key writes an owned key', async () => {
    const file = join(dir, 'me.key')
    const k = await repram(['keygen', '--sign', '--out', file])
    expect(k.code).toBe(0)
    const ns = k.stdout.trim()
    expect(ns).toMatch(/^~ed25519:[A-Za-z0-9_-]{43}\/$/)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ type: 'repram-signing-key', algorithm: 'ed25519', namespace: ns })

    const put = await repram(['put', `${ns}status`, 'online', '--ttl', '600', '--sign-key', file])
    expect(put.stderr).toBe('')
    expect(put.code).toBe(0)
    expect(JSON.parse(put.stdout)).toMatchObject({ key: `${ns}status`, ttl: 600 })
    expect(new TextDecoder().decode((await node.get(`${ns}status`))?.value)).toBe('online')
    // Without --ttl the signed TTL is 3600 s.
    expect(JSON.parse((await repram(['put', `${ns}default-ttl`, 'x', '--sign-key', file])).stdout).ttl).toBe(3600)
  })

  it('refuses with one line: an owned key without --sign-key (403), a key outside the namespace, a file that is not a key, a bad --ttl', async () => {
    const file = join(dir, 'other.key')
    const ns = (await repram(['keygen', '--sign', '--out', file])).stdout.trim()
    const unsigned = await repram(['put', `${ns}x`, 'v'])
    expect(unsigned.code).not.toBe(0)
    expect(unsigned.stderr).toMatch(/^repram: [^\n]*owner[^\n]*\n$/)
    const outside = await repram(['put', 'plain/x', 'v', '--sign-key', file])
    expect(outside.code).not.toBe(0)
    expect(outside.stderr).toMatch(/^repram: --sign-key signs keys under ~ed25519:[^\n]+ only\n$/)
    const junk = join(dir, 'junk.key')
    writeFileSync(junk, '{"hello": 1}')
    const bad = await repram(['put', `${ns}x`, 'v', '--sign-key', junk])
    expect(bad.stderr).toMatch(/^repram: [^\n]*is not a signing key[^\n]*\n$/)
    const ttl = await repram(['put', `${ns}x`, 'v', '--sign-key', file, '--ttl', '1.5'])
    expect(ttl.stderr).toMatch(/^repram: --ttl must be a whole number[^\n]*\n$/)
    expect(await node.has(`${ns}x`)).toBe(false)
    expect(await node.has('plain/x')).toBe(false)
  })

  it('keygen refuses --sign with --pq or --symmetric', async () => {
    const r = await repram(['keygen', '--sign', '--symmetric'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/exclude each other/)
  })
})
