/**
 * The InboundWrites actor: the one path by which records from peers enter the local
 * store, whatever protocol carried them (DESIGN §4):
 * - `replicate`: a coordinator's direct send (`/repram/replicate/1.0.0`), acked per write;
 * - `gossip`: writes of an accepted gossip message (already checked by the topic validator);
 * - `pulled` / `received`: anti-entropy records this node pulled, or a peer pushed to it.
 *
 * For each write it applies the same rules in the same order: the limits and clock checks
 * of {@link checkWrite}; once per writeId for direct and gossip copies (a write that came
 * directly is not merged again when its gossip copy arrives); an announced large value is
 * pulled over `/repram/blob/1.0.0` (its sha256 checked) from the sender, then, for
 * direct and gossip copies, from up to {@link PULL_OTHERS} other healthy members; then the
 * store's last-writer-wins merge. The answer is one {@link WriteResult} per write: `HELD`
 * only once the value is in the store, so the coordinator's count of held copies stays
 * true for pulled values too.
 *
 * Merges and pulls run outside the mailbox (they resolve later and reply then), so one
 * slow pull never holds up the writes behind it. Nothing of the frame a write came in is
 * kept while its value is pulled (DESIGN §4: nothing is held while waiting on a peer): an
 * announcement is copied into a compact one ({@link compactAnnouncement}) before the pull,
 * and an inline value that is a view into a larger frame is copied out before it is
 * stored ({@link detachValue}), so a stored record never pins the frame it came in.
 */
import { anySignal } from 'any-signal'
import { dispatch, spawn, type Ref } from 'nact'
import type { Clock } from '../../src/clock.js'
import type { RepramRecord } from '../../src/record.js'
import { WriteResult, type Write } from '../../src/wire/pb/repram.js'
import { checkWrite, fromWire, wireJurisdictions, type WriteLimits } from '../../src/wire/write.js'
import { admits } from '../../src/wire/jurisdiction.js'
import { assertNever, handleBatch, type Batch, type ReplyTo } from '../runtime/ask.js'
import { batchCrash, supervise, type CrashReporter } from '../runtime/supervise.js'
import { SeenCache } from '../runtime/seen-cache.js'
import type { WriteOutcome } from '../storage-shard/index.js'
import { PULL_OTHERS, SEEN_WRITE_MAX, SEEN_WRITE_TTL_MS } from './constants.js'
import { compactAnnouncement, detachValue, holdersFor, resultOf, type Holder, type InboundResult } from './inbound-writes.js'

export { compactAnnouncement, detachValue, holdersFor, resultOf, type Holder, type InboundResult } from './inbound-writes.js'
export * from './constants.js'

/** Which protocol delivered the writes: a small enum (metrics label). */
export type InboundVia = 'replicate' | 'gossip' | 'pulled' | 'received'

/** Every message the inbound-writes actor understands. */
export type InboundWritesMsg =
  | { type: 'writes', writes: Write[], from: string, via: InboundVia, signal?: AbortSignal, replyTo?: ReplyTo<WriteResult[]> }
  /** Internal: these writeIds are held now, so their later gossip copies are skipped. */
  | { type: 'held', writeIds: string[] }
  /** The members to pull announced gossip values from (published by membership). */
  | { type: 'view', members: readonly Holder[] }
  | { type: 'halt' }
  /** Several messages handled in one turn (see `Coalescer`). */
  | { type: 'batch', batch: Batch<InboundWritesMsg> }

/** How inbound writes reach the store and the network. */
export interface InboundTransport {
  /**
   * Pulls an announced value from `peerId` on behalf of `owner` (the peer that announced
   * it, whose memory budget the value is charged to while it arrives); resolves with the
   * verified record or rejects.
   */
  pull: (peerId: string, write: Write, signal: AbortSignal, owner: string) => Promise<RepramRecord>
}

/** What the actor is built from. */
export interface InboundWritesInit {
  limits: WriteLimits
  /**
   * This node's declared jurisdiction (null: none). A write restricted to jurisdictions
   * that do not include it is not stored (nor its value pulled): answered `FAILED` and
   * counted `out_of_jurisdiction`, never held against its sender (its view of this node
   * may be stale). @default null
   */
  jurisdiction?: string | null
  clock: Clock
  /** The store's last-writer-wins merge (the node's `merge`). */
  merge: (record: RepramRecord) => Promise<WriteOutcome>
  transport: InboundTransport
  /** Aborted on stop: ends the pulls in flight. */
  signal: AbortSignal
  /** Counts each write by path and result (a small enum). */
  count?: (via: InboundVia, result: InboundResult) => void
  crashed: CrashReporter
  /** @default Math.random */
  random?: () => number
}

interface InboundState { seen: SeenCache, holders: readonly Holder[], halted: boolean }

const ACTOR = 'inbound-writes'

