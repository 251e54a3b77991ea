/**
 * The load generator of the load scenarios: `workers` concurrent request loops over
 * keep-alive `node:http` connections, spread round-robin over the target nodes, with a
 * configurable PUT/GET mix, random TTLs, value sizes and key space. GETs only ask for
 * keys that an earlier PUT of this run stored (and that have not expired), so the hit
 * rate says whether replicated reads find what was written. Every response is counted
 * by status and timed into per-second and per-operation histograms.
 *
 * Bounded twice: each drive stops at its duration and after `maxRequests`; every
 * request has a timeout. Why not autocannon (used by `bench`): it cannot time a
 * request's own round trip per operation, pick a GET key from writes it saw succeed,
 * or spread one run over several nodes.
 *
 * @example
 * const keys = new KeyTracker(100_000)
 * const r = await drive({ urls: ['http://127.0.0.1:8080'], workers: 10, durationS: 5, mix: DEFAULT_MIX, keys })
 * console.log(r.total.requests, r.total.latency.percentile(0.99))
 */
import http from 'node:http'
import { randomBytes } from 'node:crypto'
import { LatencyHistogram } from './histogram.js'

/** An inclusive integer range. */
export interface Range { min: number, max: number }

/** How value sizes are drawn from their range. */
export type SizeDistribution = 'uniform' | 'log'

/** What the workers send. */
export interface WorkloadMix {
  /** Fraction of requests that are PUTs (0..1). */
  putRatio: number
  /** TTL of each PUT, seconds, drawn uniformly. */
  ttlS: Range
  /** Value size of each PUT, bytes. */
  valueBytes: Range
  /** `log`: log-uniform (as many 256 B–1 KiB values as 1–4 KiB ones); `uniform`. */
  sizeDistribution: SizeDistribution
  /** Distinct keys; PUTs pick one at random, so a small space means overwrites. */
  keySpace: number
}

/** The default mix of the load scenarios: 70 % PUT / 30 % GET. */
export const DEFAULT_MIX: WorkloadMix = { putRatio: 0.7, ttlS: { min: 60, max: 600 }, valueBytes: { min: 256, max: 4096 }, sizeDistribution: 'log', keySpace: 100_000 }

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2 }

/** Parses `1024`, `4k`, `1m`, `1MiB` (sizes are binary). */
export function parseSize (s: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(s)
  const unit = UNITS[(m?.[2] ?? 'x').toLowerCase()]
  if (m == null || unit === undefined) throw new Error(`${what}: "${s}" is not a size (e.g. 512, 4k, 1m)`)
  return Math.round(Number(m[1]) * unit)
}

/** Parses `60` or `60-600` (with sizes: `256-4k`). */
export function parseRange (s: string, what: string, size = false): Range {
  const parts = s.split('-')
  if (parts.length > 2 || parts.some(p => p.trim() === '')) throw new Error(`${what}: "${s}" is not a value or a range like 10-20`)
  const nums = parts.map(p => size ? parseSize(p, what) : Number(p))
  if (nums.some(n => !Number.isFinite(n) || n < 0)) throw new Error(`${what}: "${s}" is not a value or a range like 10-20`)
  const r = { min: nums[0], max: nums[nums.length - 1] }
  if (r.min > r.max) throw new Error(`${what}: "${s}" has min above max`)
  return r
}

/** Writes seen to succeed, so GETs can target live keys. Shared across the steps of a run. */
export class KeyTracker {
  /** Absolute expiry (ms, `Date.now()` clock) per key index; 0 = never written. */
  private readonly expiresAt: Float64Array
  private readonly written: Int32Array
  private count = 0
  /** A random per-run prefix, so runs against the same `--urls` never read each other's keys. */
  readonly prefix = `load/${randomBytes(4).toString('hex')}`

  constructor (readonly keySpace: number) {
    this.expiresAt = new Float64Array(keySpace)
    this.written = new Int32Array(keySpace)
  }

  key (i: number): string { return `${this.prefix}/${i}` }

  /** Records a successful write of key `i` that lives `ttlS` seconds from now. */
  stored (i: number, ttlS: number): void {
    if (this.expiresAt[i] === 0) this.written[this.count++] = i
    this.expiresAt[i] = Math.max(this.expiresAt[i], Date.now() + ttlS * 1000)
  }

