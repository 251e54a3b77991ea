/**
 * The WatchHub alone: changes are numbered and fanned out to the watchers whose prefix
 * matches; a resume point inside the ring replays exactly what was missed (no values),
 * one outside it (too old, another boot, the future) is a gap; a sink that refuses an event
 * is ended with overflow and hears nothing more; values go only to watchers that asked,
 * within the cap, read once per change; halt ends every watcher.
 */
import { describe, expect, it } from 'vitest'
import { dispatch, type Ref } from 'nact'
import { formatEventId, parseEventId, spawnWatchHub, type WatchDelivery, type WatchHubMsg, type WatchStart } from '../../../actors/watch-hub/index.js'
import { actorHarness } from '../../helpers/actors.js'

const fresh = actorHarness()
const BOOT = 'b00f'

/** A sink that records what it gets; refuses events past `room`. */
function recorder (room = Infinity): { got: WatchDelivery[], ended: string[], sink: { deliver: (e: WatchDelivery) => boolean, end: (r: 'overflow' | 'halt') => void } } {
  const got: WatchDelivery[] = []
  const ended: string[] = []
  return {
    got,
    ended,
    sink: {
      deliver: (e) => { if (got.length >= room) return false; got.push(e); return true },
      end: (r) => { ended.push(r) }
    }
  }
}

function hub (bufferEvents = 4, valueMaxBytes = 8): { ref: Ref<WatchHubMsg>, subscribe: (id: number, prefix: string, sink: ReturnType<typeof recorder>['sink'], opts?: { values?: boolean, after?: { boot: string, seq: number } }) => Promise<WatchStart>, change: (type: 'stored' | 'expired', key: string, value?: Uint8Array, reads?: { n: number }) => void } {
  const { system, asker } = fresh()
  const ref = spawnWatchHub(system, { boot: BOOT, bufferEvents, valueMaxBytes, crashed: (r) => { throw r.error } })
  let n = 0
  return {
    ref,
    subscribe: async (id, prefix, sink, opts = {}) => await asker.ask<WatchStart, WatchHubMsg>(ref, replyTo => ({ type: 'subscribe', id, prefix, values: opts.values === true, after: opts.after, sink, replyTo }), 1000, 'hub'),
    change: (type, key, value = new Uint8Array(3), reads) => {
      n++
      dispatch(ref, {
        type: 'change',
        entry: { type, key, writeId: `w${n}`, createdAt: 1000, expiresAt: 2000, size: value.byteLength },
        readValue: type === 'stored' ? () => { if (reads !== undefined) reads.n++; return value } : undefined
      })
    }
  }
}

/** Resolves once the hub has handled everything sent before (a subscribe is answered in mailbox order). */
async function drained (h: ReturnType<typeof hub>, id = 999): Promise<WatchStart> {
  const start = await h.subscribe(id, '\u0000never', recorder().sink)
  dispatch(h.ref, { type: 'unsubscribe', id })
  return start
}

