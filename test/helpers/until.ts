/**
 * The one retry-until helper of the suite: waits for a condition instead of a fixed time
 * or a fixed number of event-loop turns.
 *
 * @example
 * await until(async () => await node.has('k'), { what: 'the record on node b' })
 */

/** Options of {@link until}. */
export interface UntilOptions {
  /** Give up after this long. @default 5000 */
  timeoutMs?: number
  /** Pause between tries. @default 20 */
  intervalMs?: number
  /** What is awaited, for the timeout message. */
  what?: string
}

/**
 * Retries `check` until it returns a value that is not undefined, null or false (or stops
 * throwing and returns one), then returns it. After `timeoutMs` it fails with
 * "timed out waiting for <what>: <last error>".
 */
export async function until<T> (check: () => T | Promise<T>, opts: UntilOptions = {}): Promise<Exclude<NonNullable<T>, false>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5000)
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined && v !== null && v !== false) return v as Exclude<NonNullable<T>, false>
      last = undefined
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : ''
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${why}`)
    }
    await new Promise(resolve => setTimeout(resolve, opts.intervalMs ?? 20))
  }
}
