/**
 * Metrics of the attestor on the node's registry. No key, key hash or write id ever
 * appears in a label.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { AttestorCounters } from '../../actors/attestor/index.js'

/** The attestor's metrics. */
export interface AttestorMetrics {
  signed: Counter
  dropped: Counter<'reason'>
  cyclesClosed: Counter
  retained: Gauge
}

/** Registers the attestor metrics on `registry`. */
export function createAttestorMetrics (registry: Registry): AttestorMetrics {
  return {
    signed: new Counter({ name: 'repram_attestations_signed_total', help: 'Deletion attestations signed for expired flagged records', registers: [registry] }),
    dropped: new Counter({ name: 'repram_attestations_dropped_total', help: 'Flagged expirations not attested: overflow (cycle full) or invalid (could not be encoded or signed)', labelNames: ['reason'] as const, registers: [registry] }),
    cyclesClosed: new Counter({ name: 'repram_attestation_cycles_closed_total', help: 'Attestation cycles closed', registers: [registry] }),
    retained: new Gauge({ name: 'repram_attestations_retained', help: 'Attestations held in the retained cycles', registers: [registry] })
  }
}

/** The actor's view of the metrics. */
export function attestorCounters (m: AttestorMetrics): AttestorCounters {
  return {
    signed: () => m.signed.inc(),
    dropped: (reason) => m.dropped.inc({ reason }),
    cyclesClosed: (n) => m.cyclesClosed.inc(n),
    retained: (n) => m.retained.set(n)
  }
}
