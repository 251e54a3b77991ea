/**
 * The Membership actor: who is in this node's enclave, and staying connected to them.
 * It owns the {@link MembershipTable} and every rule around it (DESIGN §4):
 * - **admission, verified only:** a peer becomes a member when this node has verified
 *   it speaks REPRAM in this enclave: it sent a valid replicate frame, or a valid gossip
 *   message of its own over its own connection (`seen` with `carrier` = the peer), or it
 *   answered this node's REPRAM handshake (asked of a peer that subscribed to the enclave
 *   topic, of a bootstrap peer once dialled, and of candidates). Up to {@link MAX_MEMBERS};
 * - **candidates:** a peer heard of only through a member (a relayed announce, a peer
 *   exchange answer) is an unverified candidate in the {@link CandidatePool}, capped per
 *   source and per address range, and counts for nothing until a rate-limited dial to
 *   its announced addresses completes the handshake; a stranger that never speaks
 *   REPRAM is never a member nor offered to anyone;
 * - **health:** on every `pingIntervalMs` tick it forgets members not seen within
 *   `memberTtlMs` and pings its active view ({@link MembershipTable.activeIds}); a member
 *   that joins is pinged at once; `pingFailures` failed pings make a member unhealthy;
 * - **active view and pruning:** it keeps about `activePeers` members connected and, on
 *   each tick, closes the outbound connections to the others (bootstrap peers stay);
 * - **bootstrap:** it dials the configured addresses at once, then re-dials each one that
 *   is not connected with exponential backoff ({@link redialDelayMs});
 * - **peer exchange:** a node that was alone asks its first member for the members it
 *   knows (`exchange` answers the same question for others);
 * - **announces:** a jittered timer announces this node on gossip, skipped while its own
 *   gossip keeps it alive ({@link announceDue}); a node that stops being alone announces
 *   soon after.
 * After a change it publishes a frozen view through `onView`: at once when the set of
 * members or their health changed, coalesced into one view per mailbox turn for RTT
 * updates (a tick's pings of N members answer N times). Time is the injected clock; the
 * network is the injected {@link MembershipTransport}.
 */
import { dispatch, spawn, type Ref } from 'nact'
import type { Clock, TimerHandle } from '../../src/clock.js'
import { assertNever, handleBatch, type Batch, type ReplyTo, type Sender } from '../runtime/ask.js'
import { batchCrash, supervise, type CrashReporter } from '../runtime/supervise.js'
import { MembershipTable, announceDue, announceIntervalMs, announceWaitMs, redialDelayMs, type Member, type MemberChange } from './membership.js'
import { ANNOUNCE_SOON_MS, CANDIDATE_DIAL_RATE, MAX_DEFERRED_HANDSHAKES, MAX_CANDIDATES, MAX_CANDIDATES_PER_RANGE, MAX_CANDIDATES_PER_SOURCE, MAX_HANDSHAKES_IN_FLIGHT, MAX_MEMBERS, PEER_EXCHANGE_MAX, REDIAL_MAX_MS, REDIAL_MIN_MS } from './constants.js'
import { CandidatePool, type CandidateCaps, type CandidateRefusal } from './candidates.js'

export { MembershipTable, activeRank, announceIntervalMs, announceDue, announceWaitMs, redialDelayMs, ANNOUNCE_JITTER, ENCLAVE_ANNOUNCES_PER_PING, isForgotten, type Member, type MemberChange, type MembershipTiming } from './membership.js'
export * from './constants.js'
export { CandidatePool, CANDIDATE_REFUSALS, addressRange, backoffDelayMs, type Candidate, type CandidateCaps, type CandidateRefusal, type OfferResult } from './candidates.js'

/** A member as told to others in peer exchange. */
export interface KnownPeer { id: string, addresses: string[] }

