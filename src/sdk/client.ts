/**
 * `RepramClient`: the HTTP API v1 (DESIGN §2) over `fetch`, for Node and
 * browsers, with typed errors, 429 back-off that honours `Retry-After`,
 * failover across several node URLs, and envelope encryption on top.
 *
 * @example
 * ```ts
 * import { RepramClient, generateKey } from 'repram/sdk'
 * const client = new RepramClient(['http://10.0.0.1:8080', 'http://10.0.0.2:8080'])
 * await client.put('greeting', 'hello', { ttl: 600 })
 * const rec = await client.get('greeting')          // { value, createdAt, expiresAt, ttl, remainingTtl } | null
 * const key = generateKey()
 * await client.putEncrypted('secret', 'only for key holders', { key, ttl: 600 })
 * const { value } = (await client.getDecrypted('secret', { key }))!
 * ```
 */
import { asBufferSource, fromUtf8, utf8 } from './encoding.js'
import { open, seal, type EnvelopeMode, type OpenOptions, type SealOptions } from './envelope.js'
import {
  BadRequestError, CapacityError, InvalidRequestError, MethodNotAllowedError, NetworkError, NotFoundError,
  PayloadTooLargeError, ProtocolError, RateLimitedError, RepramHttpError, UnavailableError
} from './errors.js'
import type { KdfParams } from './kdf.js'
import { startWatch, type WatchEvent, type WatchHandle, type WatchOptions } from './watch.js'
import { signWrite, type WriteSigner } from './owned.js'
import { base64url } from '../wire/owner.js'
import { formatJurisdictions, parseJurisdictions } from '../wire/jurisdiction.js'

/** The subset of `fetch` the client uses; inject your own for tests, proxies or instrumentation. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

/** A cancellable sleep; injectable so tests never wait on wall time. */
export type SleepFn = (ms: number, signal?: AbortSignal) => Promise<void>

/** How the client retries when a node answers 429. */
export interface RetryOptions {
  /** Retries of one request after 429 answers (per node URL). @default 3 */
  max429Retries?: number
  /**
   * The longest `Retry-After` the client will wait. A node asking for more
   * gets a {@link RateLimitedError} at once (with `retryAfterMs`), so the
   * caller decides. @default 10000
   */
  maxRetryAfterMs?: number
  /** The wait when a 429 carries no usable `Retry-After`. @default 1000 */
  defaultRetryAfterMs?: number
}

/** Options of {@link RepramClient}. */
export interface RepramClientOptions {
  /** The fetch implementation. @default globalThis.fetch */
  fetch?: FetchLike
  /** 429 handling. */
  retries?: RetryOptions
  /**
   * Deadline of one attempt against one node, in ms, body included. An
   * attempt that times out counts as a network error: the client fails over.
   * @default 30000
   */
  timeoutMs?: number
  /** The sleep used between 429 retries. @default a `setTimeout` sleep */
  sleep?: SleepFn
}

/** Per-call options. */
export interface CallOptions {
  /** Abort the call (no failover after an abort; the signal's reason is thrown). */
  signal?: AbortSignal
}

/** Options of {@link RepramClient.put}. */
export interface PutOptions extends CallOptions {
  /**
   * TTL in whole seconds (a positive integer). The node clamps it to its
   * `[minTtl, maxTtl]` and reports the applied TTL. @default the node's default TTL
   */
  ttl?: number
  /**
   * Signs the write for an owned key (`~ed25519:…/` or `~eth:0x…/`, docs/owned-keys.md):
   * the client chooses createdAt and the writeId and sends the proof in headers. The TTL
   * is then sent always (default 3600 s) and, for a delegated session key, shortened to
   * end by the delegation's Expiration Time.
   */
  signer?: WriteSigner
  /** createdAt (ms since epoch) of a signed write. @default Date.now() */
  createdAt?: number
  /**
   * The jurisdictions the write may live in (`X-Jurisdiction`: codes such as `'eu'`, or a
   * comma-separated list): only nodes in one of them store or replicate it. A node outside
   * them answers 421 and the client tries its next URL; 422 when no node is in any.
   */
  jurisdictions?: readonly string[] | string
}

