/**
 * The StorageShard actor: owns one {@link ShardStore}. Keys are spread over shards by
 * {@link shardOf}. After every change that moves its earliest expiry, the shard tells
 * the TTL reaper, which wakes it with `sweep` when that time comes.
 */
import { dispatch, spawn, type Ref } from 'nact'
import type { Clock } from '../../src/clock.js'
import { assertNever, handleBatch, type Batch, type ReplyTo } from '../runtime/ask.js'
import { batchCrash, supervise, type CrashReporter } from '../runtime/supervise.js'
import type { RepramRecord } from '../../src/record.js'
import type { TtlReaperMsg } from '../ttl-reaper/index.js'
import type { PeerScope } from '../anti-entropy/digest.js'
import { ShardStore, type RemovalListener, type WriteOutcome } from './storage-shard.js'

export { ShardStore, Entry, type WriteOutcome, type RemovalListener } from './storage-shard.js'

/** Counts held by a shard. */
/** A shard's figures; `arenaBytes`: bytes of its value arena's segments (values up to 16 KiB live there). */
export interface ShardStats { records: number, bytes: number, capacityBytes: number, nextExpiry: number, arenaBytes: number }

/** Every message a shard understands. */
export type StorageShardMsg =
  | { type: 'write', record: RepramRecord, local: boolean, replyTo: ReplyTo<WriteOutcome> }
  | { type: 'get', key: string, replyTo: ReplyTo<RepramRecord | undefined> }
  | { type: 'keys', prefix: string, after: string | undefined, limit: number, replyTo: ReplyTo<string[]> }
  | { type: 'sweep' }
  | { type: 'stats', replyTo: ReplyTo<ShardStats> }
  | { type: 'snapshot', replyTo: ReplyTo<RepramRecord[]> }
  /**
   * Anti-entropy: after a sweep, `[rootLo, rootHi, group digests…]`, or the bucket digests
   * of `groups`; over the records `scope` (a peer's jurisdiction) may hold, all by default.
   */
  | { type: 'digest', groups?: number[], scope?: PeerScope, replyTo: ReplyTo<Uint32Array> }
  /** Anti-entropy: live records of these buckets (those in `scope`, all by default). */
  | { type: 'buckets', buckets: number[], scope?: PeerScope, replyTo: ReplyTo<RepramRecord[]> }
  /** Several messages handled in one turn (see `Coalescer`). */
  | { type: 'batch', batch: Batch<StorageShardMsg> }

/** What a shard is built from. */
export interface StorageShardInit {
  index: number
  capacityBytes: number
  /** How far past now peers accept an `expiresAt` (`maxTtl` + `maxClockSkew`, ms): bounds a moved local expiry. @default Infinity */
  maxAheadMs?: number
  clock: Clock
  reaper: Ref<TtlReaperMsg>
  onRemove: RemovalListener
  /** Where crashes are reported (the node logs and counts them). */
  crashed: CrashReporter
}

interface ShardState { store: ShardStore, reported: number }

/** FNV-1a over UTF-16 code units: fast, well spread, and stable across processes. */
export function shardOf (key: string, shards: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % shards
}

/** Spawns a shard under `parent`. */
export function spawnStorageShard (parent: Parameters<typeof spawn>[0], init: StorageShardInit): Ref<StorageShardMsg> {
  const { clock, reaper, index } = init
  const report = (s: ShardState): void => {
    const next = s.store.nextExpiry
    // Only an earlier deadline needs telling: a later one costs at most one idle sweep.
    if (next < s.reported) {
      s.reported = next
      dispatch(reaper, { type: 'schedule', shard: index, at: next })
    }
  }
  const handle = (state: ShardState, msg: StorageShardMsg): ShardState => {
    switch (msg.type) {
      case 'write': {
        const out = state.store.write(msg.record, clock.now(), msg.local)
        if (out.status === 'stored') report(state)
        msg.replyTo(out)
        return state
      }
      case 'get':
        msg.replyTo(state.store.live(msg.key, clock.now()))
        report(state)
        return state
      case 'keys':
        msg.replyTo(state.store.keys(msg.prefix, msg.after, msg.limit, clock.now()))
        return state
      case 'sweep':
        state.store.sweep(clock.now())
        state.reported = Infinity
        report(state)
        return state
      case 'stats':
        msg.replyTo({ records: state.store.count, bytes: state.store.bytes, capacityBytes: state.store.capacityBytes, nextExpiry: state.store.nextExpiry, arenaBytes: state.store.arena.bytes })
        return state
      case 'snapshot':
        msg.replyTo([...state.store.liveRecords(clock.now())])
        return state
      case 'digest':
        // Expired records leave the digest first, so in-sync peers compare equal.
        if (state.store.sweep(clock.now()) > 0) {
          state.reported = Infinity
          report(state)
        }
        msg.replyTo(msg.groups === undefined ? state.store.index.groups(msg.scope) : state.store.index.buckets(msg.groups, msg.scope))
        return state
      case 'buckets':
        msg.replyTo(state.store.bucketRecords(msg.buckets, clock.now(), msg.scope))
        return state
      case 'batch':
        return handleBatch(state, msg.batch, handle, batchCrash(`shard-${index}`, init.crashed))
      default:
        return assertNever(msg)
    }
  }
  return spawn(parent, handle, `shard-${index}`, {
    initialState: { store: new ShardStore(init.capacityBytes, init.onRemove, init.maxAheadMs), reported: Infinity },
    // The store's invariants hold after any throw (every mutation is a single step at the end),
    // so a crash on one message must not drop the records of the shard: resume.
    onCrash: supervise(`shard-${index}`, 'resume', init.crashed)
  })
}