/** Every message the membership actor understands. */
export type MembershipMsg =
  /**
   * A sign of life; `addresses` when it announced them (they replace the known ones).
   * `carrier` is the peer whose connection brought it: the peer itself when it spoke
   * REPRAM on its own connection (a replicate frame, its own gossip message), which
   * verifies it; another member when relayed (gossip) or named (peer exchange), which
   * makes it at most a candidate; absent: a sign of life for a member only.
   * `jurisdiction`: what its own signed announce declares (null: none), kept once it is a member.
   */
  | { type: 'seen', peerId: string, addresses?: string[], carrier?: string, jurisdiction?: string | null }
  /**
   * A member stated its jurisdiction (null: none) on its own connection (a sync stream):
   * the member's own word, like its signed announce; never a third party's.
   */
  | { type: 'declared', peerId: string, jurisdiction: string | null }
  /**
   * A peer found by discovery (`source`: the DHT's enclave rendezvous), vouched by no
   * member: a candidate in `source`'s share of the pool (and its address ranges'), verified
   * by a rate-limited dial like any other; it is not a sign of life for a member.
   */
  | { type: 'discovered', peerId: string, addresses: string[], source: string }
  /** A connected peer subscribed to the enclave topic: a member is seen; anyone else is asked the REPRAM handshake. */
  | { type: 'subscribed', peerId: string }
  /** A handshake ended (`dialled`: it was a candidate's verification dial). */
  | { type: 'verified', peerId: string, ok: boolean, dialled: boolean }
  /** The candidate timer fired: dial the candidates whose turn came. */
  | { type: 'candidate-timer' }
  /** `rttMs` undefined: the ping failed; `notConnected`: not pinged, no connection to use (not a failure). */
  | { type: 'ping-result', peerId: string, rttMs: number | undefined, notConnected?: boolean }
  /** A graceful leave (gossip notice or replicate frame). */
  | { type: 'leave', peerId: string }
  | { type: 'connected', peerId: string }
  | { type: 'disconnected', peerId: string }
  /** Sent once the node's protocol handlers are up: dials the bootstrap peers at once. */
  | { type: 'start' }
  /** The ping-interval tick: expiry, pings, bootstrap re-dials, pruning. */
  | { type: 'tick' }
  /** The announce timer fired. */
  | { type: 'announce-timer' }
  /** The announce-soon timer fired (this node stopped being alone). */
  | { type: 'announce-soon' }
  /** This node published on gossip (writes or an announce): a sign of life for every member. */
  | { type: 'published' }
  /** Peer exchange, server side: the healthy members with addresses, except the asker. */
  | { type: 'exchange', asker: string, replyTo: ReplyTo<KnownPeer[]> }
  /** Peer exchange, client side: what a member told us (undefined: it failed). */
  | { type: 'exchanged', from: string, peers: KnownPeer[] | undefined }
  /** A bootstrap dial ended: the peer it reached, or undefined when it failed. */
  | { type: 'dialled', index: number, peerId: string | undefined }
  /** Internal: publishes the view if RTT updates left it stale. */
  | { type: 'publish' }
  | { type: 'halt' }
  /** Several messages handled in one turn (see `Coalescer`): a sign of life comes with every gossip message. */
  | { type: 'batch', batch: Batch<MembershipMsg> }

/** Events reported to the owner (metrics, node events, anti-entropy). */
export type MembershipEvent =
  | { type: 'joined', member: Member }
  | { type: 'left', peerId: string, reason: 'left' | 'expired' }
  | { type: 'unhealthy', peerId: string }
  | { type: 'recovered', peerId: string }
  /** A known member opened a new connection (a restart, a healed partition). */
  | { type: 'reconnected', peerId: string }
  | { type: 'ping-failed', peerId: string }

/** How a member is pinged. */
export interface PingOptions {
  /**
   * Whether the ping may dial. Members of the preferred view are dialled; members that are
   * active only because they connected to us are pinged over that connection or not at
   * all (the ping then resolves undefined), so a closed connection is not reopened.
   */
  dial: boolean
}

