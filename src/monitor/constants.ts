/**
 * Defaults of the compliance monitor, each with its reason. The settings table
 * (`MONITOR_FIELDS` in `./config.ts`) documents the same values for operators.
 */

/** The monitor's own HTTP port (`/metrics`, `/health`, `/v1/…`): next to a node's 8080, clear of Prometheus' 9090. */
export const DEFAULT_MONITOR_PORT = 8090

/**
 * Loopback by default: the monitor also serves `POST /v1/writes` and `GET /v1/report`, which an
 * organisation exposes on purpose (behind its proxy or with `--token`), not by accident.
 */
export const DEFAULT_MONITOR_HOST = '127.0.0.1'

/** Where the embedded database lives when no Postgres URL is given. */
export const DEFAULT_MONITOR_DIR_NAME = 'monitor'

/**
 * k of the k-of-n proof quorum: two independent signers. One proof is one operator's word
 * (docs/compliance.md, threat model); two is the smallest number that is not.
 */
export const DEFAULT_QUORUM = 2

/**
 * How long after a write's expiry its proofs may take to reach the monitor. A node signs at
 * expiry, but publishes a proof when its cycle closes (60 s by default): three cycles leave
 * room for a sweep, a reconnect and a backfill.
 */
export const DEFAULT_DEADLINE_MS = 180_000

/** How often due writes are checked against the quorum. Well below the deadline, cheap (one indexed query). */
export const DEFAULT_CHECK_INTERVAL_MS = 5_000

/** Keep evidence forever unless told otherwise: deleting audit evidence is the organisation's decision (0 = never). */
export const DEFAULT_RETENTION_MS = 0

/** How often rows past the retention are deleted. */
export const DEFAULT_RETENTION_INTERVAL_MS = 3_600_000

/** Each node request (health, listing, one cycle) is bounded: a hung node must not stall its source. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000

/** First reconnect delay after a stream drops; doubles up to {@link DEFAULT_RECONNECT_MAX_MS}, with jitter. */
export const RECONNECT_MIN_MS = 250

/**
 * Longest pause between reconnects. Well inside a node's replay window (10 cycles of 60 s):
 * a node that comes back is caught up long before its ring forgets anything.
 */
export const DEFAULT_RECONNECT_MAX_MS = 30_000

/** How often the topology of the seed node is read again to find new nodes. */
export const DEFAULT_DISCOVER_INTERVAL_MS = 60_000

/** A webhook that does not answer within this is a failed attempt. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5_000

/** Attempts after the first: 1 s, 2 s, 4 s apart. Bounded so a dead receiver costs little. */
export const DEFAULT_WEBHOOK_RETRIES = 3

/** First pause between webhook attempts; doubles each time. */
export const WEBHOOK_BACKOFF_MS = 1_000

/** Alerts waiting for the webhook. Past it new ones are not queued (they stay in the database and are counted). */
export const WEBHOOK_QUEUE_MAX = 1_000

/** Connections to a Postgres server. The monitor writes in short transactions; a few are plenty. */
export const DEFAULT_DB_POOL_SIZE = 4

/** Rows per INSERT statement (18 columns × 500 = 9 000 parameters, far below Postgres' 65 535). */
export const INSERT_CHUNK_ROWS = 500

/** How long to wait for a node's `hello` on the stream before giving up on that connection. */
export const HELLO_TIMEOUT_MS = 10_000

/** Most writes listed one by one in an HTML report; the JSON holds them all. */
export const REPORT_HTML_MAX_WRITES = 500

/** Most rejected proofs listed one by one in an HTML report; the JSON holds them all. */
export const REPORT_HTML_MAX_REJECTED = 200
