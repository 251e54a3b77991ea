/**
 * Supervision: what a crash does. (a) `failWaiters` finds every reply channel of a
 * message; (b) every actor with a crash policy, spawned alone, reports a crash, fails the
 * asker of the message at once with ActorCrashedError, and still answers the next message
 * (also inside a coalesced batch, where only the bad message's asker fails); (c) the node
 * logs and counts a crash without the error's message.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { dispatch, spawnStateless, start, stop, type Ref } from 'nact'
import type { DestinationStream } from 'pino'
import { Asker, Coalescer, replyChannel, type ReplyTo } from '../../../actors/runtime/ask.js'
import { crashed, failWaiters, supervise, type CrashReport, type CrashReporter } from '../../../actors/runtime/supervise.js'
import { spawnStorageShard, type StorageShardMsg, type ShardStats, type WriteOutcome } from '../../../actors/storage-shard/index.js'
import { spawnTtlReaper, type TtlReaperMsg } from '../../../actors/ttl-reaper/index.js'
import { spawnQuorumCoordinator, type QuorumCoordinatorMsg, type QuorumResult } from '../../../actors/quorum-coordinator/index.js'
import { spawnGossipPeer, type GossipPeerMsg, type GossipVerdict } from '../../../actors/gossip-peer/index.js'
import { spawnInboundWrites, type InboundWritesMsg } from '../../../actors/inbound-writes/index.js'
import { spawnMembership, type KnownPeer, type MembershipMsg } from '../../../actors/membership/index.js'
import { spawnAntiEntropy, type AntiEntropyMsg } from '../../../actors/anti-entropy/index.js'
import { spawnAttestor, type AttestorMsg, type ListReply } from '../../../actors/attestor/index.js'
import { ManualClock } from '../../../src/clock.js'
import { createRepramNode } from '../../../src/create.js'
import type { RepramNode } from '../../../src/node/index.js'
import { createLogger } from '../../../src/logger.js'
import { ActorCrashedError } from '../../../src/errors.js'
import type { RepramRecord } from '../../../src/record.js'
import { WriteResult, type Write } from '../../../src/wire/pb/repram.js'
import { until } from '../../helpers/until.js'

const T0 = 1_700_000_000_000
const ASK_TIMEOUT_MS = 10_000

let systems: Array<ReturnType<typeof start>> = []
let askers: Asker[] = []
let nodes: RepramNode[] = []
afterEach(async () => {
  for (const a of askers) a.close()
  for (const s of systems) stop(s)
  await Promise.all(nodes.map(async n => { await n.stop() }))
  askers = []
  systems = []
  nodes = []
})

function system (): ReturnType<typeof start> {
  const s = start()
  systems.push(s)
  return s
}

function asker (): Asker {
  const a = new Asker()
  askers.push(a)
  return a
}

/** A reply channel that records what happened to it. */
function channel (): ReplyTo<unknown> & { got: unknown[], failed: Error[] } {
  const got: unknown[] = []
  const failed: Error[] = []
  return Object.assign((v: unknown) => { got.push(v) }, { fail: (e: Error) => { failed.push(e) }, got, failed })
}

/** A message type no actor knows: its handler ends in `assertNever` and throws. */
const unknownMsg = <M>(replyTo: ReplyTo<unknown>): M => ({ type: 'explode', replyTo }) as unknown as M

const record = (id: string): RepramRecord => ({ key: `app/${id}`, value: new Uint8Array([1, 2, 3]), createdAt: T0, expiresAt: T0 + 60_000, writeId: id })
const wire = (id: string): Write => ({ key: `app/${id}`, value: new Uint8Array([1, 2, 3]), createdAt: T0 - 1000, expiresAt: T0 + 60_000, writeId: id, origin: new Uint8Array([9]) })