/** What membership needs of the network. Every call is bounded by the transport's own timeouts. */
export interface MembershipTransport {
  /** Pings a peer; resolves with the RTT in ms, undefined when not dialled and not connected, or rejects. */
  ping: (peerId: string, opts: PingOptions) => Promise<number | undefined>
  /** Dials a multiaddr; resolves with the peer id reached. */
  dial: (addr: string) => Promise<string>
  /** Whether a connection to the peer is open. */
  connected: (peerId: string) => boolean
  /** Closes the connections this node opened to the peer (pruning). */
  closeOutbound: (peerId: string) => void
  /**
   * The REPRAM handshake: dials `addresses` first when given (a candidate), then sends one
   * replicate frame in this node's network and enclave; resolves true when the peer
   * answered it without error, false otherwise (never rejects). A failed handshake
   * closes the connection it dialled.
   */
  verify: (peerId: string, addresses: string[] | undefined) => Promise<boolean>
  /** Peer exchange: asks the peer for the members it knows. */
  exchange: (peerId: string) => Promise<KnownPeer[]>
  /** Remembers a member's announced addresses for dialling (the peer store). */
  remember: (peerId: string, addresses: string[]) => void
  /** A member is gone: drop what the transport keeps for it (its replicate stream). */
  forget: (peerId: string) => void
  /** This node's addresses, as announced (multiaddr bytes). */
  addresses: () => Uint8Array[]
}

/** Counters the actor moves; labels are small enums. */
export interface MembershipCounters {
  announce: (result: 'sent' | 'skipped') => void
  exchange: (result: 'ok' | 'failed') => void
  dialFailure: (kind: 'bootstrap' | 'candidate') => void
  /** What became of a peer not yet verified (see {@link CandidateResult}). */
  candidate?: (result: CandidateResult) => void
  /** Unverified candidates held now. */
  candidates?: (n: number) => void
}

/**
 * What became of an unverified peer (a metrics label): taken as a candidate, verified
 * (a candidate's dial or a subscriber's handshake completed), its dial or handshake
 * failed, forgotten unverified after `memberTtl`, or refused by a cap.
 */
export type CandidateResult = 'added' | 'verified' | 'dial_failed' | 'handshake_failed' | 'handshake_busy' | 'expired' | CandidateRefusal

/** Every {@link CandidateResult}, for metrics. */
export const CANDIDATE_RESULTS: readonly CandidateResult[] = ['added', 'verified', 'dial_failed', 'handshake_failed', 'handshake_busy', 'expired', 'pool_full', 'source_cap', 'range_cap', 'no_address', 'unverified_source']

/** What the actor is built from. */
export interface MembershipInit {
  /** This node's peer id (ranks the active view; never a member). */
  self: string
  memberTtlMs: number
  pingFailures: number
  pingIntervalMs: number
  /** Members kept connected and pinged besides those already connected (0 = every member). @default 0 */
  activePeers?: number
  /** Bootstrap multiaddrs (a trailing `/p2p/<id>` names the peer). @default [] */
  bootstrap?: string[]
  /** Caps of the unverified candidates. @default {@link MAX_CANDIDATES}, {@link MAX_CANDIDATES_PER_SOURCE}, {@link MAX_CANDIDATES_PER_RANGE}, {@link CANDIDATE_DIAL_RATE} */
  candidates?: Partial<CandidateCaps>
  clock: Clock
  transport: MembershipTransport
  /** Where announces are published (the gossip peer). */
  gossip: Sender<{ type: 'announce', addresses: Uint8Array[] }>
  /** Called with a fresh frozen view after every change. */
  onView: (members: readonly Member[]) => void
  /** Called for joins, leaves and health changes. */
  onEvent: (event: MembershipEvent) => void
  counters?: MembershipCounters
  crashed: CrashReporter
  /** @default Math.random */
  random?: () => number
}

interface BootstrapTarget { addr: string, peerId: string | undefined, failures: number, nextAt: number, dialing: boolean }

type Timers =
  | { code: 'running', tick: TimerHandle, announce: TimerHandle | undefined, soon: TimerHandle | undefined }
  | { code: 'halted' }

