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
  /** A libp2p connection to it is open. */
  connected: boolean
  /**
   * In this node's active view: connected, or among the `activePeers` members this node
   * keeps connected. Only active members are pinged, synced with and asked in
   * read-through; the others are known from their announces only.
   */
  active: boolean
  /** Among the `activePeers` members this node itself keeps connected (it dials them). */
  preferred: boolean
  /**
   * The jurisdiction it declared itself (its signed announce, its own sync stream): a code,
   * null when it declares none; absent until it has said.
   */
  jurisdiction?: string | null
}

/**
 * Rank key of `member` in the active view of `self`: a hash of both ids, so each node
 * prefers a different, stable set of members and the connections form a random graph
 * rather than a star around the lowest ids.
 */
export function activeRank (self: string, member: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < self.length; i++) h = Math.imul(h ^ self.charCodeAt(i), 0x01000193)
  h = Math.imul(h ^ 0x2f, 0x01000193)
  for (let i = 0; i < member.length; i++) h = Math.imul(h ^ member.charCodeAt(i), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  return h >>> 0
}

/** Timing rules of the table. */
export interface MembershipTiming {
  memberTtlMs: number
  pingFailures: number
  /** Members kept connected and pinged besides those already connected (0 = every member). @default 0 */
  activePeers?: number
  /** This node's peer id (ranks the active view). @default '' */
  self?: string
}

/**
 * Announces per ping interval across the whole enclave while the enclave is small (issue
 * 15: each node hears about this many, whatever the enclave's size). It was 10: a node of
 * 7 then heard 7 announces per ping interval, each also forwarded by the mesh, against 3
 * in a 3-node cluster, and idle CPU per node grew with N (31 → 24 ms/s per node at 7
 * nodes with announces every 15 s instead of 5).
 */
export const ENCLAVE_ANNOUNCES_PER_PING = 3

/**
 * How often a node announces itself on gossip. Announces are how members that have not
 * met learn of each other and how a peer we cannot ping stays known (members we can ping
 * are kept alive by their ping answers). Every node receives every announce, so the
 * interval grows with the enclave: one ping interval per {@link ENCLAVE_ANNOUNCES_PER_PING}
 * members, so the enclave sends about that many announces per ping interval whatever its
 * size (a 3-node cluster still hears from each member every ping interval, a 7-node one
 * every third); and at most `memberTtlMs`/3, so a live peer survives two lost announces.
 * Without `pingIntervalMs`: `memberTtlMs`/3.
 */
export function announceIntervalMs (memberTtlMs: number, pingIntervalMs?: number, members = 0): number {
  const cap = Math.max(10, Math.floor(memberTtlMs / 3))
  if (pingIntervalMs === undefined) return cap
  const scaled = pingIntervalMs * Math.max(1, Math.ceil((members + 1) / ENCLAVE_ANNOUNCES_PER_PING))
  return Math.max(10, Math.min(cap, scaled))
}

/**
 * Spread of the announce timer: each wait is drawn from [1 − ANNOUNCE_JITTER, 1] × the
 * interval, so nodes that started together drift apart instead of announcing in
 * lockstep (a burst of N announces, each delivered to N nodes).
 */
export const ANNOUNCE_JITTER = 0.25

/** A jittered wait of at most `intervalMs` (see {@link ANNOUNCE_JITTER}). */
export function announceWaitMs (intervalMs: number, random: () => number = Math.random): number {
  return Math.max(1, Math.round(intervalMs * (1 - ANNOUNCE_JITTER * random())))
}

/**
 * What to do when the announce timer fires, `quietMs` after this node last published on
 * gossip (a write or an announce), in a cycle whose (jittered) wait is `waitMs`. Every
 * gossip message is signed by its author and is a sign of life to every member that
 * receives it, so an announce is due only when the node has been quiet for the wait;
 * otherwise the timer fires again when it would have been (same wait). After an announce
 * the next cycle draws a new wait from `intervalMs`. Members therefore hear from a node at
 * least every `intervalMs`, and a node that writes more often than it would announce
 * never announces.
 */
export function announceDue (intervalMs: number, waitMs: number, quietMs: number, random: () => number = Math.random): { announce: boolean, waitMs: number, delayMs: number } {
  // Slack of 5% (+1 ms): timers run on the event loop's cached, whole-millisecond clock
  // and can fire a little early by `quietMs`'s clock. Announcing early is always safe.
  if (quietMs >= waitMs * 0.95 - 1) {
    const next = announceWaitMs(intervalMs, random)
    return { announce: true, waitMs: next, delayMs: next }
  }
  return { announce: false, waitMs, delayMs: waitMs - quietMs }
}

/**
 * Bootstrap re-dial backoff: the wait after `failures` consecutive failed dials of one
 * address, doubling from `minMs` up to `maxMs`.
 */
export function redialDelayMs (failures: number, minMs: number, maxMs: number): number {
  if (failures <= 0) return 0
  return Math.min(maxMs, minMs * 2 ** Math.min(30, failures - 1))
}

