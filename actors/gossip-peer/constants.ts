/** Results of gossip messages, in and out. A small enum: used as a metrics label. */
export const GOSSIP_RESULTS = ['accept', 'reject', 'ignore', 'published', 'no_peers', 'error'] as const
