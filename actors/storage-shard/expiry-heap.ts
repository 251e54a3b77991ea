/**
 * An indexed d-ary min-heap of records by `expiresAt`. Each entry remembers its own
 * position, so an overwrite or a delete updates the index in place in O(log n) and the
 * heap never holds stale entries.
 */
/** Heap arity: a 4-ary heap is shallower than a binary one and touches fewer cache lines. */
const HEAP_ARITY = 4

/** What the heap needs of an entry. `heapIndex` is owned by the heap. */
export interface HeapEntry {
  expiresAt: number
  heapIndex: number
}

export class ExpiryHeap<E extends HeapEntry> {
  private readonly items: E[] = []

  get size (): number { return this.items.length }

  /** The entry that expires first, if any. */
  peek (): E | undefined { return this.items[0] }

  push (e: E): void {
    e.heapIndex = this.items.length
    this.items.push(e)
    this.up(e.heapIndex)
  }

  /** Removes `e` if it is in the heap. */
  remove (e: E): void {
    const i = e.heapIndex
    if (i < 0 || this.items[i] !== e) return
    const last = this.items.pop() as E
    e.heapIndex = -1
    if (last === e) return
    this.items[i] = last
    last.heapIndex = i
    this.down(i)
    this.up(last.heapIndex)
  }

  /** Replaces `old` (which must be in the heap) with `next`, keeping order. */
  replace (old: E, next: E): void {
    const i = old.heapIndex
    if (i < 0 || this.items[i] !== old) { this.push(next); return }
    old.heapIndex = -1
    this.items[i] = next
    next.heapIndex = i
    this.down(i)
    this.up(next.heapIndex)
  }

  pop (): E | undefined {
    const top = this.items[0]
    if (top !== undefined) this.remove(top)
    return top
  }

  private up (i: number): void {
    const a = this.items
    const e = a[i]
    while (i > 0) {
      const p = ((i - 1) / HEAP_ARITY) | 0
      if (a[p].expiresAt <= e.expiresAt) break
      a[i] = a[p]
      a[i].heapIndex = i
      i = p
    }
    a[i] = e
    e.heapIndex = i
  }

  private down (i: number): void {
    const a = this.items
    const n = a.length
    const e = a[i]
    for (;;) {
      const first = i * HEAP_ARITY + 1
      if (first >= n) break
      let best = first
      const end = Math.min(first + HEAP_ARITY, n)
      for (let c = first + 1; c < end; c++) if (a[c].expiresAt < a[best].expiresAt) best = c
      if (a[best].expiresAt >= e.expiresAt) break
      a[i] = a[best]
      a[i].heapIndex = i
      i = best
    }
    a[i] = e
    e.heapIndex = i
  }
}
