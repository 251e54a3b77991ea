/**
 * Multi-node fixtures: nodes over real TCP on 127.0.0.1 (port 0) or the in-memory
 * transport, a `createCluster(n, overrides)` helper, retry-until assertions, and
 * `stopAll()` for `afterEach`, which stops every node this module started.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { createRepramNode } from '../../src/create.js'
import { type RepramNode } from '../../src/node/index.js'
import { ClusterReplicator } from '../../src/net/cluster.js'
import type { RepramConfigInput } from '../../src/config.js'
import type { Clock } from '../../src/clock.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'

export type TransportKind = 'tcp' | 'memory'
export const TRANSPORTS: TransportKind[] = ['tcp', 'memory']

/** A started node with its cluster layer. */
export interface TestNode {
  node: RepramNode
  replicator: ClusterReplicator
  dataDir: string
  /** Full listen multiaddrs (with /p2p/<id>). */
  addrs: string[]
}

const live = new Set<TestNode>()
const dirs = new Set<string>()

/** A fresh listen address for the transport. */
export function listenAddr (transport: TransportKind): string {
  return transport === 'tcp' ? '/ip4/127.0.0.1/tcp/0' : `/memory/${randomUUID()}`
}

/** A temporary data dir, removed by {@link stopAll}. */
export function tempDir (): string {
  const d = mkdtempSync(join(tmpdir(), 'repram-it-'))
  dirs.add(d)
  return d
}

/** Starts one networked node. `config` overrides the test profile. */
export async function createNode (transport: TransportKind, config: RepramConfigInput = {}, opts: { dataDir?: string, gater?: ConnectionGater, clock?: Clock } = {}): Promise<TestNode> {
  const dataDir = opts.dataDir ?? tempDir()
  const replicator = new ClusterReplicator({ connectionGater: opts.gater })
  const node = await createRepramNode({
    clock: opts.clock,
    // A generous write timeout: the suite runs next to others on 2 cores.
    config: { profile: 'test', listen: [listenAddr(transport)], dataDir, writeTimeoutMs: 3000, ...config },
    replicator
  })
  const t: TestNode = { node, replicator, dataDir, addrs: node.networkInfo().addresses }
  live.add(t)
  return t
}

/** Options of {@link createCluster}. */
export interface ClusterOptions {
  transport: TransportKind
  /** Config for every node. */
  config?: RepramConfigInput
  /** Per-node config on top (index → overrides). */
  each?: (i: number) => RepramConfigInput
  /** Wait until every node counts every other as a member. @default true */
  converge?: boolean
}

/**
 * Starts `n` nodes; node 0 is the seed and the others bootstrap from it only (they find
 * each other through membership announces).
 */
export async function createCluster (n: number, opts: ClusterOptions): Promise<TestNode[]> {
  const seed = await createNode(opts.transport, { ...opts.config, ...opts.each?.(0) })
  const rest = await Promise.all(Array.from({ length: n - 1 }, async (_, i) =>
    await createNode(opts.transport, { peers: seed.addrs, ...opts.config, ...opts.each?.(i + 1) })))
  const nodes = [seed, ...rest]
  if (opts.converge !== false) await until(() => nodes.every(t => t.node.topology().length === n - 1), { timeoutMs: 10_000, what: `${n} nodes to see each other` })
  return nodes
}

/** Stops (gracefully) every node started by this module, then removes their data dirs. */
export async function stopAll (): Promise<void> {
  const all = [...live]
  live.clear()
  await Promise.all(all.map(async t => { await t.node.stop().catch(() => {}) }))
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  dirs.clear()
}

import { until } from '../helpers/until.js'

export { until }

/** A metric's value from the node's registry (sum over label sets matching `labels`). */
export async function metric (node: RepramNode, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await node.registry.getSingleMetric(name)?.get()
  if (m === undefined) return 0
  return m.values
    .filter(v => Object.entries(labels).every(([k, x]) => String((v.labels as Record<string, unknown>)[k]) === x))
    .reduce((n, v) => n + v.value, 0)
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
export const dec = (b: Uint8Array | undefined): string | undefined => b === undefined ? undefined : new TextDecoder().decode(b)

/**
 * A connection gater that cuts a cluster in two: while `blocked` holds a peer id, dials
 * to it and connections from it are refused. {@link Partition.split} also hangs up
 * existing connections; {@link Partition.heal} lifts the block.
 */
export class Partition {
  readonly blocked = new Set<string>()

  /** A gater for one node; share one Partition object per side. */
  gater (): ConnectionGater {
    const deny = (peer: PeerId): boolean => this.blocked.has(peer.toString())
    return {
      denyDialPeer: deny,
      denyInboundEncryptedConnection: deny,
      denyOutboundEncryptedConnection: deny
    }
  }

  /** Blocks `others` for the nodes using this gater and closes their connections to them. */
  async split (nodes: TestNode[], others: TestNode[]): Promise<void> {
    for (const o of others) this.blocked.add(o.node.nodeId)
    await Promise.all(nodes.flatMap(t => others.map(async o => {
      const host = t.replicator.libp2p
      const conns = host?.getConnections().filter(c => c.remotePeer.toString() === o.node.nodeId) ?? []
      await Promise.all(conns.map(async c => { await c.close().catch(() => c.abort(new Error('partition'))) }))
    })))
  }

  heal (): void {
    this.blocked.clear()
  }
}
