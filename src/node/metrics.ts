/**
 * Metrics of the storage layer, registered on the node's registry. Gauges are read
 * from the shards at scrape time, so the hot path pays nothing for them.
 */
import { Counter, Gauge, collectDefaultMetrics, type Registry } from 'prom-client'
import type { EventEmitter } from 'node:events'

/** A node's storage figures, as its `stats()` gives them. */
type StorageStats = { records: number, bytes: number, capacityBytes: number, arenaBytes: number }

/** What the metrics read of a node (a structural subset, so this file does not import the node). */
interface MeteredNode extends Pick<EventEmitter, 'on'> {
  stats: () => Promise<StorageStats>
}

/** The storage metrics of a node. */
export interface NodeMetrics {
  records: Gauge
  bytes: Gauge
  capacity: Gauge
  arena: Gauge
  expirations: Counter
  writes: Counter<'origin'>
  /** Throws inside actors, by actor (a small enum: the shards share `storage-shard`). */
  actorCrashes: Counter<'actor'>
  /** Records this node did not store because it is outside their jurisdictions, by the path they came on. */
  jurisdictionRefused: Counter<'path'>
  /** Records this node did not send to a peer outside their jurisdictions, by path. */
  jurisdictionWithheld: Counter<'path'>
}

/** Registers node metrics (and process metrics) on `registry`. */
export function createNodeMetrics (node: MeteredNode, registry: Registry): NodeMetrics {
  collectDefaultMetrics({ register: registry, prefix: 'repram_' })
  let last: Promise<StorageStats> | undefined
  // One stats round-trip per scrape, shared by the four gauges.
  const stats = async (): Promise<StorageStats> => {
    last ??= node.stats().finally(() => { setImmediate(() => { last = undefined }) })
    return await last
  }
  const metrics: NodeMetrics = {
    records: new Gauge({ name: 'repram_records', help: 'Live records stored on this node', registers: [registry], async collect () { this.set((await stats()).records) } }),
    bytes: new Gauge({ name: 'repram_bytes_stored', help: 'Bytes of keys plus values stored on this node', registers: [registry], async collect () { this.set((await stats()).bytes) } }),
    capacity: new Gauge({ name: 'repram_capacity_bytes', help: 'Storage capacity of this node in bytes', registers: [registry], async collect () { this.set((await stats()).capacityBytes) } }),
    arena: new Gauge({ name: 'repram_value_arena_bytes', help: 'Bytes of the off-heap segments holding values up to 16 KiB', registers: [registry], async collect () { this.set((await stats()).arenaBytes) } }),
    expirations: new Counter({ name: 'repram_expirations_total', help: 'Records deleted because their TTL ran out', registers: [registry] }),
    writes: new Counter({ name: 'repram_writes_total', help: 'Records stored, by origin', labelNames: ['origin'] as const, registers: [registry] }),
    actorCrashes: new Counter({ name: 'repram_actor_crashes_total', help: 'Messages an actor threw on (the asker is failed at once; the actor resumes, resets or stops by its policy)', labelNames: ['actor'] as const, registers: [registry] }),
    jurisdictionRefused: new Counter({ name: 'repram_jurisdiction_refused_total', help: 'Records not stored because this node is outside their jurisdictions (path: http, replicate, gossip, sync, read_through)', labelNames: ['path'] as const, registers: [registry] }),
    jurisdictionWithheld: new Counter({ name: 'repram_jurisdiction_withheld_total', help: 'Records not sent to a peer outside their jurisdictions (path: sync, read_through, blob)', labelNames: ['path'] as const, registers: [registry] })
  }
  node.on('record:expired', () => metrics.expirations.inc())
  const localWrites = metrics.writes.labels('local')
  const remoteWrites = metrics.writes.labels('remote')
  node.on('record:stored', (e: { origin?: 'local' | 'remote' }) => (e.origin === 'remote' ? remoteWrites : localWrites).inc())
  return metrics
}
