/**
 * Node-side deletion attestations (DESIGN §6): the service behind `node.attestations`, the
 * signing identity, and (re-exported from the SDK) the canonical encoding both sides share.
 *
 * @example
 * import { ephemeralSigner, canonicalAttestationBytes } from 'repram'
 * const signer = await ephemeralSigner()
 */
export { AttestationService, type AttestationServiceHost, type AttestationServiceOptions } from './service.js'
export { ephemeralSigner, identitySigner, signerFromPrivateKey, type AttestationSigner } from './signer.js'
export { createAttestorMetrics, type AttestorMetrics } from './metrics.js'
export { ATTESTATION_DOMAIN, ATTESTATION_DOMAIN_V2, canonicalAttestationBytes, canonicalAttestationString, type Attestation, type AttestationBody } from '../sdk/attest/canonical.js'
/** @deprecated renamed {@link AttestationService}; kept so existing imports work. */
export { AttestationService as Attestor } from './service.js'
