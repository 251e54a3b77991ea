/**
 * The QuorumCoordinator alone: a ManualClock, a fake transport whose sends the test
 * answers one by one, and a fake gossip sender that records every publish.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { dispatch, start, stop, type Ref } from 'nact'
import { pickTargets, spawnQuorumCoordinator, type QuorumCoordinatorMsg, type QuorumResult, type Replica } from '../../../actors/quorum-coordinator/index.js'
import { replyChannel, type ReplyTo } from '../../../actors/runtime/ask.js'
import { ManualClock } from '../../../src/clock.js'
import type { RepramRecord } from '../../../src/record.js'
import { until } from '../../helpers/until.js'

const T0 = 1_700_000_000_000
const TIMEOUT_MS = 1000

/** A send the test answers: `ok` resolves it with flags, `fail` rejects it. */
interface Send { peer: string, records: RepramRecord[], ok: (flags: boolean[]) => void, fail: (err: Error) => void }

/** A write's answer, and whether it came yet. */
interface Answer { promise: Promise<QuorumResult>, settled: () => boolean }

let system: ReturnType<typeof start> | undefined
afterEach(() => {
  if (system !== undefined) stop(system)
  system = undefined
})

let seq = 0
const record = (id = `w-${++seq}`): RepramRecord =>
  ({ key: `app/${id}`, value: new Uint8Array([1, 2, 3]), createdAt: T0, expiresAt: T0 + 60_000, writeId: id })

const member = (id: string, over: Partial<Replica> = {}): Replica => ({ id, healthy: true, rttMs: 10, active: true, ...over })

function coordinator (replication = 3, directFanout?: number, graylistScore?: number): {
  ref: Ref<QuorumCoordinatorMsg>
  clock: ManualClock
  sends: Send[]
  published: RepramRecord[][]
  begin: (...records: RepramRecord[]) => Answer[]
  view: (members: Replica[]) => void
  probe: () => Promise<void>
} {
  system = start()
  const clock = new ManualClock(T0)
  const sends: Send[] = []
  const published: RepramRecord[][] = []
  const ref = spawnQuorumCoordinator(system, {
    replication,
    directFanout,
    graylistScore,
    writeTimeoutMs: TIMEOUT_MS,
    clock,
    transport: {
      send: async (peer, records) => await new Promise<boolean[]>((resolve, reject) => { sends.push({ peer, records, ok: resolve, fail: reject }) })
    },
    gossip: { send: (m) => { published.push(m.records) } },
    crashed: () => {}
  })
  const begin = (...records: RepramRecord[]): Answer[] => {
    const answers = records.map(() => {
      let done = false
      let replyTo!: ReplyTo<QuorumResult>
      const promise = new Promise<QuorumResult>((resolve, reject) => { replyTo = replyChannel(resolve, reject) })
      void promise.then(() => { done = true }, () => { done = true })
      return { promise, settled: () => done, replyTo }
    })
    dispatch(ref, { type: 'begin', writes: records.map((r, i) => ({ record: r, replyTo: answers[i].replyTo })) })
    return answers
  }
  /** Resolves once the coordinator has handled everything sent before it (a fresh write shows up somewhere). */
  const probe = async (): Promise<void> => {
    const r = record(`probe-${++seq}`)
    const [answer] = begin(r)
    await until(() => answer.settled() || sends.some(s => s.records.some(x => x.writeId === r.writeId)), { what: 'probe handled' })
  }
  const view = (members: Replica[]): void => dispatch(ref, { type: 'view', members })
  return { ref, clock, sends, published, begin, view, probe }
}

/** Publishes of test writes (probe writes left out). */
const writesOf = (published: RepramRecord[][]): string[][] =>
  published.map(rs => rs.map(r => r.writeId).filter(id => !id.startsWith('probe-'))).filter(ids => ids.length > 0)