/** What a successful PUT reports. */
export interface PutResult {
  /** The key as the node stored it. */
  key: string
  /** The applied TTL in seconds (after clamping). */
  ttl: number
  /** Absolute expiry, ms since the epoch. */
  expiresAt: number
  /** Unique id of this write. */
  writeId: string
  /** Copies acknowledged, including the coordinator's. */
  replicas: number
  /** 201 when the write quorum was reached, 202 when stored locally only. */
  status: 201 | 202
  /** The jurisdictions the write may live in (canonical), when it named some. */
  jurisdictions?: string[]
}

/** Metadata of a live record (GET and HEAD headers). */
export interface RecordInfo {
  /** Creation time, ms since the epoch (`X-Created-At`). */
  createdAt: number
  /** Absolute expiry, ms since the epoch (`X-Expires-At`). */
  expiresAt: number
  /** The TTL applied at write time, seconds (`X-Original-TTL`). */
  ttl: number
  /** Whole seconds left, rounded down (`X-Remaining-TTL`). */
  remainingTtl: number
  /** The jurisdictions the record may live in (`X-Jurisdiction`), when it was written with some. */
  jurisdictions?: string[]
}

/** A record as {@link RepramClient.get} returns it. */
export interface GetResult extends RecordInfo {
  /** The stored bytes. */
  value: Uint8Array
}

/** Options of {@link RepramClient.keys}. */
export interface KeysOptions extends CallOptions {
  /** Only keys starting with this prefix. */
  prefix?: string
  /** Page size (the node caps it). */
  limit?: number
  /** Continue after this cursor (exclusive): a previous page's `nextCursor`. */
  cursor?: string
}

/** One page of keys. */
export interface KeysPage {
  /** Keys in UTF-8 byte order. */
  keys: string[]
  /** Present when more keys remain: pass it as `cursor`. */
  nextCursor?: string
}

/**
 * `GET /v1/status`. The known fields are typed; nodes may add more.
 */
export interface NodeStatus {
  /** The node's peer id. */
  node_id?: string
  /** Software version. */
  version?: string
  /** Seconds since start. */
  uptime_seconds?: number
  /** Live records. */
  records?: number
  /** Bytes of live values. */
  bytes?: number
  /** Connected peers. */
  peers?: number
  /** libp2p listen addresses. */
  listen_addresses?: string[]
  /** Any other field the node reports. */
  [field: string]: unknown
}

/** `GET /v1/health`. */
export interface NodeHealth {
  /** `healthy` (a draining node answers 503, which the client treats as a failure). */
  status: string
  /** The node's peer id. */
  node_id?: string
  /** `private` or `public`. */
  network?: string
  /** The node's enclave. */
  enclave?: string
  /** Any other field the node reports. */
  [field: string]: unknown
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/**
 * Options of {@link RepramClient.putEncrypted}: the {@link SealOptions} (minus
 * `storageKey`, which is the record key) plus TTL and signal.
 */
export type PutEncryptedOptions = DistributiveOmit<SealOptions, 'storageKey'> & PutOptions

/** Options of {@link RepramClient.getDecrypted}: the {@link OpenOptions} minus `storageKey`, plus signal. */
export type GetDecryptedOptions = DistributiveOmit<OpenOptions, 'storageKey'> & CallOptions

/** A decrypted record. */
export interface DecryptedRecord extends RecordInfo {
  /** The plaintext. */
  value: Uint8Array
  /** Whether the compliance-tracked flag is set. */
  flagged: boolean
  /** The envelope's mode. */
  mode: EnvelopeMode
  /** The KDF parameters, for passphrase mode. */
  kdf?: KdfParams
}

/** 429 retries per node URL when not configured. */
export const DEFAULT_MAX_429_RETRIES = 3
/** Longest Retry-After honoured when not configured (ms): beyond it the caller decides. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 10_000
/** Wait after a 429 with no usable Retry-After (ms). */
export const DEFAULT_RETRY_AFTER_MS = 1_000
/** Deadline of one attempt (ms): long enough for a 10 MiB value on a slow link. */
export const DEFAULT_TIMEOUT_MS = 30_000

/** The default {@link SleepFn}: `setTimeout`, rejecting with the signal's reason on abort. */
export const defaultSleep: SleepFn = async (ms, signal) => {
  await new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) { reject(signal.reason); return }
    const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason) }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * The path of a key under `/v1/data/`: each `/`-separated segment is
 * percent-encoded with `encodeURIComponent`, and the `/` are kept literal.
 * A key with a `.` or `..` segment (which URL parsers would collapse) is sent
 * with its `/` encoded as `%2F` instead; the node decodes both forms to the
 * same key.
 *
 * @throws InvalidRequestError for an empty key, the keys `.` and `..` (no URL
 *   can carry them), or a string with lone surrogates (no UTF-8 form)
 */
