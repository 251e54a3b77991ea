/**
 * Per-peer memory budgets (DESIGN §4: "Memory held on behalf of any one peer, across
 * every inbound protocol, is capped"). Every byte this node reads from a peer's inbound
 * replicate, sync or blob stream is charged to that peer from the moment it arrives
 * (before a frame is even complete) until the work it asked for is answered; every value
 * pulled on a peer's behalf (a replicate or gossip announcement, a read-through answer) is
 * charged to it while the pull runs. A charge that would take one peer past
 * `peerMemoryBudgetBytes` is refused: the stream it arrived on is reset, or the pull
 * fails, and `repram_peer_budget_refusals_total{protocol}` counts it; a peer already at
 * its cap has its new streams refused at once.
 *
 * A plain object, not an actor: the stream handlers charge and release synchronously on
 * every chunk, and a mailbox would only add a turn to each.
 *
 * @example
 * const budgets = new PeerBudgets({ capBytes: 64 * 1024 * 1024 })
 * const account = budgets.account(peerId, 'replicate')
 * if (!account.charge(chunk.byteLength)) stream.abort(new Error('peer over its memory budget'))
 * account.release(frameBytes) // once the frame is answered
 * account.close() // the stream ended: whatever is left is released
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Stream } from '@libp2p/interface'

/** The inbound protocols whose memory is charged (a small enum: metrics label). */
export type BudgetProtocol = 'replicate' | 'sync' | 'blob' | 'gossip'

/** Every {@link BudgetProtocol}, for metrics and tests. */
export const BUDGET_PROTOCOLS: readonly BudgetProtocol[] = ['replicate', 'sync', 'blob', 'gossip']

/** A peer's charge went past its cap. `name` matched by callers. */
export class BudgetExceededError extends Error {
  override readonly name = 'BudgetExceededError'
  constructor (readonly protocol: BudgetProtocol) {
    super(`peer over its memory budget (${protocol})`)
  }
}

/** The budget metrics: labels are small enums only, never peer ids. */
export interface BudgetMetrics {
  /** `stat`: `held` (all peers now), `max_peer` (the most held for one peer now), `peak_peer` (the most ever held for one peer). */
  bytes: Gauge<'stat'>
  refusals: Counter<'protocol'>
}

const BYTES_METRIC = 'repram_peer_memory_bytes'
const REFUSALS_METRIC = 'repram_peer_budget_refusals_total'

/** The budgets each registry's gauge reads (a node restarted on the same registry gets new budgets). */
const current = new WeakMap<Registry, PeerBudgets>()

/**
 * Registers the budget metrics on `registry` (or finds them there: a node restarted on the
 * same registry), reads `budgets` from now on, and sets them on it.
 */
export function budgetMetrics (registry: Registry, budgets: PeerBudgets): BudgetMetrics {
  current.set(registry, budgets)
  const registers = [registry]
  const bytes = (registry.getSingleMetric(BYTES_METRIC) as Gauge<'stat'> | undefined) ?? new Gauge({
    name: BYTES_METRIC,
    help: 'Memory held on behalf of peers by the inbound protocols (stat: held = all peers now, max_peer = the most held for one peer now, peak_peer = the most ever held for one peer); capped per peer by peerMemoryBudgetBytes',
    labelNames: ['stat'],
    registers,
    collect () {
      const b = current.get(registry)
      if (b === undefined) return
      this.set({ stat: 'held' }, b.total)
      this.set({ stat: 'max_peer' }, b.maxHeld())
      this.set({ stat: 'peak_peer' }, b.peak)
    }
  })
  const refusals = (registry.getSingleMetric(REFUSALS_METRIC) as Counter<'protocol'> | undefined) ?? new Counter({
    name: REFUSALS_METRIC,
    help: 'Streams reset or refused, and pulls failed, because a peer reached its memory budget (protocol: replicate, sync, blob; a value pulled for a gossip author counts as blob)',
    labelNames: ['protocol'],
    registers
  })
  const metrics = { bytes, refusals }
  budgets.metrics = metrics
  return metrics
}

/** What a {@link PeerBudgets} is built from. */
export interface PeerBudgetsInit {
  /** Most bytes held on behalf of one peer. */
  capBytes: number
  /** Counts refusals; settable later (the registry comes with the node). */
  metrics?: BudgetMetrics
  /** Told of each refusal with the peer it holds against (reputation: a `budget` penalty). */
  onRefusal?: (peer: string, protocol: BudgetProtocol) => void
}

