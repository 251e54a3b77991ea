/**
 * The QuorumCoordinator actor (DESIGN §4): for each local write it sends the record
 * directly to R−1 healthy enclave peers, counts their acks, and answers
 * `{quorum: true}` (HTTP 201) at `floor(min(R, enclaveSize)/2)+1` copies including its
 * own, or `{quorum: false}` (202) at the write timeout, or at once when too few peers
 * are left to reach it. Pending writes are keyed by writeId. `shutdown` answers every
 * pending write as not-quorum.
 */
import { dispatch, spawn, type Ref } from 'nact'
import { assertNever, type ReplyTo } from '../runtime/ask.js'
import type { RepramRecord } from '../../src/record.js'
import { pickTargets, stillPossible, type PendingWrite, type QuorumOutcome, type QuorumResult } from './quorum.js'
import { quorumSize, type Member } from '../membership/index.js'

export { pickTargets, stillPossible, type QuorumResult, type QuorumOutcome, type PendingWrite } from './quorum.js'
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
  | { type: 'acks', writeIds: string[], ok: boolean[] }
  | { type: 'deadline', writeIds: string[] }
  | { type: 'shutdown' }

/** What the coordinator is built from. */
export interface QuorumCoordinatorInit {
  replication: number
  writeTimeoutMs: number
  /** The current membership view (read per batch, no round trip). */
  members: () => readonly Member[]
  /** Sends records to one peer; resolves with one flag per record: true when the peer holds it. */
  send: (peerId: string, records: RepramRecord[]) => Promise<boolean[]>
  /** Metrics hooks. */
  onOutcome?: (outcome: QuorumOutcome, elapsedMs: number) => void
  onAck?: (ok: boolean, elapsedMs: number) => void
}

interface CoordinatorState { pending: Map<string, PendingWrite>, stopped: boolean }

/** Spawns the coordinator under `parent`. */
export function spawnQuorumCoordinator (parent: Parameters<typeof spawn>[0], init: QuorumCoordinatorInit): Ref<QuorumCoordinatorMsg> {
  let self: Ref<QuorumCoordinatorMsg> | undefined

  const finish = (s: CoordinatorState, p: PendingWrite, outcome: QuorumOutcome): void => {
    s.pending.delete(p.writeId)
    init.onOutcome?.(outcome, performance.now() - p.startedAt)
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

  self = spawn(parent, (s: CoordinatorState, msg: QuorumCoordinatorMsg): CoordinatorState => {
    switch (msg.type) {
      case 'begin': {
        if (s.stopped) {
          for (const w of msg.writes) w.replyTo({ replicas: 1, quorum: false, outcome: 'shutdown' })
          return s
        }
        const members = init.members()
        const needed = quorumSize(init.replication, members.length + 1) - 1
        if (needed <= 0) {
          for (const w of msg.writes) {
            init.onOutcome?.('alone', 0)
            w.replyTo({ replicas: 1, quorum: true, outcome: 'alone' })
          }
          return s
        }
        const targets = pickTargets(members, init.replication - 1)
        if (targets.length < needed) {
          for (const w of msg.writes) {
            init.onOutcome?.('unreachable', 0)
            w.replyTo({ replicas: 1, quorum: false, outcome: 'unreachable' })
          }
          return s
        }
        const startedAt = performance.now()
        const records: RepramRecord[] = []
        const writeIds: string[] = []
        for (const w of msg.writes) {
          const writeId = w.record.writeId
          if (s.pending.has(writeId)) {
            w.replyTo({ replicas: 1, quorum: false, outcome: 'unreachable' })
            continue
          }
          s.pending.set(writeId, { writeId, needed, acks: 0, outstanding: targets.length, startedAt, resolve: w.replyTo, timer: undefined })
          records.push(w.record)
          writeIds.push(writeId)
        }
        if (records.length === 0) return s
        // One timer per batch: every write in it shares the deadline.
        setTimeout(() => { if (self !== undefined) dispatch(self, { type: 'deadline', writeIds }) }, init.writeTimeoutMs).unref()
        for (const t of targets) {
          init.send(t.id, records).then(
            oks => {
              const ms = performance.now() - startedAt
              for (const ok of oks) init.onAck?.(ok, ms)
              if (self !== undefined) dispatch(self, { type: 'acks', writeIds, ok: oks })
            },
            () => {
              init.onAck?.(false, performance.now() - startedAt)
              if (self !== undefined) dispatch(self, { type: 'acks', writeIds, ok: writeIds.map(() => false) })
            }
          )
        }
        return s
      }
      case 'acks':
        msg.writeIds.forEach((id, i) => ack(s, id, msg.ok[i] === true))
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
        return s
      default:
        return assertNever(msg)
    }
  }, 'quorum-coordinator', {
    initialState: { pending: new Map(), stopped: false },
    // A throw inside one message leaves other pending writes intact: keep going.
    onCrash: (_msg, _err, ctx) => ctx.resume
  })
  return self
}
