/**
 * Supervision: what happens when an actor throws. Every actor names its policy and its
 * reason next to its `spawn` (DESIGN §5, STYLE "an actor that crashes says so"); this file
 * gives each of them the same three visible effects:
 * 1. the crash is reported to the node's {@link CrashReporter}, which logs it (actor name,
 *    message type, error name and stack frames: never the message, which holds keys and
 *    values) and counts `repram_actor_crashes_total{actor}`;
 * 2. whoever waits on the message that crashed is failed at once with
 *    {@link ActorCrashedError} (see {@link failWaiters}), so no caller waits out a timeout;
 * 3. nact applies the policy: `resume` keeps the state and goes on with the next message,
 *    `reset` starts again from the initial state, `stop` stops the actor (its later asks
 *    fail as stopped).
 *
 * @example
 * spawn(parent, handle, 'shard-0', {
 *   initialState,
 *   // Every mutation is one step at the end, so the state is consistent after a throw.
 *   onCrash: supervise('shard-0', 'resume', crashed)
 * })
 */
import { ActorCrashedError } from '../../src/errors.js'
import type { ReplyTo } from './ask.js'

/** What an actor does after it threw. */
export type CrashPolicy = 'resume' | 'reset' | 'stop'

/** One crash, as reported: nothing of the message but its type. */
export interface CrashReport {
  actor: string
  /** The `type` of the message being handled. */
  message: string
  error: Error
  policy: CrashPolicy
}

/** Receives every crash of a node's actors (the node logs and counts them). */
export type CrashReporter = (report: CrashReport) => void

/**
 * Fails every reply channel found in `msg` with `err`: its `replyTo`, the `replyTo` of each
 * of its `writes`, and those of the messages of a coalesced `batch`. Channels without
 * `fail` (plain callbacks) are left alone.
 */
export function failWaiters (msg: unknown, err: Error): void {
  if (msg === null || typeof msg !== 'object') return
  const m = msg as { replyTo?: ReplyTo<unknown>, writes?: unknown[], batch?: { msgs?: unknown[] } }
  if (typeof m.replyTo === 'function') m.replyTo.fail?.(err)
  if (Array.isArray(m.writes)) {
    for (const w of m.writes) {
      const r = (w as { replyTo?: ReplyTo<unknown> } | null)?.replyTo
      if (typeof r === 'function') r.fail?.(err)
    }
  }
  if (Array.isArray(m.batch?.msgs)) for (const inner of m.batch.msgs) failWaiters(inner, err)
}

function typeOf (msg: unknown): string {
  const t = (msg as { type?: unknown } | null)?.type
  return typeof t === 'string' ? t : 'unknown'
}

/**
 * Reports a throw while handling `msg` and fails its waiters. Used for a message of a
 * coalesced batch (the batch goes on) and by {@link supervise} for a whole message.
 */
export function crashed (actor: string, policy: CrashPolicy, report: CrashReporter, msg: unknown, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err))
  try {
    report({ actor, message: typeOf(msg), error, policy })
  } finally {
    failWaiters(msg, new ActorCrashedError(actor))
  }
}

/** The supervision context nact passes to `onCrash` (the actions we use). */
interface SupervisionContext { resume: unknown, reset: unknown, stop: unknown }

/** An `onCrash` for nact's `spawn`: reports, fails the waiters, then applies `policy`. */
export function supervise (actor: string, policy: CrashPolicy, report: CrashReporter): (msg: unknown, err: unknown, ctx: any) => any {
  return (msg: unknown, err: unknown, ctx: SupervisionContext) => {
    crashed(actor, policy, report, msg, err)
    return ctx[policy]
  }
}

/** The handler for throws inside a coalesced batch of `actor` (the batch goes on). */
export function batchCrash (actor: string, report: CrashReporter): (msg: unknown, err: unknown) => void {
  return (msg, err) => crashed(actor, 'resume', report, msg, err)
}
