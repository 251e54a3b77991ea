/**
 * What the cluster layer reports about its actors, in one place: the metric each actor's
 * counters move, and the logs and node events of membership changes. Labels come from
 * small enums only; peer ids are logged, keys and values never.
 */
import type { Logger } from '../logger.js'
import type { LocalStore } from '../node/store.js'
import type { GossipCounters } from '../../actors/gossip-peer/index.js'
import type { MembershipCounters, MembershipEvent } from '../../actors/membership/index.js'
import type { InboundResult, InboundVia } from '../../actors/inbound-writes/index.js'
import type { QuorumCoordinatorInit } from '../../actors/quorum-coordinator/index.js'
import type { ClusterMetrics } from './metrics.js'
import type { SyncMetrics } from './sync.js'

/** The counters and hooks handed to the network actors. */
export interface ClusterReports {
  gossip: GossipCounters
  membership: MembershipCounters
  inbound: (via: InboundVia, result: InboundResult) => void
  coordinator: Pick<QuorumCoordinatorInit, 'onOutcome' | 'onAck'>
  /** Logs, metrics and node events of a membership event. */
  membershipEvent: (event: MembershipEvent) => void
}

/** Builds the reports of one node's cluster layer. */
export function clusterReports (store: LocalStore, m: ClusterMetrics, sync: SyncMetrics, log: Logger): ClusterReports {
  const enclave = store.config.enclave
  return {
    gossip: {
      message: (direction, result) => m.gossipMessages.inc({ direction, result }),
      writes: (direction, result, n) => m.gossipWrites.inc({ direction, result }, n),
      rejected: (reason) => log.debug({ reason }, 'rejected a gossip message'),
      rejectedWrite: (result) => m.gossipWrites.inc({ direction: 'in', result }),
      droppedWrites: (reason, n) => m.writesDropped.inc({ via: 'gossip', reason }, n),
      outOfJurisdiction: (n) => store.outOfJurisdiction('refused', 'gossip', n)
    },
    membership: {
      announce: (result) => m.announces.inc({ result }),
      exchange: (result) => m.peerExchanges.inc({ result }),
      dialFailure: (kind) => m.dialFailures.inc({ kind }),
      candidate: (result) => m.candidates.inc({ result }),
      candidates: (n) => m.candidatesHeld.set(n)
    },
    // Each inbound write, counted under the metric of the protocol that carried it.
    inbound: (via, result) => {
      // A write that expired in transit is no fault of its sender: one counter for every path.
      if (result === 'expired_in_transit') {
        m.writesDropped.inc({ via, reason: result })
        return
      }
      // Outside the write's jurisdictions: one counter for every path (docs/compliance.md).
      if (result === 'out_of_jurisdiction') {
        store.outOfJurisdiction('refused', via === 'pulled' || via === 'received' ? 'sync' : via)
        return
      }
      switch (via) {
        case 'gossip': m.gossipWrites.inc({ direction: 'in', result }); break
        case 'replicate': if (result === 'invalid') m.replicateFrames.inc({ result: 'invalid_write' }); break
        case 'pulled': case 'received': sync.records.inc({ direction: via, result }); break
      }
    },
    coordinator: {
      onOutcome: (outcome) => m.quorumOutcomes.inc({ outcome }),
      onAck: (ok, ms) => m.replicationLatency.observe({ result: ok ? 'ok' : 'failed' }, ms / 1000)
    },
    membershipEvent: (e) => {
      switch (e.type) {
        case 'joined':
          m.peerJoins.inc()
          log.info({ peer: e.member.id }, 'peer joined')
          store.peerEvent('peer:joined', { peerId: e.member.id, enclave })
          break
        case 'left':
          m.peerEvictions.inc({ reason: e.reason })
          log.info({ peer: e.peerId, reason: e.reason }, 'peer left')
          store.peerEvent('peer:left', { peerId: e.peerId, enclave, reason: e.reason })
          break
        case 'unhealthy': log.warn({ peer: e.peerId }, 'peer unhealthy'); break
        case 'recovered': log.info({ peer: e.peerId }, 'peer recovered'); break
        case 'ping-failed': m.pingFailures.inc(); break
        case 'reconnected': break
      }
    }
  }
}
