/** `repram mcp` (issue 18). Placeholder while it is being built. */
import type { Command } from 'commander'
import type { CliIo } from './io.js'

/** Registers `repram mcp`. */
export function registerMcpCommand (program: Command, _io: CliIo, _setCode: (code: number) => void): void {
  program.command('mcp').description('not built yet')
}
