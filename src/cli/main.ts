/**
 * Entry point of the `repram` command (loaded by bin/repram.js after the polyfill).
 *
 * @example
 * // node bin/repram.js start --profile test --http-port 0
 * // node bin/repram.js put app/greeting hello --ttl 600
 */
import { runCli } from './program.js'

// `repram get k | head -c 1` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

process.exitCode = await runCli(process.argv.slice(2))
