/**
 * What the MCP tools need from a REPRAM node, and two ways to provide it: over a
 * {@link RepramNode} in this process ({@link nodeBackend}: `/mcp` inside a node, and the
 * node `repram mcp` embeds) and over the SDK's {@link RepramClient} ({@link clientBackend}:
 * `repram mcp --url`). The tools see bytes only; encryption happens above this layer.
 *
 * @example
 * import { clientBackend } from './backend.js'
 * import { RepramClient } from '../sdk/client.js'
 * const backend = clientBackend(new RepramClient('http://127.0.0.1:8080'))
 * const put = await backend.put('app/x', new TextEncoder().encode('hi'), 600)
 * const rec = await backend.get('app/x')   // { value, createdAt, expiresAt, ttl, remainingTtl } | null
 */
import type { RepramNode, RecordEvent } from '../node/node.js'
import type { RepramClient } from '../sdk/client.js'
import { DEFAULT_SIGNED_TTL } from '../sdk/client.js'
import { signWrite, type WriteSigner } from '../sdk/owned.js'
import { newWriteId } from '../record.js'

/** A live record's timing facts. */
export interface RecordMeta {
  /** ms since the epoch. */
  createdAt: number
  /** ms since the epoch. */
  expiresAt: number
  /** The TTL applied at write time, seconds. */
  ttl: number
  /** Whole seconds left, rounded down. */
  remainingTtl: number
}

/** A live record. */
export interface StoredRecord extends RecordMeta {
  value: Uint8Array
}

/** What a write reports. */
export interface StoreOutcome {
  key: string
  /** The applied TTL, seconds (after the node's clamping). */
  ttl: number
  /** ms since the epoch. */
  expiresAt: number
  /** True when the write quorum confirmed it (HTTP 201); false: stored on one node so far (202). */
  quorum: boolean
}

/** A write seen by {@link McpBackend.watchNext}. */
export interface WriteSeen {
  key: string
  writeId: string
  createdAt: number
  expiresAt: number
  /** Bytes of the value. */
  size: number
  /** The value, when the feed carried it. */
  value?: Uint8Array
}

/** Options of {@link McpBackend.watchNext}. */
export interface WatchNextOptions {
  /** Give up after this long (ms) and resolve with null. */
  timeoutMs: number
  /** Ends the wait early (the request was cancelled): resolves with null. */
  signal?: AbortSignal
  /** Called once the watch is subscribed: writes from then on are seen. */
  onReady?: () => void
}

/** The node operations the MCP tools use. */
export interface McpBackend {
  /** `embedded` or `node` (in this process) or `remote` (over HTTP). */
  readonly kind: 'node' | 'remote'
  /** Stores `value` under `key`; `ttl` in seconds, any finite number (the node truncates and clamps it), or the node's default. */
  /** `jurisdictions`: where the write may live (X-Jurisdiction); absent: anywhere. */
  put: (key: string, value: Uint8Array, ttl?: number, jurisdictions?: readonly string[]) => Promise<StoreOutcome>
  /**
   * Stores `value` under an owned `key` (docs/owned-keys.md), signed by `signer`; `ttl` as
   * for `put`, but a signed TTL cannot be clamped by the node: the embedded node's range
   * is applied here, a remote node refuses one out of its range.
   */
  putSigned?: (key: string, value: Uint8Array, ttl: number | undefined, signer: WriteSigner, jurisdictions?: readonly string[]) => Promise<StoreOutcome>
  /** The live record under `key`, or null. */
  get: (key: string) => Promise<StoredRecord | null>
  /** The live record's timing under `key`, or null (no value transferred). */
  head: (key: string) => Promise<RecordMeta | null>
  /** Every live key under `prefix`, in UTF-8 byte order (all pages). */
  keys: (prefix: string) => Promise<string[]>
  /** The node's status, as `GET /v1/status` reports it. */
  status: () => Promise<Record<string, unknown>>
  /** The next write of a key under `prefix` from now on, or null at the timeout or abort. */
  watchNext: (prefix: string, opts: WatchNextOptions) => Promise<WriteSeen | null>
}

/**
 * Waits for the first event `subscribe` delivers, within `timeoutMs` or until `signal`
 * aborts (both resolve null). `subscribe` returns its unsubscribe function; it is called
 * exactly once, however the wait ends.
 */
export async function firstEvent<T> (subscribe: (deliver: (value: T) => void, fail: (err: unknown) => void) => () => void, timeoutMs: number, signal?: AbortSignal): Promise<T | null> {
  if (signal?.aborted === true) return null
  return await new Promise<T | null>((resolve, reject) => {
    let settled = false
    let unsubscribe: (() => void) | undefined
    const finish = (fn: () => void): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      try { unsubscribe?.() } finally { fn() }
    }
    const onAbort = (): void => finish(() => resolve(null))
    const timer = setTimeout(onAbort, timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      unsubscribe = subscribe((v) => finish(() => resolve(v)), (err) => finish(() => reject(err)))
    } catch (err) {
      finish(() => reject(err))
      return
    }
    // A delivery during subscribe() finished before unsubscribe was known: end it now.
    if (settled) unsubscribe()
  })
}

