/**
 * `repram mcp`: the REPRAM tools for AI agents over MCP stdio (issue 18 §2). stdout
 * carries the protocol only: logs, warnings and errors go to stderr.
 *
 * Two modes:
 * - embedded (default): runs a node in this process with conservative defaults (libp2p on
 *   127.0.0.1, any free port; no mDNS; a 64 MiB store; logs at `warn` on stderr; no HTTP
 *   API unless `--http`); every `REPRAM_*` variable and `--config` still apply, so
 *   `REPRAM_PEERS` joins it to a cluster;
 * - remote: with `--url` or `REPRAM_URL`, the tools use that node's HTTP API through the SDK.
 *
 * Owned keys: `--sign-key` / `REPRAM_MCP_SIGN_KEY_FILE` (repram keygen --sign) signs repram_store writes under the key's namespace.
 * Client-side encryption: `--key-file` / `REPRAM_MCP_KEY_FILE`, or `--passphrase-file` /
 * `REPRAM_MCP_PASSPHRASE_FILE` / `REPRAM_MCP_PASSPHRASE`: `repram_store` writes envelopes
 * and `repram_retrieve` opens them, so the node never sees the plaintext.
 *
 * @example
 * // an MCP client's config: { "command": "npx", "args": ["repram", "mcp"] }
 * // REPRAM_URL=http://10.0.0.5:8080 repram mcp --key-file team.key
 */
import { Option, type Command } from 'commander'
import type { RepramConfig, RepramConfigInput } from '../config.js'
import type { RepramHttpServer } from '../http/server.js'
import type { McpBackend } from '../mcp/backend.js'
import type { McpEncryption } from '../mcp/tools.js'
import type { RepramNode } from '../node/node.js'
import type { WriteSigner } from '../sdk/owned.js'
import { parseTimeout } from './client-commands.js'
import { CliError, describeError, EXIT } from './errors.js'
import { processIo, untilSignal, writeOut, type CliIo } from './io.js'

/** After SIGTERM/SIGINT or the end of stdin, the process exits by this deadline whatever still runs. */
export const MCP_SHUTDOWN_DEADLINE_MS = 10_000

/** Largest stdio message in remote mode, where the node's `maxValueBytes` is not known here: room for a 10 MiB value. */
const REMOTE_MAX_MESSAGE_BYTES = 2 * 10 * 1024 * 1024 + 1024 * 1024

/** The defaults of the embedded node, each below the config file, `REPRAM_*` env and flags. */
export function embeddedDefaults (): RepramConfigInput {
  return {
    // Reachable from this machine only; any free port, so several agents can each run one.
    listen: ['/ip4/127.0.0.1/tcp/0'],
    httpHost: '127.0.0.1',
    httpPort: 0,
    // A side-car never multicasts on the LAN unless asked (REPRAM_MDNS=true).
    mdns: false,
    maxStorageMb: 64,
    // Quiet on the agent host's stderr: problems only.
    logLevel: 'warn'
  }
}

/** Options of `repram mcp`, as commander parses them. */
interface McpOpts {
  url?: string
  timeout?: string
  keyFile?: string
  passphraseFile?: string
  signKey?: string
  watchMaxSeconds?: string
  maxStorageMb?: string
  http?: boolean
  config?: string
}

/** Registers `repram mcp`. `setCode` receives the exit code when the command fails before serving. */
export function registerMcpCommand (program: Command, io: CliIo, setCode: (code: number) => void): void {
  program.command('mcp')
    .description('serve the REPRAM tools to an AI agent over MCP stdio: an embedded node by default, or the node at --url / REPRAM_URL')
    .addOption(new Option('--url <url>', 'use the node at this URL instead of an embedded node [env REPRAM_URL]'))
    .addOption(new Option('--timeout <duration>', 'remote mode: give up on one request to the node after this long (e.g. 5s, 500ms) [env REPRAM_MCP_TIMEOUT; default 30s]'))
    .addOption(new Option('--key-file <file>', 'encrypt stored values with the 256-bit key in this file (32 raw bytes, base64, or JWK; see repram keygen --symmetric) [env REPRAM_MCP_KEY_FILE]'))
    .addOption(new Option('--passphrase-file <file>', 'encrypt stored values with the passphrase in this file (Argon2id per record) [env REPRAM_MCP_PASSPHRASE_FILE; or the passphrase itself in REPRAM_MCP_PASSPHRASE]'))
    .addOption(new Option('--sign-key <file>', 'sign repram_store writes to owned keys with this signing key (repram keygen --sign); repram_store then takes "owned": true to store under its namespace [env REPRAM_MCP_SIGN_KEY_FILE]'))
    .addOption(new Option('--watch-max-seconds <n>', 'longest wait of repram_watch [env REPRAM_MCP_WATCH_MAX_SECONDS; default 300]'))
    .addOption(new Option('--max-storage-mb <n>', 'embedded node: its capacity in MiB [env REPRAM_MAX_STORAGE_MB; default 64]'))
    .addOption(new Option('--http', 'embedded node: also serve its HTTP API (REPRAM_HTTP_HOST/REPRAM_HTTP_PORT, default 127.0.0.1 and any free port); its URL is printed on stderr'))
    .addOption(new Option('--config <file>', 'embedded node: JSON config file [env REPRAM_CONFIG]'))
    .addHelpText('after', `
Every REPRAM_* variable of \`repram start\` configures the embedded node (e.g. REPRAM_PEERS,
REPRAM_ENCLAVE, REPRAM_CLUSTER_SECRET). stdout carries MCP only; logs go to stderr.
Tools: repram_store, repram_retrieve, repram_exists, repram_list_keys, repram_status, repram_watch.`)
    .action(async (opts: McpOpts) => {
      setCode(await runMcp(opts, io))
    })
}

