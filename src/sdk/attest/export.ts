/**
 * Audit-trail exports of deletion proofs for SIEM tools: JSON lines and ArcSight CEF.
 *
 * @example
 * ```ts
 * import { collectDeletionProofs, toJsonLines, toCef } from 'repram/sdk'
 * const r = await collectDeletionProofs(urls, key, { writeId })
 * process.stdout.write(toJsonLines(r.proofs))   // one JSON object per line
 * process.stdout.write(toCef(r.proofs))         // one CEF event per line
 * ```
 */
import type { Attestation } from './canonical.js'

/** A proof to export; `source` and `verified` are added by {@link collectDeletionProofs} callers. */
export type ExportableProof = Attestation & { source?: string, verified?: boolean }

/** Options of the exports. */
export interface ExportOptions {
  /** Whether the proofs were verified (by default true: export what you verified). @default true */
  verified?: boolean
}

/** The event type of every exported line. */
export const ATTESTATION_EVENT_TYPE = 'repram.deletion_attestation'

/**
 * One JSON object per line (`\n`-terminated), fields in a fixed order: `type`, the signed
 * fields (`jurisdiction` too, in version 2 proofs), `signature`, `deletedAtIso`, `source`, `verified`. Re-verifiable: the signed fields
 * are unchanged.
 */
export function toJsonLines (proofs: readonly ExportableProof[], opts: ExportOptions = {}): string {
  let out = ''
  for (const p of proofs) {
    out += JSON.stringify({
      type: ATTESTATION_EVENT_TYPE,
      keyHash: p.keyHash,
      writeId: p.writeId,
      createdAt: p.createdAt,
      expiredAt: p.expiredAt,
      deletedAt: p.deletedAt,
      nodeId: p.nodeId,
      cycle: p.cycle,
      // Signed in version 2 proofs: kept, so the line still verifies.
      ...(p.jurisdiction !== undefined ? { jurisdiction: p.jurisdiction } : {}),
      signature: p.signature,
      deletedAtIso: new Date(p.deletedAt).toISOString(),
      ...(p.source !== undefined ? { source: p.source } : {}),
      verified: p.verified ?? opts.verified ?? true
    }) + '\n'
  }
  return out
}

/** CEF header fields escape `\` and `|`. */
function cefHeader (s: string): string {
  return s.replace(/[\\|]/g, c => `\\${c}`).replace(/[\r\n]+/g, ' ')
}

/** CEF extension values escape `\`, `=` and line breaks. */
function cefValue (s: string): string {
  return s.replace(/[\\=]/g, c => `\\${c}`).replace(/\r/g, '\\r').replace(/\n/g, '\\n')
}

/** Options of {@link toCef}. */
export interface CefOptions extends ExportOptions {
  /** @default 'REPRAM' */
  vendor?: string
  /** @default 'repram' */
  product?: string
  /** @default '1' */
  productVersion?: string
  /** CEF severity 0-10. @default 3 */
  severity?: number
}

/**
 * One CEF:0 event per line. Signature id `deletion-attestation`; `rt` = deletedAt,
 * `start` = createdAt, `end` = expiredAt, `cs1..cs4` = keyHash, writeId, nodeId, signature,
 * `cn1` = cycle, `cs5` = the signer's jurisdiction (version 2 proofs), `request` = source URL, `outcome` = verified or unverified.
 */
export function toCef (proofs: readonly ExportableProof[], opts: CefOptions = {}): string {
  const head = `CEF:0|${cefHeader(opts.vendor ?? 'REPRAM')}|${cefHeader(opts.product ?? 'repram')}|${cefHeader(opts.productVersion ?? '1')}|deletion-attestation|Deletion attestation|${opts.severity ?? 3}|`
  let out = ''
  for (const p of proofs) {
    const verified = p.verified ?? opts.verified ?? true
    const ext: Array<[string, string | number]> = [
      ['rt', p.deletedAt], ['start', p.createdAt], ['end', p.expiredAt],
      ['cs1Label', 'keyHash'], ['cs1', p.keyHash],
      ['cs2Label', 'writeId'], ['cs2', p.writeId],
      ['cs3Label', 'nodeId'], ['cs3', p.nodeId],
      ['cs4Label', 'signature'], ['cs4', p.signature],
      ['cn1Label', 'cycle'], ['cn1', p.cycle],
      ...(p.jurisdiction !== undefined ? [['cs5Label', 'jurisdiction'], ['cs5', p.jurisdiction]] as Array<[string, string]> : []),
      ...(p.source !== undefined ? [['request', p.source] as [string, string]] : []),
      ['outcome', verified ? 'verified' : 'unverified']
    ]
    out += head + ext.map(([k, v]) => `${k}=${cefValue(String(v))}`).join(' ') + '\n'
  }
  return out
}