describe('WatchHub', () => {
  it('numbers changes and sends each to the watchers whose prefix matches, in order', async () => {
    const h = hub()
    const a = recorder()
    const b = recorder()
    expect(await h.subscribe(1, 'chat/', a.sink)).toEqual({ boot: BOOT, lastSeq: 0, gap: false })
    await h.subscribe(2, '', b.sink)
    h.change('stored', 'chat/1')
    h.change('stored', 'other')
    h.change('expired', 'chat/1')
    await drained(h)
    expect(a.got.map(e => [e.seq, e.type, e.key])).toEqual([[1, 'stored', 'chat/1'], [3, 'expired', 'chat/1']])
    expect(b.got.map(e => e.seq)).toEqual([1, 2, 3])
    expect(a.got[0].value).toBeUndefined()
  })

  it('replays what a watcher missed when its resume point is still in the ring, without values', async () => {
    const h = hub(4)
    h.change('stored', 'k/1')
    h.change('stored', 'x/2')
    h.change('stored', 'k/3')
    h.change('expired', 'k/1')
    const r = recorder()
    const start = await h.subscribe(1, 'k/', r.sink, { values: true, after: { boot: BOOT, seq: 1 } })
    expect(start).toEqual({ boot: BOOT, lastSeq: 4, gap: false })
    expect(r.got.map(e => [e.seq, e.key, e.valueOmitted])).toEqual([[3, 'k/3', 'replayed'], [4, 'k/1', undefined]])
    expect(r.got.every(e => e.value === undefined)).toBe(true)
    // the oldest point that can still be resumed from: the one just before the ring's oldest entry
    const edge = recorder()
    expect((await h.subscribe(2, '', edge.sink, { after: { boot: BOOT, seq: 0 } })).gap).toBe(false)
    expect(edge.got.map(e => e.seq)).toEqual([1, 2, 3, 4])
  })

  it('says gap for a resume point the ring no longer holds, from another boot, or from the future', async () => {
    const h = hub(2)
    for (let i = 0; i < 5; i++) h.change('stored', `k/${i}`)
    await drained(h)
    // ring holds 4 and 5: resuming after 3 misses nothing; after 2, event 3 is lost
    expect((await h.subscribe(1, '', recorder().sink, { after: { boot: BOOT, seq: 3 } })).gap).toBe(false)
    const old = recorder()
    expect((await h.subscribe(2, '', old.sink, { after: { boot: BOOT, seq: 2 } })).gap).toBe(true)
    expect(old.got).toEqual([])
    expect((await h.subscribe(3, '', recorder().sink, { after: { boot: 'other', seq: 5 } })).gap).toBe(true)
    expect((await h.subscribe(4, '', recorder().sink, { after: { boot: BOOT, seq: 6 } })).gap).toBe(true)
  })

  it('with no ring, any resume point but the newest is a gap (and live events still flow)', async () => {
    const h = hub(0)
    h.change('stored', 'a')
    expect((await h.subscribe(2, '', recorder().sink, { after: { boot: BOOT, seq: 1 } })).gap).toBe(false)
    const r = recorder()
    expect((await h.subscribe(1, '', r.sink, { after: { boot: BOOT, seq: 0 } })).gap).toBe(true)
    h.change('stored', 'b')
    await drained(h)
    expect(r.got.map(e => e.key)).toEqual(['b'])
  })

  it('ends a sink that refuses an event with overflow, and sends it nothing more', async () => {
    const h = hub()
    const slow = recorder(1)
    const fast = recorder()
    await h.subscribe(1, '', slow.sink)
    await h.subscribe(2, '', fast.sink)
    h.change('stored', 'a')
    h.change('stored', 'b')
    h.change('stored', 'c')
    await drained(h)
    expect(slow.got.map(e => e.key)).toEqual(['a'])
    expect(slow.ended).toEqual(['overflow'])
    expect(fast.got.map(e => e.key)).toEqual(['a', 'b', 'c'])
    expect(fast.ended).toEqual([])
  })

  it('carries values only to watchers that asked, up to the cap, reading each value once', async () => {
    const h = hub(4, 8)
    const plain = recorder()
    const withValues = recorder()
    const also = recorder()
    await h.subscribe(1, '', plain.sink)
    await h.subscribe(2, '', withValues.sink, { values: true })
    await h.subscribe(3, '', also.sink, { values: true })
    const reads = { n: 0 }
    h.change('stored', 'fits', new Uint8Array(8).fill(7), reads)
    h.change('stored', 'big', new Uint8Array(9), reads)
    h.change('expired', 'fits')
    await drained(h)
    expect(plain.got.map(e => e.value)).toEqual([undefined, undefined, undefined])
    expect(withValues.got[0].value).toEqual(new Uint8Array(8).fill(7))
    expect(withValues.got[1]).toMatchObject({ key: 'big', valueOmitted: 'too_large' })
    expect(withValues.got[1].value).toBeUndefined()
    expect(withValues.got[2]).toMatchObject({ type: 'expired', key: 'fits' })
    expect(withValues.got[2].valueOmitted).toBeUndefined()
    expect(also.got[0].value).toEqual(new Uint8Array(8).fill(7))
    expect(reads.n).toBe(1)
  })

  it('a watcher that unsubscribed hears nothing more', async () => {
    const h = hub()
    const r = recorder()
    await h.subscribe(1, '', r.sink)
    h.change('stored', 'a')
    dispatch(h.ref, { type: 'unsubscribe', id: 1 })
    h.change('stored', 'b')
    await drained(h)
    expect(r.got.map(e => e.key)).toEqual(['a'])
    expect(r.ended).toEqual([])
  })

  it('halt ends every watcher, and a watcher that subscribes after it is ended at once', async () => {
    const h = hub()
    const a = recorder()
    await h.subscribe(1, '', a.sink)
    dispatch(h.ref, { type: 'halt' })
    h.change('stored', 'late')
    const b = recorder()
    await h.subscribe(2, '', b.sink)
    expect(a.ended).toEqual(['halt'])
    expect(a.got).toEqual([])
    expect(b.ended).toEqual(['halt'])
  })
})

describe('event ids', () => {
  it('round-trip, and anything else is not one', () => {
    expect(parseEventId(formatEventId('3f2a9c10', 42))).toEqual({ boot: '3f2a9c10', seq: 42 })
    for (const bad of ['', '42', 'zz-1', '3f2a-', '3f2a--1', '3f2a-1.5', `3f2a-${'9'.repeat(16)}`]) expect(parseEventId(bad)).toBeUndefined()
  })
})
