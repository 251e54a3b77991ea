/**
 * The cluster layer: libp2p wiring, the gossip and replicate protocols, membership and
 * the embedding service. Re-exported from the package root.
 *
 * @example
 * import { createRepramNode } from 'repram'
 * const a = await createRepramNode({ config: { profile: 'test', listen: ['/ip4/127.0.0.1/tcp/0'] }, network: true })
 * const b = await createRepramNode({ config: { profile: 'test', peers: a.networkInfo().addresses }, network: true })
 * const put = await a.put('greeting', new TextEncoder().encode('hi'), { ttl: 60 })
 * console.log(put.quorum) // true once b has acknowledged
 * await b.stop(); await a.stop()
 */
export { repram, RepramService, type RepramServiceInit } from './service.js'
export { ClusterReplicator, type ClusterReplicatorInit } from './cluster.js'
export { createRepramLibp2p, gossipsubOptions, type RepramLibp2p, type RepramLibp2pServices, type CreateRepramLibp2pOptions } from './libp2p.js'
export { loadOrCreateIdentity } from './identity.js'
export { pskFromSecret } from './pnet.js'
export { topicFor } from './topic.js'
export { checkWrite, type WriteRejection, type WriteLimits } from '../wire/write.js'
export { REPLICATE_PROTOCOL } from './constants.js'
export { GossipMessage, ReplicateRequest, ReplicateResponse, WriteResult, type Write } from '../wire/pb/repram.js'
export { announceIntervalMs } from '../../actors/membership/index.js'
export { quorumSize } from '../../actors/quorum-coordinator/index.js'
