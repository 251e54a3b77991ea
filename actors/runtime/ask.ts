/**
 * Request/reply over nact `dispatch` without nact's `query`: nact's query ids are
 * 32-bit random numbers that collide under load (STACK.md). Here the reply channel is
 * a function carried in the message (`replyTo`), so there is no id to collide, and all
 * deadlines are checked by one timer per {@link Asker} instead of one timer per request.
 *
 * An ask's deadline is a watchdog on elapsed real time (how long a caller may wait), not
 * on record time, so it does not use the injected clock: a test that moves a ManualClock
 * by an hour to expire records must not time out the asks in flight. An actor that crashes
 * fails its asker at once through `replyTo.fail` (see `supervise.ts`), so the watchdog
 * only fires for an actor that is stuck or stopped.
 */
import { dispatch, type Ref, type spawn } from 'nact'
import { NodeStoppedError, TimeoutError } from '../../src/errors.js'

/** Anything that delivers messages to an actor. */
export interface Sender<M> { send(msg: M): void }

/** Messages gathered for one delivery. The receiver sets `closed` when it starts on them. */
export interface Batch<M> { msgs: M[], closed: boolean }

/**
 * Coalesces the messages sent to one actor into batches. nact handles one message per
 * actor per loop turn (each on its own `setImmediate`), so under I/O load one message per
 * request caps an actor at the loop's turn rate. Here the first message goes out at once
 * inside a batch, and every later one joins that batch until the actor starts on it
 * (it sets `closed`): no added latency, and one message per turn whatever the load.
 */
export class Coalescer<M> implements Sender<M> {
  private open: Batch<M> | undefined

  constructor (private readonly ref: Ref<M>, private readonly wrap: (batch: Batch<M>) => M) {}

  send (msg: M): void {
    const open = this.open
    if (open !== undefined && !open.closed) {
      open.msgs.push(msg)
      return
    }
    const batch: Batch<M> = { msgs: [msg], closed: false }
    this.open = batch
    try {
      dispatch(this.ref, this.wrap(batch))
    } catch {
      // The actor is stopped: the asks behind this message time out or were closed.
      batch.closed = true
    }
  }
}

/**
 * A {@link Coalescer} to an actor that is spawned later: actors that talk both ways get
 * their senders before the other one exists. Messages sent before it exists are dropped.
 */
export class LateSender<M> implements Sender<M> {
  private inner: Coalescer<M> | undefined

  constructor (private readonly ref: () => Ref<M> | undefined, private readonly wrap: (batch: Batch<M>) => M) {}

  send (msg: M): void {
    if (this.inner === undefined) {
      const ref = this.ref()
      if (ref === undefined) return
      this.inner = new Coalescer(ref, this.wrap)
    }
    this.inner.send(msg)
  }
}

/**
 * Handles a {@link Coalescer} batch inside the actor: closes it (later messages start a new
 * batch) and applies `handle` to each message in order. One bad message must not cost the
 * others their turn, so a throw is contained to its message and reported through
 * `crashed` (which logs it, counts it and fails whoever waits on that message).
 */
export function handleBatch<S, M> (state: S, batch: Batch<M>, handle: (state: S, msg: M) => S, crashed: (msg: M, err: unknown) => void): S {
  batch.closed = true
  let s = state
  for (const m of batch.msgs) {
    try { s = handle(s, m) } catch (err) { crashed(m, err) }
  }
  // The sender's Coalescer keeps its last batch until the next message: emptied here, it
  // does not keep the messages (frames of writes, megabytes under a flood) alive after
  // their turn.
  batch.msgs = []
  return s
}

/**
 * The reply channel inside a message. Calling it more than once has no effect. `fail`,
 * when present, rejects the waiting caller instead (an actor that crashed on the message).
 */
export interface ReplyTo<T> {
  (reply: T): void
  fail?: (err: Error) => void
}

/** A reply channel over a promise's `resolve` and `reject`: the first call of either wins. */
export function replyChannel<T> (resolve: (value: T) => void, reject: (err: Error) => void): ReplyTo<T> {
  let settled = false
  const reply: ReplyTo<T> = (value: T) => {
    if (settled) return
    settled = true
    resolve(value)
  }
  reply.fail = (err: Error) => {
    if (settled) return
    settled = true
    reject(err)
  }
  return reply
}

