/** Fixed limits of inbound writes, each with its reason. */

/** How long writeIds are remembered to skip duplicate merges (gossip after a direct push): longer than gossipsub's own 2 min seen cache. */
export const SEEN_WRITE_TTL_MS = 120_000

/** Most remembered writeIds: bounds memory under a flood of unique writes (~100 B each). */
export const SEEN_WRITE_MAX = 200_000

/** Members besides the sender asked for an announced value (direct or gossip) when the sender fails: two more chances before anti-entropy. */
export const PULL_OTHERS = 2
