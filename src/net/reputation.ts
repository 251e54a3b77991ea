/**
 * Peer reputation (issue 16 Build 3, seed phase 4 "node reliability scoring and
 * selection"): what this node observed of each peer, as one number, and a token bucket on
 * the writes each peer sends over p2p.
 *
 * The score has three parts, each decaying on the injected clock:
 * - **faults**, what no honest node produces (invalid writes on replicate or gossip, a
 *   peer over its memory budget): heavy weights, a long half-life, no floor. A few of
 *   them take a peer below `peerGraylistScore`;
 * - **flakiness**, what an honest peer on a bad link also shows (failed pings, failed
 *   pulls, replicate sends that failed, writes past its rate): light weights, a short
 *   half-life, and a floor: together they never lower the score by more than
 *   `|peerGraylistScore| / 10`, which is above gossipsub's gossip threshold
 *   (`peerGraylistScore / 8`). An honest peer on a flaky link is ordered after the others
 *   as a replica, never graylisted nor disconnected;
 * - **rewards** (answered replicates, answered pings), capped, so a good record offsets
 *   flakiness but not more than half of one fault.
 *
 * The score (without flakiness: {@link PeerReputation.gossipScore}) is gossipsub's
 * application-specific score (`appSpecificScore`, weight 1); the whole score is the
 * `score` of `/v1/topology`, and the membership view's `score` that the quorum
 * coordinator reads: a peer below `peerGraylistScore` is never chosen as a replica, and
 * gossipsub ignores its RPCs; below `peerDisconnectScore` its connections are closed and
 * its new streams refused.
 *
 * @example
 * const rep = new PeerReputation({ clock: systemClock, graylistScore: -80, disconnectScore: -160 })
 * rep.penalise(peer, 'invalid_write')
 * rep.score(peer) // -20
 */

/** Why a peer lost score (a metrics label; `repram_peer_penalties_total{reason}`). */
export type PenaltyReason =
  | 'invalid_write'
  | 'invalid_gossip'
  | 'budget'
  | 'rate_limited'
  | 'ping_failed'
  | 'pull_failed'
  | 'replicate_failed'

/** Every {@link PenaltyReason}, for metrics. */
export const PENALTY_REASONS: readonly PenaltyReason[] = ['invalid_write', 'invalid_gossip', 'budget', 'rate_limited', 'ping_failed', 'pull_failed', 'replicate_failed']

/** Why a peer gained score. */
export type RewardReason = 'replicate_held' | 'ping_ok'

/** How one penalty counts: `fault` (no honest node does it) or `flaky` (a bad link does it too). */
export interface PenaltyRule { kind: 'fault' | 'flaky', weight: number }

/**
 * The weight of each penalty, per event (a frame, a message, a refused stream, a ping),
 * not per write: a frame of 1,000 invalid writes costs what a frame of one does.
 */
export const PENALTY_RULES: Readonly<Record<PenaltyReason, PenaltyRule>> = {
  // A write no honest node sends: malformed, forged, created beyond the skew, expiring beyond maxTtl + skew.
  invalid_write: { kind: 'fault', weight: 20 },
  // A gossip message the validator rejected (same checks; gossipsub also counts it in P4).
  invalid_gossip: { kind: 'fault', weight: 20 },
  // Past its memory budget: at least 3 × maxValueBytes + 1 MiB, more than an honest peer holds.
  budget: { kind: 'fault', weight: 10 },
  // Past its write rate: an honest node under a burst of its own clients can get there.
  rate_limited: { kind: 'flaky', weight: 1 },
  ping_failed: { kind: 'flaky', weight: 1 },
  pull_failed: { kind: 'flaky', weight: 1 },
  replicate_failed: { kind: 'flaky', weight: 1 }
}

/** Reward per answered replicate batch or ping. */
export const REWARD_PER_EVENT = 0.1
/** Most score rewards can add: half of one fault. */
export const REWARD_CAP = 10
/** Half-life of faults: a peer that stops misbehaving is forgiven within minutes, one that goes on stays down. */
export const FAULT_HALF_LIFE_MS = 5 * 60_000
/** Half-life of flakiness: a link that heals is forgotten within a minute or two. */
export const FLAKY_HALF_LIFE_MS = 30_000
/** Half-life of rewards: an old good record does not cover new faults forever. */
export const REWARD_HALF_LIFE_MS = 5 * 60_000
/** Peers tracked; past it neutral entries go first, then the least recently touched. */
export const MAX_TRACKED_PEERS = 4096

/** What the score is made of for one peer, at time `at`. */
export interface ScoreParts { fault: number, flaky: number, reward: number, at: number }

/** `value` after `elapsedMs` of exponential decay with `halfLifeMs`. */
export function decayed (value: number, elapsedMs: number, halfLifeMs: number): number {
  if (value === 0 || elapsedMs <= 0) return value
  const v = value * 2 ** (-elapsedMs / halfLifeMs)
  return Math.abs(v) < 1e-3 ? 0 : v
}

