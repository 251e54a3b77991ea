/** Fixed limits of inbound writes, each with its reason. */

/** How long writeIds are remembered to skip duplicate merges (gossip after a direct push): longer than gossipsub's own 2 min seen cache. */
export const SEEN_WRITE_TTL_MS = 120_000

/** Most remembered writeIds: bounds memory under a flood of unique writes (~100 B each). */
export const SEEN_WRITE_MAX = 200_000

/** Members besides the author asked for a gossip-announced value when the author fails: two more chances before anti-entropy. */
export const GOSSIP_PULL_OTHERS = 2