/** One ask waiting for its reply: a link of its asker's list of pending asks. */
class PendingAsk<T> {
  private settled = false
  prev: PendingAsk<any> | undefined = undefined
  next: PendingAsk<any> | undefined = undefined

  constructor (
    readonly deadline: number,
    readonly timeoutMs: number,
    readonly what: string,
    private readonly resolve: (value: T) => void,
    private readonly reject: (err: Error) => void,
    private readonly asker: Asker
  ) {}

  /** The reply channel handed to the actor; later calls have no effect. */
  readonly reply: ReplyTo<T> = this.channel()

  fail (err: Error): void {
    if (this.settled) return
    this.settled = true
    this.asker.unlink(this)
    this.reject(err)
  }

  private channel (): ReplyTo<T> {
    const reply: ReplyTo<T> = (value: T) => {
      if (this.settled) return
      this.settled = true
      this.asker.unlink(this)
      this.resolve(value)
    }
    reply.fail = (err: Error) => this.fail(err)
    return reply
  }
}

/** Sends messages that expect one reply, with a deadline on each. */
export class Asker {
  /** Pending asks, oldest first: a list, not a Set, so asks coming and going allocate no tables. */
  private head: PendingAsk<any> | undefined = undefined
  private tail: PendingAsk<any> | undefined = undefined
  private count = 0
  private timer: NodeJS.Timeout | undefined
  private closed = false

  /** @param sweepMs how often deadlines are checked; a reply is late by at most this much. */
  constructor (private readonly sweepMs = 100) {}

  /**
   * Dispatches `build(replyTo)` to `ref` and resolves with the reply, or rejects with
   * {@link TimeoutError} after `timeoutMs`.
   */
  ask<T, M> (ref: Ref<M> | Sender<M>, build: (replyTo: ReplyTo<T>) => M, timeoutMs: number, what = 'actor'): Promise<T> {
    if (this.closed) return Promise.reject(new NodeStoppedError())
    // One promise and one record per ask: this is on every read and write.
    return new Promise<T>((resolve, reject) => {
      const p = new PendingAsk<T>(Date.now() + timeoutMs, timeoutMs, what, resolve, reject, this)
      this.link(p)
      this.arm()
      try {
        const msg = build(p.reply)
        if (ref instanceof Coalescer) ref.send(msg)
        else dispatch(ref as Ref<M>, msg)
      } catch (err) {
        p.fail(err instanceof Error ? err : new Error(String(err)))
      }
    })
  }

  /** Rejects everything still pending and refuses new asks. */
  close (): void {
    this.closed = true
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    while (this.head !== undefined) this.head.fail(new NodeStoppedError())
  }

  /** Requests still waiting for a reply. */
  get inFlight (): number {
    return this.count
  }

  /** Takes a settled ask out of the list. */
  unlink (p: PendingAsk<any>): void {
    if (p.prev !== undefined) p.prev.next = p.next
    else this.head = p.next
    if (p.next !== undefined) p.next.prev = p.prev
    else this.tail = p.prev
    p.prev = p.next = undefined
    this.count--
  }

  private link (p: PendingAsk<any>): void {
    p.prev = this.tail
    if (this.tail !== undefined) this.tail.next = p
    else this.head = p
    this.tail = p
    this.count++
  }

  private arm (): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => this.sweep(), this.sweepMs)
    this.timer.unref()
  }

  private sweep (): void {
    const now = Date.now()
    for (let p = this.head; p !== undefined;) {
      const next = p.next
      if (p.deadline <= now) p.fail(new TimeoutError(`${p.what} did not answer within ${p.timeoutMs} ms`))
      p = next
    }
    if (this.count === 0 && this.timer !== undefined) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }
}

/** Exhaustiveness check for message switches. Names the message type only: messages carry keys and values. */
export function assertNever (x: never): never {
  throw new Error(`unexpected message type ${String((x as { type?: unknown } | undefined)?.type)}`)
}

/** What actors are spawned under: an actor system or another actor (nact's `spawn` parent). */
export type ActorParent = Parameters<typeof spawn>[0]
