/**
 * The AntiEntropy actor (DESIGN §4, §5): decides when this node runs a sync round and
 * with whom. From membership it hears the view and its events: a round is triggered when
 * a member of the active view joins, or a member reconnects or recovers; rounds also run
 * every `intervalMs` of the injected clock along a shuffled rotation of the healthy
 * active members ({@link SyncSchedule}). At most {@link MAX_CONCURRENT_ROUNDS} round runs
 * at once; the round itself (digest comparison and record transfer over
 * `/repram/sync/1.0.0`) is the injected `round`.
 */
import { dispatch, spawn, type Ref } from 'nact'
import type { Clock, TimerHandle } from '../../src/clock.js'
import { assertNever } from '../runtime/ask.js'
import { supervise, type CrashReporter } from '../runtime/supervise.js'
import { MAX_CONCURRENT_ROUNDS } from './constants.js'
import { SyncSchedule } from './schedule.js'

export { SyncSchedule, shuffle, convergenceBoundMs } from './schedule.js'
export { MAX_CONCURRENT_ROUNDS, MAX_PENDING_TRIGGERS } from './constants.js'
export { BucketIndex, bucketOf, recordHash, inScope, SYNC_BUCKETS, SYNC_GROUPS, GROUP_SIZE, digestBytes, digestWords, xorInto, type PeerScope } from './digest.js'

/** Why a round ran: a small enum (metrics label). */
export type RoundReason = 'triggered' | 'periodic'

/** What anti-entropy reads of a member. */
export interface SyncPeer { id: string, healthy: boolean, active: boolean }

/** The membership events anti-entropy acts on (a subset of membership's). */
export type SyncTrigger =
  | { type: 'joined', member: SyncPeer }
  | { type: 'reconnected', peerId: string }
  | { type: 'recovered', peerId: string }
  | { type: 'left' | 'unhealthy' | 'ping-failed' }

/** Every message the anti-entropy actor understands. */
export type AntiEntropyMsg =
  /** The membership view: rounds run with its healthy, active members. */
  | { type: 'view', members: readonly SyncPeer[] }
  /** A membership event: joins, reconnects and recoveries trigger a round with that peer. */
  | { type: 'membership', event: SyncTrigger }
  | { type: 'trigger', peerId: string }
  | { type: 'tick' }
  | { type: 'done', peerId: string }
  | { type: 'halt' }

/** What the actor is built from. */
export interface AntiEntropyInit {
  /** Runs one round with a peer; never rejects (the caller counts failures). */
  round: (peerId: string, reason: RoundReason) => Promise<void>
  clock: Clock
  /** Period of the rotation's rounds; 0 = only triggered rounds (joins, reconnects). */
  intervalMs: number
  crashed: CrashReporter
  /** @default Math.random */
  random?: () => number
}

interface AntiEntropyState { schedule: SyncSchedule, halted: boolean, periodicDue: boolean, timer: TimerHandle | undefined }

const ACTOR = 'anti-entropy'

/** Spawns the anti-entropy actor under `parent`. */
export function spawnAntiEntropy (parent: Parameters<typeof spawn>[0], init: AntiEntropyInit): Ref<AntiEntropyMsg> {
  let self: Ref<AntiEntropyMsg> | undefined

  const run = (s: AntiEntropyState, peerId: string, reason: RoundReason): void => {
    s.schedule.started(peerId)
    init.round(peerId, reason).catch(() => {}).finally(() => { if (self !== undefined) dispatch(self, { type: 'done', peerId }) })
  }

  const pump = (s: AntiEntropyState): void => {
    while (!s.halted && s.schedule.inFlight < MAX_CONCURRENT_ROUNDS) {
      const t = s.schedule.nextTriggered()
      if (t !== undefined) { run(s, t, 'triggered'); continue }
      if (!s.periodicDue) return
      s.periodicDue = false
      const p = s.schedule.nextPeriodic()
      if (p === undefined) return
      run(s, p, 'periodic')
    }
  }

  const { clock } = init
  const arm = (s: AntiEntropyState): void => {
    if (init.intervalMs > 0 && !s.halted) s.timer = clock.setTimeout(() => { if (self !== undefined) dispatch(self, { type: 'tick' }) }, init.intervalMs)
  }

  const initial: AntiEntropyState = { schedule: new SyncSchedule(init.random), halted: false, periodicDue: false, timer: undefined }
  self = spawn(parent, (s: AntiEntropyState, msg: AntiEntropyMsg): AntiEntropyState => {
    switch (msg.type) {
      case 'view':
        s.schedule.setPeers(msg.members.filter(m => m.healthy && m.active).map(m => m.id))
        pump(s)
        return s
      case 'membership': {
        const e = msg.event
        // A newcomer, a restarted peer or one back from a partition: compare digests now
        // (members outside the active view are not dialled for it).
        if (e.type === 'joined' && e.member.active) s.schedule.trigger(e.member.id)
        else if (e.type === 'reconnected' || e.type === 'recovered') s.schedule.trigger(e.peerId)
        pump(s)
        return s
      }
      case 'trigger':
        s.schedule.trigger(msg.peerId)
        pump(s)
        return s
      case 'tick':
        // One timer chain: a tick sent by hand replaces the pending timer rather than adding one.
        if (s.timer !== undefined) clock.clearTimeout(s.timer)
        s.timer = undefined
        arm(s)
        // A tick while a round runs is not queued: rounds never pile up behind a slow one.
        s.periodicDue = s.schedule.inFlight < MAX_CONCURRENT_ROUNDS
        pump(s)
        return s
      case 'done':
        s.schedule.finished(msg.peerId)
        pump(s)
        return s
      case 'halt':
        s.halted = true
        if (s.timer !== undefined) clock.clearTimeout(s.timer)
        s.timer = undefined
        return s
      default:
        return assertNever(msg)
    }
  }, ACTOR, {
    initialState: initial,
    // Scheduling state is consistent after each step (the rotation and the in-flight set
    // change one peer at a time): keep it and go on.
    onCrash: supervise(ACTOR, 'resume', init.crashed)
  })
  arm(initial)
  return self
}
