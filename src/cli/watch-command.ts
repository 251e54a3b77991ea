/**
 * `repram watch [--prefix P] [--values] [--count N]`: follows a node's changes
 * (`GET /v1/watch`) and prints one JSON line per event on stdout:
 * `{"event":"stored","id":"…","key":"…","writeId":"…","createdAt":…,"expiresAt":…,"size":…}`,
 * `{"event":"expired",…}` or `{"event":"gap","message":"…"}`. Values (with `--values`) are
 * base64 in `value`. It reconnects and resumes by itself; once subscribed it says so on
 * stderr, so a script can start writing.
 *
 * @example
 * // repram watch --prefix chat/ --count 1 --url http://127.0.0.1:8080
 */
import { Option, type Command } from 'commander'
import { RepramHttpError } from '../sdk/errors.js'
import { startWatch, type WatchEvent } from '../sdk/watch.js'
import { DEFAULT_URL, nodeUrl } from './client-commands.js'
import { CliError, EXIT, exitCodeForStatus } from './errors.js'
import { writeOut, type CliIo } from './io.js'

interface WatchOpts { url?: string, prefix?: string, values?: boolean, count?: string, lastEventId?: string }

/** An event as one JSON line of the CLI. */
export function eventLine (e: WatchEvent): string {
  if (e.type === 'gap') return JSON.stringify({ event: 'gap', message: e.message })
  const { type, value, ...rest } = e as Extract<WatchEvent, { type: 'stored' }>
  const out: Record<string, unknown> = { event: type, ...rest }
  if (value !== undefined) out.value = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
  return JSON.stringify(out)
}

/** Registers `repram watch` on `program`. */
export function registerWatchCommand (program: Command, io: CliIo, setCode: (code: number) => void): void {
  program.command('watch')
    .description('print each write and expiry under a prefix as one JSON line, until interrupted (or --count events)')
    .option('--prefix <prefix>', 'only keys starting with this (default: every key)')
    .option('--values', 'include values (base64, up to the node\'s watch value cap)')
    .option('--count <n>', 'exit after this many stored/expired events')
    .option('--last-event-id <id>', 'resume after this event id (the "id" of a line printed earlier)')
    .addOption(new Option('--url <url>', `node URL [env REPRAM_URL; default ${DEFAULT_URL}]`))
    .action(async (opts: WatchOpts) => {
      const base = nodeUrl(opts.url, io)
      let limit: number | undefined
      if (opts.count !== undefined) {
        if (!/^\d{1,9}$/.test(opts.count) || Number(opts.count) < 1) throw new CliError(`invalid --count "${opts.count}": a whole number from 1`, EXIT.usage)
        limit = Number(opts.count)
      }
      let seen = 0
      let subscribed = false
      let failure: CliError | undefined
      const stop = new AbortController()
      const onSignal = (): void => stop.abort()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      const w = startWatch({
        urls: [base],
        preferred: 0,
        fetch: async (input, init) => await fetch(input, init),
        sleep: async (ms, signal) => await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, ms)
          signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason) }, { once: true })
        }),
        errorFor: (status, code, message, url) => new RepramHttpError(status, code, message, url),
        parseRetryAfter: (v) => v !== null && /^\d+$/.test(v.trim()) ? Number(v) * 1000 : undefined
      }, opts.prefix ?? '', async (e) => {
        await writeOut(io.stdout, eventLine(e) + '\n')
        if (e.type !== 'gap' && limit !== undefined && ++seen >= limit) stop.abort()
      }, {
        values: opts.values === true,
        lastEventId: opts.lastEventId,
        signal: stop.signal,
        onReconnect: (reason, ms) => {
          // The first connection failing is an error (a wrong --url must not hang); later drops are retried.
          if (!subscribed) {
            failure = new CliError(reason.startsWith('could not reach') ? `cannot reach ${base}` : `${base}: ${reason}`, EXIT.error)
            stop.abort()
            return
          }
          writeOut(io.stderr, `repram: watch dropped (${reason}); reconnecting in ${Math.ceil(ms / 1000)} s\n`).catch(() => {})
        }
      })
      try {
        await w.ready.catch((err: unknown) => { throw failure ?? err })
        subscribed = true
        await writeOut(io.stderr, `repram: watching ${JSON.stringify(opts.prefix ?? '')} at ${base}\n`)
        await w.closed
        if (failure !== undefined) throw failure
      } catch (err) {
        if (err instanceof RepramHttpError) throw new CliError(`${err.status} ${err.code}: ${err.message}`, exitCodeForStatus(err.status))
        throw err
      } finally {
        w.close()
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
      setCode(EXIT.ok)
    })
}
