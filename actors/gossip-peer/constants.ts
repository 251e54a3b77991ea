/** Results of gossip messages, in and out. A small enum: used as a metrics label. */
export const GOSSIP_RESULTS = ['accept', 'reject', 'ignore', 'published', 'no_peers', 'error'] as const

/** Most addresses accepted in one membership announce (and sent in one). */
export const ANNOUNCE_MAX_ADDRS = 16

/** How long a writeId of an accepted gossip message is remembered: a message whose writes were all seen is ignored (not re-forwarded). */
export const SEEN_GOSSIP_TTL_MS = 120_000

/** Most remembered gossip writeIds. */
export const SEEN_GOSSIP_MAX = 200_000

/** Bytes kept free in a gossip message for its envelope (network, enclave, signature, framing). */
export const MESSAGE_SLACK_BYTES = 1024