interface MembershipState {
  table: MembershipTable
  /** Unverified peers heard of through members. */
  pool: CandidatePool
  /** Handshakes in flight (candidates' dials and subscribers'). */
  verifying: Set<string>
  /** Peers whose handshake failed, and when: not asked again until `memberTtlMs` passes. */
  strangers: Map<string, number>
  /** Subscribers not asked yet because {@link MAX_HANDSHAKES_IN_FLIGHT} were out: asked on the next tick (bounded). */
  deferred: Set<string>
  /** The candidate timer, when armed, and when it fires. */
  candidateTimer: { handle: TimerHandle, at: number } | undefined
  pinging: Set<string>
  /** RTT changed since the last published view; a `publish` message is on its way. */
  stale: boolean
  bootstrap: BootstrapTarget[]
  /** When this node last published on gossip (clock ms). */
  lastGossipAt: number
  /** The wait of the current announce cycle (see {@link announceDue}). */
  announceWait: number
  /** `start` arrived: the protocol handlers are up, bootstrap peers may be dialled. */
  started: boolean
  timers: Timers
}

const ACTOR = 'membership'

/** The peer id a multiaddr names (`…/p2p/<id>`), if any. */
function peerIdOf (addr: string): string | undefined {
  return /\/p2p\/([^/]+)$/.exec(addr)?.[1]
}

