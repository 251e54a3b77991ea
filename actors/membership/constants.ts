/** Most members tracked per enclave: bounds memory against a flood of fake peers. */
export const MAX_MEMBERS = 1024

/** Bootstrap re-dial backoff: first delay after a failed dial, doubling up to the cap. */
export const REDIAL_MIN_MS = 500
/** Longest wait between two dials of an unreachable bootstrap address. */
export const REDIAL_MAX_MS = 30_000

/** Most members in one peer-exchange answer (a frame of about 100 B each). */
export const PEER_EXCHANGE_MAX = 1024

/** Delay of the announce a node sends when it stops being alone: lets a burst of joins share one announce. */
export const ANNOUNCE_SOON_MS = 50

/** First wait before dialling more candidates of a source or range whose candidate failed verification; doubles per failure. */
export const CANDIDATE_BACKOFF_MIN_MS = 500
/** Longest such wait: a source or range of forged addresses gets about one dial per this long. */
export const CANDIDATE_BACKOFF_MAX_MS = 30_000

/** Default caps of the candidate pool (the config's `maxCandidates`, `maxCandidatesPerSource`, `maxCandidatesPerRange`, `candidateDialRate`). */
export const MAX_CANDIDATES = 256
export const MAX_CANDIDATES_PER_SOURCE = 32
export const MAX_CANDIDATES_PER_RANGE = 8
export const CANDIDATE_DIAL_RATE = 4

/**
 * Handshakes (verification dials and REPRAM handshakes with peers that subscribed) in
 * flight at once: each holds a stream and up to a dial timeout; more wait (candidates) or
 * are dropped (a subscriber that verifies us by its own handshake is admitted anyway).
 */
export const MAX_HANDSHAKES_IN_FLIGHT = 16
/** Subscribers remembered for a later handshake while {@link MAX_HANDSHAKES_IN_FLIGHT} are out (the rest are dropped, counted). */
export const MAX_DEFERRED_HANDSHAKES = 64
