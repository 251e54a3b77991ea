/**
 * Defaults of the attestor. The config (`CONFIG_FIELDS`) carries the tunables; these
 * constants are their defaults and the fixed limits, each with its reason.
 */

/** Cycle length: one minute groups proofs coarsely enough for audit, finely enough for streaming. */
export const DEFAULT_CYCLE_MS = 60_000

/** Closed cycles retained (ring buffer), besides the open one: ten minutes of proofs at the default length. */
export const DEFAULT_RETAINED_CYCLES = 10

/**
 * Most attestations signed per cycle. Bounds both memory (measured ≈ 0.75 KiB of heap per
 * retained proof, so ≈ 80 MiB worst case over 11 cycles) and CPU (one Ed25519 signature
 * each, 10-19k/s on one core). Flagged expirations beyond it are counted as dropped, not signed.
 */
export const DEFAULT_MAX_PER_CYCLE = 10_000

/** Longest single timer, so a wall-clock jump delays a cycle close by at most this much. */
export const MAX_TIMER_MS = 60_000
