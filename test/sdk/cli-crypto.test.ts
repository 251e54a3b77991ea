import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterAll, describe, expect, it } from 'vitest'
import {
  addEncryptionOptions, decryptForCli, encryptForCli, registerKeygenCommand, type KeygenFile
} from '../../src/cli/crypto-commands.js'
import { CliError, EXIT } from '../../src/cli/errors.js'
import { importRecipientPublicKey, isComplianceFlagged, parseEnvelopeHeader, symmetricKeyToJwk, generateKey } from '../../src/sdk/index.js'

const dir = mkdtempSync(join(tmpdir(), 'repram-cli-crypto-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })
const file = (name: string, content?: string | Uint8Array): string => {
  const p = join(dir, name)
  if (content !== undefined) writeFileSync(p, content)
  return p
}
const enc = new TextEncoder()
const dec = new TextDecoder()

async function keygen (...args: string[]): Promise<string> {
  let out = ''
  const program = new Command('repram').exitOverride().configureOutput({ writeOut: (s) => { out += s }, writeErr: () => {} })
  registerKeygenCommand(program)
  await program.parseAsync(['keygen', ...args], { from: 'user' })
  return out
}

async function cliError (p: Promise<unknown>): Promise<CliError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(CliError)
  expect((err as CliError).message).not.toContain('\n')
  return err as CliError
}

describe('repram keygen', () => {
  it('prints an X25519 pair as JSON by default', async () => {
    const pair = JSON.parse(await keygen()) as KeygenFile
    expect(pair.suite).toBe('x25519')
    expect(pair.publicKey).toMatch(/^x25519:[A-Za-z0-9_-]{43}$/)
    expect(pair.privateKey).toMatch(/^x25519:[A-Za-z0-9_-]{43}$/)
  })

  it('--pq --out writes an X-Wing pair with mode 0600 and prints only the public key', async () => {
    const out = file('bob-pq.json')
    const printed = (await keygen('--pq', '--out', out)).trim()
    const saved = JSON.parse(readFileSync(out, 'utf8')) as KeygenFile
    expect(saved.suite).toBe('xwing')
    expect(printed).toBe(saved.publicKey)
    expect(importRecipientPublicKey(printed).bytes.length).toBe(1216)
    expect(statSync(out).mode & 0o777).toBe(0o600)
    const err = await cliError(keygen('--out', out))
    expect(err.message).toMatch(/exists; use --force/)
    await keygen('--out', out, '--force')
    expect((JSON.parse(readFileSync(out, 'utf8')) as KeygenFile).suite).toBe('x25519')
  })

  it('--symmetric prints a base64url 256-bit key usable as --key-file', async () => {
    const text = await keygen('--symmetric')
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}\n$/)
    const keyFile = file('sym.key', text)
    const blob = await encryptForCli({ encrypt: true, keyFile }, 'k', enc.encode('v'))
    expect(dec.decode(await decryptForCli({ decrypt: true, keyFile }, 'k', blob))).toBe('v')
    expect((await cliError(keygen('--symmetric', '--pq'))).exitCode).toBe(EXIT.usage)
  })
})

