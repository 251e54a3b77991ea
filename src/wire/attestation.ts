/**
 * Deletion attestations on the wire: the canonical byte encoding nodes sign, and the
 * published shape of a cycle. Below `actors/` (the attestor signs these bytes) and the SDK
 * (`src/sdk/attest/canonical.ts` re-exports it for verifiers).
 *
 * The canonical byte encoding of a deletion attestation (DESIGN §6, docs/compliance.md
 * "Canonical encoding"). Nodes sign exactly these bytes and verifiers rebuild them from
 * the published JSON, so a third party in any language can check a proof:
 *
 * ```text
 * "repram-deletion-attestation/1\n" ||
 * {"keyHash":"<64 hex>","writeId":"<id>","createdAt":<int>,"expiredAt":<int>,"deletedAt":<int>,"nodeId":"<peer id>","cycle":<int>}
 * ```
 *
 * all ASCII, no whitespace, fields in this order, integers in plain decimal. A node that
 * declares a jurisdiction signs version 2 instead, the same fields plus one, last:
 *
 * ```text
 * "repram-deletion-attestation/2\n" ||
 * {"keyHash":…,"writeId":…,"createdAt":…,"expiredAt":…,"deletedAt":…,"nodeId":…,"cycle":<int>,"jurisdiction":"<code>"}
 * ```
 *
 * so every version 1 proof stays valid as it is, and a proof cannot lose (or gain) its
 * jurisdiction without its signature failing: the version is in the signed prefix.
 * Browser-safe: no Node APIs, and imports only the import-free jurisdiction rules.
 *
 * @example
 * ```ts
 * import { canonicalAttestationBytes } from 'repram/sdk'
 * const bytes = canonicalAttestationBytes({ keyHash: 'ab'.repeat(32), writeId: 'w1', createdAt: 1, expiredAt: 2, deletedAt: 3, nodeId: '12D3KooW…', cycle: 0 })
 * ```
 */

import { isJurisdictionCode } from './jurisdiction.js'

/** Domain separation prefix: the node's libp2p key also signs gossip and handshakes, never with this prefix. */
export const ATTESTATION_DOMAIN = 'repram-deletion-attestation/1\n'

/** The prefix of version 2: an attestation by a node that declares a jurisdiction (`jurisdiction` set). */
export const ATTESTATION_DOMAIN_V2 = 'repram-deletion-attestation/2\n'

/** The signed fields of an attestation, in canonical order. Never a key, never a value. */
export interface AttestationBody {
  /** Lower-case hex SHA-256 of the key's UTF-8 bytes. */
  keyHash: string
  /** The write this proof is about (returned by `PUT`). */
  writeId: string
  /** When the write was made, ms since the epoch. */
  createdAt: number
  /** The record's `expiresAt`, ms since the epoch. */
  expiredAt: number
  /** When this node recorded the deletion of its copy, ms since the epoch (by the node's clock). */
  deletedAt: number
  /** The signing node's libp2p peer id (base58btc). */
  nodeId: string
  /** `floor(deletedAt / cycleMs)` of the node's cycle length. */
  cycle: number
  /**
   * The signing node's declared jurisdiction (`REPRAM_JURISDICTION`), when it has one: the
   * attestation is then version 2 ({@link ATTESTATION_DOMAIN_V2}). Absent: version 1.
   */
  jurisdiction?: string
}

/** A signed attestation as published by nodes. */
export interface Attestation extends AttestationBody {
  /** Lower-case hex signature by `nodeId`'s key over {@link canonicalAttestationBytes}. */
  signature: string
}

/** The canonical field order of version 1; also the only fields allowed. */
export const ATTESTATION_FIELDS = ['keyHash', 'writeId', 'createdAt', 'expiredAt', 'deletedAt', 'nodeId', 'cycle'] as const

/** The canonical field order of version 2 (a node with a jurisdiction): version 1's, then `jurisdiction`. */
export const ATTESTATION_FIELDS_V2 = [...ATTESTATION_FIELDS, 'jurisdiction'] as const

const KEY_HASH = /^[0-9a-f]{64}$/
/** Printable ASCII, as the cluster layer accepts write ids. */
const WRITE_ID = /^[\x21-\x7e]{1,64}$/
/** base58btc, the text form of libp2p peer ids. */
const NODE_ID = /^[1-9A-HJ-NP-Za-km-z]{1,128}$/
const HEX = /^(?:[0-9a-f]{2})+$/

/** Why a value is not a well-formed attestation, or undefined when it is one. */
export function attestationShapeError (x: unknown): string | undefined {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return 'not an object'
  const a = x as Record<string, unknown>
  if (typeof a.keyHash !== 'string' || !KEY_HASH.test(a.keyHash)) return 'keyHash must be 64 lower-case hex digits'
  if (typeof a.writeId !== 'string' || !WRITE_ID.test(a.writeId)) return 'writeId must be 1-64 printable ASCII characters'
  for (const f of ['createdAt', 'expiredAt', 'deletedAt', 'cycle'] as const) {
    const v = a[f]
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return `${f} must be a non-negative safe integer`
  }
  if (typeof a.nodeId !== 'string' || !NODE_ID.test(a.nodeId)) return 'nodeId must be a base58btc peer id'
  if (a.jurisdiction !== undefined && !isJurisdictionCode(a.jurisdiction)) return 'jurisdiction must be a jurisdiction code (2-16 of a-z 0-9 -, a letter first)'
  if ('signature' in a && (typeof a.signature !== 'string' || !HEX.test(a.signature))) return 'signature must be lower-case hex'
  return undefined
}

/** The version of an attestation's canonical encoding: 2 when it carries a jurisdiction, else 1. */
export function attestationVersion (body: Pick<AttestationBody, 'jurisdiction'>): 1 | 2 {
  return body.jurisdiction === undefined ? 1 : 2
}

/** JSON string literal of printable ASCII: only `"` and `\` need escaping. */
function quote (s: string): string {
  return `"${s.replace(/["\\]/g, c => `\\${c}`)}"`
}

/**
 * The canonical text of an attestation (domain prefix included). Throws `TypeError` when
 * a field is malformed, so a node never signs, and a verifier never accepts, an ambiguous body.
 */
export function canonicalAttestationString (body: AttestationBody): string {
  const err = attestationShapeError(body)
  if (err !== undefined) throw new TypeError(`malformed attestation: ${err}`)
  const fields = `"keyHash":${quote(body.keyHash)},"writeId":${quote(body.writeId)},"createdAt":${body.createdAt},"expiredAt":${body.expiredAt},"deletedAt":${body.deletedAt},"nodeId":${quote(body.nodeId)},"cycle":${body.cycle}`
  return body.jurisdiction === undefined
    ? `${ATTESTATION_DOMAIN}{${fields}}`
    : `${ATTESTATION_DOMAIN_V2}{${fields},"jurisdiction":${quote(body.jurisdiction)}}`
}

const encoder = new TextEncoder()

/** The bytes a node signs: UTF-8 (here: ASCII) of {@link canonicalAttestationString}. */
export function canonicalAttestationBytes (body: AttestationBody): Uint8Array {
  return encoder.encode(canonicalAttestationString(body))
}

/** One cycle as listed by `/v1/attestations`. Times are ms since the epoch; a cycle covers `[start, end)`. */
export interface CycleSummary {
  cycle: number
  start: number
  end: number
  /** Attestations kept (and signed) in this cycle. */
  count: number
  /** Flagged expirations not attested because the cycle was full (`maxAttestationsPerCycle`). */
  dropped: number
  /** False only for the cycle that is still open. */
  closed: boolean
}
