/**
 * Node-side deletion attestations (DESIGN §6): the service behind `node.attestations`, the
 * signing identity, and (re-exported from the SDK) the canonical encoding both sides share.
 *
 * @example
 * import { ephemeralSigner, canonicalAttestationBytes } from 'repram'
 * const signer = await ephemeralSigner()
 */
export { Attestor, type AttestorHost, type AttestorOptions } from './attestor.js'
export { ephemeralSigner, identitySigner, signerFromPrivateKey, type AttestationSigner } from './signer.js'
export { createAttestorMetrics, type AttestorMetrics } from './metrics.js'
export { ATTESTATION_DOMAIN, canonicalAttestationBytes, canonicalAttestationString, type Attestation, type AttestationBody } from '../sdk/attest/canonical.js'
