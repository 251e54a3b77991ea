/**
 * The node's attestation service: owns the Attestor actor, feeds it the node's flagged
 * expirations, answers the public API's reads and fans closed cycles out to subscribers
 * (the WebSocket stream). Created by the node; reached as `node.attestations`.
 *
 * @example
 * import { createRepramNode } from 'repram'
 * const node = await createRepramNode({ config: { profile: 'test' } })
 * const stop = node.attestations.subscribe(c => console.log(c.cycle.cycle, c.attestations.length))
 * console.log(await node.attestations.list())
 * stop(); await node.stop()
 */
import { EventEmitter } from 'node:events'
import { dispatch, stop as stopActor, type Ref } from 'nact'
import { peerIdFromString } from '@libp2p/peer-id'
import { Asker } from '../../actors/runtime/ask.js'
import type { NodeContext } from '../node/store.js'
import type { Logger } from '../logger.js'
import { spawnAttestor, type AttestorMsg, type CycleReply, type ListReply } from '../../actors/attestor/index.js'
import type { AttestationListing, CycleAttestations, SignerInfo } from '../sdk/attest/types.js'
import { attestorCounters, createAttestorMetrics, type AttestorMetrics } from './metrics.js'
import { ephemeralSigner, identitySigner, type AttestationSigner } from './signer.js'

/** How long a read waits for the actor. */
const READ_TIMEOUT_MS = 5000

/** What the attestor needs from its node (a structural subset of `RepramNode`). */
export interface AttestationServiceHost extends NodeContext {
  networkInfo(): { nodeId: string }
  on(event: 'record:expired', fn: (e: { key: string, writeId: string, createdAt: number, expiresAt: number, flagged: boolean }) => void): unknown
  off(event: 'record:expired', fn: (e: { key: string, writeId: string, createdAt: number, expiresAt: number, flagged: boolean }) => void): unknown
}

/** Options of {@link AttestationService}. */
export interface AttestationServiceOptions {
  /** The signing identity. @default the node's libp2p identity from `dataDir` when networked, else an ephemeral Ed25519 identity */
  signer?: AttestationSigner
}

type RunState =
  | { code: 'stopped' }
  | { code: 'started', ref: Ref<AttestorMsg>, signer: AttestationSigner }

interface ClosedEvents { closed: [CycleAttestations] }

/** The node's deletion attestations. */
export class AttestationService {
  private state: RunState = { code: 'stopped' }
  private readonly asker = new Asker()
  private readonly events = new EventEmitter<ClosedEvents>()
  private readonly metrics: AttestorMetrics
  private readonly log: Logger
  private readonly onExpired: (e: { key: string, writeId: string, createdAt: number, expiresAt: number, flagged: boolean }) => void

  constructor (private readonly host: AttestationServiceHost, private readonly opts: AttestationServiceOptions = {}) {
    this.metrics = createAttestorMetrics(host.registry)
    this.log = host.logger.child({ component: 'repram:attestor' })
    this.events.setMaxListeners(0)
    // The whole cost of an unflagged expiry: one property check.
    this.onExpired = (e) => {
      if (!e.flagged || this.state.code !== 'started') return
      dispatch(this.state.ref, { type: 'expired', record: e })
    }
  }

  /** Resolves the signer and starts attesting. Idempotent. */
  async start (): Promise<void> {
    if (this.state.code === 'started') return
    const signer = this.opts.signer ?? await this.resolveSigner()
    const c = this.host.config
    const ref = spawnAttestor(this.host.system, {
      clock: this.host.clock,
      signer,
      jurisdiction: c.jurisdiction,
      cycleMs: c.attestationCycleMs,
      retained: c.attestationCycles,
      maxPerCycle: c.maxAttestationsPerCycle,
      counters: attestorCounters(this.metrics),
      onClosed: (r) => this.events.emit('closed', this.cycleAttestations(signer, r)),
      crashed: this.host.crashes,
      onError: (err) => this.log.warn({ err: { name: err.name, message: err.message } }, 'attestation not made')
    })
    this.state = { code: 'started', ref, signer }
    this.host.on('record:expired', this.onExpired)
    this.log.debug({ nodeId: signer.nodeId, ephemeral: signer.ephemeral }, 'attestor started')
  }

