/**
 * Enclave rendezvous over the DHT (issue 17): every node of an enclave provides one key
 * derived from the enclave topic (`/repram/<network>/<enclave>/1`) and looks up the other
 * providers of it, so two nodes of an enclave that only know a bootstrap node of another
 * enclave still find each other. A provider found is handed on as a candidate (the
 * membership actor's `discovered`): it counts for nothing until a rate-limited dial
 * completes the REPRAM handshake, under the same caps as any candidate (issue 16).
 * One round at start, then every `rendezvousIntervalMs` on the node's clock; a round is
 * bounded by its own timeout and by stop.
 *
 * @example
 * const rv = new Rendezvous({ routing: libp2p.contentRouting, key: await rendezvousKey(topic), ... })
 * rv.start(); // … rv.stop()
 */
import { anySignal } from 'any-signal'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Clock, TimerHandle } from '../clock.js'

/** The key an enclave's nodes provide: a raw CID of sha256(`rendezvous:` + topic). */
export async function rendezvousKey (topic: string): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(`rendezvous:${topic}`)))
}

/** What the rendezvous needs of libp2p's content routing. */
export interface RendezvousRouting {
  provide: (key: CID, opts: { signal: AbortSignal }) => Promise<void>
  findProviders: (key: CID, opts: { signal: AbortSignal }) => AsyncIterable<{ id: PeerId, multiaddrs: Multiaddr[] }>
}

/** How a round ended (a metrics label). */
export type RendezvousResult = 'found' | 'none' | 'failed'

export interface RendezvousInit {
  routing: RendezvousRouting
  key: CID
  selfId: string
  clock: Clock
  intervalMs: number
  /** Bound on one round (provide, then find). */
  timeoutMs: number
  /** Most providers taken from one round. */
  maxProviders: number
  /** A provider other than this node, with its addresses. */
  onProvider: (peerId: string, addresses: string[]) => void
  onRound?: (result: RendezvousResult, providers: number) => void
  /**
   * Whether this node's addresses are worth providing yet (a relay client waits for its
   * relayed address: a record without it sends every peer behind another NAT into a
   * failed dial, and failed candidate dials back off). Lookups run regardless. @default always
   */
  ready?: () => boolean
}

type State = { code: 'running', timer: TimerHandle | undefined, halt: AbortController } | { code: 'stopped' }

export class Rendezvous {
  private state: State = { code: 'stopped' }
  private round: Promise<void> | undefined

  constructor (private readonly init: RendezvousInit) {}

  /** Runs a round now and then every interval. Safe to call twice. */
  start (): void {
    if (this.state.code === 'running') return
    this.state = { code: 'running', timer: undefined, halt: new AbortController() }
    this.schedule(0)
  }

  /** Stops the timer and aborts a round in flight. Safe to call twice. */
  async stop (): Promise<void> {
    const s = this.state
    if (s.code !== 'running') return
    this.state = { code: 'stopped' }
    if (s.timer !== undefined) this.init.clock.clearTimeout(s.timer)
    s.halt.abort(new Error('rendezvous stopped'))
    await this.round
  }

  private schedule (delayMs: number): void {
    const s = this.state
    if (s.code !== 'running') return
    s.timer = this.init.clock.setTimeout(() => {
      if (this.state.code !== 'running') return
      this.state.timer = undefined
      this.round = this.runRound(this.state.halt.signal).finally(() => this.schedule(this.init.intervalMs))
    }, delayMs)
  }

  /** One round: provide the key (a failure does not stop the lookup), then take the providers found. */
  async runRound (halt: AbortSignal): Promise<void> {
    const { routing, key, selfId } = this.init
    // any-signal, cleared after the round: AbortSignal.any over the node-long halt signal leaks (nodejs/node#55351).
    const signal = anySignal([halt, AbortSignal.timeout(this.init.timeoutMs)])
    let found = 0
    let failed = false
    try {
      if (this.init.ready?.() ?? true) await routing.provide(key, { signal })
    } catch {
      failed = true
    }
    try {
      for await (const p of routing.findProviders(key, { signal })) {
        const id = p.id.toString()
        if (id === selfId) continue
        found++
        this.init.onProvider(id, p.multiaddrs.map(ma => ma.toString()))
        if (found >= this.init.maxProviders) break
      }
    } catch {
      failed = failed || found === 0
    } finally {
      signal.clear()
    }
    if (halt.aborted) return
    this.init.onRound?.(found > 0 ? 'found' : failed ? 'failed' : 'none', found)
  }
}
