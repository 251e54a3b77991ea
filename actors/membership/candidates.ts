/**
 * Unverified candidates (DESIGN §4, issue 16 §2): peers this node has heard of (an
 * announce relayed by a member, a peer-exchange answer) but not verified. A candidate
 * counts for nothing (no quorum size, no peer exchange, no pings) until a dial to its
 * announced addresses completes the REPRAM handshake; then it leaves the pool and joins
 * the member table. Pure and synchronous (time is passed in) so every cap and backoff is
 * tested without a network; the membership actor owns one pool.
 *
 * Bounds, each a config field:
 * - `max` candidates in all;
 * - `perSource` per member that vouched for them (relayed the announce, or named them in
 *   an exchange): a member passing on a forgery flood fills only its own share;
 * - `perRange` per announced address range ({@link addressRange}): fakes made from one
 *   network share one quota;
 * - dials: a token bucket of `dialRate` per second (burst 2×), and after a candidate's
 *   dial fails, its source and its ranges back off ({@link backoffDelayMs}), so
 *   attacker-chosen addresses get a bounded trickle of dials.
 */
import { CANDIDATE_BACKOFF_MAX_MS, CANDIDATE_BACKOFF_MIN_MS } from './constants.js'

/** Why a candidate was not taken (a metrics label). */
export type CandidateRefusal = 'pool_full' | 'source_cap' | 'range_cap' | 'no_address' | 'unverified_source'

/** Every refusal reason, for metrics. */
export const CANDIDATE_REFUSALS: readonly CandidateRefusal[] = ['pool_full', 'source_cap', 'range_cap', 'no_address', 'unverified_source']

/** One unverified peer. */
export interface Candidate {
  readonly id: string
  readonly addresses: string[]
  /** The member that vouched for it. */
  readonly source: string
  /** Distinct ranges of its addresses. */
  readonly ranges: string[]
  lastSeen: number
  dialling: boolean
}

/** The caps of a pool. */
export interface CandidateCaps {
  max: number
  perSource: number
  perRange: number
  /** Verification dials per second (burst 2×); 0: never dial. */
  dialRate: number
}

/**
 * The range an address counts against: the /24 of an IPv4 address, the /48 of an IPv6
 * one, the name of a DNS address; an in-memory (`/memory/…`) address is its own range
 * (tests and simulations in one process); anything else, its first protocol.
 */
export function addressRange (addr: string): string {
  const parts = addr.split('/')
  const proto = parts[1] ?? ''
  const value = parts[2] ?? ''
  switch (proto) {
    case 'ip4': {
      const octets = value.split('.')
      return octets.length === 4 ? `ip4/${octets.slice(0, 3).join('.')}` : `ip4/${value}`
    }
    case 'ip6': return `ip6/${ip6Prefix48(value)}`
    case 'dns': case 'dns4': case 'dns6': case 'dnsaddr': return `dns/${value.toLowerCase()}`
    case 'memory': return `memory/${value}`
    default: return proto
  }
}

