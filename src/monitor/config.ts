/**
 * The one validated configuration of the compliance monitor: defaults ← `REPRAM_MONITOR_*`
 * environment ← CLI flags (or the fields passed to `createMonitor`). Every field is listed
 * once in {@link MONITOR_FIELDS} with its env name, flag and reason; the CLI and
 * docs/configuration.md are derived from that table.
 *
 * @example
 * import { loadMonitorConfig } from 'repram/monitor'
 * const config = loadMonitorConfig({ overrides: { nodes: ['http://n1:8080', 'http://n2:8080'], quorum: 2 } })
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { bool, durationMs as nodeDurationMs, int, parseDuration, type SettingField } from '../config.js'
import { ConfigError } from '../errors.js'
import * as C from './constants.js'

/** Durations as the node takes them (`500ms`, `5s`, `2m`, `1h`, bare seconds), plus days (`30d`) for retention. */
export function parseMonitorDuration (input: string | number): number {
  if (typeof input === 'string') {
    const d = /^\s*(\d+(?:\.\d+)?)\s*d\s*$/.exec(input)
    if (d != null) return Number(d[1]) * 86_400_000
  }
  return parseDuration(input)
}

const durationMs = (min: number, max: number): z.ZodType<number, unknown> => nodeDurationMs(min, max, parseMonitorDuration)

/** Why `v` is not an http(s) base URL, or the URL without its trailing slash. */
function checkUrl (v: string): { url: string } | { error: string } {
  let u: URL
  try { u = new URL(v.trim()) } catch { return { error: `"${v}" is not a URL (use http://host:port)` } }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { error: `"${v}" is not an http:// or https:// URL` }
  if (u.search !== '' || u.hash !== '') return { error: `"${v}" must be a base URL, without ?query or #fragment` }
  return { url: u.toString().replace(/\/+$/, '') }
}

const urlList = z.union([z.array(z.string()), z.string()])
  .transform((v, ctx) => {
    const out: string[] = []
    for (const s of (Array.isArray(v) ? v : v.split(/[\s,]+/)).map(x => x.trim()).filter(x => x.length > 0)) {
      const r = checkUrl(s)
      if ('error' in r) {
        ctx.addIssue({ code: 'custom', message: r.error })
        return z.NEVER
      }
      out.push(r.url)
    }
    return out
  })
const optionalUrl = z.string().optional().transform((v, ctx) => {
  if (v === undefined || v.trim() === '') return undefined
  const r = checkUrl(v)
  if ('error' in r) {
    ctx.addIssue({ code: 'custom', message: r.error })
    return z.NEVER
  }
  return r.url
})

/** `k` as a positive integer, or `all` (every replica in scope must attest). */
const quorum = z.union([z.number(), z.string()]).transform((v, ctx) => {
  if (v === 'all') return 'all' as const
  const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : NaN
  if (!Number.isSafeInteger(n) || n < 1 || n > 1000) {
    ctx.addIssue({ code: 'custom', message: 'must be a whole number of nodes from 1 to 1000, or all' })
    return z.NEVER
  }
  return n
}) as unknown as z.ZodType<number | 'all', unknown>

const database = z.string().optional().transform((v, ctx) => {
  if (v === undefined || v.trim() === '') return undefined
  if (!/^postgres(?:ql)?:\/\//.test(v.trim())) {
    ctx.addIssue({ code: 'custom', message: 'must be a postgres:// or postgresql:// URL (leave it empty for the embedded database in dataDir)' })
    return z.NEVER
  }
  return v.trim()
})

