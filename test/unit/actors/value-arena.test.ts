import { describe, expect, it } from 'vitest'
import { ARENA_MAX_VALUE, ARENA_SLACK_SEGMENTS, SEGMENT_BYTES, ValueArena, type ArenaOwner, type Segment } from '../../../actors/storage-shard/value-arena.js'
import { Entry, ShardStore } from '../../../actors/storage-shard/storage-shard.js'

/** A value of `len` bytes that tells its `id` apart from any other. */
function valueOf (id: number, len: number): Uint8Array {
  const v = new Uint8Array(len)
  for (let i = 0; i < len; i++) v[i] = (id * 31 + i * 7) & 0xff
  if (len >= 4) new DataView(v.buffer).setUint32(0, id)
  return v
}

/** A test owner: remembers where the arena put its value, and how often it moved. */
class Owner implements ArenaOwner {
  seg: Segment | undefined
  slot = -1
  idx = -1
  moves = 0
  constructor (readonly size: number) {}
  placed (seg: Segment, at: number, idx: number): void {
    if (this.seg !== undefined) this.moves++
    this.seg = seg
    this.slot = at
    this.idx = idx
  }

  read (): Uint8Array { return (this.seg as Segment).read(this.slot, this.size) }
  release (): void { (this.seg as Segment).release(this.idx, this.size) }
}

function putValue (arena: ValueArena, id: number, len: number): Owner {
  const o = new Owner(len)
  arena.put(o, valueOf(id, len))
  return o
}

/** The arena's bound on the bytes it holds. */
function bound (arena: ValueArena): number {
  return 2 * arena.live + ARENA_SLACK_SEGMENTS * SEGMENT_BYTES
}

/** Byte equality without a deep comparison per element (fast on big values). */
function same (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0
}

describe('value arena', () => {
  it('copies values in and out, and a read is a copy the caller owns', () => {
    const arena = new ValueArena()
    const owners = Array.from({ length: 200 }, (_, i) => putValue(arena, i, 1 + (i * 97) % ARENA_MAX_VALUE))
    owners.forEach((o, i) => expect(same(o.read(), valueOf(i, o.size))).toBe(true))
    const r = owners[7].read()
    r.fill(0)
    expect(same(owners[7].read(), valueOf(7, owners[7].size))).toBe(true)
    const seg = owners[9].seg as Segment
    expect(seg.byteAt(owners[9].slot)).toBe(valueOf(9, owners[9].size)[0])
    expect(Buffer.from(seg.read(owners[9].slot, owners[9].size))).toEqual(Buffer.from(valueOf(9, owners[9].size)))
    expect(arena.count).toBe(200)
    expect(arena.live).toBe(owners.reduce((n, o) => n + o.size, 0))
  })

  it('starts a new segment for a value that does not fit, and never writes over a released value', () => {
    const arena = new ValueArena()
    const a = putValue(arena, 1, SEGMENT_BYTES - 100)
    const b = putValue(arena, 2, 200)
    expect(b.seg).not.toBe(a.seg)
    expect(arena.segmentCount).toBe(2)
    b.release()
    const c = putValue(arena, 3, 300)
    expect(c.slot).toBe(200)
    // The released value still reads as it was, for whoever holds it.
    expect(same(b.read(), valueOf(2, 200))).toBe(true)
    expect(same(a.read(), valueOf(1, SEGMENT_BYTES - 100))).toBe(true)
    // Released values of a dropped segment too.
    a.release()
    expect(arena.segmentCount).toBe(1)
    expect(same(a.read(), valueOf(1, SEGMENT_BYTES - 100))).toBe(true)
  })

  it('frees whole segments when their records leave together, moving nothing', () => {
    const arena = new ValueArena()
    const burst = Array.from({ length: 640 }, (_, i) => putValue(arena, i, 1024))
    const later = Array.from({ length: 64 }, (_, i) => putValue(arena, 1000 + i, 1024))
    expect(arena.segmentCount).toBe(11)
    for (const o of burst) o.release()
    expect(arena.segmentCount).toBe(1)
    expect(arena.bytes).toBe(SEGMENT_BYTES)
    expect(later.every(o => o.moves === 0)).toBe(true)
    later.forEach((o, i) => expect(o.read()).toEqual(valueOf(1000 + i, 1024)))
  })

  it('moves the values of the oldest sparse segments into the current one once the segments outgrow twice the live bytes, and tells their owners', () => {
    const arena = new ValueArena()
    const owners = Array.from({ length: 20 * 64 }, (_, i) => putValue(arena, i, 1024))
    expect(arena.segmentCount).toBe(20)
    const kept = new Set<Owner>()
    // Keep 4 values of each of the first 10 segments, and nothing of the other 10.
    owners.forEach((o, i) => { if (i < 640 && i % 64 < 4) kept.add(o) })
    for (const o of owners) {
      if (kept.has(o)) continue
      o.release()
      expect(arena.bytes).toBeLessThanOrEqual(bound(arena))
    }
    expect(arena.live).toBe(40 * 1024)
    expect(arena.bytes).toBeLessThanOrEqual(2 * 40 * 1024 + ARENA_SLACK_SEGMENTS * SEGMENT_BYTES)
    const moved = [...kept].filter(o => o.moves > 0)
    expect(moved.length).toBeGreaterThan(0)
    owners.forEach((o, i) => { if (kept.has(o)) expect(same(o.read(), valueOf(i, 1024))).toBe(true) })
    // Later writes land after the moved values and overwrite none of them.
    const more = Array.from({ length: 100 }, (_, i) => putValue(arena, 5000 + i, 1024))
    owners.forEach((o, i) => { if (kept.has(o)) expect(same(o.read(), valueOf(i, 1024))).toBe(true) })
    more.forEach((o, i) => expect(same(o.read(), valueOf(5000 + i, 1024))).toBe(true))
  })

  it('keeps a long-lived value and a heartbeat in two segments, however often the heartbeat is rewritten', () => {
    const arena = new ValueArena()
    const keep = putValue(arena, 1, 1024)
    // A key overwritten again and again: each write appends, each overwrite releases the last.
    let hb = putValue(arena, 2, 1024)
    for (let i = 0; i < 1000; i++) {
      const next = putValue(arena, 3 + i, 1024)
      hb.release()
      hb = next
      expect(arena.segmentCount).toBeLessThanOrEqual(2)
    }
    expect(same(keep.read(), valueOf(1, 1024))).toBe(true)
    expect(same(hb.read(), valueOf(1002, 1024))).toBe(true)
    expect(arena.live).toBe(2048)
  })

  it('keeps every live value intact, and its segments within twice the live bytes plus the slack, under random writes and deletes', () => {
    let seed = 42
    const rand = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n }
    const arena = new ValueArena()
    const live = new Map<Owner, number>()
    const list: Owner[] = []
    const all: Owner[] = []
    for (let step = 0; step < 8000; step++) {
      // Grow for a while, then shrink, then grow again.
      const growing = Math.floor(step / 2000) % 2 === 0
      if (list.length === 0 || rand(10) < (growing ? 7 : 2)) {
        const o = putValue(arena, step, 1 + (rand(16) === 0 ? rand(ARENA_MAX_VALUE) : rand(2048)))
        live.set(o, step)
        list.push(o)
        all.push(o)
      } else {
        const i = rand(list.length)
        const o = list[i]
        list[i] = list[list.length - 1]
        list.pop()
        o.release()
        live.delete(o)
      }
      expect(arena.bytes).toBeLessThanOrEqual(bound(arena))
      if (step % 500 === 499) {
        expect(arena.count).toBe(live.size)
        for (const [o, id] of live) expect(same(o.read(), valueOf(id, o.size))).toBe(true)
      }
    }
    // The shrinking phases made the arena move values, not just drop empty segments.
    expect(all.filter(o => o.moves > 0).length).toBeGreaterThan(0)
    for (const o of list) o.release()
    expect(arena.count).toBe(0)
    expect(arena.live).toBe(0)
    expect(arena.bytes).toBe(SEGMENT_BYTES)
  })
})