describe('put --encrypt / get --decrypt', () => {
  it('round-trips with a passphrase file (trailing newline ignored) and sets the flag on request', async () => {
    const pw = file('pass.txt', 'correct horse battery staple\n')
    const pwNoNewline = file('pass2.txt', 'correct horse battery staple')
    const blob = await encryptForCli({ encrypt: true, passphraseFile: pw, flagCompliance: true }, 'notes/1', enc.encode('dear diary'))
    expect(isComplianceFlagged(blob)).toBe(true)
    expect(parseEnvelopeHeader(blob).mode).toBe('passphrase')
    expect(dec.decode(await decryptForCli({ decrypt: true, passphraseFile: pwNoNewline }, 'notes/1', blob))).toBe('dear diary')
  })

  it('round-trips with key files: raw 32 bytes, base64 and JWK', async () => {
    const key = generateKey()
    for (const [name, content] of [['raw.key', key], ['b64.key', Buffer.from(key).toString('base64') + '\n'], ['jwk.json', JSON.stringify(symmetricKeyToJwk(key))]] as const) {
      const keyFile = file(name, content)
      const blob = await encryptForCli({ encrypt: true, keyFile }, 'k/1', enc.encode(name))
      expect(isComplianceFlagged(blob)).toBe(false)
      expect(dec.decode(await decryptForCli({ decrypt: true, keyFile: file('raw.key', key) }, 'k/1', blob))).toBe(name)
    }
  })

  it('encrypts to --recipient (text or @file) and only --private-key-file opens it', async () => {
    const bobFile = file('bob.json')
    const bobPub = (await keygen('--out', bobFile)).trim()
    const eveFile = file('eve.json')
    await keygen('--out', eveFile)
    for (const recipient of [bobPub, `@${bobFile}`]) {
      const blob = await encryptForCli({ encrypt: true, recipient }, 'inbox/bob', enc.encode('hi Bob'))
      expect(dec.decode(await decryptForCli({ decrypt: true, privateKeyFile: bobFile }, 'inbox/bob', blob))).toBe('hi Bob')
      const err = await cliError(decryptForCli({ decrypt: true, privateKeyFile: eveFile }, 'inbox/bob', blob))
      expect(err.message).toMatch(/^cannot decrypt inbox\/bob: /)
      expect(err.exitCode).toBe(EXIT.error)
    }
    // a bare private key line works as a private key file too
    const bare = file('bob.private', (JSON.parse(readFileSync(bobFile, 'utf8')) as KeygenFile).privateKey + '\n')
    const blob = await encryptForCli({ encrypt: true, recipient: bobPub }, 'x', enc.encode('y'))
    expect(dec.decode(await decryptForCli({ decrypt: true, privateKeyFile: bare }, 'x', blob))).toBe('y')
  })

  it('passes bytes through untouched without --encrypt / --decrypt', async () => {
    const bytes = new Uint8Array([0, 1, 2, 255])
    expect(await encryptForCli({}, 'k', bytes)).toBe(bytes)
    expect(await decryptForCli({}, 'k', bytes)).toBe(bytes)
  })

  it('reports bad option combinations and files as one-line usage errors', async () => {
    const pw = file('pw', 'x\n')
    const cases: Array<[() => Promise<unknown>, RegExp]> = [
      [async () => await encryptForCli({ encrypt: true }, 'k', enc.encode('v')), /--encrypt needs one of/],
      [async () => await encryptForCli({ encrypt: true, passphraseFile: pw, keyFile: pw }, 'k', enc.encode('v')), /one key source, not --passphrase-file and --key-file/],
      [async () => await encryptForCli({ keyFile: pw }, 'k', enc.encode('v')), /--key-file needs --encrypt/],
      [async () => await encryptForCli({ flagCompliance: true }, 'k', enc.encode('v')), /--flag-compliance needs --encrypt/],
      [async () => await encryptForCli({ encrypt: true, keyFile: pw }, 'k', enc.encode('v')), /holds no 256-bit key/],
      [async () => await encryptForCli({ encrypt: true, passphraseFile: file('empty', '\n') }, 'k', enc.encode('v')), /is empty/],
      [async () => await encryptForCli({ encrypt: true, passphraseFile: join(dir, 'missing') }, 'k', enc.encode('v')), /cannot read passphrase file .*no such file/],
      [async () => await encryptForCli({ encrypt: true, recipient: 'x25519:short' }, 'k', enc.encode('v')), /--recipient is not a recipient public key/],
      [async () => await decryptForCli({ decrypt: true }, 'k', enc.encode('v')), /--decrypt needs one of/],
      [async () => await decryptForCli({ privateKeyFile: pw }, 'k', enc.encode('v')), /--private-key-file needs --decrypt/],
      [async () => await decryptForCli({ decrypt: true, privateKeyFile: pw }, 'k', enc.encode('v')), /holds no recipient private key/]
    ]
    for (const [run, re] of cases) {
      const err = await cliError(run())
      expect(err.message).toMatch(re)
      expect(err.exitCode).toBe(EXIT.usage)
    }
  })

  it('says "not a REPRAM envelope" when --decrypt meets a plaintext record', async () => {
    const err = await cliError(decryptForCli({ decrypt: true, keyFile: file('k32', generateKey()) }, 'k', enc.encode('plain value')))
    expect(err.message).toMatch(/not a REPRAM envelope/)
  })
})

describe('addEncryptionOptions', () => {
  it('gives put the encryption options and get the decryption options', async () => {
    const program = new Command('repram').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} })
    let putOpts: Record<string, unknown> = {}
    let getOpts: Record<string, unknown> = {}
    addEncryptionOptions(program.command('put').argument('<key>')).action((_k: string, o: Record<string, unknown>) => { putOpts = o })
    addEncryptionOptions(program.command('get').argument('<key>')).action((_k: string, o: Record<string, unknown>) => { getOpts = o })
    await program.parseAsync(['put', 'k', '--encrypt', '--recipient', 'x25519:abc', '--flag-compliance'], { from: 'user' })
    expect(putOpts).toEqual({ encrypt: true, recipient: 'x25519:abc', flagCompliance: true })
    await program.parseAsync(['get', 'k', '--decrypt', '--private-key-file', 'f'], { from: 'user' })
    expect(getOpts).toEqual({ decrypt: true, privateKeyFile: 'f' })
    await expect(program.parseAsync(['get', 'k', '--recipient', 'x'], { from: 'user' })).rejects.toThrow(/unknown option/)
    await expect(program.parseAsync(['put', 'k', '--decrypt'], { from: 'user' })).rejects.toThrow(/unknown option/)
  })
})
