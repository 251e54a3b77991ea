/**
 * Plumbing shared by every actor: request/reply without nact's colliding query ids
 * ({@link Asker}, {@link ReplyTo}), coalesced delivery ({@link Coalescer}), supervision
 * ({@link supervise}) and a bounded time cache of ids ({@link SeenCache}).
 *
 * @example
 * import { Asker, supervise } from '../runtime/index.js'
 */
export { Asker, Coalescer, LateSender, handleBatch, assertNever, replyChannel, type ActorParent, type Batch, type ReplyTo, type Sender } from './ask.js'
export { supervise, batchCrash, crashed, failWaiters, type CrashPolicy, type CrashReport, type CrashReporter } from './supervise.js'
export { SeenCache } from './seen-cache.js'
