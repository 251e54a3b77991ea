/**
 * A bounded time cache of ids (writeIds seen recently), so a write that arrives twice
 * (direct push, then gossip) is merged once. Insertion-ordered: expiry and the size
 * bound both drop the oldest first.
 */
export class SeenCache {
  private readonly entries = new Map<string, number>()

  /**
   * @param ttlMs how long an id is remembered
   * @param max most ids remembered
   * @param now time source (ms): the injected clock's `now`
   */
  constructor (private readonly ttlMs: number, private readonly max: number, private readonly now: () => number) {}

  get size (): number { return this.entries.size }

  /** Records `id`; returns false when it was already there (a duplicate). */
  add (id: string): boolean {
    const t = this.now()
    this.prune(t)
    if (this.entries.has(id)) return false
    this.entries.set(id, t + this.ttlMs)
    if (this.entries.size > this.max) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
    return true
  }

  has (id: string): boolean {
    const exp = this.entries.get(id)
    return exp !== undefined && exp > this.now()
  }

  private prune (t: number): void {
    for (const [id, exp] of this.entries) {
      if (exp > t) break
      this.entries.delete(id)
    }
  }
}
