/**
 * JSON shapes of the public attestation API (`/v1/attestations…` and its WebSocket
 * stream), shared by the node that serves them and the SDK that reads them.
 */
import type { Attestation } from './canonical.js'
import type { CycleSummary } from '../../wire/attestation.js'

/** One cycle as listed (defined with the attestation wire format, which the attestor builds). */
export type { CycleSummary } from '../../wire/attestation.js'

/** Who signs: carried by every response. */
export interface SignerInfo {
  /** The node's libp2p peer id: the `nodeId` of its attestations. */
  node_id: string
  /** Hex of the libp2p protobuf encoding of the node's public key. */
  public_key: string
  /** `Ed25519` normally. */
  key_type: string
  /** True when the node signs with an ephemeral identity (not networked): valid, but not tied to a lasting peer id. */
  ephemeral: boolean
  /** The node's declared jurisdiction, when it has one: its attestations carry it (version 2). */
  jurisdiction?: string
}

/** `GET /v1/attestations`. With `?key_hash=`, `attestations` holds every retained proof for that hash. */
export interface AttestationListing extends SignerInfo {
  cycle_ms: number
  retained_cycles: number
  max_per_cycle: number
  cycles: CycleSummary[]
  key_hash?: string
  attestations?: Attestation[]
}

/** `GET /v1/attestations/{cycle}` and `/latest`. */
export interface CycleAttestations extends SignerInfo {
  cycle: CycleSummary
  key_hash?: string
  attestations: Attestation[]
}

/** Messages of `WS /v1/attestations/stream`: a hello on connect, then one `cycle` per closed cycle. */
export type AttestationStreamMessage =
  | ({ type: 'hello', cycle_ms: number, open_cycle: number } & SignerInfo)
  | ({ type: 'cycle' } & CycleAttestations)
