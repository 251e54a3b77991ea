/**
 * The one validated configuration of a node: defaults (by profile) ← config file ←
 * `REPRAM_*` environment ← CLI flags. Every field is listed once in {@link CONFIG_FIELDS}
 * with its env name, flag, default and reason; the CLI, the docs and the container checks
 * are all derived from that table.
 *
 * @example
 * import { loadConfig } from 'repram'
 * const config = loadConfig({ profile: 'test', overrides: { maxKeyBytes: 256 } })
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { isIP } from 'node:net'
import { z } from 'zod'
import { ConfigError } from './errors.js'
import { JURISDICTION_CODE } from './wire/jurisdiction.js'

/** Parses `250ms`, `5s`, `2m`, `1h` or a bare number of seconds into milliseconds. */
export function parseDuration (input: string | number): number {
  if (typeof input === 'number') return input * 1000
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(input)
  if (m == null) throw new Error(`"${input}" is not a duration (use e.g. 500ms, 5s, 2m)`)
  const n = Number(m[1])
  switch (m[2]) {
    case 'ms': return n
    case 'm': return n * 60_000
    case 'h': return n * 3_600_000
    default: return n * 1000
  }
}

/** A boolean setting: `true`/`false` or `1`/`0`, `yes`/`no`, `on`/`off` (env vars and flags are strings). */
export const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])])
  .transform(v => typeof v === 'boolean' ? v : ['true', '1', 'yes', 'on'].includes(v))
/** An integer setting in [min, max]. */
export const int = (min: number, max = Number.MAX_SAFE_INTEGER): z.ZodType<number, unknown> =>
  z.coerce.number().int().min(min).max(max) as unknown as z.ZodType<number, unknown>
/** A duration setting in ms within [min, max]: a number of ms, or a string read by `parse` (`500ms`, `30s`, `5m`…). */
export const durationMs = (min: number, max: number, parse: (s: string) => number = parseDuration): z.ZodType<number, unknown> => z.union([z.number(), z.string()])
  .transform((v, ctx) => {
    try {
      return typeof v === 'number' ? v : parse(v)
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message })
      return z.NEVER
    }
  })
  .pipe(z.number().int().min(min).max(max)) as unknown as z.ZodType<number, unknown>
const list = z.union([z.array(z.string()), z.string()])
  .transform(v => (Array.isArray(v) ? v : v.split(/[\s,]+/)).map(s => s.trim()).filter(s => s.length > 0))
/**
 * A DNS server as `REPRAM_DNS_SERVERS` takes it: an IP address, with an optional port
 * (`127.0.0.1:5353`, `[::1]:53`), or a DNS-over-HTTPS URL (`https://...`).
 */