describe('failWaiters', () => {
  it('fails the replyTo of the message', () => {
    const r = channel()
    const err = new ActorCrashedError('x')
    failWaiters({ type: 'get', replyTo: r }, err)
    expect(r.failed).toEqual([err])
    expect(r.got).toEqual([])
  })

  it('fails the replyTo of each of its writes', () => {
    const a = channel()
    const b = channel()
    const err = new Error('boom')
    failWaiters({ type: 'begin', writes: [{ record: record('a'), replyTo: a }, { record: record('b'), replyTo: b }, null, 7] }, err)
    expect(a.failed).toEqual([err])
    expect(b.failed).toEqual([err])
  })

  it('fails the channels of every message of a batch, nested batches too', () => {
    const [a, b, c, d] = [channel(), channel(), channel(), channel()]
    const err = new Error('boom')
    failWaiters({
      type: 'batch',
      batch: {
        closed: true,
        msgs: [
          { type: 'get', replyTo: a },
          { type: 'begin', writes: [{ replyTo: b }] },
          { type: 'sweep' },
          { type: 'batch', batch: { closed: true, msgs: [{ type: 'get', replyTo: c }, { type: 'begin', writes: [{ replyTo: d }] }] } }
        ]
      }
    }, err)
    for (const r of [a, b, c, d]) expect(r.failed).toEqual([err])
  })

  it('leaves plain callbacks without fail alone', () => {
    const calls: unknown[] = []
    const plain = (v: unknown): void => { calls.push(v) }
    expect(() => failWaiters({ type: 'get', replyTo: plain, writes: [{ replyTo: plain }], batch: { msgs: [{ replyTo: plain }] } }, new Error('boom'))).not.toThrow()
    expect(calls).toEqual([])
  })

  it('ignores what is not a message', () => {
    for (const m of [undefined, null, 'get', 42, { replyTo: 'no' }, { writes: 'no' }, { batch: { msgs: 'no' } }]) {
      expect(() => failWaiters(m, new Error('boom'))).not.toThrow()
    }
  })

  it('rejects the promise behind a replyChannel once, and a later reply has no effect', async () => {
    let replyTo!: ReplyTo<number>
    const p = new Promise<number>((resolve, reject) => { replyTo = replyChannel(resolve, reject) })
    failWaiters({ replyTo }, new ActorCrashedError('shard-0'))
    replyTo(1)
    await expect(p).rejects.toMatchObject({ name: 'ActorCrashedError', actor: 'shard-0' })
  })

  it('crashed still fails the waiters when the reporter throws', () => {
    const r = channel()
    expect(() => crashed('shard-0', 'resume', () => { throw new Error('reporter down') }, { type: 'get', replyTo: r }, 'not an Error')).toThrow('reporter down')
    expect(r.failed).toHaveLength(1)
    expect(r.failed[0].name).toBe('ActorCrashedError')
  })

  it('supervise reports the message type only and answers the policy\'s action', () => {
    const reports: CrashReport[] = []
    const ctx = { resume: 'R', reset: 'S', stop: 'T' }
    expect(supervise('a', 'reset', r => reports.push(r))({ type: 'write', record: record('secret') }, 'oops', ctx)).toBe('S')
    expect(supervise('a', 'resume', r => reports.push(r))(undefined, new Error('e'), ctx)).toBe('R')
    expect(reports.map(r => ({ ...r, error: r.error.message }))).toEqual([
      { actor: 'a', message: 'write', error: 'oops', policy: 'reset' },
      { actor: 'a', message: 'unknown', error: 'e', policy: 'resume' }
    ])
  })
})

/** One actor under test: how to crash it through an ask, and how to check that it still answers. */
interface Subject {
  actor: string
  message: string
  crash: (asker: Asker) => Promise<unknown>
  next: (asker: Asker) => Promise<void>
}

type Setup = (parent: ReturnType<typeof start>, clock: ManualClock, report: CrashReporter) => Subject | Promise<Subject>

const noCounters = { message: () => {}, writes: () => {} }
const gossipLimits = { network: 'n', enclave: 'e', maxMessageBytes: 64 * 1024, batchSize: 16, maxKeyBytes: 256, maxValueBytes: 1 << 20, maxTtl: 3600, maxClockSkewMs: 5000, gossipInlineBytes: 1024 }

