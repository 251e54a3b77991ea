/**
 * Client-side encryption in the `repram` CLI (DESIGN §6), on top of the SDK:
 * the options of `put --encrypt` and `get --decrypt`, the functions that apply
 * them, and `repram keygen`. The node only ever receives envelopes.
 *
 * @example
 * ```sh
 * repram keygen --out bob.key               # prints Bob's public key, writes the pair (0600)
 * repram keygen --pq --out bob-pq.key       # post-quantum (X-Wing) pair
 * repram keygen --symmetric --out team.key  # a 256-bit key for --key-file
 * repram keygen --sign --out me.key          # an Ed25519 signing key; prints the namespace it owns
 * repram put inbox/bob/1 'hi Bob' --ttl 600 --encrypt --recipient x25519:3rT…
 * repram get inbox/bob/1 --decrypt --private-key-file bob.key
 * repram put notes/1 - --ttl 600 --encrypt --passphrase-file pass.txt --flag-compliance < notes.txt
 * repram get notes/1 --decrypt --passphrase-file pass.txt
 * ```
 */
import { readFile, writeFile } from 'node:fs/promises'
import { Option, type Command } from 'commander'
import {
  DecryptionError, exportRecipientPrivateKey, exportRecipientPublicKey, exportSymmetricKey, generateKey, generateRecipientKeyPair,
  importRecipientPrivateKey, importRecipientPublicKey, importSymmetricKey, KeyFormatError, open, recipientKeyFromJwk, seal,
  type RecipientPrivateKey, type RecipientPublicKey, type SealOptions
} from '../sdk/index.js'
import { CliError, EXIT } from './errors.js'
import { newSigningKeyFile } from './sign-key.js'

/** The encryption options as commander parses them (camelCase). */
export interface CryptoCliOptions {
  /** `--encrypt` (put). */
  encrypt?: boolean
  /** `--decrypt` (get). */
  decrypt?: boolean
  /** `--passphrase-file F`. */
  passphraseFile?: string
  /** `--key-file F`. */
  keyFile?: string
  /** `--recipient PUB` (put). */
  recipient?: string
  /** `--private-key-file F` (get). */
  privateKeyFile?: string
  /** `--flag-compliance` (put). */
  flagCompliance?: boolean
}

/** What `repram keygen` writes for a recipient key pair (and what `--private-key-file` reads). */
export interface KeygenFile {
  /** `x25519` or `xwing`. */
  suite: string
  /** `"<suite>:<base64url>"`: share it. */
  publicKey: string
  /** `"<suite>:<base64url>"`: keep it secret. */
  privateKey: string
}

function usage (message: string): CliError {
  return new CliError(message, EXIT.usage)
}

