/**
 * The AntiEntropy actor (DESIGN §4, §5): decides when this node runs a sync round and
 * with whom. Rounds are triggered when a peer joins, reconnects or recovers, and run
 * periodically along a shuffled rotation of healthy peers ({@link SyncSchedule}). At most
 * {@link MAX_CONCURRENT_ROUNDS} round runs at once; the round itself (digest comparison
 * and record transfer over `/repram/sync/1.0.0`) is the injected `round`.
 */
import { dispatch, spawn, type Ref } from 'nact'
import { assertNever } from '../runtime/ask.js'
import { MAX_CONCURRENT_ROUNDS } from './constants.js'
import { SyncSchedule } from './schedule.js'

export { SyncSchedule, shuffle, convergenceBoundMs } from './schedule.js'
export { MAX_CONCURRENT_ROUNDS, MAX_PENDING_TRIGGERS } from './constants.js'
export { BucketIndex, bucketOf, recordHash, SYNC_BUCKETS, SYNC_GROUPS, GROUP_SIZE, digestBytes, digestWords, xorInto } from './digest.js'

/** Why a round ran: a small enum (metrics label). */
export type RoundReason = 'triggered' | 'periodic'

/** Every message the anti-entropy actor understands. */
export type AntiEntropyMsg =
  | { type: 'peers', healthy: string[] }
  | { type: 'trigger', peerId: string }
  | { type: 'tick' }
  | { type: 'done', peerId: string }
  | { type: 'halt' }

/** What the actor is built from. */
export interface AntiEntropyInit {
  /** Runs one round with a peer; never rejects (the caller counts failures). */
  round: (peerId: string, reason: RoundReason) => Promise<void>
  /** @default Math.random */
  random?: () => number
}

interface AntiEntropyState { schedule: SyncSchedule, halted: boolean, periodicDue: boolean }

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

  self = spawn(parent, (s: AntiEntropyState, msg: AntiEntropyMsg): AntiEntropyState => {
    switch (msg.type) {
      case 'peers':
        s.schedule.setPeers(msg.healthy)
        pump(s)
        return s
      case 'trigger':
        s.schedule.trigger(msg.peerId)
        pump(s)
        return s
      case 'tick':
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
        return s
      default:
        return assertNever(msg)
    }
  }, 'anti-entropy', {
    initialState: { schedule: new SyncSchedule(init.random), halted: false, periodicDue: false },
    // Scheduling state is consistent after each step: keep it and go on.
    onCrash: (_msg, _err, ctx) => ctx.resume
  })
  return self
}