const subjects: Array<[string, Setup]> = [
  ['storage shard', (parent, clock, report) => {
    const reaper = spawnStateless(parent, () => {}) as unknown as Ref<TtlReaperMsg>
    const ref = spawnStorageShard(parent, { index: 0, capacityBytes: 1 << 20, clock, reaper, onRemove: () => {}, crashed: report })
    return {
      actor: 'shard-0',
      message: 'explode',
      crash: async (a) => {
        // State from before the crash must survive it (resume).
        await a.ask<WriteOutcome, StorageShardMsg>(ref, replyTo => ({ type: 'write', record: record('kept'), local: true, replyTo }), ASK_TIMEOUT_MS)
        return await a.ask<unknown, StorageShardMsg>(ref, replyTo => unknownMsg(replyTo), ASK_TIMEOUT_MS)
      },
      next: async (a) => {
        expect((await a.ask<RepramRecord | undefined, StorageShardMsg>(ref, replyTo => ({ type: 'get', key: 'app/kept', replyTo }), ASK_TIMEOUT_MS))?.writeId).toBe('kept')
        expect(await a.ask<ShardStats, StorageShardMsg>(ref, replyTo => ({ type: 'stats', replyTo }), ASK_TIMEOUT_MS)).toMatchObject({ records: 1 })
      }
    }
  }],
  ['ttl reaper', (parent, clock, report) => {
    const swept: unknown[] = []
    const shard = spawnStateless(parent, (msg: StorageShardMsg) => { swept.push(msg) }) as unknown as Ref<StorageShardMsg>
    const ref = spawnTtlReaper(parent, { clock, crashed: report })
    dispatch(ref, { type: 'attach', shards: [shard] })
    return {
      actor: 'ttl-reaper',
      message: 'explode',
      crash: async (a) => await a.ask<unknown, TtlReaperMsg>(ref, replyTo => unknownMsg(replyTo), ASK_TIMEOUT_MS),
      next: async () => {
        dispatch(ref, { type: 'schedule', shard: 0, at: clock.now() + 100 })
        await until(() => clock.pendingTimers === 1, { what: 'reaper timer armed' })
        clock.advance(100)
        await until(() => swept.length === 1, { what: 'sweep sent to the shard' })
        expect(swept).toEqual([{ type: 'sweep' }])
      }
    }
  }],
  ['quorum coordinator (a transport that throws synchronously)', (parent, clock, report) => {
    let throws = true
    const ref = spawnQuorumCoordinator(parent, {
      replication: 3,
      writeTimeoutMs: 1000,
      clock,
      transport: {
        send: (peer) => {
          if (throws) { throws = false; throw new Error(`cannot reach ${peer}`) }
          return Promise.resolve([true])
        }
      },
      gossip: { send: () => {} },
      crashed: report
    })
    dispatch(ref, { type: 'view', members: [{ id: 'a', healthy: true, rttMs: 1, active: true }, { id: 'b', healthy: true, rttMs: 2, active: true }] })
    return {
      actor: 'quorum-coordinator',
      message: 'begin',
      crash: async (a) => await a.ask<QuorumResult, QuorumCoordinatorMsg>(ref, replyTo => ({ type: 'begin', writes: [{ record: record('first'), replyTo }] }), ASK_TIMEOUT_MS),
      next: async (a) => {
        expect(await a.ask<QuorumResult, QuorumCoordinatorMsg>(ref, replyTo => ({ type: 'begin', writes: [{ record: record('second'), replyTo }] }), ASK_TIMEOUT_MS))
          .toEqual({ replicas: 2, quorum: true, outcome: 'quorum' })
      }
    }
  }],
  ['gossip peer (a transport that throws synchronously)', (parent, clock, report) => {
    let throws = true
    const ref = spawnGossipPeer(parent, {
      limits: gossipLimits,
      batchDelayMs: 50,
      inlineBytes: 1024,
      origin: new Uint8Array([1]),
      clock,
      transport: {
        publish: (data) => {
          if (throws) { throws = false; throw new Error(`no topic for ${data.byteLength} bytes`) }
          return Promise.resolve(4)
        }
      },
      inbound: { send: () => {} },
      membership: { send: () => {} },
      counters: noCounters,
      crashed: report
    })
    return {
      actor: 'gossip-peer',
      message: 'leave',
      crash: async (a) => await a.ask<number, GossipPeerMsg>(ref, replyTo => ({ type: 'leave', replyTo }), ASK_TIMEOUT_MS),
      next: async (a) => {
        expect(await a.ask<GossipVerdict, GossipPeerMsg>(ref, replyTo => ({ type: 'validate', data: new Uint8Array(0), signed: false, replyTo }), ASK_TIMEOUT_MS)).toBe('reject')
        expect(await a.ask<number, GossipPeerMsg>(ref, replyTo => ({ type: 'leave', replyTo }), ASK_TIMEOUT_MS)).toBe(4)
      }
    }
  }],
  ['inbound writes (a malformed signal)', (parent, clock, report) => {
    const ref = spawnInboundWrites(parent, {
      limits: gossipLimits,
      clock,
      merge: async (r) => ({ status: 'stored', record: r, replaced: false }),
      transport: { pull: async () => { throw new Error('no blob') } },
      signal: new AbortController().signal,
      crashed: report
    })
    return {
      actor: 'inbound-writes',
      message: 'writes',
      // The actor refuses, synchronously, something that is not a signal.
      crash: async (a) => await a.ask<WriteResult[], InboundWritesMsg>(ref, replyTo => ({ type: 'writes', writes: [wire('x')], from: 'p', via: 'replicate', signal: {} as AbortSignal, replyTo }), ASK_TIMEOUT_MS),
      next: async (a) => {
        expect(await a.ask<WriteResult[], InboundWritesMsg>(ref, replyTo => ({ type: 'writes', writes: [wire('y')], from: 'p', via: 'replicate', replyTo }), ASK_TIMEOUT_MS)).toEqual([WriteResult.HELD])
      }
    }
  }],
  ['membership', (parent, clock, report) => {
    const ref = spawnMembership(parent, {
      self: 'me',
      memberTtlMs: 30_000,
      pingFailures: 3,
      pingIntervalMs: 1000,
      clock,
      transport: {
        ping: async () => 5,
        dial: async () => { throw new Error('no dial') },
        connected: () => true,
        verify: async () => true,
        closeOutbound: () => {},
        exchange: async () => [],
        remember: () => {},
        forget: () => {},
        addresses: () => []
      },
      gossip: { send: () => {} },
      onView: () => {},
      onEvent: () => {},
      crashed: report
    })
    dispatch(ref, { type: 'seen', peerId: 'p1', carrier: 'p1', addresses: ['/ip4/10.0.0.1/tcp/4001'] })
    return {
      actor: 'membership',
      message: 'explode',
      crash: async (a) => await a.ask<unknown, MembershipMsg>(ref, replyTo => unknownMsg(replyTo), ASK_TIMEOUT_MS),
      next: async (a) => {
        expect(await a.ask<KnownPeer[], MembershipMsg>(ref, replyTo => ({ type: 'exchange', asker: 'p2', replyTo }), ASK_TIMEOUT_MS))
          .toEqual([{ id: 'p1', addresses: ['/ip4/10.0.0.1/tcp/4001'] }])
      }
    }
  }],
  ['anti-entropy', (parent, clock, report) => {
    const rounds: string[] = []
    const ref = spawnAntiEntropy(parent, { round: async (peer, reason) => { rounds.push(`${peer}:${reason}`) }, clock, intervalMs: 0, crashed: report })
    dispatch(ref, { type: 'view', members: [{ id: 'p1', healthy: true, active: true }] })
    return {
      actor: 'anti-entropy',
      message: 'explode',
      crash: async (a) => await a.ask<unknown, AntiEntropyMsg>(ref, replyTo => unknownMsg(replyTo), ASK_TIMEOUT_MS),
      next: async () => {
        dispatch(ref, { type: 'trigger', peerId: 'p1' })
        await until(() => rounds.length === 1, { what: 'a triggered round' })
        expect(rounds).toEqual(['p1:triggered'])
      }
    }
  }],
  ['attestor', (parent, clock, report) => {
    const ref = spawnAttestor(parent, {
      clock,
      signer: { nodeId: 'node', publicKey: '00', keyType: 'Ed25519', ephemeral: true, sign: () => new Uint8Array(64) },
      cycleMs: 60_000,
      retained: 4,
      maxPerCycle: 100,
      counters: { signed: () => {}, dropped: () => {}, cyclesClosed: () => {}, retained: () => {} },
      onClosed: () => {},
      crashed: report
    })
    return {
      actor: 'attestor',
      message: 'explode',
      crash: async (a) => await a.ask<unknown, AttestorMsg>(ref, replyTo => unknownMsg(replyTo), ASK_TIMEOUT_MS),
      next: async (a) => {
        const reply = await a.ask<ListReply, AttestorMsg>(ref, replyTo => ({ type: 'list', replyTo }), ASK_TIMEOUT_MS)
        expect(reply.cycles.length).toBeGreaterThan(0)
      }
    }
  }]
]

