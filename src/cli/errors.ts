/**
 * Exit codes and one-line error reporting of the `repram` command. Every failure ends
 * as exactly one line on stderr, `repram: <what went wrong>`, and one of {@link EXIT}.
 *
 * @example
 * import { CliError, EXIT, exitCodeForStatus } from './errors.js'
 * throw new CliError('not found: app/session/42', exitCodeForStatus(404)) // exit 3
 */
import { ConfigError } from '../errors.js'

/** Exit codes, documented in README.md and docs/api.md. Scripts rely on them: append-only. */
export const EXIT = {
  /** Success (a PUT answered 201 or 202). */
  ok: 0,
  /** Generic failure: network error, timeout, port in use, unexpected error. */
  error: 1,
  /** Bad usage or bad configuration: nothing was sent. */
  usage: 2,
  /** The server answered 404: no live record (or no such route). */
  notFound: 3,
  /** The server rejected the request (4xx other than 404: bad key, bad TTL, 413, 429…). */
  rejected: 4,
  /** The server failed (5xx: 503 shutting down, 507 capacity exceeded, 500). */
  serverError: 5
} as const

/** One of {@link EXIT}. */
export type ExitCode = typeof EXIT[keyof typeof EXIT]

/** A failure the CLI reports as one line with a chosen exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode
  constructor (message: string, exitCode: ExitCode = EXIT.error) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

/** The exit code for an HTTP error status. */
export function exitCodeForStatus (status: number): ExitCode {
  if (status === 404) return EXIT.notFound
  if (status >= 400 && status < 500) return EXIT.rejected
  if (status >= 500) return EXIT.serverError
  return EXIT.error
}

/** Collapses a message to one line (commander and Node messages may span several). */
export function oneLine (message: string): string {
  return message.replace(/\s*[\r\n]+\s*/g, ' ').trim()
}

/** Maps any thrown value to the line to print (without the `repram: ` prefix) and an exit code. */
export function describeError (err: unknown): { message: string, exitCode: ExitCode } {
  if (err instanceof CliError) return { message: oneLine(err.message), exitCode: err.exitCode }
  if (err instanceof ConfigError || (err as Error | undefined)?.name === 'ConfigError') {
    return { message: oneLine((err as Error).message), exitCode: EXIT.usage }
  }
  if (err instanceof Error) return { message: oneLine(err.message === '' ? err.name : err.message), exitCode: EXIT.error }
  return { message: oneLine(String(err)), exitCode: EXIT.error }
}

/**
 * Describes a failed `fetch` (connection refused, DNS, timeout) as one line naming
 * the URL, e.g. `cannot reach http://127.0.0.1:8080: connect ECONNREFUSED 127.0.0.1:8080`.
 */
export function networkError (err: unknown, url: string, timeoutMs: number): CliError {
  const e = err as { name?: string, message?: string, cause?: { code?: string, message?: string, errors?: Array<{ message?: string }> } }
  if (e?.name === 'TimeoutError') return new CliError(`no answer from ${url} within ${timeoutMs / 1000} s`, EXIT.error)
  const cause = e?.cause
  const detail = cause === undefined
    ? (e?.message ?? String(err))
    : (cause.message !== undefined && cause.message !== '' ? cause.message : cause.errors?.[0]?.message ?? cause.code ?? e.message ?? 'fetch failed')
  return new CliError(`cannot reach ${url}: ${detail}`, EXIT.error)
}