  /** A key written earlier that lives at least another second, or -1 (a few random tries). */
  pickLive (): number {
    if (this.count === 0) return -1
    const horizon = Date.now() + 1000
    for (let tries = 0; tries < 8; tries++) {
      const i = this.written[Math.floor(Math.random() * this.count)]
      if (this.expiresAt[i] > horizon) return i
    }
    return -1
  }

  /** Distinct keys written so far. */
  get size (): number { return this.count }
}

/** Counts and latencies of one kind of request, or of all. */
export class OpStats {
  requests = 0
  /** Responses by HTTP status. */
  readonly status = new Map<number, number>()
  /** Failures without a response, by error code (`timeout`, `ECONNRESET`, …). */
  readonly errors = new Map<string, number>()
  readonly latency = new LatencyHistogram()

  add (status: number | string, ms: number): void {
    this.requests++
    if (typeof status === 'number') this.status.set(status, (this.status.get(status) ?? 0) + 1)
    else this.errors.set(status, (this.errors.get(status) ?? 0) + 1)
    this.latency.record(ms)
  }

  merge (o: OpStats): void {
    this.requests += o.requests
    for (const [k, v] of o.status) this.status.set(k, (this.status.get(k) ?? 0) + v)
    for (const [k, v] of o.errors) this.errors.set(k, (this.errors.get(k) ?? 0) + v)
    this.latency.merge(o.latency)
  }

  count (status: number): number { return this.status.get(status) ?? 0 }
  get failed (): number { let n = 0; for (const v of this.errors.values()) n += v; return n }
}

/** One second of a drive. */
export interface SecondStats { put: OpStats, get: OpStats, all: OpStats }

/** What {@link drive} takes. */
export interface DriveOptions {
  urls: string[]
  workers: number
  durationS: number
  mix: WorkloadMix
  keys: KeyTracker
  /** Total request rate cap (req/s over all workers); 0 = as fast as they can. */
  rate?: number
  /** Stop after this many requests. @default 10,000,000 */
  maxRequests?: number
  /** Per-request timeout. @default 10 s */
  timeoutMs?: number
  signal?: AbortSignal
  /** Called about once a second with the seconds elapsed and the stats so far. */
  onTick?: (elapsedS: number, done: DriveResult) => void
}

/** The outcome of a drive. */
export interface DriveResult {
  put: OpStats
  get: OpStats
  total: OpStats
  /** Index = whole seconds since the drive started (by completion time). */
  perSecond: SecondStats[]
  /** Wall seconds from the first request to the last answer. */
  elapsedS: number
  /** GETs turned into PUTs because no live key was known yet. */
  getsWithoutKey: number
  /** Requests re-sent because a kept-alive socket was closed by the server as it was reused. */
  staleSocketRetries: number
  /** CPU of this (generator) process over the drive, % of one core. */
  loaderCpu: number
}

