/**
 * Protocol ids and fixed limits of the cluster layer. Tunables live in the config
 * (`CONFIG_FIELDS`); these are the things that are not worth a knob, each with its reason.
 */

/** Direct replication, value pulls and graceful leaves, pipelined on one reused stream per peer. */
export const REPLICATE_PROTOCOL = '/repram/replicate/1.0.0'

/** Topic version suffix: `/repram/<network>/<enclave>/1`. */
export const TOPIC_VERSION = 1

/** The gossipsub service name looked up in an embedding libp2p node. */
export const DEFAULT_PUBSUB_SERVICE = 'pubsub'

/** File in `dataDir` holding the node's Ed25519 key (protobuf, mode 0600). */
export const IDENTITY_FILE = 'peer-key'

/** Domain separation for the pnet PSK derived from `clusterSecret`. */
export const PSK_DOMAIN = 'repram/pnet/v1:'

/** Protobuf framing and field overhead allowed on top of key + value in one replicate frame. */
export const FRAME_OVERHEAD_BYTES = 64 * 1024

/** Most writes in one replicate frame: bounds work per frame and the size of one ack. */
export const REPLICATE_BATCH_MAX = 512

/** Requests a server works on at once per stream; the next frame is read when one finishes. */
export const REPLICATE_SERVER_CONCURRENCY = 64

/** How long a graceful leave waits for each peer to acknowledge it. */
export const LEAVE_TIMEOUT_MS = 500

/** Anti-entropy (digest comparison, record transfer) and read-through, one stream per round or read. */
export const SYNC_PROTOCOL = '/repram/sync/1.0.0'

/** Pulls of values above the gossip inline threshold, one stream per value, sent in chunks. */
export const BLOB_PROTOCOL = '/repram/blob/1.0.0'

/**
 * No ping fails, and so no connection is aborted for it, in less than this: a busy peer is
 * not a dead one (libp2p's connection monitor has the same floor).
 */
export const PING_TIMEOUT_FLOOR_MS = 5000

/**
 * How long a ping waits for its answer, membership's and libp2p's connection monitor's
 * alike: the longest of the ping interval, the dial timeout (a ping may have to dial) and
 * {@link PING_TIMEOUT_FLOOR_MS}.
 */
export function pingTimeoutMs (timing: { pingIntervalMs: number, dialTimeoutMs: number }): number {
  return Math.max(PING_TIMEOUT_FLOOR_MS, timing.pingIntervalMs, timing.dialTimeoutMs)
}

/**
 * libp2p's connection monitor pings every connection this many ping intervals apart.
 * Members are pinged every interval over their replicate stream (transport.ts); the
 * monitor's slower pings find dead connections to anyone else (relays, DHT peers,
 * strangers). Each of its pings opens a new stream from both ends of a connection.
 */
export const CONNECTION_MONITOR_INTERVALS = 6