export function encodeKeyPath (key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidRequestError('the key must be a non-empty string')
  if (key === '.' || key === '..') throw new InvalidRequestError(`the key "${key}" cannot be expressed in a URL path`)
  const segments = key.split('/')
  try {
    if (segments.some(s => s === '.' || s === '..')) return encodeURIComponent(key)
    return segments.map(encodeURIComponent).join('/')
  } catch {
    throw new InvalidRequestError('the key contains a lone UTF-16 surrogate and has no UTF-8 form')
  }
}

/**
 * Parse `Retry-After` (delay-seconds or an HTTP-date) into ms from `now`;
 * undefined when absent or unparseable.
 */
export function parseRetryAfter (value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v) * 1000
  const date = Date.parse(v)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/** Build the typed error of an HTTP status. */
export function httpErrorFor (status: number, code: string, message: string, url: string, retryAfterMs?: number): RepramHttpError {
  switch (status) {
    case 400: return new BadRequestError(code, message, url)
    case 404: return new NotFoundError(code, message, url)
    case 405: return new MethodNotAllowedError(code, message, url)
    case 413: return new PayloadTooLargeError(code, message, url)
    case 429: return new RateLimitedError(code, message, url, retryAfterMs)
    case 503: return new UnavailableError(code, message, url)
    case 507: return new CapacityError(code, message, url)
    default: return new RepramHttpError(status, code, message, url)
  }
}

interface RawResponse {
  status: number
  headers: Headers
  body: Uint8Array
  base: string
}

interface RequestSpec {
  method: 'GET' | 'HEAD' | 'PUT'
  path: string
  body?: Uint8Array
  signal?: AbortSignal
  /** Extra request headers (a signed PUT's proof). */
  headers?: Record<string, string>
}

/** TTL of a signed write when none is given (the node's default cannot be known before signing). */
export const DEFAULT_SIGNED_TTL = 3600

/** A write id for a signed write: 12 random bytes as 16 base64url characters, as nodes make them. */
function newClientWriteId (): string {
  return base64url(crypto.getRandomValues(new Uint8Array(12)))
}

class AttemptTimeout extends Error {
  constructor (ms: number) { super(`no complete answer within ${ms} ms`); this.name = 'AttemptTimeout' }
}

function normaliseBaseUrl (raw: string): string {
  let u: URL
  try { u = new URL(raw) } catch { throw new InvalidRequestError(`not a URL: ${raw}`) }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidRequestError(`not an http(s) URL: ${raw}`)
  if (u.search !== '' || u.hash !== '') throw new InvalidRequestError(`a node URL takes no query or fragment: ${raw}`)
  return u.href.replace(/\/+$/, '')
}

function describeFailure (err: unknown): string {
  if (err instanceof AttemptTimeout) return err.message
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause
    const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String((cause as { code: unknown }).code) : undefined
    return code === undefined ? err.message : `${err.message} (${code})`
  }
  return String(err)
}

function intHeader (headers: Headers, name: string): number | undefined {
  const v = headers.get(name)
  if (v === null || !/^-?\d+$/.test(v.trim())) return undefined
  return Number(v)
}

/**
 * A client of one REPRAM network, reached through one or more node URLs.
 *
 * Failover: each request starts at the node that last answered well; a
 * network error, a timeout or a 5xx answer moves it to the next URL, until
 * every URL has been tried once. 4xx answers are final (they would be the
 * same on any node), except 429, which is retried on the same node after
 * `Retry-After`.
 */
