/**
 * The REPRAM MCP tools. The first four carry the reference REPRAM MCP server's names,
 * input schemas and result shapes (JSON, pretty-printed, in one text content block), so
 * agents' prompts carry over: `repram_store`, `repram_retrieve`, `repram_exists`,
 * `repram_list_keys`. Then `repram_status` and `repram_watch`, and optional client-side
 * encryption of `repram_store` / `repram_retrieve` (the node only ever sees envelopes).
 *
 * Every failure is a tool result with `isError: true` and one line naming the tool and
 * the cause; nothing here logs, so keys and values never reach a log.
 *
 * @example
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
 * import { registerRepramTools } from './tools.js'
 * registerRepramTools(new McpServer({ name: 'repram', version: '0.1.0' }), backend, { watchMaxSeconds: 60 })
 */
import { randomUUID } from 'node:crypto'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { open, seal } from '../sdk/envelope.js'
import { looksLikeEnvelope } from '../sdk/flags.js'
import type { KdfParams } from '../sdk/kdf.js'
import { toBase64 } from '../sdk/encoding.js'
import type { McpBackend, StoredRecord, WriteSeen } from './backend.js'
import type { WriteSigner } from '../sdk/owned.js'
import { DEFAULT_WATCH_SECONDS, MAX_WATCH_SECONDS } from './constants.js'

/** Client-side encryption of stored values: one 256-bit key, or a passphrase (Argon2id per record). */
export type McpEncryption =
  | { key: Uint8Array, passphrase?: never, kdf?: never }
  | { passphrase: Uint8Array, key?: never, /** KDF parameters of new envelopes. @default the SDK's Argon2id defaults */ kdf?: KdfParams }

/** Options of the tools. */
export interface RepramToolsOptions {
  /** Encrypt what `repram_store` writes and decrypt what `repram_retrieve` and `repram_watch` read. @default none */
  encryption?: McpEncryption
  /** Longest wait of `repram_watch`; longer `timeout_seconds` are clamped to it. @default 300 */
  watchMaxSeconds?: number
  /** Wait of `repram_watch` without `timeout_seconds`. @default 30 (or watchMaxSeconds when lower) */
  watchDefaultSeconds?: number
  /** Ends pending watches early (the HTTP request closed, the server stops). */
  signal?: AbortSignal
  /** Facts about this MCP server added to `repram_status` under `mcp` (mode, url…). */
  info?: Record<string, unknown>
  /**
   * Signs `repram_store` writes to keys under its namespace (owned keys, docs/owned-keys.md);
   * with it, `repram_store` takes `owned: true` to store under that namespace. @default none
   */
  signer?: WriteSigner
}

/** The tool names, in the order they are registered. */
export const TOOL_NAMES = ['repram_store', 'repram_retrieve', 'repram_exists', 'repram_list_keys', 'repram_status', 'repram_watch'] as const

/** The text of `repram_retrieve` for a missing or expired key, as the reference server writes it. */
export const RETRIEVE_NULL_TEXT = 'null — key not found or expired'

const DESCRIPTIONS = {
  repram_store: `Store ephemeral data in the REPRAM network. Data is replicated across nodes and automatically expires after the specified TTL. Use this for temporary coordination data, handoff payloads, scratchpad state, or any data that should not persist.

A unique key is generated automatically (UUID v4). You will receive the key in the response — save it or share it with other agents who need to retrieve this data.

All data on REPRAM is ephemeral. There is no way to extend a TTL or recover expired data. If you need the data to last longer, store it again with a new TTL before expiration.`,
  repram_retrieve: `Retrieve ephemeral data from the REPRAM network by key. Returns the stored data along with TTL metadata.

Returns null if the key does not exist or has expired. Expired data is permanently gone — this is by design. Do not treat a null response as an error; it is the normal lifecycle of ephemeral data.`,
  repram_exists: `Check whether a key exists in the REPRAM network without retrieving its value. Returns existence status and remaining TTL.

This is the right tool for the coordination-token pattern: check if a lock key is present, poll for a heartbeat signal, or verify a handoff key is still alive — without transferring the payload. For large values, this avoids unnecessary bandwidth.`,
  repram_list_keys: `List keys currently stored in the REPRAM network. Optionally filter by prefix.

Use this to discover what data is available, check if a coordination key exists, or enumerate keys in a namespace. Keys for expired data will not appear.`,
  repram_status: 'Report the REPRAM node this server uses: node id, version, uptime, record and byte counts, peers, and its limits (key and value sizes, minimum, maximum and default TTL).',
  repram_watch: `Wait for the next write of a key under a prefix and return it (key, timing and data), or a timeout result when nothing is written in time.

Use this instead of polling: wait for another agent's handoff, reply or signal under an agreed prefix (e.g. 'project-x/replies/'). Only writes made after the call starts are seen. A result with "timed_out": true is normal; call again to keep waiting.`
} as const

