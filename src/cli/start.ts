/**
 * `repram start`: builds the config (defaults ← REPRAM_CONFIG file ← env ← flags),
 * starts a node and its HTTP API, prints where it listens, and shuts down gracefully
 * on SIGTERM/SIGINT. Loaded lazily, so client commands never pay for the node's imports.
 *
 * Startup output on stdout, one fact per line, stable for scripts:
 *
 *     repram 0.1.0 listening on http://127.0.0.1:8080
 *     node id 12D3KooW…
 *     enclave default
 *     network private
 *     p2p /ip4/127.0.0.1/tcp/9090/p2p/12D3KooW…   (one line per listen address)
 *
 * @example
 * // repram start --profile test --http-port 0
 * import { runStart } from './start.js'
 * await runStart({ profile: 'test' }, {})
 */
import { Option, type Command } from 'commander'
import { CONFIG_FIELDS, loadConfig, profileDefaults, type RepramConfig, type RepramConfigInput } from '../config.js'
import type { RepramNode } from '../node/node.js'
import type { RepramHttpServer } from '../http/server.js'
import { VERSION } from '../version.js'
import { formatDefault } from './config-table.js'
import { describeError, EXIT } from './errors.js'
import { processIo, untilSignal, writeOut, type CliIo } from './io.js'

/** After a shutdown signal the process exits by this deadline whatever is still running. */
export const HARD_SHUTDOWN_DEADLINE_MS = 10_000

/** The commander attribute name of each config flag (e.g. `writeTimeout`) → its config key. */
function flagAttributes (): Array<{ attr: string, key: keyof RepramConfig }> {
  return CONFIG_FIELDS.map(f => ({ attr: new Option(f.flag).attributeName(), key: f.key }))
}

/** Adds one option per {@link CONFIG_FIELDS} entry, plus `--config <file>`. No defaults are set here: unset flags leave the env and file in charge. */
export function addConfigOptions (cmd: Command): Command {
  const defaults = profileDefaults('default')
  for (const f of CONFIG_FIELDS) {
    cmd.addOption(new Option(f.flag, `${f.description} [env ${f.env}; default ${formatDefault(f.key, defaults[f.key])}]`))
  }
  cmd.addOption(new Option('--config <file>', 'JSON config file, below env and flags in precedence [env REPRAM_CONFIG]'))
  return cmd
}

/** The flags that were given, as config overrides (strings; the config validates them). */
export function overridesFromFlags (opts: Record<string, unknown>): RepramConfigInput {
  const out: Record<string, unknown> = {}
  for (const { attr, key } of flagAttributes()) {
    if (opts[attr] !== undefined) out[key] = opts[attr]
  }
  return out as RepramConfigInput
}

/**
 * Gives the `start` command its flags and action. `done` receives the exit code when
 * start fails before serving (after serving, the process exits by itself).
 */
export function configureStartCommand (cmd: Command, io: CliIo, done: (code: number) => void): Command {
  addConfigOptions(cmd)
  return cmd.action(async (opts: Record<string, unknown>) => {
    done(await runStart(overridesFromFlags(opts), { file: opts.config as string | undefined, io }))
  })
}

/** What {@link runStart} takes besides the flag overrides. */
export interface RunStartOptions {
  /** Config file; else `REPRAM_CONFIG`. */
  file?: string
  /** @default the real process */
  io?: CliIo
}

/**
 * Starts a node and serves it until SIGTERM or SIGINT, then drains and exits the
 * process (0, or 1 past the hard deadline). Returns an exit code only when the
 * node never started (2 for bad config, 1 otherwise).
 */
