/**
 * `repram(init)`: a js-libp2p service factory, so another libp2p application embeds a
 * REPRAM node next to its own protocols, sharing its peer id, connections and gossipsub
 * (DESIGN §3). The host node must have a gossipsub service (named `pubsub` unless told
 * otherwise). Members are pinged on REPRAM's replicate protocol: no `ping` service is needed.
 *
 * @example
 * import { createLibp2p } from 'libp2p'
 * import { gossipsub } from '@libp2p/gossipsub'
 * import { repram } from 'repram'
 * const libp2p = await createLibp2p({
 *   // transports, connectionEncrypters, streamMuxers, identify, ping ...
 *   services: { pubsub: gossipsub(), repram: repram({ config: { enclave: 'app', profile: 'test' } }) }
 * })
 * await libp2p.services.repram.node.put('k', new TextEncoder().encode('v'), { ttl: 60 })
 */
import { serviceCapabilities, type Startable } from '@libp2p/interface'
import type { Clock } from '../clock.js'
import type { RepramConfig, RepramConfigInput } from '../config.js'
import type { Logger } from '../logger.js'
import { startRepramNode, type RepramNode } from '../node/node.js'
import { DEFAULT_PUBSUB_SERVICE } from './constants.js'
import { hostFromComponents, type HostComponents } from './host.js'
import { ClusterReplicator } from './cluster.js'

/** Options of {@link repram}. */
export interface RepramServiceInit {
  /** Node config (enclave, network, limits, timings). `listen`, `peers`, `mdns`, `clusterSecret` and `dataDir` belong to the host libp2p node and are ignored. */
  config?: RepramConfig | RepramConfigInput
  /** Name of the host's gossipsub service. @default 'pubsub' */
  pubsubService?: string
  /**
   * Not read: members are pinged on REPRAM's replicate protocol, so the host's ping service
   * is not needed. Kept so that code passing it still compiles.
   * @deprecated
   */
  pingService?: string
  /** Time source for records. @default systemClock */
  clock?: Clock
  /** Logger. @default a pino logger at `config.logLevel` */
  logger?: Logger
}

/** The service instance: `libp2p.services.repram`. */
export class RepramService implements Startable {
  readonly [Symbol.toStringTag] = '@repram/service'
  readonly [serviceCapabilities]: string[] = ['@repram/kv']
  private current: RepramNode | undefined

  constructor (private readonly components: HostComponents, private readonly init: RepramServiceInit = {}) {}

  /** The embedded node (put, get, keys, events). Available once libp2p has started. */
  get node (): RepramNode {
    if (this.current === undefined) throw new Error('the repram service is not started: start libp2p first')
    return this.current
  }

  start (): void {}

  /** Runs after every other service started, so gossipsub is up. */
  async afterStart (): Promise<void> {
    if (this.current !== undefined) return
    const host = hostFromComponents(this.components, this.init.pubsubService ?? DEFAULT_PUBSUB_SERVICE)
    this.current = await startRepramNode({
      config: this.init.config,
      clock: this.init.clock,
      logger: this.init.logger,
      replicator: new ClusterReplicator({ host })
    })
  }

  /** Announces the leave and stops the node before libp2p closes connections. */
  async beforeStop (): Promise<void> {
    const n = this.current
    this.current = undefined
    await n?.stop()
  }

  stop (): void {}
}

/** A libp2p service factory that embeds a REPRAM node. */
export function repram (init: RepramServiceInit = {}): (components: HostComponents) => RepramService {
  return (components) => new RepramService(components, init)
}
