/**
 * Gathers deletion proofs for one key from several nodes and verifies them. One node's
 * word is weak evidence: the point is to count independent signers.
 *
 * @example
 * ```ts
 * import { collectDeletionProofs } from 'repram/sdk'
 * const r = await collectDeletionProofs(['http://n1:8080', 'http://n2:8080', 'http://n3:8080'], 'app/session/42', { writeId })
 * console.log(`${r.independentNodes} nodes attest deletion`)
 * ```
 */
import type { Attestation } from './canonical.js'
import type { AttestationListing } from './types.js'
import { keyHashOf, verifyAttestation, type AttestationFailure } from './verify.js'

/** Options of {@link collectDeletionProofs}. */
export interface CollectOptions {
  /** Only proofs for this write (the `writeId` `PUT` returned). Strongly advised. */
  writeId?: string
  /**
   * The write's jurisdictions (its `X-Jurisdiction`): a proof counts only when its signer
   * declares one of them (version 2 proofs); others are reported `jurisdiction_mismatch`.
   */
  jurisdictions?: readonly string[]
  /** Per-node timeout in ms. @default 10000 */
  timeoutMs?: number
  /** fetch to use. @default globalThis.fetch */
  fetch?: (input: string, init?: { signal?: AbortSignal, headers?: Record<string, string> }) => Promise<Response>
  /** Aborts every request. */
  signal?: AbortSignal
}

/** A valid proof and where it was found. */
export interface VerifiedProof extends Attestation {
  /** The base URL it was fetched from. */
  source: string
}

/** What one node answered. */
export interface NodeProofReport {
  url: string
  /** The node id the node reported (undefined when it could not be reached). */
  nodeId?: string
  /** `verified`: at least one valid proof; `none`: no proof; `invalid`: proofs, none valid; `error`: unreachable or bad reply. */
  status: 'verified' | 'none' | 'invalid' | 'error'
  /** Valid proofs (matching the key and, when given, the write). */
  proofs: VerifiedProof[]
  /** Proofs that failed, with why. */
  invalid: Array<{ reason: AttestationFailure, message: string, nodeId?: string }>
  error?: string
}

/** The outcome of {@link collectDeletionProofs}. */
export interface DeletionProofs {
  keyHash: string
  writeId?: string
  nodes: NodeProofReport[]
  /** Valid proofs from every node, one per (signer, write, signature). */
  proofs: VerifiedProof[]
  /** Distinct signer ids among the valid proofs. */
  nodeIds: string[]
  /** `nodeIds.length`: independent nodes attesting deletion. */
  independentNodes: number
}

/**
 * Asks each node for `GET /v1/attestations?key_hash=…`, verifies every proof offline, and
 * counts distinct signers. `key` is the key in clear (hashed here, never sent) or
 * `{ keyHash }`. Never throws for a failing node: it is reported with status `error`.
 */
export async function collectDeletionProofs (urls: readonly string[], key: string | { keyHash: string }, opts: CollectOptions = {}): Promise<DeletionProofs> {
  const keyHash = typeof key === 'string' ? keyHashOf(key) : key.keyHash.toLowerCase()
  const doFetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const timeoutMs = opts.timeoutMs ?? 10_000
  const nodes = await Promise.all(urls.map(async (url): Promise<NodeProofReport> => {
    const base = url.replace(/\/+$/, '')
    const report: NodeProofReport = { url: base, status: 'none', proofs: [], invalid: [] }
    let body: AttestationListing
    try {
      const signals = [AbortSignal.timeout(timeoutMs), ...(opts.signal !== undefined ? [opts.signal] : [])]
      const res = await doFetch(`${base}/v1/attestations?key_hash=${keyHash}`, { signal: AbortSignal.any(signals), headers: { accept: 'application/json' } })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      body = await res.json() as AttestationListing
      if (body === null || typeof body !== 'object' || !Array.isArray(body.attestations)) throw new Error('the reply is not an attestation listing')
    } catch (err) {
      report.status = 'error'
      report.error = (err as Error).message
      return report
    }
    report.nodeId = typeof body.node_id === 'string' ? body.node_id : undefined
    for (const att of body.attestations ?? []) {
      const pk = att?.nodeId === body.node_id ? body.public_key : undefined
      const r = await verifyAttestation(att, { keyHash, writeId: opts.writeId, jurisdictions: opts.jurisdictions, publicKey: pk })
      if (r.valid) report.proofs.push({ ...r.attestation, source: base })
      // Proofs for other writes of the same key are not failures: they are about something else.
      else if (r.reason !== 'write_mismatch') report.invalid.push({ reason: r.reason, message: r.message, nodeId: typeof att?.nodeId === 'string' ? att.nodeId : undefined })
    }
    report.status = report.proofs.length > 0 ? 'verified' : report.invalid.length > 0 ? 'invalid' : 'none'
    return report
  }))
  const seen = new Set<string>()
  const proofs: VerifiedProof[] = []
  for (const n of nodes) {
    for (const p of n.proofs) {
      const id = `${p.nodeId} ${p.writeId} ${p.signature}`
      if (seen.has(id)) continue
      seen.add(id)
      proofs.push(p)
    }
  }
  const nodeIds = [...new Set(proofs.map(p => p.nodeId))].sort()
  return { keyHash, writeId: opts.writeId, nodes, proofs, nodeIds, independentNodes: nodeIds.length }
}
