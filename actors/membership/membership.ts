/**
 * The membership table: enclave peers with their addresses, ping RTT, consecutive ping
 * failures and when they were last seen. Pure and synchronous (time is passed in), so the
 * timing rules are tested without a network; the actor in `index.ts` owns one table.
 *
 * Rules (DESIGN §4):
 * - a peer counts toward the quorum size while it was seen within `memberTtlMs`,
 *   reachable or not; a graceful leave removes it at once;
 * - a peer that failed `pingFailures` consecutive pings is unhealthy (not a replica
 *   candidate) until a ping succeeds again.
 */
import { MAX_MEMBERS } from './constants.js'

/** One enclave peer. */
export interface Member {
  readonly id: string
  addresses: string[]
  rttMs: number | null
  failures: number
  lastSeen: number
  healthy: boolean
}

/** Timing rules of the table. */
export interface MembershipTiming {
  memberTtlMs: number
  pingFailures: number
}

/** Quorum size for a write: `floor(min(R, enclaveSize)/2)+1` copies including the writer's. */
export function quorumSize (replication: number, enclaveSize: number): number {
  return Math.floor(Math.min(replication, Math.max(1, enclaveSize)) / 2) + 1
}

/** How often a node announces itself: often enough that a live peer is never forgotten. */
export function announceIntervalMs (memberTtlMs: number, pingIntervalMs: number): number {
  return Math.max(10, Math.min(pingIntervalMs, Math.floor(memberTtlMs / 3)))
}

/** Whether a member last seen at `lastSeen` is forgotten at `now`. */
export function isForgotten (lastSeen: number, now: number, memberTtlMs: number): boolean {
  return now - lastSeen >= memberTtlMs
}

/** What changed after an update. */
export type MemberChange = 'joined' | 'updated' | 'recovered' | 'unhealthy' | 'none'

export class MembershipTable {
  private readonly members = new Map<string, Member>()
  /** Peers that left gracefully, and when: late signals from them are ignored until they reconnect. */
  private readonly departed = new Map<string, number>()

  constructor (private readonly timing: MembershipTiming) {}

  /** Number of members (the enclave size is this plus one). */
  get size (): number { return this.members.size }

  /** A sign of life from `id` (subscription, gossip, announce). */
  seen (id: string, now: number, addresses?: string[]): MemberChange {
    const m = this.members.get(id)
    if (m === undefined) {
      if (this.departed.has(id) || this.members.size >= MAX_MEMBERS) return 'none'
      this.members.set(id, { id, addresses: addresses ?? [], rttMs: null, failures: 0, lastSeen: now, healthy: true })
      return 'joined'
    }
    m.lastSeen = Math.max(m.lastSeen, now)
    if (addresses !== undefined && addresses.length > 0) m.addresses = addresses
    return 'updated'
  }

  /** A ping answered: the member is seen and healthy again. */
  pingOk (id: string, rttMs: number, now: number): MemberChange {
    const m = this.members.get(id)
    if (m === undefined) return 'none'
    m.rttMs = rttMs
    m.failures = 0
    m.lastSeen = Math.max(m.lastSeen, now)
    if (!m.healthy) {
      m.healthy = true
      return 'recovered'
    }
    return 'updated'
  }

  /** A ping failed. */
  pingFailed (id: string): MemberChange {
    const m = this.members.get(id)
    if (m === undefined) return 'none'
    m.failures++
    if (m.healthy && m.failures >= this.timing.pingFailures) {
      m.healthy = false
      return 'unhealthy'
    }
    return 'updated'
  }

  /**
   * A graceful leave: removed at once. Signals still in flight from it are ignored until it
   * opens a new connection ({@link reconnected}) or `memberTtlMs` passes. Returns whether
   * it was a member.
   */
  leave (id: string, now: number): boolean {
    this.departed.set(id, now)
    return this.members.delete(id)
  }

  /** A new connection from `id`: a peer that left may join again. */
  reconnected (id: string): void {
    this.departed.delete(id)
  }

  /** Forgets members not seen within `memberTtlMs`. Returns their ids. */
  expire (now: number): string[] {
    const gone: string[] = []
    for (const m of this.members.values()) {
      if (isForgotten(m.lastSeen, now, this.timing.memberTtlMs)) gone.push(m.id)
    }
    for (const id of gone) this.members.delete(id)
    for (const [id, at] of this.departed) if (isForgotten(at, now, this.timing.memberTtlMs)) this.departed.delete(id)
    return gone
  }

  get (id: string): Member | undefined {
    return this.members.get(id)
  }

  /** Copies of every member. */
  list (): Member[] {
    return [...this.members.values()].map(m => ({ ...m, addresses: [...m.addresses] }))
  }
}