/** The backend over a node in this process. */
export function nodeBackend (node: RepramNode): McpBackend {
  const meta = (r: { createdAt: number, expiresAt: number, ttl: number }): RecordMeta => ({
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    ttl: r.ttl,
    remainingTtl: Math.max(0, Math.floor((r.expiresAt - node.clock.now()) / 1000))
  })
  return {
    kind: 'node',
    async put (key, value, ttl, jurisdictions) {
      const r = await node.put(key, value, { ttl, jurisdictions })
      return { key: r.key, ttl: r.ttl, expiresAt: r.expiresAt, quorum: r.quorum }
    },
    async putSigned (key, value, ttl, signer, jurisdictions) {
      const c = node.config
      const t = Math.min(c.maxTtl, Math.max(c.minTtl, ttl === undefined ? DEFAULT_SIGNED_TTL : clientTtl(ttl)))
      const createdAt = node.clock.now()
      const writeId = newWriteId()
      const { proof } = await signWrite({ key, createdAt, expiresAt: createdAt + t * 1000, writeId }, value, signer)
      const r = await node.put(key, value, { ttl: t, signed: { createdAt, writeId, proof }, jurisdictions })
      return { key: r.key, ttl: r.ttl, expiresAt: r.expiresAt, quorum: r.quorum }
    },
    async get (key) {
      const r = await node.get(key)
      return r === undefined ? null : { value: r.value, ...meta(r) }
    },
    async head (key) {
      const r = await node.get(key)
      return r === undefined ? null : meta(r)
    },
    async keys (prefix) {
      const out: string[] = []
      let cursor: string | undefined
      do {
        const page = await node.keys({ prefix, limit: node.config.keysLimitMax, cursor })
        out.push(...page.keys)
        cursor = page.nextCursor
      } while (cursor !== undefined)
      return out
    },
    async status () {
      const c = node.config
      const stats = await node.stats()
      const info = node.networkInfo()
      const uptime = Math.floor((node.clock.now() - node.startedAt) / 1000)
      // The fields of GET /v1/status (src/http/app.ts), memory aside.
      return {
        node_id: info.nodeId,
        version: node.version,
        status: 'ok',
        network: c.network,
        enclave: c.enclave,
        uptime: `${uptime}s`,
        uptime_seconds: uptime,
        records: stats.records,
        bytes: stats.bytes,
        capacity_bytes: stats.capacityBytes,
        peers: info.peers,
        listen_addresses: info.addresses,
        replication: c.replication,
        limits: { max_key_bytes: c.maxKeyBytes, max_value_bytes: c.maxValueBytes, min_ttl: c.minTtl, max_ttl: c.maxTtl, default_ttl: c.defaultTtl, ttl_policy: c.ttlPolicy }
      }
    },
    async watchNext (prefix, opts) {
      return await firstEvent<WriteSeen>((deliver) => {
        const onStored = (e: RecordEvent): void => {
          if (e.key.startsWith(prefix)) deliver({ key: e.key, writeId: e.writeId, createdAt: e.createdAt, expiresAt: e.expiresAt, size: e.size })
        }
        node.on('record:stored', onStored)
        opts.onReady?.()
        return () => { node.off('record:stored', onStored) }
      }, opts.timeoutMs, opts.signal)
    }
  }
}

/**
 * A TTL the SDK client accepts (a positive safe integer) for any finite number, as the
 * node would read it: truncated; below 1 sent as 1 and above the safe range as the
 * largest safe integer, which the node clamps into `[minTtl, maxTtl]` as it would the
 * original (`minTtl` is at least 1). Under `ttlPolicy: 'reject'` with `minTtl` 1, a TTL
 * below 1 is thus stored with TTL 1 instead of refused.
 */
export function clientTtl (ttl: number): number {
  const t = Math.trunc(ttl)
  if (t < 1) return 1
  return Math.min(t, Number.MAX_SAFE_INTEGER)
}

/** The backend over a node's HTTP API, through the SDK client. */
export function clientBackend (client: RepramClient): McpBackend {
  return {
    kind: 'remote',
    async put (key, value, ttl, jurisdictions) {
      const r = await client.put(key, value, { ttl: ttl === undefined ? undefined : clientTtl(ttl), jurisdictions })
      return { key: r.key, ttl: r.ttl, expiresAt: r.expiresAt, quorum: r.status === 201 }
    },
    async putSigned (key, value, ttl, signer, jurisdictions) {
      const r = await client.put(key, value, { ttl: ttl === undefined ? undefined : clientTtl(ttl), signer, jurisdictions })
      return { key: r.key, ttl: r.ttl, expiresAt: r.expiresAt, quorum: r.status === 201 }
    },
    async get (key) {
      return await client.get(key)
    },
    async head (key) {
      return await client.head(key)
    },
    async keys (prefix) {
      // Without `limit` the node answers every key in one streamed reply; following
      // next_cursor still covers an older node that pages anyway.
      const out: string[] = []
      let cursor: string | undefined
      do {
        const page = await client.keys({ prefix, cursor })
        out.push(...page.keys)
        if (page.nextCursor !== undefined && page.nextCursor === cursor) break
        cursor = page.nextCursor
      } while (cursor !== undefined)
      return out
    },
    async status () {
      return await client.status()
    },
    async watchNext (prefix, opts) {
      return await firstEvent<WriteSeen>((deliver, fail) => {
        const watch = client.watch(prefix, (e) => {
          if (e.type === 'stored' && e.key.startsWith(prefix)) {
            deliver({ key: e.key, writeId: e.writeId, createdAt: e.createdAt, expiresAt: e.expiresAt, size: e.size, value: e.value })
          }
        }, { values: true })
        watch.ready.then(() => opts.onReady?.(), () => {})
        watch.closed.catch(fail)
        return () => watch.close()
      }, opts.timeoutMs, opts.signal)
    }
  }
}