/** The memory held on behalf of each peer, and its cap. */
export class PeerBudgets {
  private readonly held = new Map<string, number>()
  /** Bytes held for all peers. */
  total = 0
  /** The most ever held for one peer (tests, the `peak_peer` gauge). */
  peak = 0
  metrics: BudgetMetrics | undefined

  constructor (private readonly init: PeerBudgetsInit) {
    this.metrics = init.metrics
  }

  /** The cap of one peer. */
  get capBytes (): number { return this.init.capBytes }

  /** Bytes held for `peer` now. */
  heldBy (peer: string): number { return this.held.get(peer) ?? 0 }

  /** The most held for one peer now. */
  maxHeld (): number {
    let max = 0
    for (const n of this.held.values()) if (n > max) max = n
    return max
  }

  /** True when `peer` holds its whole cap: its new streams are refused. */
  full (peer: string): boolean { return this.heldBy(peer) >= this.init.capBytes }

  /** Charges `n` bytes to `peer`; false (nothing charged) when that would pass the cap. */
  charge (peer: string, n: number): boolean {
    if (n <= 0) return true
    const now = this.heldBy(peer) + n
    if (now > this.init.capBytes) return false
    this.held.set(peer, now)
    this.total += n
    if (now > this.peak) this.peak = now
    return true
  }

  /** Gives back `n` bytes charged to `peer`. */
  release (peer: string, n: number): void {
    if (n <= 0) return
    const was = this.heldBy(peer)
    const give = Math.min(was, n)
    if (was - give === 0) this.held.delete(peer)
    else this.held.set(peer, was - give)
    this.total -= give
  }

  /** Counts one refusal (of `peer`'s stream or pull, when known). */
  refused (protocol: BudgetProtocol, peer?: string): void {
    this.metrics?.refusals.inc({ protocol })
    if (peer !== undefined) this.init.onRefusal?.(peer, protocol)
  }

  /** A running account of one stream or pull: never gives back more than it took. */
  account (peer: string, protocol: BudgetProtocol): BudgetAccount {
    return new BudgetAccount(this, peer, protocol)
  }
}

/** Bytes charged to one peer for one stream or pull; {@link close} gives back the rest. */
export class BudgetAccount {
  /** Bytes charged and not yet released. */
  charged = 0
  private closed = false

  constructor (private readonly budgets: PeerBudgets, readonly peer: string, readonly protocol: BudgetProtocol) {}

  /** Charges `n` bytes; false (and a refusal counted) when the peer would pass its cap. */
  charge (n: number): boolean {
    if (this.closed || !this.budgets.charge(this.peer, n)) {
      this.budgets.refused(this.protocol, this.peer)
      return false
    }
    this.charged += n
    return true
  }

  /** Gives back up to `n` bytes of this account. */
  release (n: number): void {
    const give = Math.min(n, this.charged)
    this.charged -= give
    this.budgets.release(this.peer, give)
  }

  /** Gives back everything; later charges are refused. Safe to call twice. */
  close (): void {
    this.release(this.charged)
    this.closed = true
  }
}

/**
 * Charges every chunk that arrives on `stream` to `account`, from the moment it arrives
 * (a frame is charged while it is still being received). A chunk that takes the peer past
 * its cap resets the stream. Returns the function that stops metering (the account is
 * left as it is: the caller releases what it answered).
 */
export function meterStream (stream: Stream, account: BudgetAccount): () => void {
  const onMessage = (evt: Event): void => {
    const data = (evt as Event & { data?: { byteLength: number } }).data
    if (data === undefined) return
    if (!account.charge(data.byteLength)) {
      stream.removeEventListener('message', onMessage)
      // Let the current dispatch finish first, as lpStream does on overflow.
      queueMicrotask(() => stream.abort(new BudgetExceededError(account.protocol)))
    }
  }
  stream.addEventListener('message', onMessage)
  return () => stream.removeEventListener('message', onMessage)
}

/** Bytes a length-prefixed frame of `n` bytes took on the wire (payload and varint prefix). */
export function framedBytes (n: number): number {
  let len = 1
  let v = n
  while (v >= 0x80) { v = Math.floor(v / 128); len++ }
  return n + len
}
