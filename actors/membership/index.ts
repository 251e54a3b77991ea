/**
 * The Membership actor: owns the {@link MembershipTable} of one enclave. Signs of life,
 * ping results and leaves arrive as messages; on `tick` it forgets stale members and
 * pings the rest through the injected `ping`. After every change it publishes a frozen
 * view through `onView`, which the quorum coordinator reads without a round trip.
 */
import { dispatch, spawn, type Ref } from 'nact'
import { assertNever } from '../../src/actors/ask.js'
import { MembershipTable, type Member, type MemberChange } from './membership.js'

export { MembershipTable, quorumSize, announceIntervalMs, isForgotten, type Member, type MemberChange, type MembershipTiming } from './membership.js'

/** Every message the membership actor understands. */
export type MembershipMsg =
  | { type: 'seen', peerId: string, addresses?: string[] }
  | { type: 'ping-result', peerId: string, rttMs: number | undefined }
  | { type: 'leave', peerId: string }
  | { type: 'connected', peerId: string }
  | { type: 'tick' }

/** Events reported to the owner (metrics, node events). */
export type MembershipEvent =
  | { type: 'joined', member: Member }
  | { type: 'left', peerId: string, reason: 'left' | 'expired' }
  | { type: 'unhealthy', peerId: string }
  | { type: 'recovered', peerId: string }
  | { type: 'ping-failed', peerId: string }

/** What the actor is built from. */
export interface MembershipInit {
  memberTtlMs: number
  pingFailures: number
  /** Wall time for membership (network time, not record time). */
  now: () => number
  /** Pings a peer; resolves with the RTT in ms or rejects. Bounded by the caller's timeout. */
  ping: (peerId: string) => Promise<number>
  /** Called with a fresh frozen view after every change. */
  onView: (members: readonly Member[]) => void
  /** Called for joins, leaves and health changes. */
  onEvent: (event: MembershipEvent) => void
}

interface MembershipState { table: MembershipTable, pinging: Set<string> }

/** Spawns the membership actor under `parent`. */
export function spawnMembership (parent: Parameters<typeof spawn>[0], init: MembershipInit): Ref<MembershipMsg> {
  let self: Ref<MembershipMsg> | undefined
  const publish = (s: MembershipState): void => { init.onView(Object.freeze(s.table.list())) }
  const report = (s: MembershipState, peerId: string, change: MemberChange): void => {
    switch (change) {
      case 'joined': {
        const m = s.table.get(peerId)
        if (m !== undefined) init.onEvent({ type: 'joined', member: { ...m } })
        break
      }
      case 'unhealthy': init.onEvent({ type: 'unhealthy', peerId }); break
      case 'recovered': init.onEvent({ type: 'recovered', peerId }); break
      case 'updated': case 'none': break
      default: assertNever(change)
    }
  }

  self = spawn(parent, (s: MembershipState, msg: MembershipMsg): MembershipState => {
    switch (msg.type) {
      case 'seen': {
        const change = s.table.seen(msg.peerId, init.now(), msg.addresses)
        report(s, msg.peerId, change)
        if (change === 'joined' || msg.addresses !== undefined) publish(s)
        return s
      }
      case 'ping-result': {
        s.pinging.delete(msg.peerId)
        if (msg.rttMs === undefined) {
          if (s.table.get(msg.peerId) !== undefined) init.onEvent({ type: 'ping-failed', peerId: msg.peerId })
          report(s, msg.peerId, s.table.pingFailed(msg.peerId))
        } else {
          report(s, msg.peerId, s.table.pingOk(msg.peerId, msg.rttMs, init.now()))
        }
        publish(s)
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
        return s
      case 'tick': {
        const gone = s.table.expire(init.now())
        for (const id of gone) init.onEvent({ type: 'left', peerId: id, reason: 'expired' })
        if (gone.length > 0) publish(s)
        for (const m of s.table.list()) {
          if (s.pinging.has(m.id)) continue
          s.pinging.add(m.id)
          const id = m.id
          init.ping(id).then(
            rtt => { if (self !== undefined) dispatch(self, { type: 'ping-result', peerId: id, rttMs: rtt }) },
            () => { if (self !== undefined) dispatch(self, { type: 'ping-result', peerId: id, rttMs: undefined }) }
          )
        }
        return s
      }
      default:
        return assertNever(msg)
    }
  }, 'membership', {
    initialState: { table: new MembershipTable({ memberTtlMs: init.memberTtlMs, pingFailures: init.pingFailures }), pinging: new Set<string>() },
    // Each step leaves the table consistent: keep it and go on with the next message.
    onCrash: (_msg, _err, ctx) => ctx.resume
  })
  return self
}