export function isDnsServer (s: string): boolean {
  if (/^https?:\/\//i.test(s)) return URL.canParse(s)
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(s)
  if (m === null) return isIP(s) === 6
  return isIP(m[1]) !== 0 && (m[2] === undefined || (Number(m[2]) >= 1 && Number(m[2]) <= 65535))
}

const name = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 . _ -')

/** Bytes of the largest watch event: a value of `valueMaxBytes` in base64, a key JSON-escaped at worst, and the fixed fields. */
export function watchEventBytesMax (valueMaxBytes: number, maxKeyBytes: number): number {
  return Math.ceil(valueMaxBytes / 3) * 4 + 6 * maxKeyBytes + 512
}

/**
 * Smallest per-peer memory budget that still serves an honest peer at the limits: one
 * replicate frame being read and the next one arriving (a frame holds up to a
 * `maxValueBytes` value), plus one pull of a `maxValueBytes` value, plus room for the rest.
 */
export function peerMemoryBudgetMin (maxValueBytes: number): number {
  return 3 * maxValueBytes + 1024 * 1024
}

/** The zod schema of the config. Field docs live in {@link CONFIG_FIELDS}. */
export const configSchema = z.object({
  profile: z.enum(['default', 'test', 'docker', 'public']),
  httpPort: int(0, 65535),
  httpHost: z.string().min(1),
  enclave: name,
  jurisdiction: z.string().trim().toLowerCase().regex(JURISDICTION_CODE, 'must be a jurisdiction code: 2-16 of a-z 0-9 -, starting with a letter (e.g. eu, us, us-east)').optional(),
  network: z.enum(['private', 'public']),
  peers: list,
  listen: list,
  announce: list,
  dnsServers: list.refine(v => v.every(isDnsServer), 'each must be a DNS server IP with an optional port (1.1.1.1, 127.0.0.1:5353, [::1]:53) or a DNS-over-HTTPS URL (https://...)'),
  mdns: bool,
  dataDir: z.string().min(1),
  clusterSecret: z.string().min(8, 'must be at least 8 characters').optional(),
  replication: int(1, 64),
  directFanout: int(0, 64),
  writeTimeoutMs: durationMs(1, 600_000),
  minTtl: int(1),
  maxTtl: int(1),
  defaultTtl: int(1),
  ttlPolicy: z.enum(['clamp', 'reject']),
  maxKeyBytes: int(1, 65_536),
  maxValueBytes: int(0, 1024 * 1024 * 1024),
  maxStorageMb: int(1, 1024 * 1024),
  shards: int(1, 256),
  rateLimit: int(0),
  trustProxy: bool,
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  drainTimeoutMs: durationMs(0, 120_000),
  keysLimitMax: int(1, 100_000),
  memberTtlMs: durationMs(100, 86_400_000),
  pingIntervalMs: durationMs(50, 3_600_000),
  pingFailures: int(1, 100),
  activePeers: int(0, 4096),
  dialTimeoutMs: durationMs(50, 120_000),
  maxCandidates: int(0, 65_536),
  maxCandidatesPerSource: int(0, 65_536),
  maxCandidatesPerRange: int(0, 65_536),
  candidateDialRate: int(0, 1000),
  maxClockSkewMs: durationMs(0, 3_600_000),
  signedWriteSkewMs: durationMs(0, 3_600_000),
  gossipBatchSize: int(1, 10_000),
  gossipBatchDelayMs: durationMs(0, 1000),
  gossipD: int(1, 32),
  gossipDlazy: int(0, 64),
  gossipFactor: z.coerce.number().min(0).max(1) as unknown as z.ZodType<number, unknown>,
  gossipFloodPublish: bool,
  maxGossipMessageBytes: int(1024, 4 * 1024 * 1024 - 64 * 1024),
  gossipInlineBytes: int(0, 4 * 1024 * 1024 - 64 * 1024),
  maxReplicateStreams: int(1, 1000),
  peerMemoryBudgetBytes: int(1024 * 1024, 16 * 1024 * 1024 * 1024),
  peerGraylistScore: z.coerce.number().min(-1_000_000).max(-1) as unknown as z.ZodType<number, unknown>,
  peerDisconnectScore: z.coerce.number().min(-1_000_000).max(-1) as unknown as z.ZodType<number, unknown>,
  peerWriteRate: int(0, 10_000_000),
  peerByteRate: int(0, 16 * 1024 * 1024 * 1024),
  attestationCycleMs: durationMs(100, 86_400_000),
  attestationCycles: int(1, 1000),
  maxAttestationsPerCycle: int(1, 1_000_000),
  attestationStreamMaxPerIp: int(0, 100_000),
  syncIntervalMs: durationMs(0, 86_400_000),
  syncTimeoutMs: durationMs(100, 3_600_000),
  readThroughPeers: int(0, 16),
  readThroughTimeoutMs: durationMs(10, 60_000),
  watchBufferEvents: int(0, 1_000_000),
  watchQueueBytes: int(1024, 256 * 1024 * 1024),
  watchMaxPerIp: int(0, 100_000),
  watchMaxClients: int(0, 1_000_000),
  watchHeartbeatMs: durationMs(100, 3_600_000),
  watchValueMaxBytes: int(0, 16 * 1024 * 1024),
  ui: bool,
  mcpHttp: bool,
  mcpWatchMaxSeconds: int(1, 3600),
  dht: bool,
  dhtMode: z.enum(['auto', 'server', 'client']),
  dhtPrivateAddresses: bool,
  rendezvousIntervalMs: durationMs(0, 86_400_000),
  relayClient: bool,
  relayServer: bool,
  relayMaxReservations: int(1, 100_000),
  relayMaxDurationMs: durationMs(1000, 86_400_000),
  relayMaxBytes: int(4096, 16 * 1024 * 1024 * 1024),
  autonat: bool,
  dcutr: bool,
  upnp: bool,
  maxConnections: int(1, 100_000),
  inboundConnectionRate: int(1, 100_000)
}).superRefine((c, ctx) => {
  if (c.minTtl > c.maxTtl) ctx.addIssue({ code: 'custom', path: ['minTtl'], message: `minTtl (${c.minTtl}) must not exceed maxTtl (${c.maxTtl})` })
  if (c.gossipInlineBytes + c.maxKeyBytes + 256 > c.maxGossipMessageBytes) ctx.addIssue({ code: 'custom', path: ['gossipInlineBytes'], message: `gossipInlineBytes (${c.gossipInlineBytes}) plus a key must fit in maxGossipMessageBytes (${c.maxGossipMessageBytes})` })
  const budgetMin = peerMemoryBudgetMin(c.maxValueBytes)
  if (c.peerMemoryBudgetBytes < budgetMin) ctx.addIssue({ code: 'custom', path: ['peerMemoryBudgetBytes'], message: `peerMemoryBudgetBytes (${c.peerMemoryBudgetBytes}) must hold two replicate frames and one pull of a maxValueBytes value: at least ${budgetMin} bytes (3 × maxValueBytes + 1 MiB)` })
  if (c.peerDisconnectScore > c.peerGraylistScore) ctx.addIssue({ code: 'custom', path: ['peerDisconnectScore'], message: `peerDisconnectScore (${c.peerDisconnectScore}) must not be above peerGraylistScore (${c.peerGraylistScore}): a peer is graylisted before it is disconnected` })
  const biggestEvent = watchEventBytesMax(c.watchValueMaxBytes, c.maxKeyBytes)
  if (c.watchQueueBytes < biggestEvent) ctx.addIssue({ code: 'custom', path: ['watchQueueBytes'], message: `watchQueueBytes (${c.watchQueueBytes}) must hold the largest watch event: ${biggestEvent} bytes (a watchValueMaxBytes value in base64, and its key)` })
}).transform(c => ({ ...c, defaultTtl: Math.min(c.maxTtl, Math.max(c.minTtl, c.defaultTtl)) }))

/** A complete, validated node configuration. */
export type RepramConfig = z.output<typeof configSchema>
/** Any subset of the config, before validation (strings are accepted as from env). */
export type RepramConfigInput = { [K in keyof RepramConfig]?: RepramConfig[K] | string }
/** Named default sets. `test`: port 0, loopback, TTLs from 1 s, mDNS off. */
export type ConfigProfile = RepramConfig['profile']

/** One row of a settings table (the node's, the monitor's): where a field comes from and why it exists. */
export interface SettingField<C> {
  key: keyof C
  env: string
  flag: string
  description: string
}

/** One row of the node's config table. */
export type ConfigField = SettingField<RepramConfig>

/** Every configurable field, its env var, its CLI flag and its reason. */
export const CONFIG_FIELDS: readonly ConfigField[] = [
  { key: 'profile', env: 'REPRAM_PROFILE', flag: '--profile <name>', description: 'default set: default, test (port 0, min TTL 1 s, mDNS off), docker, or public (the open network: DHT, relay client, AutoNAT, DCUtR, connection limits, conservative quotas, mDNS off; chosen by itself when network is public and no profile is given)' },
  { key: 'httpPort', env: 'REPRAM_HTTP_PORT', flag: '--http-port <port>', description: 'HTTP API port (0 = any free port)' },
  { key: 'httpHost', env: 'REPRAM_HTTP_HOST', flag: '--http-host <host>', description: 'HTTP API bind address' },
  { key: 'enclave', env: 'REPRAM_ENCLAVE', flag: '--enclave <name>', description: 'replication scope: nodes replicate only within their enclave' },
  { key: 'jurisdiction', env: 'REPRAM_JURISDICTION', flag: '--jurisdiction <code>', description: 'the jurisdiction this node is in (a short lower-case code: eu, us, us-east; default none): writes that name jurisdictions (X-Jurisdiction) are stored and replicated only by nodes in one of them; declared in the node\'s signed announces, its status and its deletion attestations' },
  { key: 'network', env: 'REPRAM_NETWORK', flag: '--network <mode>', description: 'private (LAN/cluster) or public (open peer-to-peer network)' },
  { key: 'peers', env: 'REPRAM_PEERS', flag: '--peers <multiaddrs>', description: 'bootstrap multiaddrs, comma or space separated, dialled at start and re-dialled with backoff' },
  { key: 'listen', env: 'REPRAM_LISTEN', flag: '--listen <multiaddrs>', description: 'libp2p listen multiaddrs' },
  { key: 'announce', env: 'REPRAM_ANNOUNCE', flag: '--announce <multiaddrs>', description: 'multiaddrs announced besides the listen addresses, e.g. /dns4/node.example.org/tcp/9090 of a public node behind a fixed address or a reverse proxy (libp2p announces a public listen address only once AutoNAT has verified it)' },
  { key: 'dnsServers', env: 'REPRAM_DNS_SERVERS', flag: '--dns-servers <servers>', description: 'DNS servers libp2p asks for /dnsaddr bootstrap addresses (TXT records _dnsaddr.<name>), comma separated, asked in this order: an IP with an optional port (plain DNS) or a DNS-over-HTTPS URL (https://…; http:// for a local one) (none = the system resolver, /etc/resolv.conf). /dns4 and /dns6 names are looked up by the system resolver either way' },
  { key: 'mdns', env: 'REPRAM_MDNS', flag: '--mdns <bool>', description: 'discover LAN peers by mDNS (multicasts on every interface)' },
  { key: 'dataDir', env: 'REPRAM_DATA_DIR', flag: '--data-dir <dir>', description: 'where the node identity is kept (records are never written to disk)' },
  { key: 'clusterSecret', env: 'REPRAM_CLUSTER_SECRET', flag: '--cluster-secret <secret>', description: 'private cluster secret: the pnet pre-shared key is derived from it' },
  { key: 'replication', env: 'REPRAM_REPLICATION', flag: '--replication <n>', description: 'replication factor R: a write is confirmed at floor(min(R, enclave size)/2)+1 copies' },
  { key: 'directFanout', env: 'REPRAM_DIRECT_FANOUT', flag: '--direct-fanout <n>', description: 'a write is sent directly to up to this many members (at least R-1), each copy counting toward the quorum; an enclave that small gets no gossip, so each node receives each write once (0 = R-1 only)' },
  { key: 'writeTimeoutMs', env: 'REPRAM_WRITE_TIMEOUT', flag: '--write-timeout <duration>', description: 'how long a PUT waits for quorum before answering 202 (e.g. 5s, 500ms; bare numbers are seconds)' },
  { key: 'minTtl', env: 'REPRAM_MIN_TTL', flag: '--min-ttl <seconds>', description: 'smallest TTL; shorter TTLs are clamped up (or rejected). At or below maxClockSkew (the test profile), a local write over a record from a clock ahead by more than its TTL keeps its TTL and so ends later than asked (docs/consistency.md)' },
  { key: 'maxTtl', env: 'REPRAM_MAX_TTL', flag: '--max-ttl <seconds>', description: 'largest TTL; longer TTLs are clamped down (or rejected)' },
  { key: 'defaultTtl', env: 'REPRAM_DEFAULT_TTL', flag: '--default-ttl <seconds>', description: 'TTL of a write that names none (clamped into [minTtl, maxTtl])' },
  { key: 'ttlPolicy', env: 'REPRAM_TTL_POLICY', flag: '--ttl-policy <policy>', description: 'clamp out-of-range TTLs, or reject them with 400' },
  { key: 'maxKeyBytes', env: 'REPRAM_MAX_KEY_BYTES', flag: '--max-key-bytes <n>', description: 'largest key, in UTF-8 bytes' },
  { key: 'maxValueBytes', env: 'REPRAM_MAX_VALUE_BYTES', flag: '--max-value-bytes <n>', description: 'largest value, in bytes (413 above)' },
  { key: 'maxStorageMb', env: 'REPRAM_MAX_STORAGE_MB', flag: '--max-storage-mb <n>', description: 'capacity for keys plus values, in MiB, split evenly across shards (507 above)' },
  { key: 'shards', env: 'REPRAM_SHARDS', flag: '--shards <n>', description: 'number of storage shard actors' },
  { key: 'rateLimit', env: 'REPRAM_RATE_LIMIT', flag: '--rate-limit <n>', description: 'requests per second per client IP, burst 2x (0 = off)' },
  { key: 'trustProxy', env: 'REPRAM_TRUST_PROXY', flag: '--trust-proxy <bool>', description: 'take client IPs from X-Forwarded-For / X-Real-IP (only behind a proxy you run)' },
  { key: 'logLevel', env: 'REPRAM_LOG_LEVEL', flag: '--log-level <level>', description: 'fatal, error, warn, info, debug, trace or silent' },
  { key: 'drainTimeoutMs', env: 'REPRAM_DRAIN_TIMEOUT', flag: '--drain-timeout <duration>', description: 'how long shutdown waits for in-flight requests' },
  { key: 'keysLimitMax', env: 'REPRAM_KEYS_LIMIT_MAX', flag: '--keys-limit-max <n>', description: 'largest page size of GET /v1/keys' },
  { key: 'memberTtlMs', env: 'REPRAM_MEMBER_TTL', flag: '--member-ttl <duration>', description: 'an enclave peer not seen for this long is forgotten and stops counting toward the quorum size (a crashed peer makes writes answer 202 until then); each node announces itself on gossip every ping interval per 3 nodes, and at least every third of it' },
  { key: 'pingIntervalMs', env: 'REPRAM_PING_INTERVAL', flag: '--ping-interval <duration>', description: 'how often each enclave peer is pinged, on the replicate stream kept to it (health, RTT; a joining peer is pinged at once); a ping fails, and its connection is aborted, after the longest of this, the dial timeout and 5 s' },
  { key: 'pingFailures', env: 'REPRAM_PING_FAILURES', flag: '--ping-failures <n>', description: 'consecutive failed pings after which a peer is unhealthy and not chosen as a replica' },
  { key: 'activePeers', env: 'REPRAM_ACTIVE_PEERS', flag: '--active-peers <n>', description: 'enclave members each node keeps connected and pings (its active view, a stable random choice) besides those that connect to it; the others are known from their announces only and are not dialled for health, sync or read-through (0 = every member: every pair connected)' },
  { key: 'dialTimeoutMs', env: 'REPRAM_DIAL_TIMEOUT', flag: '--dial-timeout <duration>', description: 'bound on every dial: a dial with a wrong cluster secret hangs instead of failing' },
  { key: 'maxCandidates', env: 'REPRAM_MAX_CANDIDATES', flag: '--max-candidates <n>', description: 'unverified enclave peers (heard of in a relayed announce or a peer exchange, not yet dialled) held in all: they count for nothing until a dial completes the REPRAM handshake, and the rest are refused and counted, so a flood of forged announces cannot grow memory or crowd out members' },
  { key: 'maxCandidatesPerSource', env: 'REPRAM_MAX_CANDIDATES_PER_SOURCE', flag: '--max-candidates-per-source <n>', description: 'unverified candidates held per verified member that relayed or named them: one member passing on forged announces fills only its own share' },
  { key: 'maxCandidatesPerRange', env: 'REPRAM_MAX_CANDIDATES_PER_RANGE', flag: '--max-candidates-per-range <n>', description: 'unverified candidates held per announced address range (/24 for IPv4, /48 for IPv6, a DNS name): fakes made from one network share one small quota' },
  { key: 'candidateDialRate', env: 'REPRAM_CANDIDATE_DIAL_RATE', flag: '--candidate-dial-rate <n>', description: 'dials per second (burst 2x) to verify candidates at their announced addresses; dials whose candidates fail back off per source and per range (0.5 s doubling to 30 s), so forged addresses cost a bounded trickle of dials (0 = never dial announced addresses)' },
  { key: 'maxClockSkewMs', env: 'REPRAM_MAX_CLOCK_SKEW', flag: '--max-clock-skew <duration>', description: 'allowance for peer clocks: records expiring beyond now + maxTtl + this, or created beyond now + this, are rejected' },
  { key: 'signedWriteSkewMs', env: 'REPRAM_SIGNED_WRITE_SKEW', flag: '--signed-write-skew <duration>', description: 'owned keys (docs/owned-keys.md): a signed PUT carries the createdAt its client chose and signed; it must be within this of the node\'s clock, either way (a client clock off by more gets 400 clock_skew)' },
  { key: 'gossipBatchSize', env: 'REPRAM_GOSSIP_BATCH_SIZE', flag: '--gossip-batch-size <n>', description: 'most writes per gossip message; also the most writes a received message may carry' },
  { key: 'gossipBatchDelayMs', env: 'REPRAM_GOSSIP_BATCH_DELAY', flag: '--gossip-batch-delay <duration>', description: 'how long a write waits for others to share its gossip message (one signature per message, not per write)' },
  { key: 'gossipD', env: 'REPRAM_GOSSIP_D', flag: '--gossip-d <n>', description: 'gossipsub mesh degree D: a message is forwarded to about D peers (Dlo = ceil(2D/3), Dhi = 2D); traffic is about D times the payload per node and a message takes about log_D(N) hops' },
  { key: 'gossipDlazy', env: 'REPRAM_GOSSIP_DLAZY', flag: '--gossip-dlazy <n>', description: 'gossipsub Dlazy: at each heartbeat, at least this many peers outside the mesh hear the ids of recent messages (IHAVE), which repairs what the mesh missed' },
  { key: 'gossipFactor', env: 'REPRAM_GOSSIP_FACTOR', flag: '--gossip-factor <fraction>', description: 'gossipsub gossip factor: the fraction of peers outside the mesh sent IHAVE at each heartbeat when that is more than gossipDlazy' },
  { key: 'gossipFloodPublish', env: 'REPRAM_GOSSIP_FLOOD_PUBLISH', flag: '--gossip-flood-publish <bool>', description: 'the author of a gossip message sends it to every topic peer (one hop to all) instead of its mesh; costs N-1 sends per message: turn off above about 100 nodes' },
  { key: 'maxGossipMessageBytes', env: 'REPRAM_MAX_GOSSIP_MESSAGE_BYTES', flag: '--max-gossip-message-bytes <n>', description: 'largest gossip message sent or accepted (gossipsub silently drops messages near 4 MiB)' },
  { key: 'gossipInlineBytes', env: 'REPRAM_GOSSIP_INLINE_BYTES', flag: '--gossip-inline-bytes <n>', description: 'values above this are announced on gossip and pulled by peers over a stream, so the mesh never floods with megabytes' },
  { key: 'maxReplicateStreams', env: 'REPRAM_MAX_REPLICATE_STREAMS', flag: '--max-replicate-streams <n>', description: 'inbound and outbound /repram/replicate/1.0.0 streams per connection (one reused stream per peer is the norm)' },
  { key: 'peerMemoryBudgetBytes', env: 'REPRAM_PEER_MEMORY_BUDGET', flag: '--peer-memory-budget <n>', description: 'most memory held on behalf of one peer across the inbound protocols (frames being read or worked on, values pulled for it); past it its streams are reset and new ones refused, so one hostile peer cannot exhaust the node. At least 3 × maxValueBytes + 1 MiB' },
  { key: 'peerGraylistScore', env: 'REPRAM_PEER_GRAYLIST_SCORE', flag: '--peer-graylist-score <n>', description: 'a peer whose reputation score (what this node observed of it: invalid writes and budget refusals weigh 20 and 10 each, decaying with a 5 min half-life) falls below this is graylisted: gossipsub ignores its messages and it is never chosen as a replica. Failed pings, pulls and sends (a flaky link) take off at most a tenth of this, so they never graylist an honest peer' },
  { key: 'peerDisconnectScore', env: 'REPRAM_PEER_DISCONNECT_SCORE', flag: '--peer-disconnect-score <n>', description: 'a peer whose reputation score falls below this has its connections closed and its new streams refused until its score decays back (at most peerGraylistScore)' },
  { key: 'peerWriteRate', env: 'REPRAM_PEER_WRITE_RATE', flag: '--peer-write-rate <n>', description: 'writes per second one peer may send over p2p (replicate frames and the gossip messages it delivers; burst 2 s worth): past it its writes are refused (not held) or its messages ignored, and it loses a little score. A relaying mesh peer carries the whole enclave\'s writes: size for the enclave\'s peak (0 = no limit)' },
  { key: 'peerByteRate', env: 'REPRAM_PEER_BYTE_RATE', flag: '--peer-byte-rate <n>', description: 'bytes of writes per second one peer may send over p2p (burst 2 s worth, at least one maxValueBytes write); past it as for peerWriteRate (0 = no limit)' },
  { key: 'attestationCycleMs', env: 'REPRAM_ATTESTATION_CYCLE', flag: '--attestation-cycle <duration>', description: 'length of a deletion-attestation cycle: proofs are grouped, listed and streamed per cycle' },
  { key: 'attestationCycles', env: 'REPRAM_ATTESTATION_CYCLES', flag: '--attestation-cycles <n>', description: 'closed attestation cycles kept (ring buffer); older cycles and their proofs are dropped' },
  { key: 'maxAttestationsPerCycle', env: 'REPRAM_MAX_ATTESTATIONS_PER_CYCLE', flag: '--max-attestations-per-cycle <n>', description: 'most deletion attestations signed per cycle (bounds memory and CPU); further flagged expirations are counted as dropped' },
  { key: 'attestationStreamMaxPerIp', env: 'REPRAM_ATTESTATION_STREAM_MAX_PER_IP', flag: '--attestation-stream-max-per-ip <n>', description: 'open WS /v1/attestations/stream connections per client IP (429 before the upgrade above it; upgrades are also rate limited by rateLimit): one client cannot take every stream slot (0 = stream off)' },
  { key: 'syncIntervalMs', env: 'REPRAM_SYNC_INTERVAL', flag: '--sync-interval <duration>', description: 'anti-entropy: every interval the node compares digests with the next enclave peer of a shuffled rotation and repairs what gossip lost (0 = only on join and reconnect); a node visits every peer within (peers × interval)' },
  { key: 'syncTimeoutMs', env: 'REPRAM_SYNC_TIMEOUT', flag: '--sync-timeout <duration>', description: 'bound on one anti-entropy round (one stream); a catch-up cut short resumes where it stopped on the next round' },
  { key: 'readThroughPeers', env: 'REPRAM_READ_THROUGH_PEERS', flag: '--read-through-peers <n>', description: 'a local GET miss asks up to this many healthy peers (their local state only) and stores a hit with its original expiry (0 = off)' },
  { key: 'readThroughTimeoutMs', env: 'REPRAM_READ_THROUGH_TIMEOUT', flag: '--read-through-timeout <duration>', description: 'how long a GET miss waits for peers before answering 404' },
  { key: 'watchBufferEvents', env: 'REPRAM_WATCH_BUFFER_EVENTS', flag: '--watch-buffer-events <n>', description: 'recent watch events kept so a client reconnecting with Last-Event-ID resumes without a gap (0 = no resume)' },
  { key: 'watchQueueBytes', env: 'REPRAM_WATCH_QUEUE_BYTES', flag: '--watch-queue-bytes <n>', description: 'unsent bytes a slow watch client may hold; past it the client gets an overflow event and is closed' },
  { key: 'watchMaxPerIp', env: 'REPRAM_WATCH_MAX_PER_IP', flag: '--watch-max-per-ip <n>', description: 'open GET /v1/watch streams per client IP (429 above; 0 = watch off)' },
  { key: 'watchMaxClients', env: 'REPRAM_WATCH_MAX_CLIENTS', flag: '--watch-max-clients <n>', description: 'open GET /v1/watch streams per node (503 above; 0 = watch off)' },
  { key: 'watchHeartbeatMs', env: 'REPRAM_WATCH_HEARTBEAT', flag: '--watch-heartbeat <duration>', description: 'a comment line is sent on idle watch streams this often, so proxies keep them open' },
  { key: 'watchValueMaxBytes', env: 'REPRAM_WATCH_VALUE_MAX_BYTES', flag: '--watch-value-max-bytes <n>', description: 'largest value carried in a watch event (GET /v1/watch?values=true); larger values are announced without it' },
  { key: 'ui', env: 'REPRAM_UI', flag: '--ui <bool>', description: 'serve the dashboard at /ui' },
  { key: 'mcpHttp', env: 'REPRAM_MCP_HTTP', flag: '--mcp-http <bool>', description: 'serve the MCP tools over streamable HTTP at /mcp (for AI agents; stdio is `repram mcp`)' },
  { key: 'dht', env: 'REPRAM_DHT', flag: '--dht <bool>', description: 'run the Kademlia DHT (protocol /repram/kad/1.0.0, not the IPFS one): peers found beyond the bootstrap list, and enclave rendezvous' },
  { key: 'dhtMode', env: 'REPRAM_DHT_MODE', flag: '--dht-mode <mode>', description: 'auto (a DHT server once the node has a public address, a client otherwise), server (answers DHT queries: public bootstrap nodes) or client (queries only)' },
  { key: 'dhtPrivateAddresses', env: 'REPRAM_DHT_PRIVATE_ADDRESSES', flag: '--dht-private-addresses <bool>', description: 'keep private and loopback addresses in DHT records (a LAN or test network); off on the internet, where they only waste dials' },
  { key: 'rendezvousIntervalMs', env: 'REPRAM_RENDEZVOUS_INTERVAL', flag: '--rendezvous-interval <duration>', description: 'with the DHT: how often the node provides its enclave key (derived from the enclave topic) and looks for other providers, which become candidates verified like any other (0 = off)' },
  { key: 'relayClient', env: 'REPRAM_RELAY_CLIENT', flag: '--relay-client <bool>', description: 'reserve a slot on a circuit relay (v2) and advertise /p2p-circuit addresses, so a node behind a NAT can be dialled' },
  { key: 'relayServer', env: 'REPRAM_RELAY_SERVER', flag: '--relay-server <bool>', description: 'offer a bounded circuit relay service to other nodes (public bootstrap nodes); see relayMaxReservations, relayMaxDuration, relayMaxBytes' },
  { key: 'relayMaxReservations', env: 'REPRAM_RELAY_MAX_RESERVATIONS', flag: '--relay-max-reservations <n>', description: 'relay service: most nodes holding a reservation at once' },
  { key: 'relayMaxDurationMs', env: 'REPRAM_RELAY_MAX_DURATION', flag: '--relay-max-duration <duration>', description: 'relay service: longest life of one relayed connection (then it is reset and redialled, or replaced by a direct one)' },
  { key: 'relayMaxBytes', env: 'REPRAM_RELAY_MAX_BYTES', flag: '--relay-max-bytes <n>', description: 'relay service: most bytes one relayed connection carries in each direction before it is reset' },
  { key: 'autonat', env: 'REPRAM_AUTONAT', flag: '--autonat <bool>', description: 'AutoNAT v2: ask peers to dial back this node\'s addresses, so it learns whether it is publicly reachable (status: reachability)' },
  { key: 'dcutr', env: 'REPRAM_DCUTR', flag: '--dcutr <bool>', description: 'DCUtR: upgrade relayed connections to direct ones by hole punching' },
  { key: 'upnp', env: 'REPRAM_UPNP', flag: '--upnp <bool>', description: 'ask the LAN gateway (UPnP) to map the listen port: opt-in, it opens a port on the router' },
  { key: 'maxConnections', env: 'REPRAM_MAX_CONNECTIONS', flag: '--max-connections <n>', description: 'libp2p connections held at once; inbound connections above it are refused, and the least useful are pruned' },
  { key: 'inboundConnectionRate', env: 'REPRAM_INBOUND_CONNECTION_RATE', flag: '--inbound-connection-rate <n>', description: 'inbound connections accepted per second from one IP address; more are closed at once' },
  { key: 'mcpWatchMaxSeconds', env: 'REPRAM_MCP_WATCH_MAX_SECONDS', flag: '--mcp-watch-max-seconds <n>', description: 'longest wait of the MCP tool repram_watch; longer timeout_seconds are clamped (each pending watch holds a request open)' }
]

const MiB = 1024 * 1024

/** Defaults per profile. */
export function profileDefaults (profile: ConfigProfile = 'default'): RepramConfig {
  const base: RepramConfig = {
    profile: 'default',
    httpPort: 8080,
    httpHost: '0.0.0.0',
    enclave: 'default',
    jurisdiction: undefined,
    network: 'private',
    peers: [],
    listen: ['/ip4/0.0.0.0/tcp/9090'],
    announce: [],
    dnsServers: [],
    mdns: true,
    dataDir: join(homedir(), '.repram'),
    clusterSecret: undefined,
    replication: 3,
    directFanout: 8,
    writeTimeoutMs: 5000,
    minTtl: 300,
    maxTtl: 86_400,
    defaultTtl: 3600,
    ttlPolicy: 'clamp',
    maxKeyBytes: 1024,
    maxValueBytes: 10 * MiB,
    maxStorageMb: 1024,
    shards: 4,
    rateLimit: 100,
    trustProxy: false,
    logLevel: 'info',
    drainTimeoutMs: 8000,
    keysLimitMax: 1000,
    memberTtlMs: 60_000,
    pingIntervalMs: 5000,
    pingFailures: 3,
    activePeers: 32,
    dialTimeoutMs: 5000,
    maxCandidates: 256,
    maxCandidatesPerSource: 32,
    maxCandidatesPerRange: 8,
    candidateDialRate: 4,
    maxClockSkewMs: 30_000,
    signedWriteSkewMs: 30_000,
    gossipBatchSize: 256,
    gossipBatchDelayMs: 2,
    gossipD: 6,
    gossipDlazy: 6,
    gossipFactor: 0.25,
    gossipFloodPublish: true,
    maxGossipMessageBytes: 1024 * 1024,
    gossipInlineBytes: 64 * 1024,
    maxReplicateStreams: 8,
    peerMemoryBudgetBytes: 64 * MiB,
    peerGraylistScore: -80,
    peerDisconnectScore: -160,
    peerWriteRate: 20_000,
    peerByteRate: 256 * MiB,
    attestationCycleMs: 60_000,
    attestationCycles: 10,
    maxAttestationsPerCycle: 10_000,
    attestationStreamMaxPerIp: 8,
    syncIntervalMs: 10_000,
    syncTimeoutMs: 60_000,
    readThroughPeers: 2,
    readThroughTimeoutMs: 500,
    watchBufferEvents: 1000,
    watchQueueBytes: 1024 * 1024,
    watchMaxPerIp: 8,
    watchMaxClients: 1000,
    watchHeartbeatMs: 15_000,
    watchValueMaxBytes: 64 * 1024,
    ui: true,
    mcpHttp: false,
    mcpWatchMaxSeconds: 300,
    dht: false,
    dhtMode: 'auto',
    dhtPrivateAddresses: false,
    rendezvousIntervalMs: 30_000,
    relayClient: false,
    relayServer: false,
    relayMaxReservations: 32,
    relayMaxDurationMs: 120_000,
    relayMaxBytes: MiB,
    autonat: false,
    dcutr: false,
    upnp: false,
    maxConnections: 300,
    inboundConnectionRate: 5
  }
  switch (profile) {
    case 'default':
      return base
    case 'test':
      return {
        ...base,
        profile: 'test',
        httpPort: 0,
        httpHost: '127.0.0.1',
        listen: ['/ip4/127.0.0.1/tcp/0'],
        mdns: false,
        minTtl: 1,
        writeTimeoutMs: 1000,
        rateLimit: 0,
        logLevel: 'silent',
        drainTimeoutMs: 2000,
        memberTtlMs: 5000,
        pingIntervalMs: 300,
        pingFailures: 2,
        dialTimeoutMs: 1000,
        attestationCycleMs: 1000,
        // Fast repair rounds; read-through off so replication tests see replication only.
        syncIntervalMs: 1000,
        syncTimeoutMs: 10_000,
        readThroughPeers: 0
      }
    case 'docker':
      return { ...base, profile: 'docker', dataDir: '/data' }
    case 'public':
      // The open network: strangers can connect, so fewer connections and smaller quotas.
      return {
        ...base,
        profile: 'public',
        network: 'public',
        mdns: false,
        dht: true,
        relayClient: true,
        autonat: true,
        dcutr: true,
        maxConnections: 100,
        inboundConnectionRate: 2,
        rateLimit: 20,
        maxValueBytes: MiB,
        maxStorageMb: 256,
        peerMemoryBudgetBytes: 8 * MiB,
        peerWriteRate: 2000,
        peerByteRate: 16 * MiB,
        maxCandidates: 128,
        candidateDialRate: 2,
        watchMaxClients: 100
      }
  }
}

/** Where each source of configuration comes from. */
export interface LoadConfigOptions {
  /** Profile; else `REPRAM_PROFILE`, else `default`. */
  profile?: ConfigProfile
  /** Environment to read `REPRAM_*` from. @default process.env */
  env?: Record<string, string | undefined>
  /** A JSON config file; else `REPRAM_CONFIG`. */
  file?: string
  /** Highest precedence: CLI flags or programmatic overrides. */
  overrides?: RepramConfigInput
}

/** Builds and validates the config. Throws {@link ConfigError} naming the bad field. */
export function loadConfig (opts: LoadConfigOptions = {}): RepramConfig {
  const env = opts.env ?? process.env
  // `--network public` with no profile named takes the public profile's defaults.
  const networkInput = opts.overrides?.network ?? env.REPRAM_NETWORK
  const profileInput = opts.overrides?.profile ?? opts.profile ?? nonEmpty(env.REPRAM_PROFILE) ?? (networkInput === 'public' ? 'public' : 'default')
  const profile = z.enum(['default', 'test', 'docker', 'public']).safeParse(profileInput)
  if (!profile.success) throw new ConfigError('profile', `"${String(profileInput)}" is not one of default, test, docker, public`)
  const merged: Record<string, unknown> = { ...profileDefaults(profile.data) }

  const file = opts.file ?? env.REPRAM_CONFIG
  if (file !== undefined && file !== '') {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'))
    } catch (err) {
      throw new ConfigError('configFile', `cannot read ${file}: ${(err as Error).message}`)
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError('configFile', `${file} must hold a JSON object`)
    for (const [k, v] of Object.entries(parsed)) {
      if (!CONFIG_FIELDS.some(f => f.key === k)) throw new ConfigError(k, `unknown field in ${file}`)
      merged[k] = v
    }
  }
  for (const f of CONFIG_FIELDS) {
    const v = env[f.env]
    if (v !== undefined && v !== '') merged[f.key] = v
  }
  for (const [k, v] of Object.entries(opts.overrides ?? {})) {
    if (v === undefined) continue
    if (!CONFIG_FIELDS.some(f => f.key === k)) throw new ConfigError(k, 'unknown config field')
    merged[k] = v
  }
  merged.profile = profile.data
  return validateConfig(merged)
}

function nonEmpty (s: string | undefined): string | undefined {
  return s === '' ? undefined : s
}

/** Validates a complete config object. Throws {@link ConfigError} naming the first bad field. */
export function validateConfig (input: unknown): RepramConfig {
  const result = configSchema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const key = String(issue.path[0] ?? 'config')
  const field = CONFIG_FIELDS.find(f => f.key === key)
  const where = field != null ? ` (${field.env}, ${field.flag.split(' ')[0]})` : ''
  const got = (input as Record<string, unknown>)[key]
  throw new ConfigError(key, `${issue.message}${where}${got !== undefined && key !== 'clusterSecret' ? `; got ${JSON.stringify(got)}` : ''}`)
}

/** Capacity in bytes (keys plus values). */
export function capacityBytes (config: RepramConfig): number {
  return config.maxStorageMb * MiB
}
