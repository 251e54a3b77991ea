/**
 * The monitor's Prometheus metrics, on its own registry (served at `/metrics`). Labels come
 * from small enums only: never a key hash, a write id or a URL.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'

/** Why a proof was rejected: the SDK verifier's reasons. */
export type RejectReason = 'malformed' | 'key_mismatch' | 'write_mismatch' | 'node_mismatch' | 'unknown_public_key' | 'bad_signature'

/** Every metric of the monitor. */
export interface MonitorMetrics {
  registry: Registry
  /** Proofs stored, by result (`valid` | `rejected`). */
  proofs: Counter<'result'>
  /** Rejected proofs, by the verifier's reason. */
  rejected: Counter<'reason'>
  /** Proofs received again (stream and backfill overlap, restarts): deduplicated. */
  duplicates: Counter
  /** Cycle summaries stored, by how they arrived (`stream` | `backfill`). */
  cycles: Counter<'via'>
  /** Stretches of cycles that could not be filled, by reason. */
  gaps: Counter<'reason'>
  /** Quorum decisions, by outcome (`met` | `missed` | `met_late`). */
  decisions: Counter<'outcome'>
  /** Flagged writes waiting for their deadline. */
  pending: Gauge
  /** Alerts raised, by kind (`quorum_missed` | `gap` | `node_unreachable`). */
  alerts: Counter<'kind'>
  /** Webhook deliveries, by result (`delivered` | `failed` | `retried` | `dropped`). */
  webhooks: Counter<'result'>
  /** Watched nodes, by state (`connecting` | `synced` | `down`). */
  nodes: Gauge<'state'>
  /** Stream reconnects. */
  reconnects: Counter
  /** Failed database operations. */
  dbErrors: Counter
  /** Rows deleted by the retention, by table. */
  retentionDeleted: Counter<'table'>
}

/** Builds the metrics on a fresh registry (one per monitor, so several monitors can share a process). */
export function createMonitorMetrics (registry = new Registry()): MonitorMetrics {
  const registers = [registry]
  collectDefaultMetrics({ register: registry, prefix: 'repram_monitor_' })
  return {
    registry,
    proofs: new Counter({ name: 'repram_monitor_proofs_total', help: 'Deletion proofs stored, by verification result (valid, rejected)', labelNames: ['result'], registers }),
    rejected: new Counter({ name: 'repram_monitor_proofs_rejected_total', help: 'Rejected proofs (forged, altered, malformed), by the verifier\'s reason', labelNames: ['reason'], registers }),
    duplicates: new Counter({ name: 'repram_monitor_proofs_duplicate_total', help: 'Proofs received again (stream and backfill overlap) and not stored twice', registers }),
    cycles: new Counter({ name: 'repram_monitor_cycles_total', help: 'Attestation cycle summaries stored, by how they arrived (stream, backfill)', labelNames: ['via'], registers }),
    gaps: new Counter({ name: 'repram_monitor_gaps_total', help: 'Stretches of a node\'s cycles the monitor could not fill, by reason', labelNames: ['reason'], registers }),
    decisions: new Counter({ name: 'repram_monitor_quorum_decisions_total', help: 'Proof-quorum decisions on flagged writes, by outcome (met, missed, met_late)', labelNames: ['outcome'], registers }),
    pending: new Gauge({ name: 'repram_monitor_writes_pending', help: 'Flagged writes known to the monitor and not decided yet', registers }),
    alerts: new Counter({ name: 'repram_monitor_alerts_total', help: 'Alerts raised, by kind (quorum_missed, gap, node_unreachable)', labelNames: ['kind'], registers }),
    webhooks: new Counter({ name: 'repram_monitor_webhook_deliveries_total', help: 'Webhook attempts, by result (delivered, retried, failed, dropped)', labelNames: ['result'], registers }),
    nodes: new Gauge({ name: 'repram_monitor_nodes', help: 'Watched nodes, by state (connecting, synced, down)', labelNames: ['state'], registers }),
    reconnects: new Counter({ name: 'repram_monitor_reconnects_total', help: 'Reconnects to a node\'s attestation stream', registers }),
    dbErrors: new Counter({ name: 'repram_monitor_db_errors_total', help: 'Failed database operations', registers }),
    retentionDeleted: new Counter({ name: 'repram_monitor_retention_deleted_total', help: 'Rows deleted by the retention setting, by table', labelNames: ['table'], registers })
  }
}