describe('QuorumCoordinator', () => {
  it('answers 201 (quorum) as soon as enough acks arrive: R=3, 2 members → 1 ack', async () => {
    const c = coordinator(3)
    c.view([member('a'), member('b')])
    const w = record()
    const [answer] = c.begin(w)
    await until(() => c.sends.length === 2, { what: 'two direct sends' })
    expect(c.sends.map(s => s.peer).sort()).toEqual(['a', 'b'])
    expect(c.sends[0].records).toEqual([w])
    c.sends[0].ok([true])
    expect(await answer.promise).toEqual({ replicas: 2, quorum: true, outcome: 'quorum' })
    // The second target never answered: the first ack was enough.
  })

  it('sends the writes of one begin to each target as one batch', async () => {
    const c = coordinator(3)
    c.view([member('a'), member('b')])
    const w1 = record()
    const w2 = record()
    const answers = c.begin(w1, w2)
    await until(() => c.sends.length === 2, { what: 'two direct sends' })
    expect(c.sends[0].records.map(r => r.writeId)).toEqual([w1.writeId, w2.writeId])
    c.sends[1].ok([true, false])
    c.sends[0].ok([false, true])
    expect(await answers[0].promise).toMatchObject({ quorum: true, outcome: 'quorum' })
    expect(await answers[1].promise).toMatchObject({ quorum: true, outcome: 'quorum' })
  })

  it('answers "alone" at once with an empty view, without sending, and gossips the write', async () => {
    const c = coordinator(3)
    const w = record()
    const [answer] = c.begin(w)
    expect(await answer.promise).toEqual({ replicas: 1, quorum: true, outcome: 'alone' })
    expect(c.sends).toHaveLength(0)
    // A lone node gossips every write (DESIGN §4): a member may be on its way.
    expect(writesOf(c.published)).toEqual([[w.writeId]])
  })

  it('with R = 1 answers quorum by its own copy, without direct sends, and gossips every write', async () => {
    const c = coordinator(1)
    c.view([member('a'), member('b')])
    const w = record()
    const [answer] = c.begin(w)
    expect(await answer.promise).toMatchObject({ replicas: 1, quorum: true })
    expect(c.sends).toHaveLength(0)
    expect(writesOf(c.published)).toEqual([[w.writeId]])
  })

  it('answers 202 (timeout) when the clock passes writeTimeoutMs, and not before', async () => {
    const c = coordinator(3)
    c.view([member('a'), member('b')])
    const [answer] = c.begin(record())
    await until(() => c.sends.length === 2, { what: 'two direct sends' })
    c.clock.advance(TIMEOUT_MS - 1)
    await c.probe()
    expect(answer.settled()).toBe(false)
    c.clock.advance(1)
    expect(await answer.promise).toEqual({ replicas: 1, quorum: false, outcome: 'timeout' })
  })

  it('a late ack after the timeout changes nothing', async () => {
    const c = coordinator(3)
    c.view([member('a'), member('b')])
    const [answer] = c.begin(record())
    await until(() => c.sends.length === 2, { what: 'two direct sends' })
    c.clock.advance(TIMEOUT_MS)
    expect(await answer.promise).toMatchObject({ outcome: 'timeout' })
    c.sends[0].ok([true])
    c.sends[1].ok([true])
    await c.probe()
    expect(writesOf(c.published)).toEqual([])
  })

  it('answers "unreachable" to a second begin of a writeId still pending, and keeps the first', async () => {
    const c = coordinator(3)
    c.view([member('a'), member('b')])
    const w = record()
    const [first] = c.begin(w)
    await until(() => c.sends.length === 2, { what: 'two direct sends' })
    const [again] = c.begin(w)
    expect(await again.promise).toEqual({ replicas: 1, quorum: false, outcome: 'unreachable' })
    expect(c.sends).toHaveLength(2)
    c.sends[1].ok([true])
    expect(await first.promise).toMatchObject({ outcome: 'quorum' })
  })

  it('reports each outcome and each ack with the time elapsed on its clock', async () => {
    system = start()
    const clock = new ManualClock(T0)
    const outcomes: string[] = []
    const acks: string[] = []
    let answer!: (flags: boolean[]) => void
    const ref = spawnQuorumCoordinator(system, {
      replication: 3,
      writeTimeoutMs: TIMEOUT_MS,
      clock,
      transport: { send: async () => await new Promise<boolean[]>(resolve => { answer = resolve }) },
      gossip: { send: () => {} },
      onOutcome: (outcome, ms) => { outcomes.push(`${outcome}:${ms}`) },
      onAck: (ok, ms) => { acks.push(`${String(ok)}:${ms}`) },
      crashed: () => {}
    })
    dispatch(ref, { type: 'view', members: [member('a')] }) // R=3, 1 member: 1 ack needed
    const result = new Promise<QuorumResult>((resolve, reject) => dispatch(ref, { type: 'begin', writes: [{ record: record(), replyTo: replyChannel(resolve, reject) }] }))
    await until(() => answer !== undefined, { what: 'the direct send' })
    clock.advance(30)
    answer([true])
    expect(await result).toEqual({ replicas: 2, quorum: true, outcome: 'quorum' })
    expect(acks).toEqual(['true:30'])
    expect(outcomes).toEqual(['quorum:30'])
  })

  it('answers "unreachable" at once when too few members are healthy', async () => {
    const c = coordinator(3)
    c.view([member('a', { healthy: false }), member('b', { healthy: false })])
    const w = record()
    const [answer] = c.begin(w)
    expect(await answer.promise).toEqual({ replicas: 1, quorum: false, outcome: 'unreachable' })
    expect(c.sends).toHaveLength(0)
    // Not every member is a healthy direct target: gossip is its only way out.
    expect(writesOf(c.published)).toEqual([[w.writeId]])
  })

  it('answers "unreachable" once failures make the quorum impossible, without waiting for the rest', async () => {
    // R=5 with 4 members: quorum 3 copies → 2 acks needed from 4 targets.
    const c = coordinator(5)
    c.view([member('a'), member('b'), member('c'), member('d')])
    const [answer] = c.begin(record())
    await until(() => c.sends.length === 4, { what: 'four direct sends' })
    c.sends[0].ok([false])
    c.sends[1].fail(new Error('stream reset'))
    await c.probe()
    expect(answer.settled()).toBe(false) // 2 answers left, 2 acks needed: still possible
    c.sends[2].ok([false])
    expect(await answer.promise).toEqual({ replicas: 1, quorum: false, outcome: 'unreachable' })
  })

  it('shutdown answers every pending write with "shutdown", then calls its replyTo; later writes too', async () => {
    const c = coordinator(5)
    c.view([member('a'), member('b'), member('c'), member('d')])
    const [first] = c.begin(record())
    await until(() => c.sends.length === 4, { what: 'first write sent' })
    const [second] = c.begin(record())
    await until(() => c.sends.length === 8, { what: 'second write sent' })
    c.sends[0].ok([true]) // one ack of the 2 needed
    await c.probe()
    expect(first.settled()).toBe(false)
    let done = false
    dispatch(c.ref, { type: 'shutdown', replyTo: () => { done = true } })
    expect(await first.promise).toEqual({ replicas: 2, quorum: false, outcome: 'shutdown' })
    expect(await second.promise).toEqual({ replicas: 1, quorum: false, outcome: 'shutdown' })
    await until(() => done, { what: 'shutdown replyTo' })
    const sent = c.sends.length
    const [late] = c.begin(record())
    expect(await late.promise).toEqual({ replicas: 1, quorum: false, outcome: 'shutdown' })
    expect(c.sends).toHaveLength(sent)
  })

  it('does not gossip a failed direct write after shutdown', async () => {
    const c = coordinator(3)
    c.view([member('a'), member('b')])
    const [answer] = c.begin(record())
    await until(() => c.sends.length === 2, { what: 'two direct sends' })
    dispatch(c.ref, { type: 'shutdown' })
    expect(await answer.promise).toMatchObject({ outcome: 'shutdown' })
    c.sends[0].ok([false])
    await c.probe()
    expect(writesOf(c.published)).toEqual([])
  })

  it('chooses healthy replicas only, active ones first, lowest RTT first', async () => {
    const c = coordinator(4) // 3 targets
    c.view([
      member('sick', { healthy: false, rttMs: 1 }),
      member('slow', { rttMs: 80 }),
      member('outside', { active: false, rttMs: 1 }),
      member('unmeasured', { rttMs: null }),
      member('fast', { rttMs: 5 }),
      member('outside-slow', { active: false, rttMs: 90 })
    ])
    c.begin(record())
    await until(() => c.sends.length === 3, { what: 'three direct sends' })
    expect(c.sends.map(s => s.peer)).toEqual(['fast', 'slow', 'unmeasured'])
  })

  it('falls back on members outside the active view when the active ones are too few', async () => {
    const c = coordinator(3) // 2 targets
    c.view([
      member('outside-slow', { active: false, rttMs: 90 }),
      member('active', { rttMs: 50 }),
      member('sick', { healthy: false }),
      member('outside-fast', { active: false, rttMs: 3 })
    ])
    c.begin(record())
    await until(() => c.sends.length === 2, { what: 'two direct sends' })
    expect(c.sends.map(s => s.peer)).toEqual(['active', 'outside-fast'])
  })

  describe('gossip', () => {
    it('does not gossip a write when the enclave is no larger than R and every member is a healthy direct target', async () => {
      const c = coordinator(3)
      c.view([member('a'), member('b')])
      const [answer] = c.begin(record())
      await until(() => c.sends.length === 2, { what: 'two direct sends' })
      c.sends[0].ok([true])
      c.sends[1].ok([true])
      expect(await answer.promise).toMatchObject({ outcome: 'quorum' })
      await c.probe() // both acks handled
      expect(writesOf(c.published)).toEqual([])
    })

    it('gossips it after all (the fallback) when a direct send answers false', async () => {
      const c = coordinator(3)
      c.view([member('a'), member('b')])
      const w = record()
      const [answer] = c.begin(w)
      await until(() => c.sends.length === 2, { what: 'two direct sends' })
      c.sends[0].ok([false])
      await until(() => writesOf(c.published).length === 1, { what: 'fallback publish' })
      expect(writesOf(c.published)).toEqual([[w.writeId]])
      expect(c.published[0][0]).toEqual(w)
      c.sends[1].ok([true])
      expect(await answer.promise).toMatchObject({ replicas: 2, outcome: 'quorum' })
      await c.probe()
      expect(writesOf(c.published)).toEqual([[w.writeId]]) // once
    })

    it('gossips it when a direct send rejects', async () => {
      const c = coordinator(3)
      c.view([member('a'), member('b')])
      const w = record()
      c.begin(w)
      await until(() => c.sends.length === 2, { what: 'two direct sends' })
      c.sends[1].fail(new Error('dial failed'))
      await until(() => writesOf(c.published).length === 1, { what: 'fallback publish' })
      expect(writesOf(c.published)).toEqual([[w.writeId]])
    })

    it('gossips only the writes of a batch that a target did not take', async () => {
      const c = coordinator(3)
      c.view([member('a'), member('b')])
      const w1 = record()
      const w2 = record()
      c.begin(w1, w2)
      await until(() => c.sends.length === 2, { what: 'two direct sends' })
      c.sends[0].ok([true, false])
      await until(() => writesOf(c.published).length === 1, { what: 'fallback publish' })
      expect(writesOf(c.published)).toEqual([[w2.writeId]])
    })

    it('publishes at once in an enclave larger than R', async () => {
      const c = coordinator(3)
      c.view([member('a'), member('b'), member('c')])
      const w = record()
      c.begin(w)
      await until(() => writesOf(c.published).length === 1, { what: 'publish' })
      expect(writesOf(c.published)).toEqual([[w.writeId]])
      expect(c.published[0][0]).toEqual(w)
      expect(c.sends.map(s => s.peer)).toHaveLength(2)
    })

    it('publishes at once when a member is unhealthy, even in an enclave no larger than R', async () => {
      const c = coordinator(4)
      c.view([member('a'), member('b'), member('c', { healthy: false })])
      const w = record()
      c.begin(w)
      await until(() => writesOf(c.published).length === 1, { what: 'publish' })
      expect(c.sends.map(s => s.peer).sort()).toEqual(['a', 'b'])
    })

    describe('with directFanout', () => {
      it('sends to every member up to directFanout and gossips nothing when that covers the enclave', async () => {
        const c = coordinator(3, 4)
        c.view([member('a'), member('b'), member('c'), member('d')])
        const [answer] = c.begin(record())
        await until(() => c.sends.length === 4, { what: 'four direct sends' })
        expect(c.sends.map(s => s.peer).sort()).toEqual(['a', 'b', 'c', 'd'])
        // the quorum of R = 3 is 2 copies: an ack from any target (here the last) makes it
        c.sends[3].ok([true])
        expect(await answer.promise).toMatchObject({ replicas: 2, outcome: 'quorum' })
        c.sends[2].ok([true])
        c.sends[0].ok([true])
        c.sends[1].ok([true])
        await c.probe()
        expect(writesOf(c.published)).toEqual([])
      })

      it('gossips a write a fanout target did not take', async () => {
        const c = coordinator(3, 4)
        c.view([member('a'), member('b'), member('c'), member('d')])
        const w = record()
        c.begin(w)
        await until(() => c.sends.length === 4, { what: 'four direct sends' })
        c.sends[3].fail(new Error('reset'))
        await until(() => writesOf(c.published).length === 1, { what: 'fallback publish' })
        expect(writesOf(c.published)).toEqual([[w.writeId]])
      })

      it('past directFanout members, sends to that many and gossips at once', async () => {
        const c = coordinator(3, 4)
        c.view(['a', 'b', 'c', 'd', 'e'].map(id => member(id)))
        const w = record()
        c.begin(w)
        await until(() => writesOf(c.published).length === 1 && c.sends.length === 4, { what: 'publish and four sends' })
        expect(writesOf(c.published)).toEqual([[w.writeId]])
      })

      it('with R = 1 still gossips every write and sends nothing directly', async () => {
        const c = coordinator(1, 4)
        c.view([member('a'), member('b')])
        const w = record()
        const [answer] = c.begin(w)
        expect(await answer.promise).toMatchObject({ quorum: true })
        await until(() => writesOf(c.published).length === 1, { what: 'publish' })
        expect(c.sends).toEqual([])
      })

      it('never sends to fewer than R−1 members, whatever directFanout says', async () => {
        const c = coordinator(4, 1)
        c.view([member('a'), member('b'), member('c')])
        c.begin(record())
        await until(() => c.sends.length === 3, { what: 'three direct sends' })
        await c.probe()
        expect(writesOf(c.published)).toEqual([])
      })
    })
  })

  describe('replica choice by score', () => {
    it.each([
      // [what, members, count, chosen]
      ['graylisted members are never chosen', [member('a', { score: -81 }), member('b', { score: -80 }), member('c')], 3, ['c', 'b']],
      ['penalised members come after the others, whatever their RTT', [member('a', { score: -1, rttMs: 1 }), member('b', { score: 0, rttMs: 50 }), member('c', { rttMs: 20 })], 2, ['c', 'b']],
      ['among good members, lowest RTT first (a reward does not beat RTT)', [member('a', { score: 10, rttMs: 30 }), member('b', { score: 0.1, rttMs: 5 })], 2, ['b', 'a']],
      ['the active view still comes first', [member('a', { score: -5, rttMs: 1 }), member('b', { active: false, rttMs: 1 })], 2, ['a', 'b']],
      ['no score: as before (active, then RTT)', [member('a', { rttMs: 9 }), member('b', { rttMs: 3 }), member('c', { healthy: false })], 3, ['b', 'a']]
    ])('%s', (_what, members, count, chosen) => {
      expect(pickTargets(members, count, -80).map(m => m.id)).toEqual(chosen)
    })

    it('without a threshold the score only orders', () => {
      expect(pickTargets([member('a', { score: -1000 }), member('b')], 2).map(m => m.id)).toEqual(['b', 'a'])
    })

    it('never sends to a graylisted member, and does not count it toward the quorum size', async () => {
      const c = coordinator(3, undefined, -80)
      c.view([member('good'), member('bad', { score: -100 })])
      const w = record()
      const [answer] = c.begin(w)
      await until(() => c.sends.length === 1, { what: 'one direct send' })
      expect(c.sends[0].peer).toBe('good')
      // An enclave of 2 counted (self + good): quorum is 2 copies, one ack.
      c.sends[0].ok([true])
      expect(await answer.promise).toMatchObject({ quorum: true, replicas: 2 })
      // A graylisted member is not a direct target: the write is gossiped too.
      await until(() => writesOf(c.published).length === 1, { what: 'gossip' })
    })

    it('a lone node with only a graylisted member answers at once (alone)', async () => {
      const c = coordinator(3, undefined, -80)
      c.view([member('bad', { score: -100 })])
      const [answer] = c.begin(record())
      expect(await answer.promise).toMatchObject({ quorum: true, outcome: 'alone' })
      expect(c.sends).toEqual([])
    })
  })

  describe('jurisdictions', () => {
    const restricted = (set: string[], id?: string): RepramRecord => ({ ...record(id), jurisdictions: set })

    it('sends an eu write to eu members only and counts only them: R = 3, one eu member → 201 at 2 copies', async () => {
      const c = coordinator(3)
      c.view([member('eu1', { jurisdiction: 'eu' }), member('us1', { jurisdiction: 'us' }), member('us2', { jurisdiction: 'us' }), member('none', { jurisdiction: null }), member('unknown')])
      const w = restricted(['eu'])
      const [answer] = c.begin(w)
      await until(() => c.sends.length === 1, { what: 'one direct send' })
      expect(c.sends[0].peer).toBe('eu1')
      expect(c.sends[0].records[0].jurisdictions).toEqual(['eu'])
      c.sends[0].ok([true])
      expect(await answer.promise).toMatchObject({ quorum: true, replicas: 2 })
      // Every eu member was a direct target: not gossiped.
      await c.probe()
      expect(writesOf(c.published).flat()).not.toContain(w.writeId)
    })

    it('an unrestricted write and a restricted one in the same batch each get their own targets and quorum', async () => {
      const c = coordinator(3)
      c.view([member('eu1', { jurisdiction: 'eu' }), member('us1', { jurisdiction: 'us' }), member('us2', { jurisdiction: 'us' })])
      const anywhere = record()
      const us = restricted(['us'])
      const [a, b] = c.begin(anywhere, us)
      await until(() => c.sends.length === 4, { what: 'the direct sends' })
      const targets = (w: RepramRecord): string[] => c.sends.filter(x => x.records.some(r => r.writeId === w.writeId)).map(x => x.peer).sort()
      expect(targets(anywhere)).toEqual(['eu1', 'us1'])
      expect(targets(us)).toEqual(['us1', 'us2'])
      for (const x of c.sends) x.ok(x.records.map(() => true))
      // Anywhere: min(3, 4) = 3 → 2 copies needed; us: 3 us nodes counting this one → 2.
      expect(await a.promise).toMatchObject({ quorum: true })
      expect(await b.promise).toMatchObject({ quorum: true })
    })

    it('with no member in the write\'s jurisdictions it answers alone (this node holds the only copy) and gossips it', async () => {
      const c = coordinator(3)
      c.view([member('us1', { jurisdiction: 'us' }), member('unknown')])
      const w = restricted(['eu'])
      const [answer] = c.begin(w)
      expect(await answer.promise).toMatchObject({ quorum: true, replicas: 1, outcome: 'alone' })
      expect(c.sends).toEqual([])
      // The gossip peer routes it to the eu topic, where only eu nodes listen.
      expect(writesOf(c.published).flat()).toContain(w.writeId)
    })
  })
})