const ENCRYPTED_FIELD = 'Whether the value is encrypted on this side with the key this server is configured with (default true). Set false to read or write plaintext shared with agents that have no key.'

type ToolExtra = { signal: AbortSignal, _meta?: { progressToken?: string | number }, sendNotification: (n: { method: 'notifications/progress', params: { progressToken: string | number, progress: number, message?: string } }) => Promise<void> }

/** Registers the six tools on `server`, over `backend`. */
export function registerRepramTools (server: McpServer, backend: McpBackend, options: RepramToolsOptions = {}): void {
  const enc = options.encryption
  const watchMax = options.watchMaxSeconds ?? MAX_WATCH_SECONDS
  const watchDefault = Math.min(options.watchDefaultSeconds ?? DEFAULT_WATCH_SECONDS, watchMax)
  if (!(watchMax > 0) || !(watchDefault > 0)) throw new RangeError('watchMaxSeconds and watchDefaultSeconds must be above 0')
  // Only with a key configured, so the default schemas stay the reference's.
  const encrypted: Record<string, z.ZodOptional<z.ZodBoolean>> = enc === undefined ? {} : { encrypted: z.boolean().optional().describe(ENCRYPTED_FIELD) }
  // Owned keys: only with a signing key configured, for the same reason.
  const signer = options.signer
  const owned: Record<string, z.ZodOptional<z.ZodBoolean>> = signer === undefined ? {} : { owned: z.boolean().optional().describe(`Store under this server's owned namespace ${signer.namespace} (the key is appended to it): only this server's signing key can write there; anyone can read. A key that already starts with the namespace is signed too.`) }
  /** The key to store under, and whether the write is signed. */
  const ownedKey = (key: string | undefined, flag: unknown): { key: string, signed: boolean } => {
    if (flag !== undefined && typeof flag !== 'boolean') throw new ToolInputError('"owned" must be true or false')
    if (flag === true && signer === undefined) throw new ToolInputError('"owned": true needs a signing key configured for this MCP server (repram mcp --sign-key)')
    const k = flag === true && signer !== undefined && !(key ?? '').startsWith(signer.namespace) ? signer.namespace + (key ?? randomUUID()) : key ?? randomUUID()
    return { key: k, signed: signer !== undefined && k.startsWith(signer.namespace) }
  }

  /** The bytes to store for `data` under `key`: an envelope when encryption applies. */
  const encode = async (key: string, data: string, useEncryption: boolean): Promise<Uint8Array> => {
    if (!useEncryption || enc === undefined) return new TextEncoder().encode(data)
    return enc.key !== undefined
      ? await seal(data, { storageKey: key, key: enc.key })
      : await seal(data, { storageKey: key, passphrase: enc.passphrase, kdf: enc.kdf })
  }
  /** `data` (text, or base64 with `encoding` when the bytes are not UTF-8) from stored bytes. */
  const decode = async (key: string, value: Uint8Array, useEncryption: boolean): Promise<{ data: string, encoding?: 'base64' }> => {
    let bytes = value
    if (useEncryption && enc !== undefined) {
      if (!looksLikeEnvelope(value)) throw new ToolInputError('the record is not an encrypted envelope (it was stored without encryption); pass "encrypted": false to read it as plaintext')
      bytes = (enc.key !== undefined
        ? await open(value, { storageKey: key, key: enc.key })
        : await open(value, { storageKey: key, passphrase: enc.passphrase })).plaintext
    }
    try {
      return { data: new TextDecoder('utf-8', { fatal: true }).decode(bytes) }
    } catch {
      return { data: toBase64(bytes), encoding: 'base64' }
    }
  }
  const useEnc = (flag: boolean | undefined): boolean => enc !== undefined && flag !== false
  const requireEncFlag = (flag: unknown): void => {
    if (flag !== undefined && typeof flag !== 'boolean') throw new ToolInputError('"encrypted" must be true or false')
    if (flag === true && enc === undefined) throw new ToolInputError('"encrypted": true needs an encryption key configured for this MCP server')
  }

  server.registerTool('repram_store', {
    description: DESCRIPTIONS.repram_store,
    // Loose: without a key configured `encrypted` is not in the schema, yet a call that
    // asks for it must be refused, not silently stored in plaintext.
    inputSchema: z.looseObject({
      data: z.string().describe('The data to store. Can be any string — plain text, JSON, base64-encoded binary, etc.'),
      ttl_seconds: z.number().optional().describe('Time-to-live in seconds. The data will be automatically deleted after this duration. The node clamps it into its [minimum, maximum] TTL (300 and 86400 by default; see repram_status). Default: the node\'s default TTL (3600, 1 hour).'),
      key: z.string().optional().describe('Optional custom key. If omitted, a UUID v4 key is generated automatically. Use a custom key when you need a predictable rendezvous point with another agent.'),
      jurisdictions: z.array(z.string()).optional().describe('Optional: the jurisdictions the data may live in (short codes such as "eu" or "us"): only nodes in one of them store it. Omit to store anywhere.'),
      ...encrypted,
      ...owned
    })
  }, async (args) => await run('repram_store', async () => {
    const a = args as { data: string, ttl_seconds?: number, key?: string, encrypted?: boolean, jurisdictions?: string[] }
    requireEncFlag(a.encrypted)
    const { key, signed } = ownedKey(a.key, (args as { owned?: unknown }).owned)
    const value = await encode(key, a.data, useEnc(a.encrypted))
    if (signed && backend.putSigned === undefined) throw new ToolInputError('this server\'s backend cannot sign writes')
    const r = signed && signer !== undefined && backend.putSigned !== undefined ? await backend.putSigned(key, value, a.ttl_seconds, signer, a.jurisdictions) : await backend.put(key, value, a.ttl_seconds, a.jurisdictions)
    const out: Record<string, unknown> = { key: r.key, ttl_seconds: r.ttl, expires_at: iso(r.expiresAt) }
    if (!r.quorum) out.replicated = false
    if (useEnc(a.encrypted)) out.encrypted = true
    return json(out)
  }))

  server.registerTool('repram_retrieve', {
    description: DESCRIPTIONS.repram_retrieve,
    inputSchema: z.looseObject({
      key: z.string().describe('The key to retrieve. This is the key returned by repram_store or shared by another agent.'),
      ...encrypted
    })
  }, async (args) => await run('repram_retrieve', async () => {
    const a = args as { key: string, encrypted?: boolean }
    requireEncFlag(a.encrypted)
    const rec = await backend.get(a.key)
    if (rec === null) return text(RETRIEVE_NULL_TEXT)
    return json(await recordResult(a.key, rec, useEnc(a.encrypted)))
  }))

  server.registerTool('repram_exists', {
    description: DESCRIPTIONS.repram_exists,
    inputSchema: { key: z.string().describe('The key to check.') }
  }, async (args) => await run('repram_exists', async () => {
    const meta = await backend.head(args.key)
    if (meta === null) return json({ exists: false })
    return json({ exists: true, remaining_ttl_seconds: meta.remainingTtl, expires_at: iso(meta.expiresAt) })
  }))

  server.registerTool('repram_list_keys', {
    description: DESCRIPTIONS.repram_list_keys,
    inputSchema: {
      prefix: z.string().optional().describe('Optional prefix filter. Only keys starting with this string will be returned. Useful for namespacing (e.g., \'project-x/\' to list all keys in that namespace).')
    }
  }, async (args) => await run('repram_list_keys', async () => json({ keys: await backend.keys(args.prefix ?? '') })))

  server.registerTool('repram_status', {
    description: DESCRIPTIONS.repram_status,
    inputSchema: {}
  }, async () => await run('repram_status', async () => {
    const status = await backend.status()
    return json({ ...status, mcp: { backend: backend.kind, encryption: enc === undefined ? 'off' : enc.key !== undefined ? 'key' : 'passphrase', watch_max_seconds: watchMax, ...options.info } })
  }))

  server.registerTool('repram_watch', {
    description: DESCRIPTIONS.repram_watch,
    inputSchema: {
      prefix: z.string().describe('Wait for a write of a key starting with this (e.g. \'project-x/replies/\'; \'\' for any key).'),
      timeout_seconds: z.number().optional().describe(`How long to wait, in seconds (default ${watchDefault}, at most ${watchMax}; longer waits are clamped).`)
    }
  }, async (args, extra) => await run('repram_watch', async () => {
    const ex = extra as unknown as ToolExtra
    let seconds = args.timeout_seconds ?? watchDefault
    if (!Number.isFinite(seconds) || seconds <= 0) throw new ToolInputError('timeout_seconds must be a number above 0')
    seconds = Math.min(seconds, watchMax)
    const signal = options.signal === undefined ? ex.signal : AbortSignal.any([ex.signal, options.signal])
    const token = ex._meta?.progressToken
    const seen = await backend.watchNext(args.prefix, {
      timeoutMs: Math.round(seconds * 1000),
      signal,
      // Hosts that asked for progress learn when the watch is subscribed.
      onReady: token === undefined ? undefined : () => { ex.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 0, message: 'watching' } }).catch(() => {}) }
    })
    if (seen === null) {
      if (signal.aborted) throw new ToolInputError('the watch was cancelled (the request ended or the server is stopping)')
      return json({ timed_out: true, prefix: args.prefix, timeout_seconds: seconds })
    }
    return json(await watchResult(seen))
  }))

  async function recordResult (key: string, rec: StoredRecord, useEncryption: boolean): Promise<Record<string, unknown>> {
    const { data, encoding } = await decode(key, rec.value, useEncryption)
    const out: Record<string, unknown> = {
      data,
      created_at: iso(rec.createdAt),
      remaining_ttl_seconds: rec.remainingTtl,
      expires_at: iso(rec.expiresAt)
    }
    if (encoding !== undefined) out.encoding = encoding
    if (useEncryption) out.encrypted = true
    return out
  }

  /** The write, with its data when it can still be read (the feed's copy, else a read). */
  async function watchResult (seen: WriteSeen): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {
      timed_out: false,
      key: seen.key,
      created_at: iso(seen.createdAt),
      expires_at: iso(seen.expiresAt),
      ttl_seconds: Math.round((seen.expiresAt - seen.createdAt) / 1000),
      size: seen.size
    }
    const value = seen.value ?? (await backend.get(seen.key).catch(() => null))?.value
    if (value === undefined) return out
    try {
      Object.assign(out, await decode(seen.key, value, enc !== undefined))
      if (enc !== undefined) out.encrypted = true
    } catch (err) {
      out.data_error = describe(err)
    }
    return out
  }
}

/** A bad argument found by a tool itself (beyond the input schema). */
export class ToolInputError extends Error {
  constructor (message: string) { super(message); this.name = 'ToolInputError' }
}

/** Runs a tool body; any failure becomes an `isError` result naming the tool. */
async function run (tool: string, body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body()
  } catch (err) {
    return { content: [{ type: 'text', text: `${tool} failed: ${describe(err)}` }], isError: true }
  }
}

/** One line for an error: `<code>: <message>` for the node's and the SDK's typed errors. Never a stack. */
export function describe (err: unknown): string {
  const e = err as { code?: unknown, message?: unknown, name?: unknown }
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err)
  const line = typeof e?.code === 'string' && e.code !== '' ? `${e.code}: ${message}` : message
  return line.replace(/\s*[\r\n]+\s*/g, ' ')
}

function iso (ms: number): string {
  return new Date(ms).toISOString()
}

function json (value: unknown): CallToolResult {
  return text(JSON.stringify(value, null, 2))
}

function text (t: string): CallToolResult {
  return { content: [{ type: 'text', text: t }] }
}