/** Reads the encryption material the options and env name; undefined when none. */
async function loadEncryption (opts: McpOpts, env: CliIo['env']): Promise<McpEncryption | undefined> {
  const keyFile = opts.keyFile ?? nonEmpty(env.REPRAM_MCP_KEY_FILE)
  const passphraseFile = opts.passphraseFile ?? nonEmpty(env.REPRAM_MCP_PASSPHRASE_FILE)
  const passphrase = nonEmpty(env.REPRAM_MCP_PASSPHRASE)
  const given = [keyFile !== undefined && 'a key file', passphraseFile !== undefined && 'a passphrase file', passphrase !== undefined && 'REPRAM_MCP_PASSPHRASE'].filter(Boolean)
  if (given.length > 1) throw new CliError(`encryption takes one key source, not ${given.join(' and ')}`, EXIT.usage)
  if (given.length === 0) return undefined
  // The SDK's crypto (KDF, AES-GCM) loads only when encryption is asked for.
  const { readKeyFile, readPassphraseFile } = await import('./crypto-commands.js')
  if (keyFile !== undefined) return { key: await readKeyFile(keyFile) }
  if (passphraseFile !== undefined) return { passphrase: await readPassphraseFile(passphraseFile) }
  return { passphrase: new TextEncoder().encode((passphrase as string).normalize('NFC')) }
}

function nonEmpty (v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v
}

function positiveInt (raw: string, what: string): number {
  if (!/^\s*\d+\s*$/.test(raw) || Number(raw) < 1) throw new CliError(`invalid ${what} "${raw}": a whole number above 0`, EXIT.usage)
  return Number(raw)
}

/** Config of the embedded node: profile defaults ← {@link embeddedDefaults} ← config file ← env ← flags. */
async function embeddedConfig (opts: McpOpts, env: CliIo['env']): Promise<RepramConfig> {
  const { CONFIG_FIELDS, loadConfig } = await import('../config.js')
  const { readFileSync } = await import('node:fs')
  const file = opts.config ?? nonEmpty(env.REPRAM_CONFIG)
  let fromFile: Record<string, unknown> = {}
  if (file !== undefined) {
    // loadConfig reads and checks it again, and names any problem.
    try { fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> } catch {}
  }
  const overrides: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(embeddedDefaults())) {
    const field = CONFIG_FIELDS.find(f => f.key === key)
    const setElsewhere = (field !== undefined && nonEmpty(env[field.env]) !== undefined) || (fromFile !== null && typeof fromFile === 'object' && key in fromFile)
    if (!setElsewhere) overrides[key] = value
  }
  if (opts.maxStorageMb !== undefined) overrides.maxStorageMb = opts.maxStorageMb
  return loadConfig({ env, file, overrides: overrides as RepramConfigInput })
}

/**
 * Serves MCP on stdio until stdin ends or SIGTERM/SIGINT, then stops what it started and
 * exits the process. Returns an exit code only when it never started serving.
 */
