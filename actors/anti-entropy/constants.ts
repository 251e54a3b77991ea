/**
 * Fixed limits of anti-entropy, each with its reason. Tunables (interval, round timeout)
 * live in the config.
 */

/** Rounds a node runs at once as a client: a newcomer that meets four peers must not pull everything four times. */
export const MAX_CONCURRENT_ROUNDS = 1

/** Peers remembered as waiting for a triggered round (join, reconnect); bounds memory under churn. */
export const MAX_PENDING_TRIGGERS = 1024
