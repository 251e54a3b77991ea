/**
 * The state of the attestor, pure and synchronous: the open cycle and a ring buffer of
 * closed cycles indexed by `cycle % retained`, each holding at most `maxPerCycle` signed
 * attestations. Memory is bounded by `(retained + 1) × maxPerCycle` attestations whatever
 * the expiry rate, and a cycle older than the newest `retained` closed ones is gone.
 */
import type { Attestation, CycleSummary } from '../../src/wire/attestation.js'

/** One cycle and its proofs. Closed cycles are never changed again. */
export interface CycleState {
  readonly cycle: number
  readonly start: number
  readonly end: number
  readonly attestations: Attestation[]
  dropped: number
  closed: boolean
}

/** Sizing of a {@link AttestationLedger}. */
export interface LedgerInit {
  cycleMs: number
  /** Closed cycles kept. */
  retained: number
  maxPerCycle: number
}

/** The cycle a time falls in. */
export function cycleOf (time: number, cycleMs: number): number {
  return Math.floor(time / cycleMs)
}

/** A summary for listings. */
export function summarize (c: CycleState): CycleSummary {
  return { cycle: c.cycle, start: c.start, end: c.end, count: c.attestations.length, dropped: c.dropped, closed: c.closed }
}

/** Cycles of one node's attestations. */
export class AttestationLedger {
  readonly cycleMs: number
  readonly retained: number
  readonly maxPerCycle: number
  private current: CycleState
  private readonly ring: Array<CycleState | undefined>

  constructor (init: LedgerInit, now: number) {
    this.cycleMs = init.cycleMs
    this.retained = init.retained
    this.maxPerCycle = init.maxPerCycle
    this.ring = new Array<CycleState | undefined>(init.retained).fill(undefined)
    this.current = this.newCycle(cycleOf(now, init.cycleMs))
  }

  /** The open cycle. */
  get open (): CycleState { return this.current }

  /** Whether the open cycle has reached `maxPerCycle`. */
  get full (): boolean { return this.current.attestations.length >= this.maxPerCycle }

  /**
   * Closes every cycle that ended at or before `now` and opens the one `now` falls in.
   * Returns the cycles closed, oldest first. After a long gap only the newest `retained`
   * empty cycles are made, so a clock jump costs at most `retained` allocations.
   */
  roll (now: number): CycleState[] {
    const target = cycleOf(now, this.cycleMs)
    if (target <= this.current.cycle) return []
    const closed: CycleState[] = [this.close(this.current)]
    for (let c = Math.max(this.current.cycle + 1, target - this.retained); c < target; c++) closed.push(this.close(this.newCycle(c)))
    this.current = this.newCycle(target)
    return closed
  }

  /** Adds a signed attestation to the open cycle. The caller checks {@link full} first. */
  add (att: Attestation): void {
    this.current.attestations.push(att)
  }

  /** Counts a flagged expiry that did not fit. */
  drop (): void {
    this.current.dropped++
  }

  /** A retained cycle (open or closed), or undefined. */
  get (cycle: number): CycleState | undefined {
    if (cycle === this.current.cycle) return this.current
    const c = this.ring[cycle % this.retained]
    return c !== undefined && c.cycle === cycle ? c : undefined
  }

  /** The most recently closed cycle still retained. */
  latestClosed (): CycleState | undefined {
    return this.get(this.current.cycle - 1) ?? this.closedCycles().at(-1)
  }

  /** Retained closed cycles, oldest first. */
  closedCycles (): CycleState[] {
    return this.ring.filter((c): c is CycleState => c !== undefined).sort((a, b) => a.cycle - b.cycle)
  }

  /** Every retained cycle, oldest first, the open one last. */
  cycles (): CycleState[] {
    return [...this.closedCycles(), this.current]
  }

  /** Every retained attestation with this key hash, oldest first. */
  find (keyHash: string): Attestation[] {
    const out: Attestation[] = []
    for (const c of this.cycles()) for (const a of c.attestations) if (a.keyHash === keyHash) out.push(a)
    return out
  }

  /** Attestations held in all retained cycles (for gauges and tests). */
  get size (): number {
    let n = 0
    for (const c of this.cycles()) n += c.attestations.length
    return n
  }

  private newCycle (cycle: number): CycleState {
    return { cycle, start: cycle * this.cycleMs, end: (cycle + 1) * this.cycleMs, attestations: [], dropped: 0, closed: false }
  }

  private close (c: CycleState): CycleState {
    c.closed = true
    Object.freeze(c.attestations)
    this.ring[c.cycle % this.retained] = c
    return c
  }
}