function sameList (a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Whether a member last seen at `lastSeen` is forgotten at `now`. */
export function isForgotten (lastSeen: number, now: number, memberTtlMs: number): boolean {
  return now - lastSeen >= memberTtlMs
}

/** What changed after an update. */
export type MemberChange = 'joined' | 'updated' | 'recovered' | 'unhealthy' | 'none'

export class MembershipTable {
  private readonly members = new Map<string, Member>()
  /** Cache of the preferred members (see preferredIds); cleared when the member set changes. */
  private preferred: Set<string> | undefined
  /** Peers that left gracefully, and when: late signals from them are ignored until they reconnect. */
  private readonly departed = new Map<string, number>()

  constructor (private readonly timing: MembershipTiming) {}

  /** Number of members (the enclave size is this plus one). */
  get size (): number { return this.members.size }

  /** A sign of life from `id` (subscription, gossip, announce); `connected` when it came over an open connection. */
  seen (id: string, now: number, addresses?: string[], connected?: boolean): MemberChange {
    const m = this.members.get(id)
    if (m === undefined) {
      if (this.departed.has(id) || this.members.size >= MAX_MEMBERS) return 'none'
      this.members.set(id, { id, addresses: addresses ?? [], rttMs: null, failures: 0, lastSeen: now, healthy: true, connected: connected === true, active: false, preferred: false })
      this.preferred = undefined
      return 'joined'
    }
    // 'updated' only when the published view would change beyond lastSeen: an announce
    // that repeats what we know must not copy the whole view (N announces per interval).
    let changed = false
    if (connected === true && !m.connected) { m.connected = true; changed = true }
    m.lastSeen = Math.max(m.lastSeen, now)
    if (addresses !== undefined && addresses.length > 0 && !sameList(m.addresses, addresses)) { m.addresses = addresses; changed = true }
    return changed ? 'updated' : 'none'
  }

  /** A member's own statement of its jurisdiction: 'updated' when it changed what we knew. */
  declare (id: string, jurisdiction: string | null): MemberChange {
    const m = this.members.get(id)
    if (m === undefined || m.jurisdiction === jurisdiction) return 'none'
    m.jurisdiction = jurisdiction
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
    this.preferred = undefined
    return this.members.delete(id)
  }

  /** A new connection from `id`: a peer that left may join again. */
  reconnected (id: string): void {
    this.departed.delete(id)
    const m = this.members.get(id)
    if (m !== undefined) m.connected = true
  }

  /** The last connection to `id` closed. */
  disconnected (id: string): void {
    const m = this.members.get(id)
    if (m !== undefined) m.connected = false
  }

  /**
   * Ids of the active view: every connected member plus the `activePeers` members of
   * lowest {@link activeRank} (all members when `activePeers` is 0). Also sets `active`.
   */
  activeIds (): string[] {
    const preferred = this.preferredIds()
    const out: string[] = []
    for (const m of this.members.values()) {
      m.preferred = preferred === undefined || preferred.has(m.id)
      m.active = m.preferred || m.connected
      if (m.active) out.push(m.id)
    }
    return out
  }

  /**
   * The `activePeers` members of lowest rank, or undefined when every member is preferred
   * (`activePeers` 0, or no more members than that). Cached until a member joins or goes.
   */
  private preferredIds (): Set<string> | undefined {
    const k = this.timing.activePeers ?? 0
    if (k <= 0 || this.members.size <= k) return undefined
    if (this.preferred === undefined) {
      const self = this.timing.self ?? ''
      const ranked = [...this.members.keys()].map(id => ({ id, r: activeRank(self, id) })).sort((a, b) => a.r - b.r)
      this.preferred = new Set(ranked.slice(0, k).map(x => x.id))
    }
    return this.preferred
  }

  /** Whether `id` is in the active view (see {@link activeIds}). */
  isActive (id: string): boolean {
    const m = this.members.get(id)
    return m !== undefined && (m.connected || this.isPreferred(id))
  }

  /** Whether `id` is among the `activePeers` members of lowest rank (every member when 0). */
  isPreferred (id: string): boolean {
    if (!this.members.has(id)) return false
    const preferred = this.preferredIds()
    return preferred === undefined || preferred.has(id)
  }

  /** Forgets members not seen within `memberTtlMs`. Returns their ids. */
  expire (now: number): string[] {
    const gone: string[] = []
    for (const m of this.members.values()) {
      if (isForgotten(m.lastSeen, now, this.timing.memberTtlMs)) gone.push(m.id)
    }
    for (const id of gone) this.members.delete(id)
    if (gone.length > 0) this.preferred = undefined
    for (const [id, at] of this.departed) if (isForgotten(at, now, this.timing.memberTtlMs)) this.departed.delete(id)
    return gone
  }

  get (id: string): Member | undefined {
    return this.members.get(id)
  }

  /** Copies of every member, with `active` brought up to date. */
  list (): Member[] {
    this.activeIds()
    return [...this.members.values()].map(m => ({ ...m, addresses: [...m.addresses] }))
  }
}