/** Spawns the membership actor under `parent` and starts its timers; send `start` to dial the bootstrap peers. */
export function spawnMembership (parent: Parameters<typeof spawn>[0], init: MembershipInit): Ref<MembershipMsg> {
  const { clock, transport } = init
  const random = init.random ?? Math.random
  const counters = init.counters
  let self: Ref<MembershipMsg> | undefined
  const send = (msg: MembershipMsg): void => { if (self !== undefined) dispatch(self, msg) }

  const publish = (s: MembershipState): void => {
    s.stale = false
    init.onView(Object.freeze(s.table.list()))
  }
  const publishSoon = (s: MembershipState): void => {
    if (s.stale) return
    s.stale = true
    send({ type: 'publish' })
  }
  const ping = (s: MembershipState, id: string): void => {
    if (s.pinging.has(id)) return
    s.pinging.add(id)
    transport.ping(id, { dial: s.table.isPreferred(id) }).then(
      rtt => send({ type: 'ping-result', peerId: id, rttMs: rtt, notConnected: rtt === undefined }),
      () => send({ type: 'ping-result', peerId: id, rttMs: undefined })
    )
  }

  // ---- announces ----------------------------------------------------------------------

  const interval = (s: MembershipState): number => announceIntervalMs(init.memberTtlMs, init.pingIntervalMs, s.table.size)
  const announce = (s: MembershipState): void => {
    s.lastGossipAt = clock.now()
    counters?.announce('sent')
    init.gossip.send({ type: 'announce', addresses: transport.addresses() })
  }
  const armAnnounce = (s: MembershipState, delayMs: number): void => {
    if (s.timers.code !== 'running') return
    if (s.timers.announce !== undefined) clock.clearTimeout(s.timers.announce)
    s.timers.announce = clock.setTimeout(() => send({ type: 'announce-timer' }), delayMs)
  }
  const announceTimer = (s: MembershipState): void => {
    if (s.timers.code !== 'running') return
    s.timers.announce = undefined
    // Any gossip this node published (writes, signed by it) kept it alive for everyone.
    const due = announceDue(interval(s), s.announceWait, clock.now() - s.lastGossipAt, random)
    if (due.announce) announce(s)
    else counters?.announce('skipped')
    s.announceWait = due.waitMs
    armAnnounce(s, due.delayMs)
  }
  /** We were alone (starting, or cut off): tell the enclave we are here without waiting for the timer. */
  const announceSoon = (s: MembershipState): void => {
    if (s.timers.code !== 'running' || s.timers.soon !== undefined) return
    s.timers.soon = clock.setTimeout(() => send({ type: 'announce-soon' }), ANNOUNCE_SOON_MS)
  }

  // ---- bootstrap and pruning ------------------------------------------------------------

  const maintainBootstrap = (s: MembershipState): void => {
    if (!s.started) return
    const now = clock.now()
    s.bootstrap.forEach((t, index) => {
      if (t.dialing || t.nextAt > now) return
      if (t.peerId !== undefined && transport.connected(t.peerId)) {
        t.failures = 0
        return
      }
      t.dialing = true
      transport.dial(t.addr).then(peerId => send({ type: 'dialled', index, peerId }), () => send({ type: 'dialled', index, peerId: undefined }))
    })
  }

  /**
   * Closes connections this node opened to members outside its preferred view (those it
   * dialled while the enclave was small, or for a sync or a write); bootstrap peers stay.
   * Connections other nodes opened to us stay: they are in someone's view, and closing
   * them would only make that node dial again. So each node holds about `activePeers`
   * outbound and as many inbound connections, not one per member.
   */
  const prune = (s: MembershipState): void => {
    if ((init.activePeers ?? 0) <= 0) return
    const bootstrap = new Set(s.bootstrap.map(t => t.peerId))
    for (const m of s.table.list()) {
      if (m.preferred || bootstrap.has(m.id)) continue
      transport.closeOutbound(m.id)
    }
  }

  // ---- signs of life ----------------------------------------------------------------------

  const report = (s: MembershipState, peerId: string, change: MemberChange): void => {
    switch (change) {
      case 'joined': {
        const m = s.table.get(peerId)
        if (m !== undefined) init.onEvent({ type: 'joined', member: { ...m, addresses: [...m.addresses], active: s.table.isActive(peerId) } })
        break
      }
      case 'unhealthy': init.onEvent({ type: 'unhealthy', peerId }); break
      case 'recovered': init.onEvent({ type: 'recovered', peerId }); break
      case 'updated': case 'none': break
      default: assertNever(change)
    }
  }

  /**
   * A sign of life (see the `seen` message): refreshes a member; admits a peer that spoke
   * REPRAM on its own connection; offers one relayed or named by a member to the pool.
   */
  const seen = (s: MembershipState, peerId: string, addresses: string[] | undefined, carrier: string | undefined): void => {
    if (peerId === init.self) return
    if (s.table.get(peerId) !== undefined || carrier === peerId) {
      admit(s, peerId, addresses)
      return
    }
    if (carrier === undefined) return
    offer(s, peerId, addresses, carrier)
  }

  /** Refreshes a member, or admits a verified peer. */
  const admit = (s: MembershipState, peerId: string, addresses: string[] | undefined): void => {
    if (s.pool.remove(peerId)) counters?.candidates?.(s.pool.size)
    s.strangers.delete(peerId)
    const before = s.table.get(peerId)?.addresses
    const alone = s.table.size === 0
    const change = s.table.seen(peerId, clock.now(), addresses, transport.connected(peerId))
    const after = s.table.get(peerId)?.addresses
    if (after !== undefined && after.length > 0 && after !== before) transport.remember(peerId, after)
    report(s, peerId, change)
    if (change === 'joined') {
      publish(s)
      if (s.table.isActive(peerId)) ping(s, peerId)
      if (alone) {
        // We were alone: learn the enclave from this first member at once, and tell it we are here.
        transport.exchange(peerId).then(peers => send({ type: 'exchanged', from: peerId, peers }), () => send({ type: 'exchanged', from: peerId, peers: undefined }))
        announceSoon(s)
      }
    } else if (change === 'updated') publishSoon(s)
  }

  // ---- verification -----------------------------------------------------------------------

  /** A peer heard of through `source`: a candidate if `source` is a member and every cap has room. */
  const offer = (s: MembershipState, peerId: string, addresses: string[] | undefined, source: string): void => {
    if (s.table.get(source) === undefined) {
      counters?.candidate?.('unverified_source')
      return
    }
    const result = s.pool.offer(peerId, addresses, source, clock.now())
    if (result === 'known') return
    counters?.candidate?.(result)
    if (result !== 'added') return
    counters?.candidates?.(s.pool.size)
    pumpDials(s)
  }

  /** A peer found by discovery: a candidate of the pseudo-source `discovery:<source>` unless already a member or a known stranger. */
  const discovered = (s: MembershipState, peerId: string, addresses: string[], source: string): void => {
    if (peerId === init.self || s.table.get(peerId) !== undefined) return
    const failedAt = s.strangers.get(peerId)
    if (failedAt !== undefined && clock.now() - failedAt < init.memberTtlMs) return
    const result = s.pool.offer(peerId, addresses, `discovery:${source}`, clock.now())
    if (result === 'known') return
    counters?.candidate?.(result)
    if (result !== 'added') return
    counters?.candidates?.(s.pool.size)
    pumpDials(s)
  }

  /** Asks a connected peer that is not a member the REPRAM handshake (once per `memberTtl` after a failure). */
  const handshake = (s: MembershipState, peerId: string): void => {
    if (peerId === init.self || s.table.get(peerId) !== undefined || s.verifying.has(peerId)) return
    const failedAt = s.strangers.get(peerId)
    if (failedAt !== undefined && clock.now() - failedAt < init.memberTtlMs) return
    if (s.verifying.size >= MAX_HANDSHAKES_IN_FLIGHT) {
      // A peer that speaks REPRAM also verifies us by its own handshake, which admits it
      // here too; in case both sides are busy, it is asked again on the next tick.
      counters?.candidate?.('handshake_busy')
      if (s.deferred.size < MAX_DEFERRED_HANDSHAKES) s.deferred.add(peerId)
      return
    }
    s.verifying.add(peerId)
    transport.verify(peerId, undefined).then(ok => send({ type: 'verified', peerId, ok, dialled: false }), () => send({ type: 'verified', peerId, ok: false, dialled: false }))
  }

  /** Dials the candidates whose turn has come (tokens, backoffs, handshakes in flight), then arms the timer for the next. */
  const pumpDials = (s: MembershipState): void => {
    if (s.timers.code !== 'running') return
    const now = clock.now()
    while (s.verifying.size < MAX_HANDSHAKES_IN_FLIGHT) {
      const c = s.pool.nextDial(now)
      if (c === undefined) break
      s.verifying.add(c.id)
      const peerId = c.id
      transport.verify(peerId, c.addresses).then(ok => send({ type: 'verified', peerId, ok, dialled: true }), () => send({ type: 'verified', peerId, ok: false, dialled: true }))
    }
    if (s.verifying.size >= MAX_HANDSHAKES_IN_FLIGHT) return // a result pumps again
    const at = s.pool.nextDialAt(now)
    if (at === undefined || (s.candidateTimer !== undefined && s.candidateTimer.at <= at)) return
    if (s.candidateTimer !== undefined) clock.clearTimeout(s.candidateTimer.handle)
    s.candidateTimer = { at, handle: clock.setTimeout(() => send({ type: 'candidate-timer' }), Math.max(1, at - now)) }
  }

  const verified = (s: MembershipState, peerId: string, ok: boolean, dialled: boolean): void => {
    s.verifying.delete(peerId)
    const c = s.pool.get(peerId)
    if (dialled && c !== undefined) {
      s.pool.dialled(c, ok, clock.now())
      c.dialling = false
      if (!ok) {
        s.pool.remove(peerId)
        counters?.candidates?.(s.pool.size)
        counters?.dialFailure('candidate')
        counters?.candidate?.('dial_failed')
      }
    }
    if (ok) {
      if (s.table.get(peerId) === undefined) counters?.candidate?.('verified')
      admit(s, peerId, c?.addresses)
    } else if (!dialled) {
      s.strangers.set(peerId, clock.now())
      counters?.candidate?.('handshake_failed')
    }
    pumpDials(s)
  }

  /**
   * A member's own statement of its jurisdiction: kept in the table; a change is published
   * at once (it decides where restricted writes go and how their quorum is counted).
   */
  const declare = (s: MembershipState, peerId: string, jurisdiction: string | null): void => {
    if (s.table.declare(peerId, jurisdiction) === 'updated') publish(s)
  }

  const gone = (s: MembershipState, peerId: string, reason: 'left' | 'expired'): void => {
    transport.forget(peerId)
    init.onEvent({ type: 'left', peerId, reason })
  }

  const exchangeList = (s: MembershipState, asker: string): KnownPeer[] => {
    const out: KnownPeer[] = []
    for (const m of s.table.list()) {
      if (out.length >= PEER_EXCHANGE_MAX) break
      if (m.id === asker || !m.healthy || m.addresses.length === 0) continue
      out.push({ id: m.id, addresses: m.addresses })
    }
    return out
  }

  const handle = (s: MembershipState, msg: MembershipMsg): MembershipState => {
    // Halted (the node is stopping): no more pings, dials or exchanges; questions get empty answers.
    if (s.timers.code === 'halted' && msg.type !== 'batch') {
      if (msg.type === 'exchange') msg.replyTo([])
      return s
    }
    switch (msg.type) {
      case 'seen':
        seen(s, msg.peerId, msg.addresses, msg.carrier)
        if (msg.jurisdiction !== undefined) declare(s, msg.peerId, msg.jurisdiction)
        return s
      case 'declared':
        declare(s, msg.peerId, msg.jurisdiction)
        return s
      case 'discovered':
        discovered(s, msg.peerId, msg.addresses, msg.source)
        return s
      case 'subscribed':
        if (s.table.get(msg.peerId) !== undefined) admit(s, msg.peerId, undefined)
        else handshake(s, msg.peerId)
        return s
      case 'verified':
        verified(s, msg.peerId, msg.ok, msg.dialled)
        return s
      case 'candidate-timer':
        s.candidateTimer = undefined
        pumpDials(s)
        return s
      case 'ping-result': {
        s.pinging.delete(msg.peerId)
        if (msg.notConnected === true) {
          s.table.disconnected(msg.peerId)
          publishSoon(s)
          return s
        }
        let change: MemberChange
        if (msg.rttMs === undefined) {
          if (s.table.get(msg.peerId) !== undefined) init.onEvent({ type: 'ping-failed', peerId: msg.peerId })
          change = s.table.pingFailed(msg.peerId)
        } else {
          change = s.table.pingOk(msg.peerId, msg.rttMs, clock.now())
        }
        report(s, msg.peerId, change)
        // Health decides who is a replica: publish at once. RTT only orders them.
        if (change === 'unhealthy' || change === 'recovered') publish(s)
        else if (change === 'updated') publishSoon(s)
        return s
      }
      case 'publish':
        if (s.stale) publish(s)
        return s
      case 'leave':
        if (s.pool.remove(msg.peerId)) counters?.candidates?.(s.pool.size)
        if (s.table.leave(msg.peerId, clock.now())) {
          gone(s, msg.peerId, 'left')
          publish(s)
        }
        return s
      case 'connected': {
        const known = s.table.get(msg.peerId) !== undefined
        s.table.reconnected(msg.peerId)
        // A reconnect (restart, healed partition) of a known member; new peers are reported when they join.
        if (known) init.onEvent({ type: 'reconnected', peerId: msg.peerId })
        publishSoon(s)
        return s
      }
      case 'disconnected':
        s.table.disconnected(msg.peerId)
        publishSoon(s)
        return s
      case 'tick': {
        if (s.timers.code !== 'running') return s
        // One tick chain: a tick sent by hand replaces the pending timer rather than adding one.
        clock.clearTimeout(s.timers.tick)
        s.timers.tick = clock.setTimeout(() => send({ type: 'tick' }), init.pingIntervalMs)
        const now = clock.now()
        const expired = s.table.expire(now)
        for (const id of expired) gone(s, id, 'expired')
        const unheard = s.pool.expire(now, init.memberTtlMs)
        for (const _ of unheard) counters?.candidate?.('expired')
        if (unheard.length > 0) counters?.candidates?.(s.pool.size)
        for (const [id, at] of s.strangers) if (now - at >= init.memberTtlMs) s.strangers.delete(id)
        for (const id of [...s.deferred]) {
          s.deferred.delete(id) // re-added if still busy
          if (transport.connected(id)) handshake(s, id)
        }
        pumpDials(s)
        if (expired.length > 0) publish(s)
        else publishSoon(s) // lastSeen of members heard from (announces, gossip) since
        // Only the active view: pinging every member would connect every pair.
        for (const id of s.table.activeIds()) ping(s, id)
        maintainBootstrap(s)
        prune(s)
        return s
      }
      case 'start':
        // Dial the bootstrap peers now, not a ping interval later.
        s.started = true
        maintainBootstrap(s)
        return s
      case 'announce-timer':
        announceTimer(s)
        return s
      case 'announce-soon':
        if (s.timers.code !== 'running') return s
        // Announce now; the regular cycle goes on (it skips if this was recent enough).
        s.timers.soon = undefined
        announce(s)
        return s
      case 'published':
        s.lastGossipAt = clock.now()
        return s
      case 'exchange':
        msg.replyTo(exchangeList(s, msg.asker))
        return s
      case 'exchanged':
        counters?.exchange(msg.peers === undefined ? 'failed' : 'ok')
        // Named by a member: members are refreshed, the others are candidates vouched by it.
        for (const p of (msg.peers ?? []).slice(0, PEER_EXCHANGE_MAX)) seen(s, p.id, p.addresses, msg.from)
        return s
      case 'dialled': {
        const t = s.bootstrap[msg.index]
        if (t === undefined) return s
        t.dialing = false
        if (msg.peerId !== undefined) {
          t.peerId = msg.peerId
          t.failures = 0
          t.nextAt = clock.now()
          // A bootstrap peer is dialled by configuration, not on anyone's word: verify it at once.
          handshake(s, msg.peerId)
        } else {
          counters?.dialFailure('bootstrap')
          t.failures++
          t.nextAt = clock.now() + redialDelayMs(t.failures, REDIAL_MIN_MS, REDIAL_MAX_MS)
        }
        return s
      }
      case 'halt':
        if (s.timers.code === 'running') {
          clock.clearTimeout(s.timers.tick)
          if (s.timers.announce !== undefined) clock.clearTimeout(s.timers.announce)
          if (s.timers.soon !== undefined) clock.clearTimeout(s.timers.soon)
        }
        if (s.candidateTimer !== undefined) clock.clearTimeout(s.candidateTimer.handle)
        s.candidateTimer = undefined
        s.timers = { code: 'halted' }
        return s
      case 'batch':
        return handleBatch(s, msg.batch, handle, batchCrash(ACTOR, init.crashed))
      default:
        return assertNever(msg)
    }
  }

  const now = clock.now()
  const bootstrap: BootstrapTarget[] = (init.bootstrap ?? [])
    .filter(addr => peerIdOf(addr) !== init.self)
    .map(addr => ({ addr, peerId: peerIdOf(addr), failures: 0, nextAt: now, dialing: false }))
  const caps: CandidateCaps = {
    max: init.candidates?.max ?? MAX_CANDIDATES,
    perSource: init.candidates?.perSource ?? MAX_CANDIDATES_PER_SOURCE,
    perRange: init.candidates?.perRange ?? MAX_CANDIDATES_PER_RANGE,
    dialRate: init.candidates?.dialRate ?? CANDIDATE_DIAL_RATE
  }
  const initial: MembershipState = {
    table: new MembershipTable({ memberTtlMs: init.memberTtlMs, pingFailures: init.pingFailures, activePeers: init.activePeers, self: init.self }),
    pool: new CandidatePool(caps, now),
    verifying: new Set<string>(),
    strangers: new Map<string, number>(),
    deferred: new Set<string>(),
    candidateTimer: undefined,
    pinging: new Set<string>(),
    stale: false,
    bootstrap,
    lastGossipAt: -Infinity,
    announceWait: 0,
    started: false,
    timers: { code: 'running', tick: clock.setTimeout(() => send({ type: 'tick' }), init.pingIntervalMs), announce: undefined, soon: undefined }
  }
  initial.announceWait = announceWaitMs(interval(initial), random)
  self = spawn(parent, handle, ACTOR, {
    initialState: initial,
    // Each step leaves the table consistent (one change per call), and losing it (reset)
    // would make every write 202 until members are heard from again: resume.
    onCrash: supervise(ACTOR, 'resume', init.crashed)
  })
  armAnnounce(initial, initial.announceWait)
  return self
}

export { MAX_MEMBERS }
