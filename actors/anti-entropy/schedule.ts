/**
 * Who to sync with next. Pure and synchronous, so the rules are tested without a network:
 * - triggered peers (join, reconnect, recovery) go first, in arrival order, each once;
 * - periodic rounds walk a shuffled rotation of the healthy peers, so every peer is
 *   visited once per `peers × interval` (this gives the convergence bound in
 *   docs/consistency.md) while the order stays random;
 * - a peer with a round in flight is never picked twice.
 */
import { MAX_PENDING_TRIGGERS } from './constants.js'

/** The scheduling state of one node. */
export class SyncSchedule {
  private healthy: string[] = []
  private rotation: string[] = []
  private readonly triggered = new Set<string>()
  private readonly running = new Set<string>()

  constructor (private readonly random: () => number = Math.random) {}

  /** Replaces the set of healthy peers. Pending triggers of peers that are gone are kept until they return. */
  setPeers (ids: readonly string[]): void {
    this.healthy = [...ids]
    const known = new Set(ids)
    this.rotation = this.rotation.filter(id => known.has(id))
  }

  /** Asks for a round with `id` as soon as possible. */
  trigger (id: string): void {
    if (this.triggered.size >= MAX_PENDING_TRIGGERS && !this.triggered.has(id)) return
    this.triggered.add(id)
  }

  /** The next triggered peer that is healthy and idle, or undefined. */
  nextTriggered (): string | undefined {
    const healthy = new Set(this.healthy)
    for (const id of this.triggered) {
      if (healthy.has(id) && !this.running.has(id)) {
        this.triggered.delete(id)
        return id
      }
    }
    return undefined
  }

  /** The next peer of the rotation (a fresh shuffle when it runs out), or undefined. */
  nextPeriodic (): string | undefined {
    for (let tries = 0; tries < 2; tries++) {
      while (this.rotation.length > 0) {
        const id = this.rotation.shift() as string
        if (!this.running.has(id) && this.healthy.includes(id)) return id
      }
      this.rotation = shuffle([...this.healthy], this.random)
    }
    return undefined
  }

  /** Marks a round as started or finished. */
  started (id: string): void { this.running.add(id) }
  finished (id: string): void { this.running.delete(id) }

  get inFlight (): number { return this.running.size }
  get pending (): number { return this.triggered.size }
}

/** Fisher–Yates. */
export function shuffle<T> (a: T[], random: () => number = Math.random): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = a[i]
    a[i] = a[j]
    a[j] = t
  }
  return a
}

/**
 * The documented bound on convergence once membership has healed (docs/consistency.md):
 * a holder of a record visits every healthy peer within two rotations (the peer may have
 * been first in the rotation that was under way), and each visit pushes what the peer
 * lacks, so `2 × peers × interval` plus one round.
 */
export function convergenceBoundMs (peers: number, intervalMs: number, roundTimeoutMs: number): number {
  return 2 * Math.max(1, peers) * intervalMs + roundTimeoutMs
}