export class RepramClient {
  /** The node base URLs, normalised (no trailing slash). */
  readonly urls: readonly string[]
  private preferred = 0
  private readonly fetchFn: FetchLike
  private readonly sleep: SleepFn
  private readonly timeoutMs: number
  private readonly max429Retries: number
  private readonly maxRetryAfterMs: number
  private readonly defaultRetryAfterMs: number

  /**
   * @param urls - one node base URL or several (e.g. `http://127.0.0.1:8080`)
   * @param options - fetch, retries, timeout, sleep
   * @throws InvalidRequestError when no URL is given or one is not http(s)
   */
  constructor (urls: string | readonly string[], options: RepramClientOptions = {}) {
    const list = typeof urls === 'string' ? [urls] : [...urls]
    if (list.length === 0) throw new InvalidRequestError('RepramClient needs at least one node URL')
    this.urls = Object.freeze(list.map(normaliseBaseUrl))
    this.fetchFn = options.fetch ?? (async (input, init) => await globalThis.fetch(input, init))
    this.sleep = options.sleep ?? defaultSleep
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.max429Retries = options.retries?.max429Retries ?? DEFAULT_MAX_429_RETRIES
    this.maxRetryAfterMs = options.retries?.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS
    this.defaultRetryAfterMs = options.retries?.defaultRetryAfterMs ?? DEFAULT_RETRY_AFTER_MS
    for (const [name, v] of [['timeoutMs', this.timeoutMs], ['retries.max429Retries', this.max429Retries], ['retries.maxRetryAfterMs', this.maxRetryAfterMs], ['retries.defaultRetryAfterMs', this.defaultRetryAfterMs]] as const) {
      if (!Number.isFinite(v) || v < 0) throw new InvalidRequestError(`${name} must be a non-negative number`)
    }
  }

  /** The URL the next request starts with (the last one that answered well). */
  get currentUrl (): string {
    return this.urls[this.preferred]
  }

  /**
   * Store `value` under `key` (replacing any record there), `PUT /v1/data/{key}`.
   * @returns the applied TTL, expiry, write id, replica count and 201/202
   */
  async put (key: string, value: Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
    const path = `/v1/data/${encodeKeyPath(key)}`
    if (options.ttl !== undefined && (!Number.isSafeInteger(options.ttl) || options.ttl <= 0)) {
      throw new InvalidRequestError('ttl must be a positive integer number of seconds')
    }
    const body = typeof value === 'string' ? utf8(value) : value
    if (!(body instanceof Uint8Array)) throw new InvalidRequestError('the value must be a Uint8Array or a string')
    let ttlAsked = options.ttl
    let headers: Record<string, string> | undefined
    let jurisdictions: string[] | undefined
    if (options.jurisdictions !== undefined) {
      try { jurisdictions = parseJurisdictions(options.jurisdictions) } catch (err) { throw new InvalidRequestError((err as Error).message) }
    }
    if (options.signer !== undefined) {
      const createdAt = options.createdAt ?? Date.now()
      let ttl = options.ttl ?? DEFAULT_SIGNED_TTL
      // A delegated write must expire by the delegation's end: shorten the TTL to fit.
      if (options.signer.notAfter !== undefined) ttl = Math.min(ttl, Math.floor((options.signer.notAfter - createdAt) / 1000))
      if (ttl <= 0) throw new InvalidRequestError('the signer\'s delegation has ended: sign in again')
      const signed = await signWrite({ key, createdAt, expiresAt: createdAt + ttl * 1000, writeId: newClientWriteId() }, body, options.signer)
      ttlAsked = ttl
      headers = signed.headers
    }
    if (jurisdictions !== undefined) headers = { ...headers, 'X-Jurisdiction': formatJurisdictions(jurisdictions) }
    const res = await this.request({ method: 'PUT', path: ttlAsked === undefined ? path : `${path}?ttl=${ttlAsked}`, body, signal: options.signal, headers })
    const json = this.json(res) as Partial<Record<keyof PutResult, unknown>>
    const ttl = typeof json.ttl === 'number' ? json.ttl : intHeader(res.headers, 'x-original-ttl')
    const expiresAt = typeof json.expiresAt === 'number' ? json.expiresAt : intHeader(res.headers, 'x-expires-at')
    if (ttl === undefined || expiresAt === undefined || typeof json.writeId !== 'string' || typeof json.replicas !== 'number') {
      throw new ProtocolError(`PUT answer from ${res.base} lacks ttl, expiresAt, writeId or replicas`)
    }
    const result: PutResult = {
      key: typeof json.key === 'string' ? json.key : key,
      ttl,
      expiresAt,
      writeId: json.writeId,
      replicas: json.replicas,
      status: res.status === 202 ? 202 : 201
    }
    if (jurisdictions !== undefined) result.jurisdictions = jurisdictions
    return result
  }