export async function runMcp (opts: McpOpts, io: CliIo = processIo()): Promise<number> {
  const fail = async (err: unknown): Promise<number> => {
    const { message, exitCode } = describeError(err)
    await writeOut(io.stderr, `repram: ${message}\n`)
    return exitCode
  }
  // Whatever a library prints with console.log must not corrupt the protocol on stdout.
  if (io.stdout === process.stdout) {
    console.log = console.error
    console.info = console.error
    console.debug = console.error
  }

  let encryption: McpEncryption | undefined
  let signer: WriteSigner | undefined
  let watchMaxSeconds: number | undefined
  let timeoutMs: number
  const url = opts.url ?? nonEmpty(io.env.REPRAM_URL)
  try {
    encryption = await loadEncryption(opts, io.env)
    const signKey = opts.signKey ?? nonEmpty(io.env.REPRAM_MCP_SIGN_KEY_FILE)
    if (signKey !== undefined) signer = await (await import('./sign-key.js')).readSigningKeyFile(signKey)
    const watchMax = opts.watchMaxSeconds ?? nonEmpty(io.env.REPRAM_MCP_WATCH_MAX_SECONDS)
    if (watchMax !== undefined) watchMaxSeconds = positiveInt(watchMax, '--watch-max-seconds')
    timeoutMs = parseTimeout(opts.timeout ?? nonEmpty(io.env.REPRAM_MCP_TIMEOUT) ?? '30s')
    if (url !== undefined) {
      for (const [flag, given] of [['--max-storage-mb', opts.maxStorageMb], ['--http', opts.http], ['--config', opts.config]] as const) {
        if (given !== undefined) throw new CliError(`${flag} applies to the embedded node, not with --url / REPRAM_URL`, EXIT.usage)
      }
    }
  } catch (err) {
    return await fail(err)
  }

  const [{ createRepramMcpServer }, { serveStdio }, backends] = await Promise.all([import('../mcp/server.js'), import('../mcp/stdio.js'), import('../mcp/backend.js')])
  let backend: McpBackend
  let node: RepramNode | undefined
  let http: RepramHttpServer | undefined
  let maxMessageBytes = REMOTE_MAX_MESSAGE_BYTES
  const info: Record<string, unknown> = { transport: 'stdio' }
  if (url !== undefined) {
    const { RepramClient } = await import('../sdk/client.js')
    try {
      backend = backends.clientBackend(new RepramClient(url, { timeoutMs }))
    } catch (err) {
      return await fail(new CliError(`invalid --url "${url}": ${(err as Error).message}`, EXIT.usage))
    }
    info.mode = 'remote'
    info.url = url
  } else {
    let config: RepramConfig
    try {
      config = await embeddedConfig(opts, io.env)
    } catch (err) {
      return await fail(err)
    }
    const [{ createRepramNode }, { createLogger }, { pino }] = await Promise.all([import('../create.js'), import('../logger.js'), import('pino')])
    // Logs to stderr (fd 2), never stdout.
    const logger = createLogger(config.logLevel, { destination: pino.destination({ fd: 2, sync: false }) })
    try {
      node = await createRepramNode({ config, logger, network: true })
    } catch (err) {
      await writeOut(io.stderr, `repram: cannot start the embedded node: ${describeError(err).message.slice(0, 300)}\n`)
      io.exit(describeError(err).exitCode === EXIT.usage ? EXIT.usage : EXIT.error)
      return EXIT.error
    }
    if (opts.http === true) {
      const { startHttpServer } = await import('../http/server.js')
      try {
        http = await startHttpServer(node)
      } catch (err) {
        await node.stop().catch(() => {})
        await writeOut(io.stderr, `repram: cannot listen on ${config.httpHost}:${config.httpPort}: ${describeError(err).message}\n`)
        io.exit(EXIT.error)
        return EXIT.error
      }
      await writeOut(io.stderr, `repram: embedded node's HTTP API on ${http.url}\n`)
      info.url = http.url
    }
    backend = backends.nodeBackend(node)
    maxMessageBytes = 2 * config.maxValueBytes + 1024 * 1024
    info.mode = 'embedded'
  }

  if (signer !== undefined) info.owned_namespace = signer.namespace
  const server = createRepramMcpServer(backend, { encryption, watchMaxSeconds, info, signer })
  const serving = await serveStdio(server, { maxMessageBytes })
  const signalled = untilSignal()
  await Promise.race([serving.closed, signalled])

  const deadline = setTimeout(() => {
    io.stderr.write(`repram: shutdown did not finish within ${MCP_SHUTDOWN_DEADLINE_MS / 1000} s, exiting\n`)
    io.exit(EXIT.error)
  }, MCP_SHUTDOWN_DEADLINE_MS)
  deadline.unref()
  let code: number = EXIT.ok
  try {
    await serving.close()
    await http?.close()
    await node?.stop()
  } catch (err) {
    code = await fail(err)
  }
  clearTimeout(deadline)
  io.exit(code)
  return code
}