async function readFileOrFail (path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw usage(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? (err as Error).message}`)
  }
}

/** The passphrase in a file: its bytes, minus one trailing newline (`\n` or `\r\n`). */
export async function readPassphraseFile (path: string): Promise<Uint8Array> {
  const bytes = await readFileOrFail(path, 'passphrase file')
  let end = bytes.length
  if (end > 0 && bytes[end - 1] === 0x0a) end--
  if (end > 0 && bytes[end - 1] === 0x0d) end--
  if (end === 0) throw usage(`the passphrase file ${path} is empty`)
  // a string, so it gets the same NFC normalisation as passphrases typed in code
  let text: string
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end)) } catch { return new Uint8Array(bytes.subarray(0, end)) }
  return new TextEncoder().encode(text.normalize('NFC'))
}

/**
 * A symmetric key file: exactly 32 raw bytes, or base64 / base64url text
 * (as `repram keygen --symmetric` writes), or a JWK (`{"kty":"oct",…}`).
 */
export async function readKeyFile (path: string): Promise<Uint8Array> {
  const bytes = await readFileOrFail(path, 'key file')
  if (bytes.length === 32) return new Uint8Array(bytes)
  try {
    return importSymmetricKey(bytes.toString('utf8'))
  } catch (err) {
    throw usage(`the key file ${path} holds no 256-bit key: ${(err as Error).message} (expected 32 raw bytes, base64, or a JWK)`)
  }
}

function parsePrivateKeyText (text: string, source: string): RecipientPrivateKey {
  const t = text.trim()
  try {
    if (t.startsWith('{')) {
      const json = JSON.parse(t) as Partial<KeygenFile> & JsonWebKey
      if (typeof json.privateKey === 'string') return importRecipientPrivateKey(json.privateKey)
      const jwk = recipientKeyFromJwk(json)
      if (jwk.privateKey === undefined) throw new KeyFormatError('the JWK has no private part "d"')
      return jwk.privateKey
    }
    return importRecipientPrivateKey(t)
  } catch (err) {
    throw usage(`${source} holds no recipient private key: ${(err as Error).message}`)
  }
}

/** A private key file: `repram keygen` JSON, a bare `"<suite>:<base64url>"` line, or an X25519 JWK with `d`. */
export async function readPrivateKeyFile (path: string): Promise<RecipientPrivateKey> {
  return parsePrivateKeyText((await readFileOrFail(path, 'private key file')).toString('utf8'), `the private key file ${path}`)
}

/**
 * A `--recipient` value: `"<suite>:<base64url>"` (or bare base64), or
 * `@FILE` to read it from a file (`repram keygen` JSON or the bare key).
 */
export async function parseRecipient (value: string): Promise<RecipientPublicKey> {
  let text = value
  let source = '--recipient'
  if (value.startsWith('@')) {
    text = (await readFileOrFail(value.slice(1), 'recipient file')).toString('utf8')
    source = `the recipient file ${value.slice(1)}`
  }
  const t = text.trim()
  try {
    if (t.startsWith('{')) {
      const json = JSON.parse(t) as Partial<KeygenFile> & JsonWebKey
      if (typeof json.publicKey === 'string') return importRecipientPublicKey(json.publicKey)
      return recipientKeyFromJwk(json).publicKey
    }
    return importRecipientPublicKey(t)
  } catch (err) {
    throw usage(`${source} is not a recipient public key: ${(err as Error).message}`)
  }
}

/**
 * Add the encryption options to a command: to `put`, `--encrypt`, the key
 * sources `--passphrase-file`, `--key-file`, `--recipient` and
 * `--flag-compliance`; to `get`, `--decrypt`, `--passphrase-file`,
 * `--key-file` and `--private-key-file`. Any other command gets both sets.
 */
export function addEncryptionOptions (cmd: Command): Command {
  const name = cmd.name()
  const forPut = name !== 'get'
  const forGet = name !== 'put'
  if (forPut) {
    cmd.addOption(new Option('--encrypt', 'encrypt the value on this machine before sending it (needs one of --passphrase-file, --key-file, --recipient)'))
  }
  if (forGet) {
    cmd.addOption(new Option('--decrypt', 'decrypt the stored envelope on this machine (needs one of --passphrase-file, --key-file, --private-key-file)'))
  }
  cmd.addOption(new Option('--passphrase-file <file>', 'passphrase from this file (one trailing newline ignored); Argon2id-derived AES-256-GCM key'))
  cmd.addOption(new Option('--key-file <file>', '256-bit key from this file (32 raw bytes, base64, or JWK; see keygen --symmetric)'))
  if (forPut) {
    cmd.addOption(new Option('--recipient <public-key>', 'encrypt to this public key ("x25519:…" or "xwing:…", or @FILE); only its private key can decrypt'))
    cmd.addOption(new Option('--flag-compliance', 'mark the record compliance-tracked: nodes sign deletion attestations when it expires'))
  }
  if (forGet) {
    cmd.addOption(new Option('--private-key-file <file>', 'recipient private key from this file (as written by repram keygen)'))
  }
  return cmd
}

function asOptions (opts: Record<string, unknown>): CryptoCliOptions {
  return opts as CryptoCliOptions
}

/**
 * Seal `bytes` for `storageKey` when the options say `--encrypt`; otherwise
 * return them unchanged (and refuse key options given without `--encrypt`).
 * @throws CliError (one line) on bad options or unreadable key files
 */
export async function encryptForCli (rawOpts: Record<string, unknown>, storageKey: string, bytes: Uint8Array): Promise<Uint8Array> {
  const opts = asOptions(rawOpts)
  const sources = ([['--passphrase-file', opts.passphraseFile], ['--key-file', opts.keyFile], ['--recipient', opts.recipient]] as const)
    .filter(([, v]) => v !== undefined)
  if (opts.encrypt !== true) {
    if (sources.length > 0) throw usage(`${sources[0][0]} needs --encrypt`)
    if (opts.flagCompliance === true) throw usage('--flag-compliance needs --encrypt: the flag lives in the envelope header')
    return bytes
  }
  if (sources.length !== 1) {
    throw usage(sources.length === 0
      ? '--encrypt needs one of --passphrase-file, --key-file or --recipient'
      : `--encrypt takes one key source, not ${sources.map(s => s[0]).join(' and ')}`)
  }
  const flagged = opts.flagCompliance === true
  let options: SealOptions
  if (opts.passphraseFile !== undefined) options = { storageKey, flagged, passphrase: await readPassphraseFile(opts.passphraseFile) }
  else if (opts.keyFile !== undefined) options = { storageKey, flagged, key: await readKeyFile(opts.keyFile) }
  else options = { storageKey, flagged, recipientPublicKey: await parseRecipient(opts.recipient as string) }
  try {
    return await seal(bytes, options)
  } catch (err) {
    throw new CliError(`cannot encrypt: ${(err as Error).message}`, EXIT.error)
  }
}

/**
 * Open the envelope `blob` read from `storageKey` when the options say
 * `--decrypt`; otherwise return it unchanged (and refuse key options given
 * without `--decrypt`).
 * @throws CliError (one line) on bad options, unreadable key files, or a record that does not open
 */
export async function decryptForCli (rawOpts: Record<string, unknown>, storageKey: string, blob: Uint8Array): Promise<Uint8Array> {
  const opts = asOptions(rawOpts)
  const sources = ([['--passphrase-file', opts.passphraseFile], ['--key-file', opts.keyFile], ['--private-key-file', opts.privateKeyFile]] as const)
    .filter(([, v]) => v !== undefined)
  if (opts.decrypt !== true) {
    if (sources.length > 0) throw usage(`${sources[0][0]} needs --decrypt`)
    return blob
  }
  if (sources.length !== 1) {
    throw usage(sources.length === 0
      ? '--decrypt needs one of --passphrase-file, --key-file or --private-key-file'
      : `--decrypt takes one key source, not ${sources.map(s => s[0]).join(' and ')}`)
  }
  try {
    if (opts.passphraseFile !== undefined) return (await open(blob, { storageKey, passphrase: await readPassphraseFile(opts.passphraseFile) })).plaintext
    if (opts.keyFile !== undefined) return (await open(blob, { storageKey, key: await readKeyFile(opts.keyFile) })).plaintext
    return (await open(blob, { storageKey, recipientPrivateKey: await readPrivateKeyFile(opts.privateKeyFile as string) })).plaintext
  } catch (err) {
    if (err instanceof DecryptionError) throw new CliError(`cannot decrypt ${storageKey}: ${err.message}`, EXIT.error)
    throw err
  }
}

/** Options of `repram keygen`. */
interface KeygenOptions { pq?: boolean, symmetric?: boolean, sign?: boolean, out?: string, force?: boolean }

/**
 * Register `repram keygen [--pq | --symmetric] [--out FILE] [--force]`:
 * - default: an X25519 recipient key pair (`--pq`: X-Wing, ML-KEM-768 + X25519);
 *   without `--out` it prints `{suite, publicKey, privateKey}` as JSON; with
 *   `--out` it writes that JSON to FILE (mode 0600) and prints only the public key;
 * - `--symmetric`: a 256-bit key in base64url, for `--key-file`.
 * Output goes through the program's configured `writeOut` (stdout by default).
 */
export function registerKeygenCommand (program: Command): void {
  program.command('keygen')
    .description('generate a recipient key pair (X25519, or X-Wing with --pq), with --symmetric a 256-bit key, or with --sign an Ed25519 signing key for owned keys')
    .option('--pq', 'post-quantum hybrid recipient key pair (X-Wing: ML-KEM-768 + X25519)')
    .option('--symmetric', 'a 256-bit key for --key-file instead of a key pair')
    .option('--sign', 'an Ed25519 signing key for owned keys (put --sign-key): it owns the namespace ~ed25519:<public key>/ it prints')
    .option('--out <file>', 'write the secret to this file (mode 0600) and print only what may be shared')
    .option('--force', 'overwrite --out if it exists')
    .action(async (opts: KeygenOptions) => {
      const out = program.configureOutput().writeOut ?? ((s: string) => { process.stdout.write(s) })
      if ([opts.pq, opts.symmetric, opts.sign].filter(o => o === true).length > 1) throw usage('--pq, --symmetric and --sign exclude each other')
      const save = async (text: string): Promise<void> => {
        if (opts.out === undefined) return
        try {
          await writeFile(opts.out, text, { mode: 0o600, flag: opts.force === true ? 'w' : 'wx' })
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code
          throw new CliError(code === 'EEXIST' ? `${opts.out} exists; use --force to overwrite it` : `cannot write ${opts.out}: ${code ?? (err as Error).message}`, EXIT.error)
        }
      }
      if (opts.symmetric === true) {
        const text = exportSymmetricKey(generateKey()) + '\n'
        await save(text)
        if (opts.out === undefined) out(text)
        else out(`wrote a 256-bit key to ${opts.out}\n`)
        return
      }
      if (opts.sign === true) {
        const file = newSigningKeyFile()
        const json = JSON.stringify(file, null, 2) + '\n'
        await save(json)
        out(opts.out === undefined ? json : file.namespace + '\n')
        return
      }
      const pair = await generateRecipientKeyPair({ pq: opts.pq === true })
      const file: KeygenFile = {
        suite: pair.publicKey.suite,
        publicKey: exportRecipientPublicKey(pair.publicKey),
        privateKey: exportRecipientPrivateKey(pair.privateKey)
      }
      const json = JSON.stringify(file, null, 2) + '\n'
      await save(json)
      out(opts.out === undefined ? json : file.publicKey + '\n')
    })
}
