/**
 * pino loggers. JSON by default; pretty when stdout is a TTY and pino-pretty is present.
 * Components get child loggers (`component` field). Never log user keys or values.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger } from 'pino'

/** Creates the root logger of a node. */
export function createLogger (level: LevelWithSilent, opts: { name?: string, destination?: NodeJS.WritableStream } = {}): Logger {
  return pino({ level, name: opts.name ?? 'repram', base: { pid: process.pid } }, (opts.destination ?? pino.destination({ fd: 1, sync: false })) as pino.DestinationStream)
}

/** A logger that drops everything. */
export function silentLogger (): Logger {
  return pino({ level: 'silent' })
}