/** Spawns the inbound-writes actor under `parent`. */
export function spawnInboundWrites (parent: Parameters<typeof spawn>[0], init: InboundWritesInit): Ref<InboundWritesMsg> {
  let self: Ref<InboundWritesMsg> | undefined
  const count = init.count ?? (() => {})
  const random = init.random ?? Math.random
  const jurisdiction = init.jurisdiction ?? null

  const merge = async (rec: RepramRecord, via: InboundVia): Promise<WriteResult> => {
    try {
      const out = await init.merge(rec)
      count(via, out.status)
      return resultOf(out)
    } catch {
      count(via, 'failed')
      return WriteResult.FAILED
    }
  }

  /** Pulls from each holder in turn until one answers with the verified value. */
  const pullFrom = async (peers: string[], w: Write, owner: string, signal: AbortSignal): Promise<RepramRecord | undefined> => {
    for (const peer of peers) {
      if (signal.aborted) return undefined
      try { return await init.transport.pull(peer, w, signal, owner) } catch {}
    }
    return undefined
  }

  /** An announced value: pulled, then merged. Holds only the compact announcement `a`. */
  const pullAndMerge = async (a: Write, peers: string[], from: string, via: InboundVia, signal: AbortSignal): Promise<WriteResult> => {
    const rec = await pullFrom(peers, a, from, signal)
    if (rec === undefined) {
      // Anti-entropy repairs it later.
      count(via, 'pull_failed')
      return WriteResult.FAILED
    }
    if (via === 'gossip') count(via, 'pulled')
    return await merge(rec, via)
  }

  /** One write. Not async: nothing of `w` (a view into the frame) is kept past this call. */
  const one = (s: InboundState, w: Write, from: string, via: InboundVia, signal: AbortSignal): WriteResult | Promise<WriteResult> => {
    const why = checkWrite(w, init.clock.now(), init.limits)
    if (why !== undefined) {
      // Expired in transit: dropped alone and counted, no fault of the sender (DESIGN §4).
      count(via, why === 'expired' ? 'expired_in_transit' : 'invalid')
      return why === 'expired' ? WriteResult.EXPIRED : WriteResult.INVALID
    }
    // Outside the write's jurisdictions: not stored, its value not pulled (docs/compliance.md "Jurisdictions").
    if (!admits(wireJurisdictions(w), jurisdiction)) {
      count(via, 'out_of_jurisdiction')
      return WriteResult.FAILED
    }
    // A copy this node already holds (direct, then gossip) is not merged again. The id is
    // recorded once the copy is held (`held`), so a direct copy that failed does not stop
    // its gossip copy (the coordinator's fallback) from being merged.
    if (via === 'gossip' && s.seen.has(w.writeId)) return WriteResult.HELD
    if (w.size === undefined) return merge(detachValue(fromWire(w)), via)
    // An announced large value: the sender first (it holds it), then, for direct and
    // gossip copies, other members (they may have pulled it already). Every try has the
    // blob client's timeouts; the whole is bounded by `signal`.
    const set = wireJurisdictions(w)
    const holders = set === undefined ? s.holders : s.holders.filter(h => admits(set, h.jurisdiction))
    const peers = via === 'gossip' || via === 'replicate' ? [from, ...holdersFor(holders, from, PULL_OTHERS, random)] : [from]
    return pullAndMerge(compactAnnouncement(w), peers, from, via, signal)
  }

  const handle = (s: InboundState, msg: InboundWritesMsg): InboundState => {
    switch (msg.type) {
      case 'writes': {
        if (s.halted) {
          msg.replyTo?.(msg.writes.map(() => WriteResult.FAILED))
          return s
        }
        // any-signal, cleared when the batch is done: AbortSignal.any over the node-long halt
        // signal leaves a WeakRef in its dependants per batch in Node 20 (nodejs/node#55351;
        // a soak's heap grew by ~120 of them a second). Only pulls use it: a batch of inline
        // values (nearly all of them) makes none (it cost 2 % of a replica's CPU).
        // Not a signal: a caller's bug, refused at once (the actor's supervision reports it).
        if (msg.signal !== undefined && !(msg.signal instanceof AbortSignal)) throw new TypeError('writes: signal is not an AbortSignal')
        const pulls = msg.writes.some(w => w.size !== undefined)
        const combined = msg.signal === undefined || !pulls ? undefined : anySignal([msg.signal, init.signal])
        const signal = combined ?? init.signal
        const { via, from, replyTo } = msg
        const n = msg.writes.length
        // Only ids and results are kept from here on: not the message, not its writes.
        const writeIds = via === 'replicate' || via === 'gossip' ? msg.writes.map(w => w.writeId) : []
        const all = Promise.all(msg.writes.map(w => one(s, w, from, via, signal)))
        if (combined !== undefined) all.finally(() => { combined.clear() }).catch(() => {})
        if (writeIds.length > 0) {
          all.then(results => {
            const held = writeIds.filter((_, i) => results[i] === WriteResult.HELD)
            if (held.length > 0 && self !== undefined) dispatch(self, { type: 'held', writeIds: held })
          }, () => {})
        }
        if (replyTo !== undefined) all.then(replyTo, () => replyTo(Array.from({ length: n }, () => WriteResult.FAILED)))
        return s
      }
      case 'held':
        for (const id of msg.writeIds) s.seen.add(id)
        return s
      case 'view':
        s.holders = msg.members
        return s
      case 'halt':
        s.halted = true
        return s
      case 'batch':
        return handleBatch(s, msg.batch, handle, batchCrash(ACTOR, init.crashed))
      default:
        return assertNever(msg)
    }
  }

  self = spawn(parent, handle, ACTOR, {
    initialState: { seen: new SeenCache(SEEN_WRITE_TTL_MS, SEEN_WRITE_MAX, () => init.clock.now()), holders: [], halted: false },
    // The state is a dedupe cache and a view: both stay valid after a throw, and losing
    // them (reset) would only merge some copies twice. Resume.
    onCrash: supervise(ACTOR, 'resume', init.crashed)
  })
  return self
}
