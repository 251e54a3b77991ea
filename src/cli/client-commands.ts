/**
 * Client commands of the `repram` CLI, talking to a node's HTTP API v1 with fetch:
 * `put`, `get`, `keys`, `status`. Values travel as raw bytes both ways (stdin →
 * PUT body, GET body → stdout), never decoded.
 *
 * @example
 * // repram put app/greeting hello --ttl 600
 * // printf '\x00\xff' | repram put app/bin --ttl 600
 * // repram get app/bin > out.bin
 * // repram keys --prefix app/ --all
 * // repram status --url http://10.0.0.5:8080
 */
import { Option, type Command } from 'commander'
import type { CryptoCommands } from './crypto-hooks.js'
import { CliError, EXIT, exitCodeForStatus, networkError } from './errors.js'
import { readAll, writeOut, type CliIo } from './io.js'
import { formatJurisdictions, parseJurisdictions } from '../wire/jurisdiction.js'

/** Where the client commands send requests unless `--url` or `REPRAM_URL` says otherwise. */
export const DEFAULT_URL = 'http://127.0.0.1:8080'
/** How long a client command waits for the whole exchange. */
export const DEFAULT_TIMEOUT = '30s'

/**
 * The URL path of a key: each `/`-separated segment percent-encoded, `/` kept.
 * A `.` or `..` segment would be collapsed by URL normalisation, so a key holding
 * one is sent as a single segment with its slashes encoded too (the node decodes both).
 */
export function encodeKeyPath (key: string): string {
  const segments = key.split('/')
  if (segments.some(s => s === '.' || s === '..')) return encodeURIComponent(key)
  return segments.map(encodeURIComponent).join('/')
}

/**
 * Parses `--timeout`: `500ms`, `5s`, `2m`, or bare seconds, to milliseconds. (The same
 * syntax as config durations, without loading the config schema on the client path.)
 */
export function parseTimeout (input: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(input)
  if (m == null) throw new CliError(`invalid --timeout "${input}": use e.g. 500ms, 5s, 2m`, EXIT.usage)
  const n = Number(m[1])
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000
  if (!(ms > 0)) throw new CliError('invalid --timeout: must be above 0', EXIT.usage)
  return ms
}

export { PLAIN_CLIENT_FLAGS } from './crypto-hooks.js'

/** Options shared by every client command. */
interface ClientOpts { url?: string, timeout?: string }

/** A target node, resolved from the flags and env. */
interface Target { baseUrl: string, timeoutMs: number }

function target (opts: ClientOpts, io: CliIo): Target {
  return { baseUrl: nodeUrl(opts.url, io), timeoutMs: parseTimeout(opts.timeout ?? DEFAULT_TIMEOUT) }
}

/** The node's base URL from `--url`, else `REPRAM_URL`, else the default; a usage error when it is not http(s). */
export function nodeUrl (flag: string | undefined, io: CliIo): string {
  const raw = flag ?? io.env.REPRAM_URL ?? DEFAULT_URL
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new CliError(`invalid --url "${raw}": not a URL`, EXIT.usage)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`invalid --url "${raw}": use http:// or https://`, EXIT.usage)
  return url.href.replace(/\/+$/, '')
}

async function send (t: Target, method: string, path: string, body?: Uint8Array, extra?: Record<string, string>): Promise<Response> {
  try {
    return await fetch(t.baseUrl + path, {
      method,
      body: body as Uint8Array<ArrayBuffer> | undefined,
      headers: body === undefined ? extra : { 'Content-Type': 'application/octet-stream', ...extra },
      signal: AbortSignal.timeout(t.timeoutMs)
    })
  } catch (err) {
    throw networkError(err, t.baseUrl, t.timeoutMs)
  }
}

