/**
 * The InboundWrites actor alone: a fake `merge` that records each record and answers the
 * outcome the test chooses, a fake blob transport whose pulls succeed or fail by peer,
 * and a ManualClock.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { dispatch, start, stop, type Ref } from 'nact'
import { spawnInboundWrites, type Holder, type InboundResult, type InboundVia, type InboundWritesMsg } from '../../../actors/inbound-writes/index.js'
import { replyChannel } from '../../../actors/runtime/ask.js'
import type { WriteOutcome } from '../../../actors/storage-shard/index.js'
import { ManualClock } from '../../../src/clock.js'
import type { RepramRecord } from '../../../src/record.js'
import { WriteResult, type Write } from '../../../src/wire/pb/repram.js'
import { until } from '../../helpers/until.js'
import type { WriteLimits } from '../../../src/wire/write.js'

const T0 = 1_700_000_000_000
const LIMITS: WriteLimits = { maxKeyBytes: 256, maxValueBytes: 1024 * 1024, maxTtl: 3600, maxClockSkewMs: 5000, gossipInlineBytes: 1024 }
const BIG = LIMITS.gossipInlineBytes + 1000

let system: ReturnType<typeof start> | undefined
afterEach(() => {
  if (system !== undefined) stop(system)
  system = undefined
})

let seq = 0
/** An inline write, valid at T0. */
const write = (over: Partial<Write> = {}): Write => {
  const id = `w-${++seq}`
  return { key: `app/${id}`, value: new Uint8Array([1, 2, 3]), createdAt: T0 - 1000, expiresAt: T0 + 60_000, writeId: id, origin: new Uint8Array([9]), ...over }
}
/** An announced write: no value, its size above gossipInlineBytes and a 32-byte hash. */
const announced = (): Write => write({ value: new Uint8Array(0), size: BIG, hash: new Uint8Array(32).fill(5) })

const stored = (record: RepramRecord): WriteOutcome => ({ status: 'stored', record, replaced: false })

function inbound (stopping = new AbortController()): {
  ref: Ref<InboundWritesMsg>
  merged: RepramRecord[]
  pulls: string[]
  /** The peer each pull was made on behalf of (charged to its budget). */
  owners: string[]
  /** The announcements as the transport got them. */
  pulled: Write[]
  /** The signal each pull got. */
  signals: AbortSignal[]
  counts: string[]
  /** The outcome `merge` answers next (stored by default). */
  outcome: (next: (r: RepramRecord) => WriteOutcome | Promise<WriteOutcome>) => void
  /** Peers whose pulls succeed. */
  holders: Set<string>
  send: (writes: Write[], via: InboundVia, from?: string, signal?: AbortSignal) => Promise<WriteResult[]>
  view: (members: Holder[]) => void
} {
  system = start()
  const clock = new ManualClock(T0)
  const merged: RepramRecord[] = []
  const pulls: string[] = []
  const owners: string[] = []
  const pulled: Write[] = []
  const signals: AbortSignal[] = []
  const counts: string[] = []
  const holders = new Set<string>()
  let next: (r: RepramRecord) => WriteOutcome | Promise<WriteOutcome> = stored
  const ref = spawnInboundWrites(system, {
    limits: LIMITS,
    clock,
    merge: async (r) => { merged.push(r); return await next(r) },
    transport: {
      pull: async (peer, w, signal, owner) => {
        signals.push(signal)
        // A peer named 'slow' answers only by failing when the pull's signal aborts.
        if (peer === 'slow') await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))
        pulls.push(peer)
        owners.push(owner)
        pulled.push(w)
        if (!holders.has(peer)) throw new Error('no such blob')
        return { key: w.key, value: new Uint8Array(w.size ?? 0).fill(4), createdAt: w.createdAt, expiresAt: w.expiresAt, writeId: w.writeId }
      }
    },
    signal: stopping.signal,
    count: (via: InboundVia, result: InboundResult) => { counts.push(`${via}:${result}`) },
    crashed: () => {},
    random: () => 0
  })
  const send = async (writes: Write[], via: InboundVia, from = 'sender', signal?: AbortSignal): Promise<WriteResult[]> =>
    await new Promise((resolve, reject) => dispatch(ref, { type: 'writes', writes, from, via, signal, replyTo: replyChannel(resolve, reject) }))
  const view = (members: Holder[]): void => dispatch(ref, { type: 'view', members })
  return { ref, merged, pulls, owners, pulled, signals, counts, outcome: (f) => { next = f }, holders, send, view }
}