  /**
   * Read a record, `GET /v1/data/{key}`.
   * @returns the value and its metadata, or null when there is no live record
   */
  async get (key: string, options: CallOptions = {}): Promise<GetResult | null> {
    const res = await this.request({ method: 'GET', path: `/v1/data/${encodeKeyPath(key)}`, signal: options.signal }, true)
    if (res.status === 404) return null
    return { value: res.body, ...this.recordInfo(res) }
  }

  /**
   * A record's metadata without its value, `HEAD /v1/data/{key}`.
   * @returns the metadata, or null when there is no live record
   */
  async head (key: string, options: CallOptions = {}): Promise<RecordInfo | null> {
    const res = await this.request({ method: 'HEAD', path: `/v1/data/${encodeKeyPath(key)}`, signal: options.signal }, true)
    if (res.status === 404) return null
    return this.recordInfo(res)
  }

  /** Whether a live record exists under `key` (`HEAD`). */
  async has (key: string, options: CallOptions = {}): Promise<boolean> {
    return (await this.head(key, options)) !== null
  }

  /** One page of keys, `GET /v1/keys?prefix=&limit=&cursor=`. */
  async keys (options: KeysOptions = {}): Promise<KeysPage> {
    const q = new URLSearchParams()
    if (options.prefix !== undefined) q.set('prefix', options.prefix)
    if (options.limit !== undefined) {
      if (!Number.isSafeInteger(options.limit) || options.limit <= 0) throw new InvalidRequestError('limit must be a positive integer')
      q.set('limit', String(options.limit))
    }
    if (options.cursor !== undefined) q.set('cursor', options.cursor)
    const qs = q.toString()
    const res = await this.request({ method: 'GET', path: qs === '' ? '/v1/keys' : `/v1/keys?${qs}`, signal: options.signal })
    const json = this.json(res) as { keys?: unknown, next_cursor?: unknown }
    if (!Array.isArray(json.keys) || !json.keys.every(k => typeof k === 'string')) throw new ProtocolError(`keys answer from ${res.base} has no string array "keys"`)
    const page: KeysPage = { keys: json.keys as string[] }
    if (typeof json.next_cursor === 'string' && json.next_cursor !== '') page.nextCursor = json.next_cursor
    return page
  }

  /**
   * Every key (with `prefix`), following cursors page by page.
   * @example
   * ```ts
   * for await (const key of client.listKeys({ prefix: 'app/' })) console.log(key)
   * ```
   */
  async * listKeys (options: Omit<KeysOptions, 'cursor'> = {}): AsyncGenerator<string, void, undefined> {
    let cursor: string | undefined
    do {
      const page = await this.keys({ ...options, cursor })
      yield * page.keys
      cursor = page.nextCursor
    } while (cursor !== undefined)
  }

  /** The node's status, `GET /v1/status`. */
  async status (options: CallOptions = {}): Promise<NodeStatus> {
    const res = await this.request({ method: 'GET', path: '/v1/status', signal: options.signal })
    return this.json(res) as NodeStatus
  }

