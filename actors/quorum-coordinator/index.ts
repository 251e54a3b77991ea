/**
 * The QuorumCoordinator actor (DESIGN §4): owns every local write from the moment it is
 * stored until its answer.
 * - **Replica choice:** R−1 healthy members of the latest membership view (or up to
 *   `directFanout` when that is more, see {@link directCount}), active view first, lowest
 *   RTT first, members below `graylistScore` never and penalised ones last ({@link pickTargets}). Every direct copy counts toward the quorum.
 * - **Direct sends** over the injected {@link CoordinatorTransport}, one batch per target.
 * - **Gossip:** when every other member is already a healthy direct target (an enclave no
 *   larger than R, or than `directFanout` + 1) a write is not gossiped, since gossip would deliver only duplicates;
 *   if a direct send of it then fails, it is gossiped after all (the fallback). Otherwise
 *   every write is gossiped at once to reach the members direct sends do not.
 * - **Answers:** `{quorum: true}` (HTTP 201) at `floor(min(R, enclaveSize)/2)+1` copies
 *   including its own; `{quorum: false}` (202) at the write timeout, at once when too few
 *   peers are left to reach it, and for everything pending at `shutdown`.
 * Deadlines run on the injected clock.
 */
import { dispatch, spawn, type Ref } from 'nact'
import type { Clock } from '../../src/clock.js'
import type { RepramRecord } from '../../src/record.js'
import { assertNever, type ReplyTo, type Sender } from '../runtime/ask.js'
import { supervise, type CrashReporter } from '../runtime/supervise.js'
import { allDirect, byJurisdictions, directCount, pickTargets, stillPossible, quorumSize, type PendingWrite, type QuorumOutcome, type QuorumResult, type Replica } from './quorum.js'
import { admits } from '../../src/wire/jurisdiction.js'

export { allDirect, byJurisdictions, eligible, directCount, pickTargets, stillPossible, quorumSize, type QuorumResult, type QuorumOutcome, type PendingWrite, type Replica } from './quorum.js'
export { QUORUM_OUTCOMES } from './constants.js'

/** One write waiting for its quorum answer. */
export interface BeginWrite { record: RepramRecord, replyTo: ReplyTo<QuorumResult> }

/**
 * Every message the coordinator understands. Writes and acks travel in batches: nact
 * handles one message per event-loop turn, so one message per write would cap throughput
 * at the loop's turn rate under load.
 */
export type QuorumCoordinatorMsg =
  | { type: 'begin', writes: BeginWrite[] }
  /** The membership view (published by membership after every change). */
  | { type: 'view', members: readonly Replica[] }
  /** One target's answer for a batch: a flag per write, true when it holds it. */
  | { type: 'acks', writeIds: string[], ok: boolean[] }
  | { type: 'deadline', writeIds: string[] }
  /** Answers every pending write as not-quorum and refuses new ones; `replyTo` once done. */
  | { type: 'shutdown', replyTo?: ReplyTo<void> }

/** How the coordinator reaches replicas. */
export interface CoordinatorTransport {
  /** Sends records to one peer; resolves with one flag per record: true when the peer holds it. */
  send: (peerId: string, records: RepramRecord[]) => Promise<boolean[]>
}

/** What the coordinator is built from. */
export interface QuorumCoordinatorInit {
  replication: number
  /** Send each write directly to up to this many members (at least R−1; see `directCount`). @default 0 (R−1) */
  directFanout?: number
  writeTimeoutMs: number
  /** Members whose `score` is below this are never replicas (`peerGraylistScore`). @default -Infinity (score ignored) */
  graylistScore?: number
  clock: Clock
  transport: CoordinatorTransport
  /** Where writes are gossiped (the gossip peer). */
  gossip: Sender<{ type: 'publish', records: RepramRecord[] }>
  /** Metrics hooks. */
  onOutcome?: (outcome: QuorumOutcome, elapsedMs: number) => void
  onAck?: (ok: boolean, elapsedMs: number) => void
  crashed: CrashReporter
}

/** A write sent only directly: gossiped if a send of it fails, forgotten when every send answered. */
interface DirectOnly { record: RepramRecord, unanswered: number }

interface CoordinatorState {
  pending: Map<string, PendingWrite>
  view: readonly Replica[]
  directOnly: Map<string, DirectOnly>
  stopped: boolean
}

const ACTOR = 'quorum-coordinator'