describe('InboundWrites', () => {
  it('merges inline writes and answers HELD when stored', async () => {
    const a = inbound()
    const w1 = write()
    const w2 = write()
    expect(await a.send([w1, w2], 'replicate')).toEqual([WriteResult.HELD, WriteResult.HELD])
    expect(a.merged).toEqual([
      { key: w1.key, value: w1.value, createdAt: w1.createdAt, expiresAt: w1.expiresAt, writeId: w1.writeId },
      { key: w2.key, value: w2.value, createdAt: w2.createdAt, expiresAt: w2.expiresAt, writeId: w2.writeId }
    ])
    expect(a.counts).toEqual(['replicate:stored', 'replicate:stored'])
  })

  it('answers HELD for a stale copy (the newer one is held)', async () => {
    const a = inbound()
    a.outcome(() => ({ status: 'stale' }))
    expect(await a.send([write()], 'gossip')).toEqual([WriteResult.HELD])
    expect(a.counts).toEqual(['gossip:stale'])
  })

  it('answers CAPACITY when the store is full', async () => {
    const a = inbound()
    a.outcome(() => ({ status: 'capacity', needed: 100, free: 10 }))
    expect(await a.send([write()], 'replicate')).toEqual([WriteResult.CAPACITY])
    expect(a.counts).toEqual(['replicate:capacity'])
  })

  it('answers EXPIRED when the store finds the record expired', async () => {
    const a = inbound()
    a.outcome(() => ({ status: 'expired' }))
    expect(await a.send([write()], 'pulled')).toEqual([WriteResult.EXPIRED])
    expect(a.counts).toEqual(['pulled:expired'])
  })

  it('answers FAILED when the merge rejects', async () => {
    const a = inbound()
    a.outcome(() => { throw new Error('shard stopped') })
    expect(await a.send([write()], 'received')).toEqual([WriteResult.FAILED])
    expect(a.counts).toEqual(['received:failed'])
  })

  it('answers INVALID for a write that fails the checks, and never merges it', async () => {
    const a = inbound()
    const results = await a.send([
      write({ key: '' }),
      write({ writeId: 'bad id' }),
      write({ createdAt: T0 + LIMITS.maxClockSkewMs + 1, expiresAt: T0 + 60_000 }),
      write({ value: new Uint8Array(LIMITS.maxValueBytes + 1) }),
      write()
    ], 'replicate')
    expect(results).toEqual([WriteResult.INVALID, WriteResult.INVALID, WriteResult.INVALID, WriteResult.INVALID, WriteResult.HELD])
    expect(a.merged).toHaveLength(1)
    expect(a.counts.filter(c => c === 'replicate:invalid')).toHaveLength(4)
  })

  it('answers EXPIRED for a write that expired on the way, and never merges it', async () => {
    const a = inbound()
    expect(await a.send([write({ createdAt: T0 - 2000, expiresAt: T0 })], 'gossip')).toEqual([WriteResult.EXPIRED])
    expect(a.merged).toEqual([])
    expect(a.counts).toEqual(['gossip:expired_in_transit'])
  })

  it.each(['replicate', 'pulled', 'received'] as const)('via %s, drops a write that expired in transit alone (EXPIRED, counted) and keeps the rest of the frame', async (via) => {
    const a = inbound()
    const good = write()
    expect(await a.send([write({ createdAt: T0 - 2000, expiresAt: T0 }), good], via)).toEqual([WriteResult.EXPIRED, WriteResult.HELD])
    expect(a.merged.map(r => r.writeId)).toEqual([good.writeId])
    expect(a.counts).toEqual([`${via}:expired_in_transit`, `${via}:stored`])
  })

  it('does not merge again via gossip a writeId that came via replicate; a second replicate copy still is', async () => {
    const a = inbound()
    const w = write()
    expect(await a.send([w], 'replicate')).toEqual([WriteResult.HELD])
    expect(await a.send([w], 'gossip')).toEqual([WriteResult.HELD])
    expect(a.merged).toHaveLength(1)
    expect(await a.send([w], 'replicate')).toEqual([WriteResult.HELD])
    expect(a.merged).toHaveLength(2)
    expect(a.counts).toEqual(['replicate:stored', 'replicate:stored'])
  })

  it('merges the gossip copy of a write whose direct copy was not held (the coordinator\'s fallback)', async () => {
    const a = inbound()
    const w = announced()
    expect(await a.send([w], 'replicate', 'author')).toEqual([WriteResult.FAILED]) // the pull fails
    a.holders.add('author')
    expect(await a.send([w], 'gossip', 'author')).toEqual([WriteResult.HELD])
    expect(a.merged).toHaveLength(1)
  })

  it('merges the gossip copy when the direct merge failed', async () => {
    const a = inbound()
    const w = write()
    a.outcome(() => { throw new Error('shard busy') })
    expect(await a.send([w], 'replicate', 'author')).toEqual([WriteResult.FAILED])
    a.outcome(stored)
    expect(await a.send([w], 'gossip', 'author')).toEqual([WriteResult.HELD])
    expect(a.merged).toHaveLength(2)
  })

  it('merges a gossip copy once', async () => {
    const a = inbound()
    const w = write()
    expect(await a.send([w], 'gossip')).toEqual([WriteResult.HELD])
    expect(await a.send([w], 'gossip')).toEqual([WriteResult.HELD])
    expect(a.merged).toHaveLength(1)
  })

  it('merges anti-entropy copies every time (no once-per-writeId rule)', async () => {
    const a = inbound()
    const w = write()
    await a.send([w], 'replicate')
    await a.send([w], 'pulled')
    await a.send([w], 'received')
    expect(a.merged).toHaveLength(3)
  })

  it('pulls an announced value from the sender before merging it', async () => {
    const a = inbound()
    a.holders.add('sender')
    const w = announced()
    expect(await a.send([w], 'replicate')).toEqual([WriteResult.HELD])
    expect(a.pulls).toEqual(['sender'])
    expect(a.merged).toHaveLength(1)
    expect(a.merged[0]).toMatchObject({ key: w.key, writeId: w.writeId })
    expect(a.merged[0].value.byteLength).toBe(BIG)
    expect(a.counts).toEqual(['replicate:stored'])
  })

  it('for gossip, pulls from other healthy active members of the last view when the sender fails', async () => {
    const a = inbound()
    a.view([{ id: 'stale-view-member', healthy: true, active: true }])
    a.view([
      { id: 'sender', healthy: true, active: true },
      { id: 'sick', healthy: false, active: true },
      { id: 'passive', healthy: true, active: false },
      { id: 'other', healthy: true, active: true }
    ])
    a.holders.add('other')
    expect(await a.send([announced()], 'gossip')).toEqual([WriteResult.HELD])
    expect(a.pulls).toEqual(['sender', 'other'])
    expect(a.merged).toHaveLength(1)
    expect(a.counts).toEqual(['gossip:pulled', 'gossip:stored'])
  })

  it('asks at most two other members after the sender', async () => {
    const a = inbound()
    a.view(['m1', 'm2', 'm3', 'm4'].map(id => ({ id, healthy: true, active: true })))
    expect(await a.send([announced()], 'gossip')).toEqual([WriteResult.FAILED])
    expect(a.pulls[0]).toBe('sender')
    expect(a.pulls).toHaveLength(3)
    expect(new Set(a.pulls.slice(1)).size).toBe(2)
  })

  it('answers FAILED when the value cannot be pulled anywhere, and merges nothing', async () => {
    const a = inbound()
    a.view([{ id: 'other', healthy: true, active: true }])
    expect(await a.send([announced()], 'gossip')).toEqual([WriteResult.FAILED])
    expect(a.pulls).toEqual(['sender', 'other'])
    expect(a.merged).toEqual([])
    expect(a.counts).toEqual(['gossip:pull_failed'])
  })

  it('for replicate, pulls from other members when the sender does not answer (no frame waits on its sender alone)', async () => {
    const a = inbound()
    a.view([{ id: 'other', healthy: true, active: true }])
    a.holders.add('other')
    expect(await a.send([announced()], 'replicate')).toEqual([WriteResult.HELD])
    expect(a.pulls).toEqual(['sender', 'other'])
    expect(a.counts).toEqual(['replicate:stored'])
  })

  it('for anti-entropy, pulls from the peer of the round only', async () => {
    const a = inbound()
    a.view([{ id: 'other', healthy: true, active: true }])
    a.holders.add('other')
    expect(await a.send([announced()], 'received')).toEqual([WriteResult.FAILED])
    expect(a.pulls).toEqual(['sender'])
    expect(a.counts).toEqual(['received:pull_failed'])
  })

  it('charges each pull to the peer that announced the value, whoever serves it', async () => {
    const a = inbound()
    a.view([{ id: 'other', healthy: true, active: true }])
    a.holders.add('other')
    await a.send([announced()], 'gossip', 'author')
    expect(a.owners).toEqual(['author', 'author'])
  })

  it('keeps no view into the frame: an announcement is pulled as a compact copy, an inline value is stored detached', async () => {
    const a = inbound()
    a.holders.add('sender')
    const frame = new Uint8Array(4096)
    const inline = write({ value: frame.subarray(100, 103) })
    const ann = write({ value: new Uint8Array(0), size: BIG, hash: frame.subarray(200, 232) })
    expect(await a.send([inline, ann], 'replicate')).toEqual([WriteResult.HELD, WriteResult.HELD])
    expect(a.pulled[0].hash?.buffer).not.toBe(frame.buffer)
    expect(a.pulled[0].hash?.byteLength).toBe(32)
    const stored = a.merged.find(r => r.writeId === inline.writeId)
    expect(stored?.value.buffer).not.toBe(frame.buffer)
    expect(stored?.value.buffer.byteLength).toBe(3)
  })

  it('pulls nothing once the node\'s signal is aborted (stop), and answers FAILED', async () => {
    const stopping = new AbortController()
    const a = inbound(stopping)
    a.view([{ id: 'other', healthy: true, active: true }])
    a.holders.add('sender')
    stopping.abort()
    expect(await a.send([announced()], 'gossip')).toEqual([WriteResult.FAILED])
    expect(a.pulls).toEqual([])
    expect(a.merged).toEqual([])
    expect(a.counts).toEqual(['gossip:pull_failed'])
  })

  it('ends the pulls of a frame whose signal aborts (its deadline), and answers FAILED', async () => {
    const a = inbound()
    const frame = new AbortController()
    const answer = a.send([announced(), write()], 'replicate', 'slow', frame.signal)
    await until(() => a.signals.length === 1)
    expect(a.signals[0].aborted).toBe(false)
    frame.abort(new Error('frame deadline passed'))
    expect(await answer).toEqual([WriteResult.FAILED, WriteResult.HELD])
    expect(a.signals[0].aborted).toBe(true)
    expect(a.counts).toEqual(['replicate:stored', 'replicate:pull_failed'])
  })

  it('answers a frame of inline values whatever its signal, and merges them', async () => {
    const a = inbound()
    const frame = new AbortController()
    frame.abort(new Error('frame deadline passed'))
    // Only pulls read the frame's signal: inline values are merged at once.
    expect(await a.send([write(), write()], 'replicate', 'sender', frame.signal)).toEqual([WriteResult.HELD, WriteResult.HELD])
    expect(a.signals).toEqual([])
  })

  it('answers FAILED after halt, without merging', async () => {
    const a = inbound()
    dispatch(a.ref, { type: 'halt' })
    expect(await a.send([write(), write()], 'replicate')).toEqual([WriteResult.FAILED, WriteResult.FAILED])
    expect(a.merged).toEqual([])
  })

  it('a slow merge does not hold up the messages behind it', async () => {
    const a = inbound()
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const slow = write()
    a.outcome(async (r) => {
      if (r.writeId === slow.writeId) await gate
      return stored(r)
    })
    const answer = a.send([slow, write({ createdAt: T0 - 2000, expiresAt: T0 })], 'replicate')
    // The next message is handled while the first merge still waits.
    expect(await a.send([write()], 'replicate')).toEqual([WriteResult.HELD])
    release()
    expect(await answer).toEqual([WriteResult.HELD, WriteResult.EXPIRED])
  })
})
