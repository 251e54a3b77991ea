/**
 * The assembly entry point: `createRepramNode` chooses how a node meets the network. With
 * networking on (the default, except under the `test` profile, and always when a `libp2p`
 * node is given) it runs the libp2p cluster layer of `src/net/`; otherwise the node is
 * local. This is the one place that imports both the node and the network layer, so
 * neither imports the other.
 *
 * @example
 * import { createRepramNode } from 'repram'
 * const node = await createRepramNode({ config: { profile: 'test' } })   // local: no libp2p
 * const put = await node.put('app/session/42', new TextEncoder().encode('hi'), { ttl: 60 })
 * await node.stop()
 */
import type { Libp2p } from '@libp2p/interface'
import { startRepramNode, type RepramNode, type RepramNodeInit } from './node/node.js'
import { ClusterReplicator } from './net/cluster.js'

/** What {@link createRepramNode} takes: the node's init, plus how to reach the network. */
export interface CreateRepramNodeInit extends RepramNodeInit {
  /**
   * Whether to join the network: build a libp2p node from the config (listen, peers, mdns,
   * clusterSecret, dataDir identity) and replicate. `false` makes a purely local node.
   * @default true, except under the `test` profile (and always true when `libp2p` is given)
   */
  network?: boolean
  /** An existing, started libp2p node (with a gossipsub service) to run on instead of creating one. Not stopped by the node. */
  libp2p?: Libp2p<any>
}

/** Creates and starts a node: networked through libp2p unless told otherwise (see {@link CreateRepramNodeInit.network}). */
export async function createRepramNode (init: CreateRepramNodeInit = {}): Promise<RepramNode> {
  const { network, libp2p, ...rest } = init
  const networked = libp2p !== undefined || (network ?? (init.config?.profile ?? 'default') !== 'test')
  const replicator = init.replicator ?? (networked ? new ClusterReplicator({ libp2p }) : undefined)
  return await startRepramNode({ ...rest, replicator })
}