/** The zod schema of the monitor's config. Field docs live in {@link MONITOR_FIELDS}. */
export const monitorConfigSchema = z.object({
  nodes: urlList,
  discover: optionalUrl,
  discoverUrlTemplate: z.string().min(1).refine(s => s.includes('{host}'), 'must contain {host}'),
  discoverIntervalMs: durationMs(0, 86_400_000),
  database,
  dataDir: z.string().min(1),
  dbPoolSize: int(1, 100),
  retentionMs: durationMs(0, 100 * 365 * 86_400_000),
  retentionIntervalMs: durationMs(1000, 86_400_000),
  quorum,
  deadlineMs: durationMs(0, 7 * 86_400_000),
  checkIntervalMs: durationMs(50, 3_600_000),
  webhook: optionalUrl,
  webhookTimeoutMs: durationMs(100, 120_000),
  webhookRetries: int(0, 20),
  httpPort: int(0, 65535),
  httpHost: z.string().min(1),
  token: z.string().optional().transform(v => v === '' ? undefined : v)
    .pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  requestTimeoutMs: durationMs(100, 600_000),
  reconnectMaxMs: durationMs(100, 3_600_000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
})

/** A complete, validated monitor configuration. */
export type MonitorConfig = z.output<typeof monitorConfigSchema>
/** Any subset of the config before validation (strings are accepted, as from env). */
export type MonitorConfigInput = { [K in keyof MonitorConfig]?: MonitorConfig[K] | string | string[] }

/** One row of the monitor's settings table. */
export type MonitorField = SettingField<MonitorConfig>

/** Every setting of the monitor, its env var, its CLI flag and its reason. */
export const MONITOR_FIELDS: readonly MonitorField[] = [
  { key: 'nodes', env: 'REPRAM_MONITOR_NODES', flag: '--nodes <urls...>', description: 'node base URLs to watch (space or comma separated); each node\'s stream and /v1/attestations ring are read' },
  { key: 'discover', env: 'REPRAM_MONITOR_DISCOVER', flag: '--discover <url>', description: 'a node whose /v1/topology names the others: the monitor watches it and every peer it can reach over HTTP (see --discover-url-template), and looks again every --discover-interval' },
  { key: 'discoverUrlTemplate', env: 'REPRAM_MONITOR_DISCOVER_URL_TEMPLATE', flag: '--discover-url-template <template>', description: 'how a peer\'s HTTP URL is made from its libp2p address ({host}; {scheme} and {port} are those of --discover): topology lists libp2p addresses only. A guess is used only if that URL answers with the peer\'s own node id' },
  { key: 'discoverIntervalMs', env: 'REPRAM_MONITOR_DISCOVER_INTERVAL', flag: '--discover-interval <duration>', description: 'how often the topology is read again for new nodes (0 = only at start)' },
  { key: 'database', env: 'REPRAM_MONITOR_DATABASE', flag: '--database <url>', description: 'a postgres:// URL of a database the organisation runs; empty: the embedded database (PGlite) in --data-dir' },
  { key: 'dataDir', env: 'REPRAM_MONITOR_DATA_DIR', flag: '--data-dir <dir>', description: 'where the embedded database lives (one monitor process at a time: a lock file guards it)' },
  { key: 'dbPoolSize', env: 'REPRAM_MONITOR_DB_POOL_SIZE', flag: '--db-pool-size <n>', description: 'connections to the Postgres server of --database' },
  { key: 'retentionMs', env: 'REPRAM_MONITOR_RETENTION', flag: '--retention <duration>', description: 'delete proofs, cycles, writes, gaps and alerts older than this (e.g. 400d; 0 = keep forever). Set it to what your framework asks you to keep' },
  { key: 'retentionIntervalMs', env: 'REPRAM_MONITOR_RETENTION_INTERVAL', flag: '--retention-interval <duration>', description: 'how often rows past the retention are deleted' },
  { key: 'quorum', env: 'REPRAM_MONITOR_QUORUM', flag: '--quorum <k|all>', description: 'proof quorum k: independent signers each flagged write needs by its deadline; all = every node in the write\'s scope (n). A write that misses it raises an alert' },
  { key: 'deadlineMs', env: 'REPRAM_MONITOR_DEADLINE', flag: '--deadline <duration>', description: 'how long after a write\'s expiry its proofs may take to arrive (leave at least one attestation cycle plus a reconnect)' },
  { key: 'checkIntervalMs', env: 'REPRAM_MONITOR_CHECK_INTERVAL', flag: '--check-interval <duration>', description: 'how often due writes are checked against the quorum (and outages against the replay window)' },
  { key: 'webhook', env: 'REPRAM_MONITOR_WEBHOOK', flag: '--webhook <url>', description: 'POST each alert there as JSON (optional); bounded by --webhook-timeout and --webhook-retries' },
  { key: 'webhookTimeoutMs', env: 'REPRAM_MONITOR_WEBHOOK_TIMEOUT', flag: '--webhook-timeout <duration>', description: 'how long one webhook attempt may take' },
  { key: 'webhookRetries', env: 'REPRAM_MONITOR_WEBHOOK_RETRIES', flag: '--webhook-retries <n>', description: 'attempts after the first failed one (1 s, 2 s, 4 s… apart); the alert stays in the database either way' },
  { key: 'httpPort', env: 'REPRAM_MONITOR_PORT', flag: '--port <port>', description: 'port of the monitor\'s own HTTP server: /metrics, /health, POST /v1/writes, GET /v1/report (0 = any free port)' },
  { key: 'httpHost', env: 'REPRAM_MONITOR_HOST', flag: '--host <host>', description: 'bind address of that server' },
  { key: 'token', env: 'REPRAM_MONITOR_TOKEN', flag: '--token <secret>', description: 'when set, POST /v1/writes and GET /v1/report need Authorization: Bearer <token> (/metrics and /health stay open)' },
  { key: 'requestTimeoutMs', env: 'REPRAM_MONITOR_REQUEST_TIMEOUT', flag: '--request-timeout <duration>', description: 'bound on each request to a node (health, listing, one cycle, the stream handshake)' },
  { key: 'reconnectMaxMs', env: 'REPRAM_MONITOR_RECONNECT_MAX', flag: '--reconnect-max <duration>', description: 'longest pause between reconnects to a node (starts at 250 ms, doubles); keep it well inside the nodes\' replay window' },
  { key: 'logLevel', env: 'REPRAM_MONITOR_LOG_LEVEL', flag: '--log-level <level>', description: 'fatal, error, warn, info, debug, trace or silent' }
]

/** The defaults. */
export function monitorDefaults (): MonitorConfig {
  return {
    nodes: [],
    discover: undefined,
    discoverUrlTemplate: '{scheme}://{host}:{port}',
    discoverIntervalMs: C.DEFAULT_DISCOVER_INTERVAL_MS,
    database: undefined,
    dataDir: join(homedir(), '.repram', C.DEFAULT_MONITOR_DIR_NAME),
    dbPoolSize: C.DEFAULT_DB_POOL_SIZE,
    retentionMs: C.DEFAULT_RETENTION_MS,
    retentionIntervalMs: C.DEFAULT_RETENTION_INTERVAL_MS,
    quorum: C.DEFAULT_QUORUM,
    deadlineMs: C.DEFAULT_DEADLINE_MS,
    checkIntervalMs: C.DEFAULT_CHECK_INTERVAL_MS,
    webhook: undefined,
    webhookTimeoutMs: C.DEFAULT_WEBHOOK_TIMEOUT_MS,
    webhookRetries: C.DEFAULT_WEBHOOK_RETRIES,
    httpPort: C.DEFAULT_MONITOR_PORT,
    httpHost: C.DEFAULT_MONITOR_HOST,
    token: undefined,
    requestTimeoutMs: C.DEFAULT_REQUEST_TIMEOUT_MS,
    reconnectMaxMs: C.DEFAULT_RECONNECT_MAX_MS,
    logLevel: 'info'
  }
}

/** Where the monitor's settings come from. */
export interface LoadMonitorConfigOptions {
  /** Environment to read `REPRAM_MONITOR_*` from. @default process.env */
  env?: Record<string, string | undefined>
  /** Highest precedence: CLI flags or programmatic fields. */
  overrides?: MonitorConfigInput
}

/** Builds and validates the config. Throws {@link ConfigError} naming the bad field. */
export function loadMonitorConfig (opts: LoadMonitorConfigOptions = {}): MonitorConfig {
  const env = opts.env ?? process.env
  const merged: Record<string, unknown> = { ...monitorDefaults() }
  for (const f of MONITOR_FIELDS) {
    const v = env[f.env]
    if (v !== undefined && v !== '') merged[f.key] = v
  }
  for (const [k, v] of Object.entries(opts.overrides ?? {})) {
    if (v === undefined) continue
    if (!MONITOR_FIELDS.some(f => f.key === k)) throw new ConfigError(k, 'unknown monitor setting')
    merged[k] = v
  }
  return validateMonitorConfig(merged)
}

/** Validates a complete config object. Throws {@link ConfigError} naming the first bad field. */
export function validateMonitorConfig (input: unknown): MonitorConfig {
  const result = monitorConfigSchema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const key = String(issue.path[0] ?? 'config')
  const field = MONITOR_FIELDS.find(f => f.key === key)
  const where = field != null ? ` (${field.env}, ${field.flag.split(' ')[0]})` : ''
  const got = (input as Record<string, unknown>)[key]
  const secret = key === 'token' || key === 'database'
  throw new ConfigError(key, `${issue.message}${where}${got !== undefined && !secret ? `; got ${JSON.stringify(got)}` : ''}`)
}

/**
 * The rule a running monitor adds to the schema (a report needs no nodes): something to
 * watch. Throws {@link ConfigError} on `nodes`.
 */
export function assertSomethingToWatch (config: MonitorConfig): void {
  if (config.nodes.length === 0 && config.discover === undefined) throw new ConfigError('nodes', 'give the nodes to watch (--nodes URL…, REPRAM_MONITOR_NODES) or a node to discover them from (--discover URL, REPRAM_MONITOR_DISCOVER)')
}

/** The database URL without its password, for logs and /health. */
export function redactDatabaseUrl (url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return 'postgres://…'
  }
}

