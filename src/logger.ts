/**
 * pino loggers: JSON lines by default, human-readable when stdout is a terminal.
 * Components get child loggers with a `component` field (`repram:http`, `repram:gossip`, …).
 *
 * Never log user keys or values. Log sizes, counts and peer ids instead; the test suite
 * greps every log line for the keys and values it wrote.
 */
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino'
import pretty from 'pino-pretty'

export type { Logger } from 'pino'

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Where lines go. @default stdout */
  destination?: DestinationStream
  /** Human-readable output. @default stdout is a TTY and no destination was given */
  pretty?: boolean
  /** Extra fields on every line (e.g. a per-node prefix in tests). */
  base?: Record<string, unknown>
}

/** Creates the root logger of a node. */
export function createLogger (level: LevelWithSilent, opts: LoggerOptions = {}): Logger {
  const usePretty = opts.pretty ?? (opts.destination === undefined && process.stdout.isTTY === true)
  const destination = opts.destination ??
    (usePretty ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : pino.destination({ fd: 1, sync: false }))
  return pino({
    level,
    base: { pid: process.pid, ...opts.base },
    // Errors are serialised by name and message only where callers pass `err`.
    serializers: { err: pino.stdSerializers.err },
    onChild: keepLastComponent
  }, destination)
}

const COMPONENT_FIELD = /,"component":"(?:[^"\\]|\\.)*"/g

/**
 * Child loggers of component loggers (`repram:node` → `repram:cluster`) would print two
 * `component` keys on one line, which strict JSON consumers reject: keep the innermost.
 */
function keepLastComponent (child: Logger): void {
  const bound = child as unknown as Record<symbol, unknown>
  const chindings = bound[pino.symbols.chindingsSym]
  if (typeof chindings !== 'string') return
  let left = chindings.match(COMPONENT_FIELD)?.length ?? 0
  if (left > 1) bound[pino.symbols.chindingsSym] = chindings.replace(COMPONENT_FIELD, field => --left === 0 ? field : '')
}

/** A logger that drops everything. */
export function silentLogger (): Logger {
  return pino({ level: 'silent' })
}
