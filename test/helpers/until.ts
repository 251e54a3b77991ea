/**
 * Retries `check` until it returns a truthy value or throws no more, then returns it.
 * Fails with the last error after `timeoutMs`. Use instead of fixed sleeps.
 */
export async function until<T> (check: () => T | Promise<T>, opts: { timeoutMs?: number, intervalMs?: number, what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5000)
  let lastErr: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined && v !== null && v !== false) return v
      lastErr = new Error(`${opts.what ?? 'condition'} not met`)
    } catch (err) {
      lastErr = err
    }
    if (Date.now() > deadline) throw lastErr instanceof Error ? lastErr : new Error(String(lastErr))
    await new Promise(resolve => setTimeout(resolve, opts.intervalMs ?? 5))
  }
}

/** Lets every queued nact message (setImmediate) run, `rounds` times over. */
export async function settle (rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise(resolve => setImmediate(resolve))
}
