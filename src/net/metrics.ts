/**
 * Prometheus metrics of the cluster layer, registered on the node's registry. Labels come
 * only from the small enums below: never keys, values or peer-controlled strings.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { PENALTY_REASONS } from './reputation.js'

/** The cluster metrics. */
export interface ClusterMetrics {
  peersActive: Gauge<'state'>
  peerJoins: Counter
  peerEvictions: Counter<'reason'>
  pingFailures: Counter
  gossipMessages: Counter<'direction' | 'result'>
  gossipWrites: Counter<'direction' | 'result'>
  replicateFrames: Counter<'result'>
  writesDropped: Counter<'via' | 'reason'>
  replicationLatency: Histogram<'result'>
  quorumOutcomes: Counter<'outcome'>
  dialFailures: Counter<'kind'>
  announces: Counter<'result'>
  peerExchanges: Counter<'result'>
  candidates: Counter<'result'>
  candidatesHeld: Gauge
  peerPenalties: Counter<'reason'>
}

/** Creates and registers the cluster metrics on `registry`. */
export function createClusterMetrics (registry: Registry): ClusterMetrics {
  const registers = [registry]
  return {
    peersActive: new Gauge({ name: 'repram_peers_active', help: 'Enclave peers counted by membership (state: healthy or unhealthy)', labelNames: ['state'], registers }),
    peerJoins: new Counter({ name: 'repram_peer_joins_total', help: 'Enclave peers that joined membership', registers }),
    peerEvictions: new Counter({ name: 'repram_peer_evictions_total', help: 'Enclave peers removed from membership (reason: left gracefully or expired after memberTtl)', labelNames: ['reason'], registers }),
    pingFailures: new Counter({ name: 'repram_ping_failures_total', help: 'Failed pings of enclave peers', registers }),
    gossipMessages: new Counter({ name: 'repram_gossip_messages_total', help: 'Gossip messages by direction (in, out) and result (accept, reject, ignore, published, no_peers, error)', labelNames: ['direction', 'result'], registers }),
    gossipWrites: new Counter({ name: 'repram_gossip_writes_total', help: 'Writes carried by gossip messages, by direction and result', labelNames: ['direction', 'result'], registers }),
    replicateFrames: new Counter({ name: 'repram_replicate_frames_refused_total', help: 'Inbound /repram/replicate/1.0.0 frames refused (schema, enclave, invalid write)', labelNames: ['result'], registers }),
    writesDropped: new Counter({ name: 'repram_writes_dropped_total', help: 'Peer writes dropped alone, the rest of their message or frame kept, with no penalty for the sender (via: gossip, replicate, pulled, received; reason: expired_in_transit)', labelNames: ['via', 'reason'], registers }),
    replicationLatency: new Histogram({
      name: 'repram_replication_latency_seconds',
      help: 'Time from a local write to each direct replica ack (result: ok or failed)',
      labelNames: ['result'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers
    }),
    quorumOutcomes: new Counter({ name: 'repram_quorum_outcomes_total', help: 'Quorum writes by outcome (quorum, alone, timeout, unreachable, shutdown)', labelNames: ['outcome'], registers }),
    dialFailures: new Counter({ name: 'repram_dial_failures_total', help: 'Failed dials (kind: bootstrap, discovery, member, candidate: a verification dial to announced addresses)', labelNames: ['kind'], registers }),
    announces: new Counter({ name: 'repram_announces_total', help: 'Membership announces on gossip (result: sent, or skipped: this node published gossip within the announce interval)', labelNames: ['result'], registers }),
    peerExchanges: new Counter({ name: 'repram_peer_exchanges_total', help: 'Peer exchanges asked of the first peer after being alone (result: ok or failed)', labelNames: ['result'], registers }),
    candidates: new Counter({ name: 'repram_membership_candidates_total', help: 'Peers not yet verified, by result: added (an unverified candidate, heard of through a member), verified (a dial or handshake completed), dial_failed, handshake_failed, handshake_busy, expired (unheard of for memberTtl), or refused: pool_full, source_cap, range_cap, no_address, unverified_source (relayed by a peer that is not a member)', labelNames: ['result'], registers }),
    candidatesHeld: new Gauge({ name: 'repram_membership_candidates', help: 'Unverified candidates held now (they count for nothing until verified)', registers }),
    peerPenalties: (() => {
      const c = new Counter({ name: 'repram_peer_penalties_total', help: `Score penalties this node gave peers, by reason (faults: invalid_write, invalid_gossip, budget; flaky signs, capped: rate_limited, ping_failed, pull_failed, replicate_failed)`, labelNames: ['reason'], registers })
      for (const reason of PENALTY_REASONS) c.inc({ reason }, 0)
      return c
    })()
  }
}