describe('an actor that throws', () => {
  it.each(subjects)('%s: reports the crash, fails the asker at once with ActorCrashedError, and answers the next message', async (_name, setup) => {
    const reports: CrashReport[] = []
    const clock = new ManualClock(T0)
    const subject = await setup(system(), clock, r => { reports.push(r) })
    const a = asker()
    const t = Date.now()
    const err = await subject.crash(a).then(() => undefined, (e: unknown) => e)
    expect(Date.now() - t).toBeLessThan(1000)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).name).toBe('ActorCrashedError')
    expect((err as ActorCrashedError).actor).toBe(subject.actor)
    expect(reports).toHaveLength(1)
    expect(reports[0]).toMatchObject({ actor: subject.actor, message: subject.message, policy: 'resume' })
    expect(reports[0].error).toBeInstanceOf(Error)
    await subject.next(a)
    expect(reports).toHaveLength(1)
  })

  it('storage shard: a crash inside a coalesced batch fails only that message\'s asker; the others are answered', async () => {
    const reports: CrashReport[] = []
    const parent = system()
    const reaper = spawnStateless(parent, () => {}) as unknown as Ref<TtlReaperMsg>
    const ref = spawnStorageShard(parent, { index: 3, capacityBytes: 1 << 20, clock: new ManualClock(T0), reaper, onRemove: () => {}, crashed: r => { reports.push(r) } })
    const coalescer = new Coalescer<StorageShardMsg>(ref, batch => ({ type: 'batch', batch }))
    const a = asker()
    const t = Date.now()
    const settled = await Promise.allSettled([
      a.ask<WriteOutcome, StorageShardMsg>(coalescer, replyTo => ({ type: 'write', record: record('one'), local: true, replyTo }), ASK_TIMEOUT_MS),
      a.ask<unknown, StorageShardMsg>(coalescer, replyTo => unknownMsg(replyTo), ASK_TIMEOUT_MS),
      a.ask<RepramRecord | undefined, StorageShardMsg>(coalescer, replyTo => ({ type: 'get', key: 'app/one', replyTo }), ASK_TIMEOUT_MS)
    ])
    expect(Date.now() - t).toBeLessThan(1000)
    expect(settled[0]).toMatchObject({ status: 'fulfilled', value: { status: 'stored' } })
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: { name: 'ActorCrashedError', actor: 'shard-3' } })
    expect(settled[2]).toMatchObject({ status: 'fulfilled', value: { writeId: 'one' } })
    expect(reports).toHaveLength(1)
    expect(reports[0]).toMatchObject({ actor: 'shard-3', message: 'explode', policy: 'resume' })
  })

  it('inbound writes: a crash inside a coalesced batch fails only that message\'s asker; the others are answered', async () => {
    const reports: CrashReport[] = []
    const ref = spawnInboundWrites(system(), {
      limits: gossipLimits,
      clock: new ManualClock(T0),
      merge: async (r) => ({ status: 'stored', record: r, replaced: false }),
      transport: { pull: async () => { throw new Error('no blob') } },
      signal: new AbortController().signal,
      crashed: r => { reports.push(r) }
    })
    const coalescer = new Coalescer<InboundWritesMsg>(ref, batch => ({ type: 'batch', batch }))
    const a = asker()
    const t = Date.now()
    const settled = await Promise.allSettled([
      a.ask<WriteResult[], InboundWritesMsg>(coalescer, replyTo => ({ type: 'writes', writes: [wire('b1')], from: 'p', via: 'replicate', replyTo }), ASK_TIMEOUT_MS),
      // The actor refuses, synchronously, something that is not a signal.
      a.ask<WriteResult[], InboundWritesMsg>(coalescer, replyTo => ({ type: 'writes', writes: [wire('b2')], from: 'p', via: 'replicate', signal: {} as AbortSignal, replyTo }), ASK_TIMEOUT_MS),
      a.ask<WriteResult[], InboundWritesMsg>(coalescer, replyTo => ({ type: 'writes', writes: [wire('b3')], from: 'p', via: 'gossip', replyTo }), ASK_TIMEOUT_MS)
    ])
    expect(Date.now() - t).toBeLessThan(1000)
    expect(settled[0]).toMatchObject({ status: 'fulfilled', value: [WriteResult.HELD] })
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: { name: 'ActorCrashedError', actor: 'inbound-writes' } })
    expect(settled[2]).toMatchObject({ status: 'fulfilled', value: [WriteResult.HELD] })
    expect(reports).toHaveLength(1)
    expect(reports[0]).toMatchObject({ actor: 'inbound-writes', message: 'writes', policy: 'resume' })
  })

  it('gossip peer: a crash inside a coalesced batch fails only that message\'s asker; the others are answered', async () => {
    const reports: CrashReport[] = []
    let calls = 0
    const ref = spawnGossipPeer(system(), {
      limits: gossipLimits,
      batchDelayMs: 50,
      inlineBytes: 1024,
      origin: new Uint8Array([1]),
      clock: new ManualClock(T0),
      transport: { publish: () => { if (++calls === 1) throw new Error('no topic'); return Promise.resolve(2) } },
      inbound: { send: () => {} },
      membership: { send: () => {} },
      counters: noCounters,
      crashed: r => { reports.push(r) }
    })
    const coalescer = new Coalescer<GossipPeerMsg>(ref, batch => ({ type: 'batch', batch }))
    const a = asker()
    const settled = await Promise.allSettled([
      a.ask<GossipVerdict, GossipPeerMsg>(coalescer, replyTo => ({ type: 'validate', data: new Uint8Array(0), signed: false, replyTo }), ASK_TIMEOUT_MS),
      a.ask<number, GossipPeerMsg>(coalescer, replyTo => ({ type: 'leave', replyTo }), ASK_TIMEOUT_MS),
      a.ask<number, GossipPeerMsg>(coalescer, replyTo => ({ type: 'leave', replyTo }), ASK_TIMEOUT_MS)
    ])
    expect(settled[0]).toMatchObject({ status: 'fulfilled', value: 'reject' })
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: { name: 'ActorCrashedError', actor: 'gossip-peer' } })
    expect(settled[2]).toMatchObject({ status: 'fulfilled', value: 2 })
    expect(reports).toHaveLength(1)
    expect(reports[0]).toMatchObject({ actor: 'gossip-peer', message: 'leave', policy: 'resume' })
  })
})

