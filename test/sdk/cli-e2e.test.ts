/**
 * `repram put --encrypt` / `get --decrypt` / `keygen` end to end through the
 * CLI's `runCli` against a real node. The CLI reaches encryption through its
 * plug-in module `src/cli/crypto-hooks.ts`; this test binds that module to
 * `src/cli/crypto-commands.ts` (what the wiring does), so it holds whether or
 * not the hooks are wired yet.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { CliIo } from '../../src/cli/io.js'
import { runCli } from '../../src/cli/program.js'
import { isComplianceFlagged, parseEnvelopeHeader } from '../../src/sdk/index.js'
import { startLocalNode, type LocalNode } from './helpers.js'

vi.mock('../../src/cli/crypto-hooks.js', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('../../src/cli/crypto-commands.js'))
}))

interface Run { code: number, stdout: Buffer, stderr: string }

async function repram (args: string[], stdin: Uint8Array | string = ''): Promise<Run> {
  const out: Buffer[] = []
  let err = ''
  const stdout = new PassThrough()
  stdout.on('data', (b: Buffer) => out.push(b))
  const stderr = new PassThrough()
  stderr.setEncoding('utf8').on('data', (s: string) => { err += s })
  const io: CliIo = {
    stdin: Object.assign(Readable.from([Buffer.from(stdin)]), { isTTY: false }),
    stdout,
    stderr,
    env: {},
    exit: () => {}
  }
  const code = await runCli(args, io)
  return { code, stdout: Buffer.concat(out), stderr: err }
}

describe('repram CLI with encryption, against a real node', () => {
  let local: LocalNode
  let dir: string
  beforeAll(async () => {
    local = await startLocalNode()
    dir = mkdtempSync(join(tmpdir(), 'repram-cli-e2e-'))
  })
  afterAll(async () => {
    await local.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('keygen, put --encrypt --recipient, get --decrypt --private-key-file', async () => {
    const keyFile = join(dir, 'bob.key')
    const kg = await repram(['keygen', '--out', keyFile])
    expect(kg.code, kg.stderr).toBe(0)
    const pub = kg.stdout.toString().trim()
    expect(pub).toMatch(/^x25519:/)

    const put = await repram(['put', 'cli/inbox', 'hi Bob', '--ttl', '60', '--url', local.url, '--encrypt', '--recipient', pub, '--flag-compliance'])
    expect(put.code, put.stderr).toBe(0)
    const stored = (await local.node.get('cli/inbox'))!.value
    expect(Buffer.from(stored).includes('hi Bob')).toBe(false)
    expect(isComplianceFlagged(stored)).toBe(true)
    expect(parseEnvelopeHeader(stored).mode).toBe('recipient-x25519')

    const get = await repram(['get', 'cli/inbox', '--url', local.url, '--decrypt', '--private-key-file', keyFile])
    expect(get.code, get.stderr).toBe(0)
    expect(get.stdout.toString()).toBe('hi Bob')

    const raw = await repram(['get', 'cli/inbox', '--url', local.url])
    expect(Buffer.compare(raw.stdout, Buffer.from(stored))).toBe(0)
  })

  it('binary stdin with a passphrase file, and one-line errors', async () => {
    const pass = join(dir, 'pass.txt')
    writeFileSync(pass, 'a passphrase\n')
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 255)
    const put = await repram(['put', 'cli/bin', '-', '--ttl', '60', '--url', local.url, '--encrypt', '--passphrase-file', pass], bytes)
    expect(put.code, put.stderr).toBe(0)
    const get = await repram(['get', 'cli/bin', '--url', local.url, '--decrypt', '--passphrase-file', pass])
    expect(get.code, get.stderr).toBe(0)
    expect(new Uint8Array(get.stdout)).toEqual(bytes)

    const wrong = join(dir, 'wrong.txt')
    writeFileSync(wrong, 'another passphrase\n')
    const bad = await repram(['get', 'cli/bin', '--url', local.url, '--decrypt', '--passphrase-file', wrong])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^repram: cannot decrypt cli\/bin: .*\n$/)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    expect(bad.stdout.length).toBe(0)

    const usage = await repram(['put', 'cli/x', 'v', '--url', local.url, '--encrypt'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toBe('repram: --encrypt needs one of --passphrase-file, --key-file or --recipient\n')
    expect(await local.node.get('cli/x')).toBeUndefined()
  })
})
