import { describe, expect, it } from 'vitest'
import { ExpiryHeap, type HeapEntry } from '../../../actors/storage-shard/expiry-heap.js'

describe('ExpiryHeap', () => {
  it('pops in expiry order through random pushes, removes and replaces', () => {
    let seed = 42
    const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
    const heap = new ExpiryHeap<HeapEntry & { id: number }>()
    const live = new Map<number, HeapEntry & { id: number }>()
    for (let i = 0; i < 5000; i++) {
      const r = rnd()
      if (r < 0.6 || live.size === 0) {
        const e = { id: i, expiresAt: Math.floor(rnd() * 1000), heapIndex: -1 }
        heap.push(e)
        live.set(i, e)
      } else {
        const victim = [...live.values()][Math.floor(rnd() * live.size)]
        if (r < 0.8) {
          heap.remove(victim)
          live.delete(victim.id)
        } else {
          const next = { id: victim.id, expiresAt: Math.floor(rnd() * 1000), heapIndex: -1 }
          heap.replace(victim, next)
          live.set(victim.id, next)
        }
      }
    }
    expect(heap.size).toBe(live.size)
    const popped: number[] = []
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) popped.push(e.expiresAt)
    expect(popped).toEqual([...live.values()].map(e => e.expiresAt).sort((a, b) => a - b))
  })

  it('ignores removal of an entry that is not in the heap', () => {
    const heap = new ExpiryHeap<HeapEntry>()
    const a = { expiresAt: 1, heapIndex: -1 }
    heap.push(a)
    heap.remove(a)
    heap.remove(a)
    expect(heap.size).toBe(0)
  })
})