export async function runStart (overrides: RepramConfigInput, opts: RunStartOptions = {}): Promise<number> {
  const io = opts.io ?? processIo()
  const fail = async (err: unknown, prefix = ''): Promise<number> => {
    const { message, exitCode } = describeError(err)
    await writeOut(io.stderr, `repram: ${prefix}${message}\n`)
    return exitCode
  }

  let config: RepramConfig
  try {
    config = loadConfig({ env: io.env, file: opts.file, overrides })
  } catch (err) {
    return await fail(err)
  }

  // Loaded here, not at the top: client commands must not pay for the node's imports.
  const [{ createRepramNode }, { startHttpServer }, { createLogger }] = await Promise.all([import('../create.js'), import('../http/server.js'), import('../logger.js')])
  // The CLI owns the root logger, so its own lines carry `component: repram:cli` alone.
  const root = createLogger(config.logLevel)
  let node: RepramNode
  try {
    // A started process is always a network node, whatever the profile: `--profile test`
    // with `--peers` must replicate, not silently run alone.
    node = await createRepramNode({ config, logger: root, network: true })
  } catch (err) {
    // libp2p may hold handles after a failed start: end the process rather than wait.
    if ((err as Error | undefined)?.name === 'ConfigError') {
      io.exit(await fail(err))
      return EXIT.usage
    }
    await writeOut(io.stderr, `repram: ${nodeStartError(err)}\n`)
    io.exit(EXIT.error)
    return EXIT.error
  }

  let server: RepramHttpServer
  try {
    server = await startHttpServer(node)
  } catch (err) {
    await node.stop().catch(() => {})
    await writeOut(io.stderr, `repram: ${listenError(err, config)}\n`)
    io.exit(EXIT.error)
    return EXIT.error
  }

  // Listen for signals before announcing the URL: a script may signal as soon as it reads it.
  const signalled = untilSignal()

  const log = root.child({ component: 'repram:cli' })
  const info = node.networkInfo()
  const lines = [
    `repram ${VERSION} listening on ${server.url}`,
    `node id ${info.nodeId}`,
    `enclave ${config.enclave}`,
    `network ${config.network}`,
    ...info.addresses.map(a => `p2p ${a}`)
  ]
  await writeOut(io.stdout, lines.join('\n') + '\n')
  log.info({ url: server.url, nodeId: info.nodeId, enclave: config.enclave, profile: config.profile, addresses: info.addresses }, 'repram started')

  const onFatal = (err: unknown): void => {
    log.fatal({ err }, 'fatal error')
    io.stderr.write(`repram: fatal: ${describeError(err).message}\n`)
    io.exit(EXIT.error)
  }
  process.on('uncaughtException', onFatal)
  process.on('unhandledRejection', onFatal)

  const signal = await signalled

  // A second signal means "now"; the hard deadline catches a drain that hangs.
  const force = (sig: NodeJS.Signals): void => {
    io.stderr.write(`repram: ${sig} during shutdown, exiting now\n`)
    io.exit(EXIT.error)
  }
  process.once('SIGTERM', force)
  process.once('SIGINT', force)
  const deadline = setTimeout(() => {
    io.stderr.write(`repram: shutdown did not finish within ${HARD_SHUTDOWN_DEADLINE_MS / 1000} s, exiting\n`)
    io.exit(EXIT.error)
  }, HARD_SHUTDOWN_DEADLINE_MS)
  deadline.unref()

  log.info({ signal }, 'shutting down')
  let code: number = EXIT.ok
  try {
    await server.close()
    await node.stop()
  } catch (err) {
    code = await fail(err, 'shutdown failed: ')
  }
  log.info({ code }, 'stopped')
  await new Promise<void>(resolve => { try { log.flush(() => resolve()) } catch { resolve() } })
  await writeOut(io.stdout, 'repram stopped\n')
  io.exit(code)
  return code
}

/** One line for a node that failed to start; libp2p's listen failures get a short, actionable form. */
function nodeStartError (err: unknown): string {
  const message = describeError(err).message
  const inUse = /(\/ip[46]\/[^\s:]+)[^]*?EADDRINUSE/.exec(message)
  if (inUse != null) return `cannot listen on ${inUse[1]}: address already in use (choose another --listen / REPRAM_LISTEN)`
  const denied = /(\/ip[46]\/[^\s:]+)[^]*?EACCES/.exec(message)
  if (denied != null) return `cannot listen on ${denied[1]}: permission denied`
  return `cannot start the node: ${message.slice(0, 300)}`
}

/** One line for a failed HTTP listen: what, where, and what to change. */
function listenError (err: unknown, config: RepramConfig): string {
  const where = `${config.httpHost}:${config.httpPort}`
  switch ((err as { code?: string }).code) {
    case 'EADDRINUSE': return `cannot listen on ${where}: address already in use (choose another --http-port / REPRAM_HTTP_PORT)`
    case 'EACCES': return `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`
    case 'EADDRNOTAVAIL': return `cannot listen on ${where}: address not available on this host (check --http-host / REPRAM_HTTP_HOST)`
    default: return `cannot listen on ${where}: ${describeError(err).message}`
  }
}
