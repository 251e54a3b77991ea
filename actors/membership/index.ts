/**
 * The Membership actor: owns the {@link MembershipTable} of one enclave. Signs of life,
 * ping results and leaves arrive as messages; on `tick` it forgets stale members and
 * pings its active view (see {@link MembershipTable.activeIds}) through the injected
 * `ping`. A member that joins is pinged at once, so
 * its health and RTT are known (and a connection to it is open) without waiting for the
 * next tick. After a change it publishes a frozen view through `onView`, which the quorum
 * coordinator reads without a round trip: at once when the set of members or their health
 * changed, coalesced into one view per mailbox turn for RTT updates (a tick's pings of N
 * members answer N times, and copying the view each time made a tick O(N²)).
 */
import { dispatch, spawn, type Ref } from 'nact'
import { assertNever, handleBatch, type Batch } from '../runtime/ask.js'
import { MembershipTable, type Member, type MemberChange } from './membership.js'

export { MembershipTable, activeRank, quorumSize, announceIntervalMs, announceDue, announceWaitMs, ANNOUNCE_JITTER, isForgotten, type Member, type MemberChange, type MembershipTiming } from './membership.js'

/** Every message the membership actor understands. */
export type MembershipMsg =
  | { type: 'seen', peerId: string, addresses?: string[], connected?: boolean }
  /** `rttMs` undefined: the ping failed; `notConnected`: not pinged, no connection to use (not a failure). */
  | { type: 'ping-result', peerId: string, rttMs: number | undefined, notConnected?: boolean }
  | { type: 'leave', peerId: string }
  | { type: 'connected', peerId: string }
  | { type: 'disconnected', peerId: string }
  | { type: 'tick' }
  /** Internal: publishes the view if RTT updates left it stale. */
  | { type: 'publish' }
  /** Several messages handled in one turn (see `Coalescer`): a sign of life comes with every gossip message. */
  | { type: 'batch', batch: Batch<MembershipMsg> }

/** Events reported to the owner (metrics, node events). */
export type MembershipEvent =
  | { type: 'joined', member: Member }
  | { type: 'left', peerId: string, reason: 'left' | 'expired' }
  | { type: 'unhealthy', peerId: string }
  | { type: 'recovered', peerId: string }
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

/** What the actor is built from. */
export interface MembershipInit {
  memberTtlMs: number
  pingFailures: number
  /** Members kept connected and pinged besides those already connected (0 = every member). @default 0 */
  activePeers?: number
  /** This node's peer id (ranks the active view). @default '' */
  self?: string
  /** Wall time for membership (network time, not record time). */
  now: () => number
  /** Pings a peer; resolves with the RTT in ms or rejects. Bounded by the caller's timeout. */
  ping: (peerId: string, opts: PingOptions) => Promise<number | undefined>
  /** Called with a fresh frozen view after every change. */
  onView: (members: readonly Member[]) => void
  /** Called for joins, leaves and health changes. */
  onEvent: (event: MembershipEvent) => void
}

interface MembershipState {
  table: MembershipTable
  pinging: Set<string>
  /** RTT changed since the last published view; a `publish` message is on its way. */
  stale: boolean
}

/** Spawns the membership actor under `parent`. */
export function spawnMembership (parent: Parameters<typeof spawn>[0], init: MembershipInit): Ref<MembershipMsg> {
  let self: Ref<MembershipMsg> | undefined
  const publish = (s: MembershipState): void => {
    s.stale = false
    init.onView(Object.freeze(s.table.list()))
  }
  const publishSoon = (s: MembershipState): void => {
    if (s.stale || self === undefined) return
    s.stale = true
    dispatch(self, { type: 'publish' })
  }
  const ping = (s: MembershipState, id: string): void => {
    if (s.pinging.has(id)) return
    s.pinging.add(id)
    init.ping(id, { dial: s.table.isPreferred(id) }).then(
      rtt => { if (self !== undefined) dispatch(self, { type: 'ping-result', peerId: id, rttMs: rtt, notConnected: rtt === undefined }) },
      () => { if (self !== undefined) dispatch(self, { type: 'ping-result', peerId: id, rttMs: undefined }) }
    )
  }
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

  const handle = (s: MembershipState, msg: MembershipMsg): MembershipState => {
    switch (msg.type) {
      case 'batch':
        return handleBatch(s, msg.batch, handle)
      case 'seen': {
        const change = s.table.seen(msg.peerId, init.now(), msg.addresses, msg.connected)
        report(s, msg.peerId, change)
        if (change === 'joined') {
          publish(s)
          if (s.table.isActive(msg.peerId)) ping(s, msg.peerId)
        } else if (change === 'updated') publishSoon(s)
        return s
      }
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
          change = s.table.pingOk(msg.peerId, msg.rttMs, init.now())
        }
        report(s, msg.peerId, change)
        // Health decides who is a replica: publish at once. RTT only orders them.
        if (change === 'unhealthy' || change === 'recovered') publish(s)
        else if (change === 'updated') publishSoon(s)
        return s
      }
      case 'publish': {
        if (s.stale) publish(s)
        return s
      }
      case 'leave':
        if (s.table.leave(msg.peerId, init.now())) {
          init.onEvent({ type: 'left', peerId: msg.peerId, reason: 'left' })
          publish(s)
        }
        return s
      case 'connected':
        s.table.reconnected(msg.peerId)
        publishSoon(s)
        return s
      case 'disconnected':
        s.table.disconnected(msg.peerId)
        publishSoon(s)
        return s
      case 'tick': {
        const gone = s.table.expire(init.now())
        for (const id of gone) init.onEvent({ type: 'left', peerId: id, reason: 'expired' })
        if (gone.length > 0) publish(s)
        else publishSoon(s) // lastSeen of members heard from (announces, gossip) since
        // Only the active view: pinging every member would connect every pair.
        for (const id of s.table.activeIds()) ping(s, id)
        return s
      }
      default:
        return assertNever(msg)
    }
  }
  self = spawn(parent, handle, 'membership', {
    initialState: { table: new MembershipTable({ memberTtlMs: init.memberTtlMs, pingFailures: init.pingFailures, activePeers: init.activePeers, self: init.self }), pinging: new Set<string>(), stale: false },
    // Each step leaves the table consistent: keep it and go on with the next message.
    onCrash: (_msg, _err, ctx) => ctx.resume
  })
  return self
}
