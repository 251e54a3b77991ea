/**
 * The `repram` command line: `start` (run a node), the client commands `put`,
 * `get`, `keys`, `status`, `keygen`, `attest verify` and `monitor` (with `monitor report`). {@link runCli} never throws and never prints a stack:
 * every failure is one `repram: …` line on stderr and an exit code from {@link EXIT}.
 *
 * @example
 * import { runCli } from './program.js'
 * process.exitCode = await runCli(['status', '--url', 'http://127.0.0.1:8080'])
 */
import { Command, CommanderError } from 'commander'
import { VERSION } from '../version.js'
import { registerClientCommands } from './client-commands.js'
import { loadCryptoCommands, PASS_THROUGH } from './crypto-hooks.js'
import { describeError, EXIT, oneLine } from './errors.js'
import { processIo, writeOut, type CliIo } from './io.js'

/** True when `argv` asks for `command` (or its help): only then are its heavier modules loaded. */
function wants (argv: readonly string[], command: string): boolean {
  const words = argv.filter(a => !a.startsWith('-'))
  return words[0] === command || (words[0] === 'help' && words[1] === command)
}

/**
 * Builds the command tree for `argv`. The flags of `start` come from the config
 * schema (zod) and `start` runs the node: those modules are loaded only when `argv`
 * asks for `start`, so client commands start fast. `setCode` receives the exit code of a
 * command that sets one.
 */
export async function createProgram (io: CliIo, argv: readonly string[] = [], setCode: (code: number) => void = () => {}): Promise<Command> {
  const program = new Command('repram')
    .description('REPRAM: a replicated, ephemeral key-value network. Run a node, or talk to one.')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Commander's own errors (unknown option, missing argument…) as one line.
      outputError: (s, write) => write(`repram: ${oneLine(s.replace(/^error: /, ''))}\n`)
    })
    .addHelpText('after', `
Exit codes: 0 ok, 1 error (network, port in use), 2 usage or config error,
3 not found, 4 rejected by the node (4xx), 5 node error (5xx: 503, 507).`)
  const start = program.command('start')
    .description('start a node with its HTTP API (flags override REPRAM_* env, which overrides the config file)')
  if (wants(argv, 'start')) (await import('./start.js')).configureStartCommand(start, io, setCode)
  // Encryption (put --encrypt, get --decrypt, keygen) loads the SDK: only when the command line may use it.
  const crypto = await loadCryptoCommands(argv)
  registerClientCommands(program, io, crypto ?? PASS_THROUGH)
  if (crypto !== undefined) crypto.registerKeygenCommand(program)
  else program.command('keygen').description('generate encryption keys for put --encrypt / get --decrypt (see: repram keygen --help)')
  // `attest verify` (src/cli/attest-command.ts) loads the config schema and the SDK's
  // verifier: registered in full only when asked for, listed in the help otherwise.
  // `watch` streams a node's events; `mcp` serves the MCP tools over stdio (src/cli/mcp-command.ts).
  if (wants(argv, 'watch')) (await import('./watch-command.js')).registerWatchCommand(program, io, setCode)
  else program.command('watch').description('print each write and expiry under a prefix as a JSON line (see: repram watch --help)')
  if (wants(argv, 'mcp')) (await import('./mcp-command.js')).registerMcpCommand(program, io, setCode)
  else program.command('mcp').description('serve the REPRAM tools to an AI agent over MCP stdio (see: repram mcp --help)')
  if (wants(argv, 'attest')) (await import('./attest-command.js')).registerAttestCommands(program, io)
  else program.command('attest').description('signed proofs of deletion of compliance-flagged records (see: repram attest verify --help)')
  // `monitor` (src/cli/monitor-command.ts) loads the monitor, its database drivers and the
  // report writer: registered in full only when asked for, like `attest`.
  if (wants(argv, 'monitor')) (await import('./monitor-command.js')).registerMonitorCommand(program, io, setCode)
  else program.command('monitor').description('run the compliance monitor, or write an audit report from its database (see: repram monitor --help, repram monitor report --help)')
  return program
}

/** Runs the CLI on `argv` (without `node` and the script) and resolves with the exit code. */
export async function runCli (argv: string[], io: CliIo = processIo()): Promise<number> {
  let code: number = EXIT.ok
  try {
    const program = await createProgram(io, argv, (c) => { code = c })
    await program.parseAsync(argv, { from: 'user' })
    return code
  } catch (err) {
    // Commander has already printed its message (or the help); 0 for --help/--version.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage
    const { message, exitCode } = describeError(err)
    await writeOut(io.stderr, `repram: ${message}\n`).catch(() => {})
    return exitCode
  }
}