  /** Stops attesting and closes every subscription. Safe to call twice. */
  async stop (): Promise<void> {
    if (this.state.code !== 'started') return
    const { ref } = this.state
    this.state = { code: 'stopped' }
    this.host.off('record:expired', this.onExpired)
    dispatch(ref, { type: 'halt' })
    this.asker.close()
    stopActor(ref)
    this.events.removeAllListeners()
  }

  /** The signer in use (undefined before start). */
  get signer (): AttestationSigner | undefined {
    return this.state.code === 'started' ? this.state.signer : undefined
  }

  /** Who signs, as every response shows it. */
  info (): SignerInfo {
    return signerInfo(this.started().signer, this.host.config.jurisdiction)
  }

  /** The cycle listing; with `keyHash`, also every retained proof for it. */
  async list (keyHash?: string): Promise<AttestationListing> {
    const { ref, signer } = this.started()
    const r = await this.asker.ask<ListReply, AttestorMsg>(ref, replyTo => ({ type: 'list', keyHash, replyTo }), READ_TIMEOUT_MS, 'attestor')
    const c = this.host.config
    return {
      ...signerInfo(signer, c.jurisdiction),
      cycle_ms: c.attestationCycleMs,
      retained_cycles: c.attestationCycles,
      max_per_cycle: c.maxAttestationsPerCycle,
      cycles: r.cycles,
      ...(keyHash !== undefined ? { key_hash: keyHash, attestations: r.attestations ?? [] } : {})
    }
  }

  /** One retained cycle (`latest`: the most recently closed), or undefined when not retained. */
  async cycle (cycle: number | 'latest', keyHash?: string): Promise<CycleAttestations | undefined> {
    const { ref, signer } = this.started()
    const r = await this.asker.ask<CycleReply | undefined, AttestorMsg>(ref, replyTo => ({ type: 'cycle', cycle, keyHash, replyTo }), READ_TIMEOUT_MS, 'attestor')
    if (r === undefined) return undefined
    const out = this.cycleAttestations(signer, r)
    return keyHash === undefined ? out : { ...out, key_hash: keyHash }
  }

  /** Calls `fn` with each cycle as it closes. Returns the unsubscribe function. */
  subscribe (fn: (c: CycleAttestations) => void): () => void {
    this.events.on('closed', fn)
    return () => { this.events.off('closed', fn) }
  }

  /** Current subscribers (tests, leak checks). */
  get subscribers (): number {
    return this.events.listenerCount('closed')
  }

  private cycleAttestations (signer: AttestationSigner, r: CycleReply): CycleAttestations {
    return { ...signerInfo(signer, this.host.config.jurisdiction), cycle: r.cycle, attestations: r.attestations }
  }

  private started (): Extract<RunState, { code: 'started' }> {
    if (this.state.code !== 'started') throw new Error('the attestor is not running')
    return this.state
  }

  /**
   * The node's libp2p identity when it is networked and its key is in `dataDir`; else an
   * ephemeral identity (a local node, or a node embedded in another libp2p application
   * that did not pass `attestationSigner`).
   */
  private async resolveSigner (): Promise<AttestationSigner> {
    const nodeId = this.host.networkInfo().nodeId
    let isPeerId = false
    try { peerIdFromString(nodeId); isPeerId = true } catch {}
    if (isPeerId) {
      const s = await identitySigner(this.host.config.dataDir, nodeId)
      if (s !== undefined) return s
      this.log.warn('the libp2p identity of this node is not readable from dataDir: attestations are signed with an ephemeral identity (pass attestationSigner to use the node key)')
    }
    return await ephemeralSigner()
  }
}

function signerInfo (s: AttestationSigner, jurisdiction: string | undefined): SignerInfo {
  const info: SignerInfo = { node_id: s.nodeId, public_key: s.publicKey, key_type: s.keyType, ephemeral: s.ephemeral }
  if (jurisdiction !== undefined) info.jurisdiction = jurisdiction
  return info
}