  /** The node's health, `GET /v1/health`. */
  async health (options: CallOptions = {}): Promise<NodeHealth> {
    const res = await this.request({ method: 'GET', path: '/v1/health', signal: options.signal })
    const json = this.json(res) as NodeHealth
    if (typeof json.status !== 'string') throw new ProtocolError(`health answer from ${res.base} has no "status"`)
    return json
  }

  /**
   * Seal `value` into an envelope bound to `key` (see {@link seal}) and store
   * it. Exactly one of `passphrase`, `key` or `recipientPublicKey`; `flagged`
   * marks it compliance-tracked.
   */
  async putEncrypted (key: string, value: Uint8Array | string, options: PutEncryptedOptions): Promise<PutResult> {
    const { ttl, signal, jurisdictions, ...sealOptions } = options
    encodeKeyPath(key) // reject unusable keys before spending time on a KDF
    const blob = await seal(value, { ...sealOptions, storageKey: key } as SealOptions)
    return await this.put(key, blob, { ttl, signal, jurisdictions })
  }

  /**
   * Read the record under `key` and open its envelope (see {@link open}).
   * @returns the plaintext and metadata, or null when there is no live record
   * @throws DecryptionError when the record does not open with this key material
   */
  async getDecrypted (key: string, options: GetDecryptedOptions): Promise<DecryptedRecord | null> {
    const { signal, ...openOptions } = options
    const rec = await this.get(key, { signal })
    if (rec === null) return null
    const opened = await open(rec.value, { ...openOptions, storageKey: key } as OpenOptions)
    const out: DecryptedRecord = {
      value: opened.plaintext,
      flagged: opened.flagged,
      mode: opened.mode,
      createdAt: rec.createdAt,
      expiresAt: rec.expiresAt,
      ttl: rec.ttl,
      remainingTtl: rec.remainingTtl
    }
    if (opened.kdf !== undefined) out.kdf = opened.kdf
    return out
  }

  private json (res: RawResponse): unknown {
    try {
      const v: unknown = JSON.parse(fromUtf8(res.body))
      if (v === null || typeof v !== 'object') throw new Error('not an object')
      return v
    } catch {
      throw new ProtocolError(`expected a JSON object from ${res.base}, got ${res.body.length} bytes that are not one`)
    }
  }

  private recordInfo (res: RawResponse): RecordInfo {
    const ttl = intHeader(res.headers, 'x-original-ttl')
    const remainingTtl = intHeader(res.headers, 'x-remaining-ttl')
    const createdRaw = res.headers.get('x-created-at')
    const createdAt = createdRaw === null ? NaN : Date.parse(createdRaw)
    if (ttl === undefined || remainingTtl === undefined || Number.isNaN(createdAt)) {
      throw new ProtocolError(`the answer from ${res.base} lacks X-Created-At, X-Original-TTL or X-Remaining-TTL` +
        ' (in a browser, the node must list them in Access-Control-Expose-Headers)')
    }
    const expiresAt = intHeader(res.headers, 'x-expires-at') ?? createdAt + ttl * 1000
    const info: RecordInfo = { createdAt, expiresAt, ttl, remainingTtl }
    const j = res.headers.get('x-jurisdiction')
    if (j !== null && j !== '') info.jurisdictions = j.split(',').map(s => s.trim())
    return info
  }

  /**
   * Follows every store and expiry under `prefix` (`GET /v1/watch`, Server-Sent Events)
   * until closed. Reconnects by itself (next URL on failure) and resumes from the last event
   * seen; a `gap` event says when changes were missed. `stored` events carry the value with
   * `values: true` (up to the node's cap; bigger ones say `valueOmitted`).
   *
   * @example
   * const w = client.watch('chat/room1/', (e) => { if (e.type === 'stored') console.log(e.key) })
   * await w.ready        // subscribed: writes from now on are seen
   * w.close()
   */
  watch (prefix: string, handler: (event: WatchEvent) => void | Promise<void>, options: WatchOptions = {}): WatchHandle {
    if (typeof prefix !== 'string') throw new InvalidRequestError('the prefix must be a string')
    if (typeof handler !== 'function') throw new InvalidRequestError('watch needs a handler function')
    return startWatch({
      urls: this.urls,
      preferred: this.preferred,
      fetch: this.fetchFn,
      sleep: this.sleep,
      errorFor: httpErrorFor,
      parseRetryAfter: (v) => parseRetryAfter(v)
    }, prefix, handler, options)
  }

