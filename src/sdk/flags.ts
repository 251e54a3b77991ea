/**
 * The one part of an encrypted record that nodes may read: the
 * compliance-tracked flag, bit 7 of the first byte of the stored blob
 * (DESIGN §6). This module has no imports at all, so a node can use it
 * without loading any cryptography.
 *
 * @example
 * ```ts
 * // inside the node: import from the crypto-free module directly
 * import { isComplianceFlagged } from '../sdk/flags.js'   // users: from 'repram/sdk'
 * if (isComplianceFlagged(value)) {
 *   // sign a deletion attestation when this record expires
 * }
 * ```
 */

/** Bit mask of the compliance-tracked flag in byte 0 of an envelope. */
export const COMPLIANCE_FLAG = 0x80

/**
 * Mask of the flag bits that version 1 reserves (bits 6..0 of byte 0). A
 * version-1 writer sets them to zero; a version-1 reader rejects them.
 */
export const RESERVED_FLAGS_MASK = 0x7f

/** The three magic bytes that follow the flags byte: ASCII `"RPE"`. */
export const ENVELOPE_MAGIC: readonly number[] = Object.freeze([0x52, 0x50, 0x45])

/**
 * True when the first bit of `blob` (bit 7 of byte 0) is set, that is, the
 * record asks nodes for proof of deletion. Reads that single bit and nothing
 * else, exactly as DESIGN §6 allows nodes to.
 *
 * A plaintext value that happens to start with a byte ≥ 0x80 also reads as
 * flagged; the only consequence is that nodes publish a deletion
 * attestation for it. Use {@link looksLikeEnvelope} for the stricter test.
 *
 * @param blob - the stored value bytes
 * @returns whether the compliance flag is set (false for an empty value)
 */
export function isComplianceFlagged (blob: Uint8Array): boolean {
  return blob.length > 0 && (blob[0] & COMPLIANCE_FLAG) !== 0
}

/**
 * True when `blob` starts like a REPRAM envelope (any version): a flags
 * byte followed by the magic `"RPE"`. A cheap syntactic check, not a proof;
 * only opening the envelope authenticates it.
 *
 * @param blob - the stored value bytes
 */
export function looksLikeEnvelope (blob: Uint8Array): boolean {
  return blob.length >= 5 &&
    blob[1] === ENVELOPE_MAGIC[0] &&
    blob[2] === ENVELOPE_MAGIC[1] &&
    blob[3] === ENVELOPE_MAGIC[2]
}