/** A default as an operator types it: durations as `5s`/`3m`/`400d`, lists comma separated, home as `~`. */
export function formatMonitorDefault (key: keyof MonitorConfig, value: unknown): string {
  if (value === undefined) return '(none)'
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(',')
  if (typeof value === 'number' && key.endsWith('Ms')) {
    if (value === 0) return '0'
    if (value % 86_400_000 === 0) return `${value / 86_400_000}d`
    if (value % 3_600_000 === 0) return `${value / 3_600_000}h`
    if (value % 60_000 === 0) return `${value / 60_000}m`
    return value % 1000 === 0 ? `${value / 1000}s` : `${value}ms`
  }
  if (typeof value === 'string') {
    const home = homedir()
    return home !== '' && value.startsWith(home) ? `~${value.slice(home.length)}` : value
  }
  return String(value)
}

/** Markers of the monitor settings table in docs/configuration.md. */
export const MONITOR_TABLE_MARKERS = {
  start: '<!-- monitor-table:start (generated from src/monitor/config.ts by renderMonitorSettingsTable; do not edit by hand) -->',
  end: '<!-- monitor-table:end -->'
} as const

/** The markdown table of every monitor setting: env, flag, default, meaning (docs/configuration.md, checked by a test). */
export function renderMonitorSettingsTable (): string {
  const defaults = monitorDefaults()
  const cell = (s: string): string => s.replace(/\|/g, '\\|')
  const rows = MONITOR_FIELDS.map(f => `| \`${f.env}\` | \`${f.flag}\` | \`${cell(formatMonitorDefault(f.key, defaults[f.key]))}\` | ${cell(f.description)} |`)
  return [MONITOR_TABLE_MARKERS.start, '| env | flag | default | meaning |', '|---|---|---|---|', ...rows, MONITOR_TABLE_MARKERS.end].join('\n')
}