/** Spawns the coordinator under `parent`. */
export function spawnQuorumCoordinator (parent: Parameters<typeof spawn>[0], init: QuorumCoordinatorInit): Ref<QuorumCoordinatorMsg> {
  const { clock } = init
  const maxDirect = directCount(init.replication, init.directFanout ?? 0)
  const graylist = init.graylistScore ?? -Infinity
  let self: Ref<QuorumCoordinatorMsg> | undefined

  const finish = (s: CoordinatorState, p: PendingWrite, outcome: QuorumOutcome): void => {
    s.pending.delete(p.writeId)
    init.onOutcome?.(outcome, clock.now() - p.startedAt)
    p.resolve({ replicas: p.acks + 1, quorum: outcome === 'quorum', outcome })
  }

  const ack = (s: CoordinatorState, writeId: string, ok: boolean): void => {
    const p = s.pending.get(writeId)
    if (p === undefined) return
    p.outstanding--
    if (ok) p.acks++
    if (p.acks >= p.needed) finish(s, p, 'quorum')
    else if (!stillPossible(p)) finish(s, p, 'unreachable')
  }

  /** Gossips the direct-only writes a target did not take; forgets those every target answered. */
  const fallback = (s: CoordinatorState, writeIds: string[], ok: boolean[]): void => {
    const late: RepramRecord[] = []
    writeIds.forEach((id, i) => {
      const d = s.directOnly.get(id)
      if (d === undefined) return
      if (ok[i] !== true) {
        s.directOnly.delete(id)
        late.push(d.record)
      } else if (--d.unanswered <= 0) {
        s.directOnly.delete(id)
      }
    })
    if (late.length > 0 && !s.stopped) init.gossip.send({ type: 'publish', records: late })
  }

  const begin = (s: CoordinatorState, writes: BeginWrite[]): void => {
    if (s.stopped) {
      for (const w of writes) w.replyTo({ replicas: 1, quorum: false, outcome: 'shutdown' })
      return
    }
    // Writes restricted to jurisdictions are sent to, gossiped to and counted against the
    // members in those jurisdictions only (a member of unknown jurisdiction is in none).
    const scopes = byJurisdictions(writes)
    if (scopes === undefined) {
      beginIn(s, writes, s.view)
      return
    }
    for (const group of scopes) {
      const set = group[0].record.jurisdictions
      beginIn(s, group, set === undefined ? s.view : s.view.filter(m => admits(set, m.jurisdiction)))
    }
  }

  /** Begins writes that share one jurisdiction set, over `view`: the members that may hold them. */
  const beginIn = (s: CoordinatorState, writes: BeginWrite[], view: readonly Replica[]): void => {
    // Stored entries copy their value out on every read of `.value`: read it once here,
    // not once per target, per size check and per encoding.
    const records = writes.map(w => {
      const r = w.record
      // An owned key's proof goes with the copy: replicas and gossip receivers check it.
      const copy: RepramRecord = r.owner === undefined
        ? { key: r.key, value: r.value, createdAt: r.createdAt, expiresAt: r.expiresAt, writeId: r.writeId }
        : { key: r.key, value: r.value, createdAt: r.createdAt, expiresAt: r.expiresAt, writeId: r.writeId, owner: r.owner }
      return r.jurisdictions === undefined ? copy : { ...copy, jurisdictions: r.jurisdictions }
    })
    // A graylisted member counts for nothing: neither a replica nor toward the quorum size.
    let counted = 0
    for (const m of view) if ((m.score ?? 0) >= graylist) counted++
    const needed = quorumSize(init.replication, counted + 1) - 1
    // With nothing to wait for (R = 1, or alone) no direct send is made: gossip carries it.
    const direct = needed > 0 && allDirect(view, maxDirect, graylist)
    if (!direct) init.gossip.send({ type: 'publish', records })
    if (needed <= 0) {
      for (const w of writes) {
        init.onOutcome?.('alone', 0)
        w.replyTo({ replicas: 1, quorum: true, outcome: 'alone' })
      }
      return
    }
    const targets = pickTargets(view, maxDirect, graylist)
    if (targets.length < needed) {
      if (direct) init.gossip.send({ type: 'publish', records })
      for (const w of writes) {
        init.onOutcome?.('unreachable', 0)
        w.replyTo({ replicas: 1, quorum: false, outcome: 'unreachable' })
      }
      return
    }
    const startedAt = clock.now()
    const sent: RepramRecord[] = []
    const writeIds: string[] = []
    writes.forEach((w, i) => {
      const writeId = records[i].writeId
      if (s.pending.has(writeId)) {
        w.replyTo({ replicas: 1, quorum: false, outcome: 'unreachable' })
        return
      }
      s.pending.set(writeId, { writeId, needed, acks: 0, outstanding: targets.length, startedAt, resolve: w.replyTo })
      if (direct) s.directOnly.set(writeId, { record: records[i], unanswered: targets.length })
      sent.push(records[i])
      writeIds.push(writeId)
    })
    if (sent.length === 0) return
    // One timer per batch: every write in it shares the deadline.
    clock.setTimeout(() => { if (self !== undefined) dispatch(self, { type: 'deadline', writeIds }) }, init.writeTimeoutMs)
    for (const t of targets) {
      init.transport.send(t.id, sent).then(
        oks => {
          const ms = clock.now() - startedAt
          for (const ok of oks) init.onAck?.(ok, ms)
          if (self !== undefined) dispatch(self, { type: 'acks', writeIds, ok: oks })
        },
        () => {
          init.onAck?.(false, clock.now() - startedAt)
          if (self !== undefined) dispatch(self, { type: 'acks', writeIds, ok: writeIds.map(() => false) })
        }
      )
    }
  }

  self = spawn(parent, (s: CoordinatorState, msg: QuorumCoordinatorMsg): CoordinatorState => {
    switch (msg.type) {
      case 'begin':
        begin(s, msg.writes)
        return s
      case 'view':
        s.view = msg.members
        return s
      case 'acks':
        msg.writeIds.forEach((id, i) => ack(s, id, msg.ok[i] === true))
        fallback(s, msg.writeIds, msg.ok)
        return s
      case 'deadline':
        for (const id of msg.writeIds) {
          const p = s.pending.get(id)
          if (p !== undefined) finish(s, p, 'timeout')
        }
        return s
      case 'shutdown':
        s.stopped = true
        for (const p of [...s.pending.values()]) finish(s, p, 'shutdown')
        s.directOnly.clear()
        msg.replyTo?.()
        return s
      default:
        return assertNever(msg)
    }
  }, ACTOR, {
    initialState: { pending: new Map(), view: [], directOnly: new Map(), stopped: false },
    // A throw inside one message leaves the other pending writes intact (each step changes
    // one entry): resume, so they still get their answers. The writes of the message that
    // threw are failed at once by `supervise`.
    onCrash: supervise(ACTOR, 'resume', init.crashed)
  })
  return self
}
