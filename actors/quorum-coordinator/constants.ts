/** Outcomes of a quorum write. A small enum: used as a metrics label. */
export const QUORUM_OUTCOMES = ['quorum', 'alone', 'timeout', 'unreachable', 'shutdown'] as const