describe('a node reporting a crash', () => {
  /** A test node whose log lines are captured. */
  async function loggedNode (): Promise<{ node: RepramNode, lines: string[] }> {
    const lines: string[] = []
    const destination: DestinationStream = { write: (s: string) => { lines.push(s) } }
    const node = await createRepramNode({ config: { profile: 'test' }, logger: createLogger('info', { destination }) })
    nodes.push(node)
    return { node, lines }
  }

  it('counts it by actor and logs one "actor crashed" line without the error\'s message', async () => {
    const { node, lines } = await loggedNode()
    node.crashes({ actor: 'shard-0', message: 'write', error: new Error('secret-key-value'), policy: 'resume' })
    expect(await node.registry.metrics()).toContain('repram_actor_crashes_total{actor="storage-shard"} 1')
    const crashLines = lines.filter(l => l.includes('actor crashed'))
    expect(crashLines).toHaveLength(1)
    expect(crashLines[0]).not.toContain('secret-key-value')
    expect(JSON.parse(crashLines[0])).toMatchObject({ component: 'repram:actors', actor: 'shard-0', message: 'write', policy: 'resume', msg: 'actor crashed' })
    for (const l of lines) expect(l).not.toContain('secret-key-value')
  })

  it('logs the error\'s name and the stack frames after its first line (the line with the message)', async () => {
    const { node, lines } = await loggedNode()
    const error = new TypeError('secret-key-value')
    node.crashes({ actor: 'gossip-peer', message: 'received', error, policy: 'resume' })
    const [line] = lines.filter(l => l.includes('actor crashed'))
    const err = (JSON.parse(line) as { err: { name: string, stack: string } }).err
    expect(err.name).toBe('TypeError')
    const frames = err.stack.split('\n')
    expect(frames.length).toBeGreaterThan(0)
    expect(frames).toEqual(error.stack?.split('\n').slice(1, 1 + frames.length))
    for (const f of frames) expect(f).toMatch(/^\s+at /)
    expect(err.stack).toContain('supervise.test.ts')
    expect(line).not.toContain('secret-key-value')
  })

  it('counts every other actor under its own name, one count per crash', async () => {
    const { node } = await loggedNode()
    node.crashes({ actor: 'shard-0', message: 'write', error: new Error('a'), policy: 'resume' })
    node.crashes({ actor: 'shard-3', message: 'get', error: new Error('b'), policy: 'resume' })
    node.crashes({ actor: 'quorum-coordinator', message: 'begin', error: new Error('c'), policy: 'resume' })
    const text = await node.registry.metrics()
    expect(text).toContain('repram_actor_crashes_total{actor="storage-shard"} 2')
    expect(text).toContain('repram_actor_crashes_total{actor="quorum-coordinator"} 1')
    expect(text).not.toContain('actor="shard-')
  })

  // V8 puts every line of a multi-line message before the frames: only the `at …` lines may reach the log.
  it('never logs any line of a multi-line error message', async () => {
    const { node, lines } = await loggedNode()
    node.crashes({ actor: 'shard-0', message: 'write', error: new Error('bad record\nsecret-key-value'), policy: 'resume' })
    const crashLines = lines.filter(l => l.includes('actor crashed'))
    expect(crashLines).toHaveLength(1)
    expect(crashLines[0]).not.toContain('secret-key-value')
  })
})
