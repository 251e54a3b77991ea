/**
 * Turns a cycle as a node published it into rows to store: every attestation is verified
 * by the SDK's verifier (`verifyAttestation`, the same code auditors run), never by a copy
 * of it here, and kept exactly as received. A proof that fails is stored as `rejected`
 * with the verifier's reason; nothing a node sends is dropped silently.
 *
 * @example
 * const rows = await verifyAttestations(msg.attestations, { node_id: msg.node_id, public_key: msg.public_key })
 */
import { createHash } from 'node:crypto'
import { verifyAttestation } from '../sdk/attest/verify.js'
import type { CycleSummary } from '../sdk/attest/types.js'
import type { ProofInput } from './db/store.js'

/** A received attestation longer than this is not a proof any node makes: stored as text, cut here. */
export const MAX_RAW_ATTESTATION_CHARS = 16 * 1024

const KEY_HASH = /^[0-9a-f]{64}$/
const PRINTABLE = /^[\x21-\x7e]{1,128}$/

/** sha256 (hex) of a proof's JSON text: its identity for deduplication. */
export function fingerprintOf (raw: string): string {
  return createHash('sha256').update(raw).digest('hex')
}

const safeInt = (v: unknown): number | undefined => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined
const safeText = (v: unknown, re: RegExp): string | undefined => typeof v === 'string' && re.test(v) ? v : undefined

/**
 * Verifies each attestation of one node's reply and returns the rows to store. The signer's
 * `public_key` is offered to the verifier only for proofs that claim to be the serving
 * node's own (peer ids that do not embed their key need it).
 */
export async function verifyAttestations (attestations: readonly unknown[], signer: { node_id?: string, public_key?: string }): Promise<ProofInput[]> {
  const out: ProofInput[] = []
  for (const att of attestations) {
    let raw = JSON.stringify(att) ?? 'null'
    const a = (att !== null && typeof att === 'object' ? att : {}) as Record<string, unknown>
    const r = await verifyAttestation(att, { publicKey: a.nodeId === signer.node_id ? signer.public_key : undefined })
    const fingerprint = fingerprintOf(raw)
    const jurisdiction = safeText(a.jurisdiction, PRINTABLE)
    if (r.valid) {
      const v = r.attestation
      out.push({ fingerprint, status: 'valid', keyHash: v.keyHash, writeId: v.writeId, nodeId: v.nodeId, createdAt: v.createdAt, expiredAt: v.expiredAt, deletedAt: v.deletedAt, cycle: v.cycle, signature: v.signature, jurisdiction, raw })
      continue
    }
    let message = r.message
    if (raw.length > MAX_RAW_ATTESTATION_CHARS) {
      raw = JSON.stringify(raw.slice(0, MAX_RAW_ATTESTATION_CHARS))
      message += ` (${MAX_RAW_ATTESTATION_CHARS} of its characters kept, as a string)`
    }
    out.push({
      fingerprint,
      status: 'rejected',
      reason: r.reason,
      message,
      keyHash: safeText(a.keyHash, KEY_HASH),
      writeId: safeText(a.writeId, PRINTABLE),
      nodeId: safeText(a.nodeId, PRINTABLE),
      createdAt: safeInt(a.createdAt),
      expiredAt: safeInt(a.expiredAt),
      deletedAt: safeInt(a.deletedAt),
      cycle: safeInt(a.cycle),
      signature: typeof a.signature === 'string' && a.signature.length <= 1024 ? a.signature : undefined,
      jurisdiction,
      raw
    })
  }
  return out
}

/** The cycle summary of a node's reply, or why it is not one. */
export function parseCycleSummary (x: unknown): CycleSummary | string {
  if (x === null || typeof x !== 'object') return 'cycle is not an object'
  const c = x as Record<string, unknown>
  for (const f of ['cycle', 'start', 'end', 'count', 'dropped'] as const) {
    if (safeInt(c[f]) === undefined) return `cycle.${f} is not a non-negative integer`
  }
  return { cycle: c.cycle as number, start: c.start as number, end: c.end as number, count: c.count as number, dropped: c.dropped as number, closed: c.closed !== false }
}
