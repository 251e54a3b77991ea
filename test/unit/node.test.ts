import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { createRepramNode } from '../../src/create.js'
import { type RecordEvent, type RepramNode } from '../../src/node/index.js'
import { CapacityExceededError, InvalidKeyError, InvalidTtlError, NodeStoppedError, ValueTooLargeError } from '../../src/errors.js'
import { until } from '../helpers/until.js'

const enc = new TextEncoder()
let nodes: RepramNode[] = []
async function makeNode (config: Record<string, unknown> = {}, clock = new ManualClock()): Promise<{ node: RepramNode, clock: ManualClock }> {
  const node = await createRepramNode({ config: { profile: 'test', ...config }, clock })
  nodes.push(node)
  return { node, clock }
}
afterEach(async () => {
  await Promise.all(nodes.map(n => n.stop()))
  nodes = []
})

describe('RepramNode', () => {
  it('serves a record until just before expiresAt and never at it', async () => {
    const { node, clock } = await makeNode()
    const put = await node.put('k', enc.encode('v'), { ttl: 2 })
    expect(put).toMatchObject({ key: 'k', ttl: 2, expiresAt: clock.now() + 2000, replicas: 1, quorum: true })
    clock.advance(1999)
    expect((await node.get('k'))?.value).toEqual(enc.encode('v'))
    clock.advance(1)
    expect(await node.get('k')).toBeUndefined()
    expect(await node.has('k')).toBe(false)
    expect((await node.keys()).keys).toEqual([])
  })

  it('frees expired records that nobody asks about, at their deadline, and emits record:expired', async () => {
    const { node, clock } = await makeNode()
    const expired: RecordEvent[] = []
    node.on('record:expired', e => expired.push(e))
    await node.put('short', enc.encode('a'), { ttl: 1 })
    await node.put('long', enc.encode('bb'), { ttl: 3 })
    clock.advance(1000)
    await until(() => expired.length === 1)
    expect(expired[0]).toMatchObject({ key: 'short', size: 1 })
    expect(await node.stats()).toMatchObject({ records: 1, bytes: 'long'.length + 2 })
    clock.advance(2000)
    await until(() => expired.length === 2)
    expect(await node.stats()).toMatchObject({ records: 0, bytes: 0 })
  })

  it('reaps many records across shards exactly as their TTLs run out', async () => {
    const { node, clock } = await makeNode({ shards: 8 })
    let expired = 0
    node.on('record:expired', () => { expired++ })
    for (let i = 0; i < 2000; i++) await node.put(`k/${i}`, enc.encode('x'), { ttl: 1 + (i % 10) })
    for (let s = 1; s <= 10; s++) {
      clock.advance(1000)
      await until(() => expired === s * 200, { what: `expiry at second ${s}` })
    }
    expect((await node.stats()).records).toBe(0)
  })

  it('resets the TTL when a key is written again', async () => {
    const { node, clock } = await makeNode({ shards: 1 })
    const expired: string[] = []
    node.on('record:expired', e => expired.push(e.key))
    await node.put('k', enc.encode('1'), { ttl: 2 })
    await node.put('witness', enc.encode('w'), { ttl: 2 }) // same shard, same deadline as k's first write
    clock.advance(1500)
    await node.put('k', enc.encode('2'), { ttl: 2 })
    clock.advance(1000) // past the first deadline: the reaper sweeps the shard
    await until(() => expired.includes('witness'), { what: 'the sweep at the first deadline' })
    expect(expired).toEqual(['witness']) // k's first deadline removed nothing
    expect((await node.get('k'))?.value).toEqual(enc.encode('2'))
    expect((await node.get('k'))?.ttl).toBe(2)
    clock.advance(1000)
    expect(await node.get('k')).toBeUndefined()
    await until(() => expired.includes('k'), { what: "the expiry of k's second write" })
  })

  it('clamps TTLs to [minTtl, maxTtl] and reports the applied TTL', async () => {
    const { node } = await makeNode({ minTtl: 5, maxTtl: 100, defaultTtl: 50 })
    expect((await node.put('a', enc.encode(''), {})).ttl).toBe(50)
    expect((await node.put('a', enc.encode(''), { ttl: 4 })).ttl).toBe(5)
    expect((await node.put('a', enc.encode(''), { ttl: 5 })).ttl).toBe(5)
    expect((await node.put('a', enc.encode(''), { ttl: 100 })).ttl).toBe(100)
    expect((await node.put('a', enc.encode(''), { ttl: 101 })).ttl).toBe(100)
  })

  it('rejects out-of-range TTLs under ttlPolicy reject, and stores nothing', async () => {
    const { node } = await makeNode({ minTtl: 5, maxTtl: 100, defaultTtl: 50, ttlPolicy: 'reject' })
    await expect(node.put('a', enc.encode('x'), { ttl: 4 })).rejects.toThrow(InvalidTtlError)
    await expect(node.put('a', enc.encode('x'), { ttl: 101 })).rejects.toThrow(InvalidTtlError)
    expect(await node.has('a')).toBe(false)
    expect((await node.put('a', enc.encode('x'), { ttl: 100 })).ttl).toBe(100)
  })

  it('refuses bad keys, values and TTLs with typed errors at each limit edge', async () => {
    const { node } = await makeNode({ maxKeyBytes: 4, maxValueBytes: 3 })
    await node.put('keep', enc.encode('old'), { ttl: 10 })
    await expect(node.put('', enc.encode('x'))).rejects.toThrow(InvalidKeyError)
    await expect(node.put('abcde', enc.encode('x'))).rejects.toThrow(InvalidKeyError)
    await expect(node.put('ééé', enc.encode('x'))).rejects.toThrow(InvalidKeyError) // 6 bytes
    await expect(node.put('\uD800', enc.encode('x'))).rejects.toThrow(InvalidKeyError)
    await expect(node.put('keep', enc.encode('four'))).rejects.toThrow(ValueTooLargeError)
    for (const ttl of [Number.NaN, Infinity, '1e3', '10s', ' ']) {
      await expect(node.put('keep', enc.encode('x'), { ttl: ttl as number })).rejects.toThrow(InvalidTtlError)
    }
    expect((await node.put('abcd', enc.encode('abc'))).key).toBe('abcd')
    expect((await node.put('éé', enc.encode(''))).key).toBe('éé')
    expect((await node.get('keep'))?.value).toEqual(enc.encode('old'))
  })

  it('refuses writes past capacity with CapacityExceededError and keeps what it had', async () => {
    const { node } = await makeNode({ maxStorageMb: 1, shards: 1 })
    const MiB = 1024 * 1024
    await node.put('a', new Uint8Array(MiB - 1 - 2))
    await node.put('b', new Uint8Array(1))
    // Exactly at capacity: 'a' + (MiB - 3) + 'b' + 1 bytes.
    expect((await node.stats()).bytes).toBe(MiB)
    await expect(node.put('c', new Uint8Array(0))).rejects.toThrow(CapacityExceededError)
    expect(await node.has('c')).toBe(false)
    expect((await node.stats()).bytes).toBe(MiB)
  })

  it('pages through keys in UTF-8 byte order across shards', async () => {
    const { node } = await makeNode({ shards: 4 })
    const keys = Array.from({ length: 25 }, (_, i) => `p/${String(i).padStart(2, '0')}`)
    for (const k of [...keys].reverse()) await node.put(k, enc.encode('x'))
    await node.put('q/other', enc.encode('x'))
    const seen: string[] = []
    let cursor: string | undefined
    for (;;) {
      const page = await node.keys({ prefix: 'p/', limit: 10, cursor })
      seen.push(...page.keys)
      if (page.nextCursor === undefined) break
      cursor = page.nextCursor
    }
    expect(seen).toEqual(keys)
  })

  it('answers many concurrent requests without losing any replies', async () => {
    const { node } = await makeNode({ shards: 2 })
    await Promise.all(Array.from({ length: 20_000 }, (_, i) => node.put(`c/${i}`, enc.encode('v'))))
    const got = await Promise.all(Array.from({ length: 20_000 }, (_, i) => node.has(`c/${i}`)))
    expect(got.every(Boolean)).toBe(true)
  })

  it('refuses work after stop, and stop is idempotent', async () => {
    const { node } = await makeNode()
    await Promise.all([node.stop(), node.stop()])
    expect(node.state).toBe('stopped')
    await expect(node.put('k', enc.encode('v'))).rejects.toThrow(NodeStoppedError)
  })
})