/** Throws a one-line {@link CliError} for a non-2xx answer: `<status> <code>: <message>`. */
async function ensureOk (res: Response, notFound?: string): Promise<void> {
  if (res.ok) return
  if (res.status === 404 && notFound !== undefined) {
    await res.body?.cancel()
    throw new CliError(notFound, EXIT.notFound)
  }
  let detail = res.statusText === '' ? `HTTP ${res.status}` : `${res.status} ${res.statusText}`
  try {
    const body = await res.json() as { error?: unknown, message?: unknown }
    if (typeof body.error === 'string') detail = `${res.status} ${body.error}${typeof body.message === 'string' ? `: ${body.message}` : ''}`
  } catch {}
  const retry = res.headers.get('retry-after')
  throw new CliError(`${detail}${retry !== null ? ` (retry after ${retry} s)` : ''}`, exitCodeForStatus(res.status))
}

async function json (res: Response, t: Target): Promise<unknown> {
  try {
    return await res.json()
  } catch (err) {
    if ((err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError') throw networkError(err, t.baseUrl, t.timeoutMs)
    throw new CliError(`${t.baseUrl} did not answer JSON; is it a REPRAM node?`, EXIT.error)
  }
}

function clientOptions (cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', `node URL [env REPRAM_URL; default ${DEFAULT_URL}]`))
    .addOption(new Option('--timeout <duration>', `give up after this long (e.g. 5s, 500ms) [default ${DEFAULT_TIMEOUT}]`))
}

/**
 * Registers `put`, `get`, `keys` and `status` on `program`. `crypto` adds the
 * encryption options to `put`/`get` and applies them (see crypto-hooks.ts).
 */
export function registerClientCommands (program: Command, io: CliIo, crypto: CryptoCommands): void {
  const put = program.command('put')
    .description('store a value under <key> for --ttl seconds (value from the argument, or raw bytes from stdin when "-" or omitted)')
    .argument('<key>', 'the key (any UTF-8, "/" allowed)')
    .argument('[value]', 'the value as UTF-8 text; "-" or omitted: read raw bytes from stdin')
    .option('--ttl <seconds>', 'time to live in seconds (the node clamps it to its [min, max] TTL; default: the node\'s default TTL)')
    .option('--sign-key <file>', 'sign the write with this key (repram keygen --sign): needed for an owned key, ~ed25519:<public key>/… or ~eth:0x<address>/… (docs/owned-keys.md); the TTL is then 3600 s unless --ttl says otherwise')
    .option('--jurisdiction <codes>', 'the jurisdictions the value may live in (X-Jurisdiction, comma separated, e.g. eu or eu,ch): only nodes in one of them store it')
    .option('-q, --quiet', 'print nothing on success')
  clientOptions(put)
  crypto.addEncryptionOptions(put)
  put.action(async (key: string, value: string | undefined, opts: ClientOpts & { ttl?: string, quiet?: boolean, jurisdiction?: string, signKey?: string }) => {
    const t = target(opts, io)
    let headers: Record<string, string> | undefined
    if (opts.jurisdiction !== undefined) {
      try { headers = { 'X-Jurisdiction': formatJurisdictions(parseJurisdictions(opts.jurisdiction)) } } catch (err) { throw new CliError(`invalid --jurisdiction: ${(err as Error).message}`, EXIT.usage) }
    }
    let bytes: Uint8Array
    if (value === undefined || value === '-') {
      if (value === undefined && io.stdin.isTTY === true) throw new CliError('no value: give one as an argument or pipe it on stdin (use "-" to type it)', EXIT.usage)
      bytes = await readAll(io.stdin)
    } else {
      bytes = new TextEncoder().encode(value)
    }
    bytes = await crypto.encryptForCli(opts as Record<string, unknown>, key, bytes)
    // An owned key's write is signed over what is sent (the sealed bytes, when encrypted).
    const signed = opts.signKey === undefined ? undefined : await (await import('./sign-key.js')).signForCli(opts.signKey, key, bytes, opts.ttl)
    const ttl = signed?.ttl ?? opts.ttl
    const query = ttl === undefined ? '' : `?ttl=${encodeURIComponent(ttl)}`
    const res = await send(t, 'PUT', `/v1/data/${encodeKeyPath(key)}${query}`, bytes, signed === undefined ? headers : { ...headers, ...signed.headers })
    await ensureOk(res)
    const body = await json(res, t)
    if (opts.quiet !== true) await writeOut(io.stdout, JSON.stringify(body) + '\n')
    if (res.status === 202) await writeOut(io.stderr, 'repram: stored locally, quorum not reached (202); replication continues in the background\n')
  })

  const get = program.command('get')
    .description('write the value under <key> to stdout, as raw bytes')
    .argument('<key>', 'the key')
  clientOptions(get)
  crypto.addEncryptionOptions(get)
  get.action(async (key: string, opts: ClientOpts) => {
    const t = target(opts, io)
    const res = await send(t, 'GET', `/v1/data/${encodeKeyPath(key)}`)
    await ensureOk(res, `not found: ${key}`)
    let bytes: Uint8Array
    try {
      bytes = new Uint8Array(await res.arrayBuffer())
    } catch (err) {
      throw networkError(err, t.baseUrl, t.timeoutMs)
    }
    bytes = await crypto.decryptForCli(opts as Record<string, unknown>, key, bytes)
    await writeOut(io.stdout, bytes)
  })

  const keys = program.command('keys')
    .description('list live keys, one per line, in UTF-8 byte order')
    .option('--prefix <prefix>', 'only keys starting with this')
    .option('--limit <n>', 'page size (the node caps it at keysLimitMax; default 100)')
    .option('--cursor <key>', 'start after this key (from a previous page)')
    .option('--all', 'follow next_cursor until every key is listed')
    .option('--json', 'print one JSON object {keys, next_cursor?} instead of lines (exact for keys holding newlines)')
  clientOptions(keys)
  keys.action(async (opts: ClientOpts & { prefix?: string, limit?: string, cursor?: string, all?: boolean, json?: boolean }) => {
    const t = target(opts, io)
    let cursor = opts.cursor
    const collected: string[] = []
    for (;;) {
      const q = new URLSearchParams()
      if (opts.prefix !== undefined) q.set('prefix', opts.prefix)
      if (opts.limit !== undefined) q.set('limit', opts.limit)
      if (cursor !== undefined) q.set('cursor', cursor)
      const qs = q.toString()
      const res = await send(t, 'GET', `/v1/keys${qs === '' ? '' : `?${qs}`}`)
      await ensureOk(res)
      const page = await json(res, t) as { keys?: unknown, next_cursor?: unknown }
      if (!Array.isArray(page.keys)) throw new CliError(`${t.baseUrl} answered an unexpected body for /v1/keys`, EXIT.error)
      const next = typeof page.next_cursor === 'string' ? page.next_cursor : undefined
      const pageKeys = page.keys.map(String)
      if (opts.json === true) collected.push(...pageKeys)
      else if (pageKeys.length > 0) await writeOut(io.stdout, pageKeys.join('\n') + '\n')
      if (next === undefined || opts.all !== true) {
        if (opts.json === true) await writeOut(io.stdout, JSON.stringify(next === undefined ? { keys: collected } : { keys: collected, next_cursor: next }) + '\n')
        else if (next !== undefined) await writeOut(io.stderr, 'repram: more keys remain; use --all, or --cursor with the last key shown\n')
        return
      }
      if (next === cursor) throw new CliError('the node returned the same cursor twice; stopping', EXIT.error)
      cursor = next
    }
  })

  const status = program.command('status')
    .description('print the node\'s status (GET /v1/status) as JSON')
  clientOptions(status)
  status.action(async (opts: ClientOpts) => {
    const t = target(opts, io)
    const res = await send(t, 'GET', '/v1/status')
    await ensureOk(res)
    await writeOut(io.stdout, JSON.stringify(await json(res, t), null, 2) + '\n')
  })
}