/** The first three groups (48 bits) of an IPv6 address in text form. */
function ip6Prefix48 (text: string): string {
  const lower = text.toLowerCase().split('%')[0]
  const [head, tail] = lower.split('::')
  const h = head === '' ? [] : head.split(':')
  let groups = h
  if (tail !== undefined) {
    const t = tail === '' ? [] : tail.split(':')
    groups = [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
  }
  return groups.slice(0, 3).map(g => g.replace(/^0+(?=.)/, '')).join(':')
}

/** Backoff after `failures` consecutive failed candidate dials of one source or range. */
export function backoffDelayMs (failures: number, minMs = CANDIDATE_BACKOFF_MIN_MS, maxMs = CANDIDATE_BACKOFF_MAX_MS): number {
  if (failures <= 0) return 0
  return Math.min(maxMs, minMs * 2 ** Math.min(30, failures - 1))
}

interface Backoff { failures: number, nextAt: number }

/** What {@link CandidatePool.offer} did. */
export type OfferResult = 'added' | 'known' | CandidateRefusal

export class CandidatePool {
  private readonly candidates = new Map<string, Candidate>()
  private readonly perSource = new Map<string, number>()
  private readonly perRange = new Map<string, number>()
  /** Backoffs by `s:<source>` and `r:<range>`; dropped once their wait is over and nothing failed since. */
  private readonly backoff = new Map<string, Backoff>()
  private tokens: number
  private refilledAt: number

  constructor (private readonly caps: CandidateCaps, now: number) {
    this.tokens = this.burst
    this.refilledAt = now
  }

  private get burst (): number { return Math.max(1, this.caps.dialRate * 2) }

  get size (): number { return this.candidates.size }

  has (id: string): boolean { return this.candidates.has(id) }

  get (id: string): Candidate | undefined { return this.candidates.get(id) }

  /** Candidates vouched for by `source` (tests, metrics). */
  fromSource (source: string): number { return this.perSource.get(source) ?? 0 }

  /**
   * A peer heard of through `source` (already checked to be a verified member). A known
   * candidate is only refreshed (its source and addresses stay those it was first heard
   * with); a new one is taken if every cap has room.
   */
  offer (id: string, addresses: readonly string[] | undefined, source: string, now: number): OfferResult {
    const known = this.candidates.get(id)
    if (known !== undefined) {
      known.lastSeen = Math.max(known.lastSeen, now)
      return 'known'
    }
    if (addresses === undefined || addresses.length === 0) return 'no_address'
    if (this.candidates.size >= this.caps.max) return 'pool_full'
    if ((this.perSource.get(source) ?? 0) >= this.caps.perSource) return 'source_cap'
    const ranges = [...new Set(addresses.map(addressRange))]
    if (ranges.some(r => (this.perRange.get(r) ?? 0) >= this.caps.perRange)) return 'range_cap'
    this.candidates.set(id, { id, addresses: [...addresses], source, ranges, lastSeen: now, dialling: false })
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1)
    for (const r of ranges) this.perRange.set(r, (this.perRange.get(r) ?? 0) + 1)
    return 'added'
  }

  /** Removes a candidate (verified, failed, left or expired). Returns whether it was one. */
  remove (id: string): boolean {
    const c = this.candidates.get(id)
    if (c === undefined) return false
    this.candidates.delete(id)
    decrement(this.perSource, c.source)
    for (const r of c.ranges) decrement(this.perRange, r)
    return true
  }

  /**
   * The next candidate to dial at `now`, marked as dialling, with a dial token spent; or
   * undefined when no token is left or every waiting candidate's source or range backs off.
   */
  nextDial (now: number): Candidate | undefined {
    if (this.caps.dialRate <= 0) return undefined
    this.refill(now)
    if (this.tokens < 1) return undefined
    for (const c of this.candidates.values()) {
      if (c.dialling || !this.ready(c, now)) continue
      this.tokens -= 1
      c.dialling = true
      return c
    }
    return undefined
  }

  /**
   * When a dial could next start (a token refills or a backoff ends), or undefined when no
   * candidate waits. Used to arm one timer.
   */
  nextDialAt (now: number): number | undefined {
    if (this.caps.dialRate <= 0) return undefined
    let at: number | undefined
    for (const c of this.candidates.values()) {
      if (c.dialling) continue
      const ready = Math.max(this.readyAt(`s:${c.source}`), ...c.ranges.map(r => this.readyAt(`r:${r}`)))
      at = at === undefined ? ready : Math.min(at, ready)
    }
    if (at === undefined) return undefined
    this.refill(now)
    const tokenAt = this.tokens >= 1 ? now : now + Math.ceil((1 - this.tokens) * 1000 / this.caps.dialRate)
    return Math.max(at, tokenAt, now)
  }

  /** A candidate's dial ended: a success clears the backoff of its source and ranges, a failure lengthens it. */
  dialled (c: Candidate, ok: boolean, now: number): void {
    for (const key of [`s:${c.source}`, ...c.ranges.map(r => `r:${r}`)]) {
      if (ok) {
        this.backoff.delete(key)
        continue
      }
      const b = this.backoff.get(key) ?? { failures: 0, nextAt: now }
      b.failures++
      b.nextAt = now + backoffDelayMs(b.failures)
      this.backoff.set(key, b)
    }
  }

  /** Forgets candidates not heard of within `ttlMs` (and backoffs long over). Returns their ids. */
  expire (now: number, ttlMs: number): string[] {
    const gone: string[] = []
    for (const c of this.candidates.values()) if (!c.dialling && now - c.lastSeen >= ttlMs) gone.push(c.id)
    for (const id of gone) this.remove(id)
    for (const [key, b] of this.backoff) if (now - b.nextAt >= CANDIDATE_BACKOFF_MAX_MS * 2) this.backoff.delete(key)
    return gone
  }

  private ready (c: Candidate, now: number): boolean {
    if (this.readyAt(`s:${c.source}`) > now) return false
    for (const r of c.ranges) if (this.readyAt(`r:${r}`) > now) return false
    return true
  }

  private readyAt (key: string): number {
    return this.backoff.get(key)?.nextAt ?? -Infinity
  }

  private refill (now: number): void {
    const elapsed = Math.max(0, now - this.refilledAt)
    this.refilledAt = now
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.caps.dialRate / 1000)
  }
}

function decrement (m: Map<string, number>, key: string): void {
  const n = (m.get(key) ?? 0) - 1
  if (n <= 0) m.delete(key)
  else m.set(key, n)
}
