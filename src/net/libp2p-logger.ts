/**
 * The `logger` component REPRAM gives the libp2p nodes it creates. libp2p's default
 * logger (weald, a `debug` fork) builds a named logger for every connection and stream
 * and asks `isatty(stderr)` each time, which cost about 5 % of the CPU of a busy node in
 * the network simulation, for output nobody sees unless `DEBUG` is set. So when `DEBUG`
 * is unset the component hands out one silent logger; with `DEBUG` set (for example
 * `DEBUG=libp2p:gossipsub*`) no component is given and libp2p's own logger prints as usual.
 */
import type { ComponentLogger, Logger } from '@libp2p/interface'

const noop = (): void => {}

function silent (): Logger {
  const log = Object.assign((_formatter: unknown, ..._args: unknown[]) => {}, {
    error: noop,
    trace: noop,
    enabled: false,
    newScope: (): Logger => log
  })
  return log
}

const SILENT: ComponentLogger = { forComponent: silent().newScope }

/** A silent logger when `DEBUG` is unset in `env`; undefined (libp2p's own logger) when it is set. */
export function libp2pLogger (env: NodeJS.ProcessEnv = process.env): ComponentLogger | undefined {
  return env.DEBUG !== undefined && env.DEBUG !== '' ? undefined : SILENT
}
