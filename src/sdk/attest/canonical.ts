/**
 * The canonical byte encoding of a deletion attestation (DESIGN §6, docs/compliance.md
 * "Canonical encoding"): nodes sign exactly these bytes and verifiers rebuild them from the
 * published JSON (version 1, or version 2 from a node with a jurisdiction). Defined in `src/wire/attestation.ts`, below the attestor that signs them;
 * re-exported here for the SDK. Browser-safe: no Node APIs.
 *
 * @example
 * ```ts
 * import { canonicalAttestationBytes } from 'repram/sdk'
 * const bytes = canonicalAttestationBytes({ keyHash: 'ab'.repeat(32), writeId: 'w1', createdAt: 1, expiredAt: 2, deletedAt: 3, nodeId: '12D3KooW…', cycle: 0 })
 * ```
 */
export { ATTESTATION_DOMAIN, ATTESTATION_DOMAIN_V2, ATTESTATION_FIELDS, ATTESTATION_FIELDS_V2, attestationVersion, attestationShapeError, canonicalAttestationBytes, canonicalAttestationString, type Attestation, type AttestationBody } from '../../wire/attestation.js'
