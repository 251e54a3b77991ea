/** `repram watch` (issue 18). Placeholder while it is being built. */
import type { Command } from 'commander'
import type { CliIo } from './io.js'

/** Registers `repram watch`. */
export function registerWatchCommand (program: Command, _io: CliIo, _setCode: (code: number) => void): void {
  program.command('watch').description('not built yet')
}