describe('value arena in a shard', () => {
  it('keeps small values in the arena and gives their slots back as records leave', () => {
    const s = new ShardStore(1e9)
    const now = 1_000_000
    for (let i = 0; i < 1000; i++) s.write({ key: `k${i}`, value: valueOf(i, 1024), createdAt: now, expiresAt: now + (i < 900 ? 10 : 1000), writeId: `w${i}` }, now, true)
    expect(s.arena.count).toBe(1000)
    expect(s.sweep(now + 10)).toBe(900)
    expect(s.arena.count).toBe(100)
    expect(s.arena.bytes).toBeLessThanOrEqual(3 * SEGMENT_BYTES)
    for (let i = 900; i < 1000; i++) expect(s.live(`k${i}`, now + 11)?.value).toEqual(valueOf(i, 1024))
  })

  it('a record that left the shard keeps its own value, whatever its old slot holds next', () => {
    const s = new ShardStore(1e9)
    const now = 1_000_000
    const first = s.write({ key: 'a', value: valueOf(1, 1024), createdAt: now, expiresAt: now + 1000, writeId: 'w1' }, now, true)
    expect(first.status).toBe('stored')
    const held = (first as unknown as { record: Entry }).record
    // Overwritten: the new write takes the freed slot.
    s.write({ key: 'a', value: valueOf(2, 1024), createdAt: now + 1, expiresAt: now + 1000, writeId: 'w2' }, now + 1, true)
    s.write({ key: 'b', value: valueOf(3, 1024), createdAt: now + 1, expiresAt: now + 1000, writeId: 'w3' }, now + 1, true)
    expect(held.value).toEqual(valueOf(1, 1024))
    expect(held.size).toBe(1024)
    expect(held.firstByte).toBe(valueOf(1, 1024)[0])
    expect(s.live('a', now + 2)?.value).toEqual(valueOf(2, 1024))
    expect(s.live('b', now + 2)?.value).toEqual(valueOf(3, 1024))
  })

  it('keeps empty values and values over the arena limit out of it', () => {
    const arena = new ValueArena()
    const empty = new Entry('e', new Uint8Array(0), 1, 2, 'w', undefined, arena)
    const big = new Entry('b', valueOf(5, ARENA_MAX_VALUE + 1), 1, 2, 'w', undefined, arena)
    expect(arena.count).toBe(0)
    expect(empty.value.byteLength).toBe(0)
    expect(empty.firstByte).toBe(-1)
    expect(big.value).toEqual(valueOf(5, ARENA_MAX_VALUE + 1))
    const edge = new Entry('x', valueOf(6, ARENA_MAX_VALUE), 1, 2, 'w', undefined, arena)
    expect(arena.count).toBe(1)
    expect(edge.value).toEqual(valueOf(6, ARENA_MAX_VALUE))
  })
})