/** Statuses that are not errors: PUT 201 (quorum) and 202 (accepted, quorum pending); GET 200 and 404 (a miss). */
export function isExpected (op: 'put' | 'get', status: number): boolean {
  return op === 'put' ? status === 201 || status === 202 : status === 200 || status === 404
}

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** Runs the workload and resolves when every worker has stopped. */
export async function drive (opts: DriveOptions): Promise<DriveResult> {
  const { mix, keys } = opts
  const maxRequests = opts.maxRequests ?? 10_000_000
  const timeoutMs = opts.timeoutMs ?? 10_000
  const rate = opts.rate ?? 0
  const targets = opts.urls.map(u => new URL(u))
  // FIFO reuse keeps every pooled socket busy, so none idles into the server's keep-alive timeout.
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.workers, maxFreeSockets: opts.workers, scheduling: 'fifo' })
  // One random buffer; each PUT sends a prefix of it.
  const pool = randomBytes(Math.max(1, mix.valueBytes.max))
  const logMin = Math.log(Math.max(1, mix.valueBytes.min))
  const logMax = Math.log(Math.max(1, mix.valueBytes.max))
  const valueSize = (): number => {
    const { min, max } = mix.valueBytes
    if (min === max) return min
    if (mix.sizeDistribution === 'log' && min > 0) return Math.min(max, Math.round(Math.exp(logMin + Math.random() * (logMax - logMin))))
    return min + Math.floor(Math.random() * (max - min + 1))
  }
  const ttl = (): number => mix.ttlS.min + Math.floor(Math.random() * (mix.ttlS.max - mix.ttlS.min + 1))

  const result: DriveResult = { put: new OpStats(), get: new OpStats(), total: new OpStats(), perSecond: [], elapsedS: 0, getsWithoutKey: 0, staleSocketRetries: 0, loaderCpu: 0 }
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const tEnd = t0 + opts.durationS * 1000
  let issued = 0
  let seq = 0
  let lastDone = t0

  const record = (op: 'put' | 'get', status: number | string, start: number): void => {
    const end = performance.now()
    const ms = end - start
    lastDone = end
    const s = Math.floor((end - t0) / 1000)
    while (result.perSecond.length <= s) result.perSecond.push({ put: new OpStats(), get: new OpStats(), all: new OpStats() })
    const sec = result.perSecond[s]
    sec[op].add(status, ms)
    sec.all.add(status, ms)
    result[op].add(status, ms)
    result.total.add(status, ms)
  }

  type Answer = { status: number, text?: string } | string
  const once = async (method: 'PUT' | 'GET', target: URL, path: string, body?: Buffer): Promise<{ answer: Answer, staleSocket: boolean }> => {
    return await new Promise(resolve => {
      let settled = false
      const done = (answer: Answer, staleSocket = false): void => { if (!settled) { settled = true; resolve({ answer, staleSocket }) } }
      const req = http.request({
        agent,
        host: target.hostname,
        port: target.port,
        method,
        path,
        headers: body !== undefined ? { 'content-type': 'application/octet-stream', 'content-length': body.length } : undefined
      }, (res) => {
        const status = res.statusCode ?? 0
        if (method === 'PUT' && (status === 201 || status === 202)) {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => { text += c })
          res.on('end', () => done({ status, text }))
        } else {
          res.resume()
          res.on('end', () => done({ status }))
        }
        res.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? 'response_error'))
      })
      req.setTimeout(timeoutMs, () => { done('timeout'); req.destroy() })
      // A kept-alive socket the server closed just as it was reused: no byte of this
      // request reached the server (Node's documented `reusedSocket` race).
      req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message, req.reusedSocket && err.code === 'ECONNRESET'))
      req.end(body)
    })
  }
  /** One request; retried once, and counted in `staleSocketRetries`, only on the keep-alive race. */
  const request = async (method: 'PUT' | 'GET', target: URL, path: string, body?: Buffer): Promise<Answer> => {
    const first = await once(method, target, path, body)
    if (!first.staleSocket) return first.answer
    result.staleSocketRetries++
    return (await once(method, target, path, body)).answer
  }

  const worker = async (): Promise<void> => {
    while (!(opts.signal?.aborted ?? false) && issued < maxRequests && performance.now() < tEnd) {
      const n = issued++
      if (rate > 0) {
        const wait = t0 + n * 1000 / rate - performance.now()
        if (wait > 0) await sleep(wait)
        if (performance.now() >= tEnd || (opts.signal?.aborted ?? false)) break
      }
      const target = targets[seq++ % targets.length]
      let op: 'put' | 'get' = Math.random() < mix.putRatio ? 'put' : 'get'
      let index = -1
      if (op === 'get') {
        index = keys.pickLive()
        if (index < 0) { op = 'put'; result.getsWithoutKey++ }
      }
      const start = performance.now()
      if (op === 'get') {
        const r = await request('GET', target, `/v1/data/${keys.key(index)}`)
        record('get', typeof r === 'string' ? r : r.status, start)
      } else {
        index = Math.floor(Math.random() * mix.keySpace)
        const t = ttl()
        const r = await request('PUT', target, `/v1/data/${keys.key(index)}?ttl=${t}`, pool.subarray(0, valueSize()))
        record('put', typeof r === 'string' ? r : r.status, start)
        if (typeof r !== 'string' && r.text !== undefined) {
          // The node may clamp the TTL: track what it actually stored.
          let stored = t
          try { stored = (JSON.parse(r.text) as { ttl?: number }).ttl ?? t } catch { /* keep the asked TTL */ }
          keys.stored(index, stored)
        }
      }
    }
  }

  const tick = setInterval(() => opts.onTick?.((performance.now() - t0) / 1000, result), 1000)
  try {
    await Promise.all(Array.from({ length: opts.workers }, worker))
  } finally {
    clearInterval(tick)
    agent.destroy()
  }
  const cpu = process.cpuUsage(cpu0)
  result.elapsedS = Math.max(0.001, (lastDone - t0) / 1000)
  result.loaderCpu = 100 * (cpu.user + cpu.system) / 1000 / (performance.now() - t0)
  return result
}
