/**
 * Deletion attestations, client side (DESIGN §6): verify a node's signed proof of deletion,
 * gather proofs from several nodes, export them for SIEM tools. Browser-safe.
 *
 * @example
 * ```ts
 * import { RepramClient, collectDeletionProofs, toJsonLines } from 'repram/sdk'
 * const urls = ['http://n1:8080', 'http://n2:8080', 'http://n3:8080']
 * const { writeId } = await new RepramClient(urls).put('app/session/42', flaggedBlob, { ttl: 300 })
 * // …after the TTL:
 * const r = await collectDeletionProofs(urls, 'app/session/42', { writeId })
 * if (r.independentNodes < 2) throw new Error('not enough independent proofs')
 * console.log(toJsonLines(r.proofs))
 * ```
 */
export { ATTESTATION_DOMAIN, ATTESTATION_DOMAIN_V2, ATTESTATION_FIELDS, ATTESTATION_FIELDS_V2, attestationVersion, attestationShapeError, canonicalAttestationBytes, canonicalAttestationString, type Attestation, type AttestationBody } from './canonical.js'
export { keyHashOf, pickAttestation, verifyAttestation, type AttestationFailure, type AttestationVerification, type ExpectedAttestation } from './verify.js'
export { collectDeletionProofs, type CollectOptions, type DeletionProofs, type NodeProofReport, type VerifiedProof } from './collect.js'
export { ATTESTATION_EVENT_TYPE, toCef, toJsonLines, type CefOptions, type ExportOptions, type ExportableProof } from './export.js'
export type { AttestationListing, AttestationStreamMessage, CycleAttestations, CycleSummary, SignerInfo } from './types.js'