  /**
   * Run one request with failover and 429 back-off. Resolves with a 2xx
   * answer (or a 404 when `allow404`), and throws the typed error otherwise.
   */
  private async request (spec: RequestSpec, allow404 = false): Promise<RawResponse> {
    const n = this.urls.length
    const attempts: string[] = []
    let lastServerError: RepramHttpError | undefined
    let lastNetworkError: unknown
    for (let i = 0; i < n; i++) {
      const index = (this.preferred + i) % n
      const base = this.urls[index]
      for (let retries = 0; ; retries++) {
        let res: RawResponse
        try {
          res = await this.attempt(base, spec)
        } catch (err) {
          if (spec.signal?.aborted === true) throw spec.signal.reason
          attempts.push(`${base}: ${describeFailure(err)}`)
          lastNetworkError = err
          break
        }
        if ((res.status >= 200 && res.status < 300) || (allow404 && res.status === 404)) {
          this.preferred = index
          return res
        }
        if (res.status === 429) {
          const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'))
          const wait = retryAfterMs ?? this.defaultRetryAfterMs
          if (retries < this.max429Retries && wait <= this.maxRetryAfterMs) {
            await this.sleep(wait, spec.signal)
            continue
          }
          // a node that rate-limits us is alive: remember it, the limit is ours
          this.preferred = index
          throw this.errorOf(res, retryAfterMs)
        }
        const err = this.errorOf(res)
        // 421: this node is outside the write's jurisdictions; another node may be in one.
        if (res.status >= 500 || res.status === 421) {
          attempts.push(`${base}: HTTP ${res.status} ${err.code}`)
          lastServerError = err
          break
        }
        this.preferred = index
        throw err
      }
    }
    // A node that answered 5xx says more than one that could not be reached.
    if (lastServerError !== undefined) throw lastServerError
    throw new NetworkError(n === 1 ? `could not reach ${attempts[0]}` : `no node could be reached (${attempts.join('; ')})`, attempts, lastNetworkError)
  }

  private errorOf (res: RawResponse, retryAfterMs?: number): RepramHttpError {
    let code = `http_${res.status}`
    let message = `HTTP ${res.status}`
    try {
      const body = JSON.parse(fromUtf8(res.body)) as { error?: unknown, message?: unknown }
      if (typeof body.error === 'string') code = body.error
      if (typeof body.message === 'string') message = body.message
    } catch {
      // not a JSON error body: keep the generic code and message
    }
    return httpErrorFor(res.status, code, message, res.base, retryAfterMs)
  }

  /** One HTTP exchange with one node, body read in full, under the attempt deadline. */
  private async attempt (base: string, spec: RequestSpec): Promise<RawResponse> {
    const controller = new AbortController()
    const onAbort = (): void => controller.abort(spec.signal?.reason)
    if (spec.signal?.aborted === true) throw spec.signal.reason
    spec.signal?.addEventListener('abort', onAbort, { once: true })
    let timedOut = false
    const timer = setTimeout(() => { timedOut = true; controller.abort(new AttemptTimeout(this.timeoutMs)) }, this.timeoutMs)
    try {
      const init: RequestInit = {
        method: spec.method,
        signal: controller.signal,
        cache: 'no-store',
        redirect: 'follow'
      }
      if (spec.body !== undefined) {
        init.body = asBufferSource(spec.body)
        init.headers = { 'Content-Type': 'application/octet-stream', ...spec.headers }
      }
      const response = await this.fetchFn(base + spec.path, init)
      const body = spec.method === 'HEAD' ? new Uint8Array(0) : new Uint8Array(await response.arrayBuffer())
      return { status: response.status, headers: response.headers, body, base }
    } catch (err) {
      if (timedOut) throw new AttemptTimeout(this.timeoutMs)
      throw err
    } finally {
      clearTimeout(timer)
      spec.signal?.removeEventListener('abort', onAbort)
    }
  }
}
