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