/** The parts brought to `now`. */
export function partsAt (p: ScoreParts, now: number): ScoreParts {
  const dt = now - p.at
  return { fault: decayed(p.fault, dt, FAULT_HALF_LIFE_MS), flaky: decayed(p.flaky, dt, FLAKY_HALF_LIFE_MS), reward: decayed(p.reward, dt, REWARD_HALF_LIFE_MS), at: Math.max(now, p.at) }
}

/** Most flakiness can take off the score: a tenth of the graylist threshold's magnitude. */
export function flakyFloor (graylistScore: number): number {
  return Math.abs(graylistScore) / 10
}

/** The score of `parts`: rewards (capped) − flakiness (capped at {@link flakyFloor}) − faults. */
export function scoreOf (parts: Pick<ScoreParts, 'fault' | 'flaky' | 'reward'>, graylistScore: number): number {
  return Math.min(REWARD_CAP, parts.reward) - Math.min(flakyFloor(graylistScore), parts.flaky) - parts.fault
}

/** Where a score stands against the thresholds. */
export type ScoreBand = 'good' | 'penalised' | 'graylisted' | 'disconnected'

/** The band of `score`: below 0 penalised (ordered last), below graylist graylisted, below disconnect disconnected. */
export function bandOf (score: number, graylistScore: number, disconnectScore: number): ScoreBand {
  if (score < disconnectScore) return 'disconnected'
  if (score < graylistScore) return 'graylisted'
  if (score < 0) return 'penalised'
  return 'good'
}

/**
 * gossipsub's thresholds from the graylist threshold, in the proportions of gossipsub's
 * own defaults (gossip −10, publish −50, graylist −80): below `gossipThreshold` no IHAVE
 * gossip is exchanged with a peer, below `publishThreshold` it gets no flood-published
 * messages, below `graylistThreshold` its RPCs are ignored.
 */
export function gossipThresholds (graylistScore: number): { gossipThreshold: number, publishThreshold: number, graylistThreshold: number, acceptPXThreshold: number, opportunisticGraftThreshold: number } {
  return { gossipThreshold: graylistScore / 8, publishThreshold: graylistScore * 5 / 8, graylistThreshold: graylistScore, acceptPXThreshold: REWARD_CAP, opportunisticGraftThreshold: REWARD_CAP / 2 }
}

/** What a {@link PeerReputation} is built from. */
export interface PeerReputationInit {
  clock: { now: () => number }
  graylistScore: number
  disconnectScore: number
  /** Counts a penalty (metrics). */
  onPenalty?: (reason: PenaltyReason) => void
  /** A peer's band got worse after a penalty (a view to republish, a peer to disconnect). */
  onBand?: (peer: string, band: ScoreBand) => void
  /** @default {@link MAX_TRACKED_PEERS} */
  maxPeers?: number
}

/** The score of every peer this node observed. Synchronous: gossipsub reads it in its heartbeat. */
export class PeerReputation {
  private readonly peers = new Map<string, ScoreParts>()

  constructor (private readonly init: PeerReputationInit) {}

  get graylistScore (): number { return this.init.graylistScore }
  get disconnectScore (): number { return this.init.disconnectScore }

  /** Peers tracked now. */
  get size (): number { return this.peers.size }

  /** Lowers `peer`'s score by the rule of `reason` (`n` events). */
  penalise (peer: string, reason: PenaltyReason, n = 1): void {
    if (n <= 0) return
    const rule = PENALTY_RULES[reason]
    const before = this.band(peer)
    const p = this.touch(peer)
    if (rule.kind === 'fault') p.fault += rule.weight * n
    else p.flaky += rule.weight * n
    for (let i = 0; i < n; i++) this.init.onPenalty?.(reason)
    const after = this.band(peer)
    if (after !== before) this.init.onBand?.(peer, after)
  }

  /** Raises `peer`'s score (capped, see {@link REWARD_CAP}). */
  reward (peer: string, _reason: RewardReason, n = 1): void {
    if (n <= 0) return
    const p = this.touch(peer)
    p.reward = Math.min(REWARD_CAP, p.reward + REWARD_PER_EVENT * n)
  }

  /** `peer`'s score now (0 for a peer never observed). */
  score (peer: string): number {
    const p = this.peers.get(peer)
    if (p === undefined) return 0
    return scoreOf(partsAt(p, this.init.clock.now()), this.init.graylistScore)
  }

