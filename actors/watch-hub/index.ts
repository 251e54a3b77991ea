/**
 * The WatchHub actor owns the node's change feed: it numbers every store and expiry,
 * keeps the most recent ones in a bounded ring so a watcher that reconnects resumes
 * where it stopped, and fans each event out to the watchers whose prefix matches.
 *
 * A watcher is a {@link WatchSink}: the hub never waits on it. A sink that cannot take
 * an event (its own byte budget is spent: a slow consumer) is told `overflow` and dropped,
 * so one slow reader never holds memory on behalf of the others.
 *
 * Values are never kept here. A live `stored` event carries a `readValue` thunk over the
 * stored entry (the bytes of that very write); the hub reads it only for sinks that asked
 * for values and only when it is within `valueMaxBytes`, and drops the thunk with the
 * message. Replayed events (from the ring) carry no value.
 */
import { spawn, type Ref } from 'nact'
import { assertNever, handleBatch, type Batch, type ReplyTo } from '../runtime/ask.js'
import { batchCrash, supervise, type CrashReporter } from '../runtime/supervise.js'

/** One change, as the hub numbers and keeps it. Holds a key: never log it. */
export interface WatchEntry {
  seq: number
  type: 'stored' | 'expired'
  key: string
  writeId: string
  createdAt: number
  expiresAt: number
  size: number
}

/** What a sink receives for one change. */
export interface WatchDelivery extends WatchEntry {
  /** The value, when the watcher asked for values and it is within the cap. */
  value?: Uint8Array
  /** Set when the watcher asked for values and this event carries none, with why. */
  valueOmitted?: 'too_large' | 'replayed'
}

/** Where a watcher's events go. Called inside the hub's turn: must not block. */
export interface WatchSink {
  /** Takes one event; false when it cannot (its budget is spent): the hub then ends it with `overflow`. */
  deliver(event: WatchDelivery): boolean
  /** The hub is done with this sink. */
  end(reason: 'overflow' | 'halt'): void
}

/** The answer to `subscribe`: where the watcher's stream stands. */
export interface WatchStart {
  /** The boot id of this hub: sequence numbers are meaningful only within one boot. */
  boot: string
  /** The newest sequence number at subscription (replayed events included). */
  lastSeq: number
  /** True when the watcher asked to resume from a point the ring no longer holds (or another boot): events were missed. */
  gap: boolean
}

/** A resume point: the boot and sequence number of the last event a watcher saw. */
export interface ResumePoint { boot: string, seq: number }

/** Every message the hub understands. */
export type WatchHubMsg =
  | { type: 'change', entry: Omit<WatchEntry, 'seq'>, readValue?: () => Uint8Array }
  | { type: 'subscribe', id: number, prefix: string, values: boolean, after?: ResumePoint, sink: WatchSink, replyTo: ReplyTo<WatchStart> }
  | { type: 'unsubscribe', id: number }
  | { type: 'halt' }
  | { type: 'batch', batch: Batch<WatchHubMsg> }

/** What the hub is built from. */
export interface WatchHubInit {
  /** Identifies this run of the node in event ids (a resume point from another run is a gap). */
  boot: string
  /** Changes kept for resuming (0: none, every resume is a gap). */
  bufferEvents: number
  /** Largest value carried in an event. */
  valueMaxBytes: number
  crashed: CrashReporter
}

interface Watcher { prefix: string, values: boolean, sink: WatchSink }

interface HubState {
  seq: number
  /** Ring of the last `bufferEvents` entries; `ring[seq % size]`. */
  ring: Array<WatchEntry | undefined>
  watchers: Map<number, Watcher>
  halted: boolean
}

/** Spawns the hub under `parent`. */
export function spawnWatchHub (parent: Parameters<typeof spawn>[0], init: WatchHubInit): Ref<WatchHubMsg> {
  const size = init.bufferEvents
  const crash = batchCrash('watch-hub', init.crashed)

  const drop = (s: HubState, id: number, w: Watcher, reason: 'overflow' | 'halt'): void => {
    s.watchers.delete(id)
    w.sink.end(reason)
  }

  const handle = (s: HubState, msg: WatchHubMsg): HubState => {
    switch (msg.type) {
      case 'change': {
        if (s.halted) return s
        const entry: WatchEntry = { seq: ++s.seq, ...msg.entry }
        if (size > 0) s.ring[entry.seq % size] = entry
        let value: Uint8Array | undefined
        for (const [id, w] of s.watchers) {
          if (!entry.key.startsWith(w.prefix)) continue
          let ok: boolean
          if (!w.values || entry.type !== 'stored') ok = w.sink.deliver(entry)
          else if (entry.size > init.valueMaxBytes || msg.readValue === undefined) ok = w.sink.deliver({ ...entry, valueOmitted: 'too_large' })
          else {
            value ??= msg.readValue()
            ok = w.sink.deliver({ ...entry, value })
          }
          if (!ok) drop(s, id, w, 'overflow')
        }
        return s
      }
      case 'subscribe': {
        if (s.halted) {
          msg.sink.end('halt')
          msg.replyTo({ boot: init.boot, lastSeq: s.seq, gap: false })
          return s
        }
        const w: Watcher = { prefix: msg.prefix, values: msg.values, sink: msg.sink }
        let gap = false
        const after = msg.after
        if (after !== undefined) {
          const oldest = Math.max(1, s.seq - size + 1)
          if (after.boot !== init.boot || after.seq > s.seq || after.seq < oldest - 1) gap = true
          else {
            for (let q = after.seq + 1; q <= s.seq; q++) {
              const e = s.ring[q % size] as WatchEntry
              if (!e.key.startsWith(w.prefix)) continue
              const ev: WatchDelivery = w.values && e.type === 'stored' ? { ...e, valueOmitted: 'replayed' } : e
              if (!w.sink.deliver(ev)) {
                w.sink.end('overflow')
                msg.replyTo({ boot: init.boot, lastSeq: s.seq, gap: false })
                return s
              }
            }
          }
        }
        s.watchers.set(msg.id, w)
        msg.replyTo({ boot: init.boot, lastSeq: s.seq, gap })
        return s
      }
      case 'unsubscribe':
        s.watchers.delete(msg.id)
        return s
      case 'halt':
        s.halted = true
        for (const [id, w] of s.watchers) drop(s, id, w, 'halt')
        return s
      case 'batch':
        return handleBatch(s, msg.batch, handle, crash)
      default:
        return assertNever(msg)
    }
  }

  return spawn(parent, handle, 'watch-hub', {
    initialState: { seq: 0, ring: new Array<WatchEntry | undefined>(size), watchers: new Map(), halted: false },
    // A throw leaves the ring and the watchers as they were (each change is one step): resume.
    onCrash: supervise('watch-hub', 'resume', init.crashed)
  })
}

/** Event ids on the wire: `<boot>-<seq>`. */
export function formatEventId (boot: string, seq: number): string {
  return `${boot}-${seq}`
}

/** Parses an event id; undefined when it is not one. */
export function parseEventId (id: string): ResumePoint | undefined {
  const m = /^([0-9a-f]{1,32})-(\d{1,15})$/.exec(id)
  if (m === null) return undefined
  return { boot: m[1], seq: Number(m[2]) }
}