  /**
   * What gossipsub gets as `peer`'s application-specific score: rewards − faults, without
   * flakiness. gossipsub prunes every peer with a negative score from its mesh (it then
   * gets relayed messages only through IHAVE gossip); a flaky link is no reason for that,
   * and gossipsub sees delivery failures itself.
   */
  gossipScore (peer: string): number {
    const p = this.peers.get(peer)
    if (p === undefined) return 0
    return scoreOf({ ...partsAt(p, this.init.clock.now()), flaky: 0 }, this.init.graylistScore)
  }

  /** `peer`'s band now. */
  band (peer: string): ScoreBand {
    return bandOf(this.score(peer), this.init.graylistScore, this.init.disconnectScore)
  }

  /** Whether `peer` is graylisted or worse: not a replica, its gossip ignored. */
  graylisted (peer: string): boolean {
    return this.score(peer) < this.init.graylistScore
  }

  /** Whether `peer` is below the disconnect threshold: its connections closed, its streams refused. */
  disconnected (peer: string): boolean {
    return this.score(peer) < this.init.disconnectScore
  }

  /** The parts of `peer`, brought to now and kept (most recently touched last). */
  private touch (peer: string): ScoreParts {
    const now = this.init.clock.now()
    const old = this.peers.get(peer)
    const p = old === undefined ? { fault: 0, flaky: 0, reward: 0, at: now } : partsAt(old, now)
    this.peers.delete(peer)
    if (old === undefined) this.makeRoom(now)
    this.peers.set(peer, p)
    return p
  }

  private makeRoom (now: number): void {
    const max = this.init.maxPeers ?? MAX_TRACKED_PEERS
    if (this.peers.size < max) return
    for (const [id, p] of this.peers) {
      if (Math.abs(scoreOf(partsAt(p, now), this.init.graylistScore)) < 0.5) this.peers.delete(id)
    }
    while (this.peers.size >= max) {
      const oldest = this.peers.keys().next().value
      if (oldest === undefined) break
      this.peers.delete(oldest)
    }
  }
}

/** A token bucket's state. */
export interface Bucket { tokens: number, at: number }

/** `b` refilled at `ratePerSec` up to `capacity` by `now`. */
export function refill (b: Bucket, now: number, ratePerSec: number, capacity: number): Bucket {
  const elapsed = Math.max(0, now - b.at)
  return { tokens: Math.min(capacity, b.tokens + elapsed * ratePerSec / 1000), at: Math.max(b.at, now) }
}

/** Rates of one peer's writes over p2p. A rate of 0 is no limit. */
export interface PeerRates {
  /** Writes per second (burst: 2 s worth). */
  writesPerSec: number
  /** Bytes per second (burst: 2 s worth, and at least one largest write). */
  bytesPerSec: number
  /** The largest write (so one always fits in an empty bucket). */
  maxWriteBytes: number
}

/** Peers whose buckets are kept; a full bucket is dropped first (it holds nothing). */
const MAX_BUCKETS = 4096

/**
 * Token buckets on the writes each peer sends over p2p (replicate frames and gossip
 * messages it delivers), in writes/s and bytes/s.
 */
export class PeerRateLimiter {
  private readonly writes = new Map<string, Bucket>()
  private readonly bytes = new Map<string, Bucket>()

  constructor (private readonly rates: PeerRates, private readonly clock: { now: () => number }) {}

  get writeCapacity (): number { return 2 * this.rates.writesPerSec }
  get byteCapacity (): number { return Math.max(2 * this.rates.bytesPerSec, this.rates.maxWriteBytes) }

  /**
   * Takes tokens for the writes of one frame or message, in order (`sizes` in bytes):
   * returns how many of them fit (a prefix); the rest are refused and take nothing.
   */
  admit (peer: string, sizes: readonly number[]): number {
    const { writesPerSec, bytesPerSec } = this.rates
    if (sizes.length === 0) return 0
    const now = this.clock.now()
    let w = writesPerSec > 0 ? refill(this.writes.get(peer) ?? { tokens: this.writeCapacity, at: now }, now, writesPerSec, this.writeCapacity) : undefined
    let b = bytesPerSec > 0 ? refill(this.bytes.get(peer) ?? { tokens: this.byteCapacity, at: now }, now, bytesPerSec, this.byteCapacity) : undefined
    let n = 0
    for (const size of sizes) {
      if (w !== undefined && w.tokens < 1) break
      if (b !== undefined && b.tokens < size) break
      if (w !== undefined) w = { tokens: w.tokens - 1, at: w.at }
      if (b !== undefined) b = { tokens: b.tokens - size, at: b.at }
      n++
    }
    if (w !== undefined) this.keep(this.writes, peer, w)
    if (b !== undefined) this.keep(this.bytes, peer, b)
    return n
  }

  private keep (map: Map<string, Bucket>, peer: string, b: Bucket): void {
    map.delete(peer)
    if (map.size >= MAX_BUCKETS) {
      const oldest = map.keys().next().value
      if (oldest !== undefined) map.delete(oldest)
    }
    map.set(peer, b)
  }
}
