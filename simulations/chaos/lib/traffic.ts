/**
 * The chaos load: paced PUTs of unique keys through the live nodes, with a ledger of every
 * answer, and GETs that check every 200 against its `X-Expires-At`. After the faults,
 * {@link converge} polls each surviving node's key listing until it holds every write
 * answered 201 (that has not expired yet), then reads each of them back.
 *
 * Every key is written once (a per-run prefix and a counter), so "lost" has one meaning:
 * a key answered 201, still before its expiry, that a surviving node does not hold.
 * Expired read: a GET answered 200 although the asking started at or after the record's
 * `X-Expires-At` by the answering node's clock (its offset from ours is known: 0 unless
 * the scenario skews it), so the node must have served it past its expiry.
 *
 * @example
 * const t = new Traffic({ targets: () => urls, prefix: 'chaos/x', rate: 100 })
 * t.start(); …; await t.stop()
 * const c = await converge({ urls, traffic: t, timeoutMs: 30_000 })
 */
import http from 'node:http'
import { randomBytes } from 'node:crypto'

/** One PUT and how it was answered. */
export interface WriteEntry {
  key: string
  /** Index into the URL list the scenario gave. */
  via: string
  /** HTTP status, or 0 when no answer came (reset, timeout). */
  status: number
  /** From the answer (`expiresAt`), on 201/202. */
  expiresAt: number
  /** When the answer arrived (our clock). */
  at: number
}

/** A read that broke the rule, kept for the report. */
export interface ExpiredRead { url: string, key: string, expiresAt: number, askedAt: number, nodeOffsetMs: number }

/** Options of {@link Traffic}. */
export interface TrafficOptions {
  /** The nodes to write through now (called per request, so a scenario can drop a killed node). */
  targets: () => string[]
  /** Nodes to read from now (default: `targets`). */
  readTargets?: () => string[]
  /** Key prefix, unique per run. */
  prefix: string
  /** PUTs per second over all targets. */
  rate: number
  /** GETs per second (half of them aimed at keys about to expire). @default rate / 2 */
  readRate?: number
  /** TTL of most writes, seconds. @default 300 */
  ttlS?: number
  /** TTL of the short-lived writes whose expiry the readers watch, seconds. @default 2 */
  shortTtlS?: number
  /** Fraction of writes with the short TTL. @default 0.2 */
  shortFraction?: number
  /** Value size, bytes. @default 256 */
  valueBytes?: number
  /** Per-request timeout. @default 10 s */
  timeoutMs?: number
  /** The node's clock minus ours, by URL (skewed clocks); default 0. */
  clockOffsetMs?: (url: string) => number
}

/** The value written under `key`: checkable on read without keeping it. */
export function valueOf (key: string, bytes: number): Buffer {
  const head = Buffer.from(`${key}|`)
  return Buffer.concat([head, Buffer.alloc(Math.max(0, bytes - head.length), 0x61)])
}

/** One HTTP exchange over a keep-alive agent; never throws (status 0 on failure). */
export async function request (agent: http.Agent, method: string, url: string, body: Buffer | undefined, timeoutMs: number): Promise<{ status: number, headers: http.IncomingHttpHeaders, body: Buffer }> {
  return await new Promise(resolve => {
    const req = http.request(url, { method, agent, timeout: timeoutMs, headers: body !== undefined ? { 'content-length': body.length } : {} }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', () => resolve({ status: 0, headers: {}, body: Buffer.alloc(0) }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve({ status: 0, headers: {}, body: Buffer.alloc(0) }))
    req.end(body)
  })
}

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** Counters of the reads. */
export interface ReadStats {
  total: number
  ok: number
  notFound: number
  /** 200s whose body was not the value written. */
  wrongValue: number
  /** 200s whose `X-Expires-At` differs from the PUT's answer. */
  wrongExpiry: number
  /** Reads with no answer or another status. */
  failed: number
  expired: ExpiredRead[]
  /** Largest `askedAt − expiresAt` (ms, our clock) of a 200; the skew policy bounds it. */
  maxServedPastExpiryMs: number
}

/** The paced writer and readers of a scenario. */
export class Traffic {
  readonly writes: WriteEntry[] = []
  readonly reads: ReadStats = { total: 0, ok: 0, notFound: 0, wrongValue: 0, wrongExpiry: 0, failed: 0, expired: [], maxServedPastExpiryMs: -Infinity }
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
  private running = false
  private loops: Array<Promise<void>> = []
  private seq = 0
  private rr = 0
  /** 201/202 writes by key, for the readers. */
  private readonly acked = new Map<string, WriteEntry>()
  private readonly ackedKeys: string[] = []
  private readonly shortKeys: string[] = []
  private readonly opts: Required<Omit<TrafficOptions, 'readTargets' | 'clockOffsetMs'>> & Pick<TrafficOptions, 'readTargets' | 'clockOffsetMs'>

  constructor (opts: TrafficOptions) {
    this.opts = { readRate: opts.rate / 2, ttlS: 300, shortTtlS: 2, shortFraction: 0.2, valueBytes: 256, timeoutMs: 10_000, ...opts }
  }

  /** A prefix unique to this run. */
  static prefix (scenario: string): string { return `chaos/${scenario}/${randomBytes(3).toString('hex')}` }

  /** Starts the writers and readers. */
  start (): void {
    if (this.running) return
    this.running = true
    const writers = Math.max(1, Math.min(32, Math.ceil(this.opts.rate / 20)))
    for (let i = 0; i < writers; i++) this.loops.push(this.paced(this.opts.rate / writers, async () => { await this.writeOne() }))
    const readers = Math.max(1, Math.min(16, Math.ceil(this.opts.readRate / 20)))
    if (this.opts.readRate > 0) for (let i = 0; i < readers; i++) this.loops.push(this.paced(this.opts.readRate / readers, async () => { await this.readOne(i % 2 === 0) }))
  }

  /** Stops the loops and waits for requests in flight. */
  async stop (): Promise<void> {
    this.running = false
    await Promise.all(this.loops)
    this.loops = []
  }

  /** Closes idle sockets (call when done). */
  close (): void { this.agent.destroy() }

  /** Count of writes per status (0 = no answer). */
  statusCounts (): Record<string, number> {
    const out: Record<string, number> = {}
    for (const w of this.writes) out[String(w.status)] = (out[String(w.status)] ?? 0) + 1
    return out
  }

  private async paced (perS: number, op: () => Promise<void>): Promise<void> {
    const gap = 1000 / perS
    let next = performance.now() + Math.random() * gap
    while (this.running) {
      const wait = next - performance.now()
      if (wait > 0) await sleep(wait)
      if (!this.running) break
      next = Math.max(next + gap, performance.now() - gap * 5)
      await op()
    }
  }

  private pick (list: string[]): string | undefined {
    if (list.length === 0) return undefined
    return list[this.rr++ % list.length]
  }

  private async writeOne (): Promise<void> {
    const url = this.pick(this.opts.targets())
    if (url === undefined) { await sleep(50); return }
    const short = Math.random() < this.opts.shortFraction
    const key = `${this.opts.prefix}/${short ? 's' : 'l'}${(this.seq++).toString(36)}`
    const ttl = short ? this.opts.shortTtlS : this.opts.ttlS
    const res = await request(this.agent, 'PUT', `${url}/v1/data/${key}?ttl=${ttl}`, valueOf(key, this.opts.valueBytes), this.opts.timeoutMs)
    let expiresAt = NaN
    if (res.status === 201 || res.status === 202) {
      try { expiresAt = (JSON.parse(res.body.toString()) as { expiresAt: number }).expiresAt } catch { expiresAt = Number(res.headers['x-expires-at']) }
    }
    const w: WriteEntry = { key, via: url, status: res.status, expiresAt, at: Date.now() }
    this.writes.push(w)
    if (res.status === 201 || res.status === 202) {
      this.acked.set(key, w)
      ;(short ? this.shortKeys : this.ackedKeys).push(key)
    }
  }

  private async readOne (nearExpiry: boolean): Promise<void> {
    const urls = (this.opts.readTargets ?? this.opts.targets)()
    const url = urls[Math.floor(Math.random() * urls.length)]
    let key: string | undefined
    if (nearExpiry) {
      // A short-lived key within 500 ms of its expiry, on either side: where a slow sweep would show.
      const now = Date.now()
      for (let i = this.shortKeys.length - 1, tries = 0; i >= 0 && tries < 200; i--, tries++) {
        const w = this.acked.get(this.shortKeys[i]) as WriteEntry
        if (Math.abs(w.expiresAt - now) < 500) { key = w.key; break }
      }
    }
    if (key === undefined) {
      const pool = Math.random() < 0.5 && this.shortKeys.length > 0 ? this.shortKeys : this.ackedKeys
      if (pool.length === 0) { await sleep(20); return }
      // Mostly recent keys: the ones replication is still carrying.
      const i = pool.length - 1 - Math.floor(Math.abs(Math.random() - Math.random()) * Math.min(pool.length, 2000))
      key = pool[Math.max(0, i)]
    }
    if (url === undefined) return
    await this.check(url, this.acked.get(key) as WriteEntry)
  }

  /** GETs one key from one node and checks the answer; returns the status. */
  async check (url: string, w: WriteEntry): Promise<number> {
    const askedAt = Date.now()
    const res = await request(this.agent, 'GET', `${url}/v1/data/${w.key}`, undefined, this.opts.timeoutMs)
    this.reads.total++
    if (res.status === 404) { this.reads.notFound++; return 404 }
    if (res.status !== 200) { this.reads.failed++; return res.status }
    this.reads.ok++
    const expiresAt = Number(res.headers['x-expires-at'])
    const offset = this.opts.clockOffsetMs?.(url) ?? 0
    if (askedAt + offset >= expiresAt) this.reads.expired.push({ url, key: w.key, expiresAt, askedAt, nodeOffsetMs: offset })
    this.reads.maxServedPastExpiryMs = Math.max(this.reads.maxServedPastExpiryMs, askedAt - expiresAt)
    if (expiresAt !== w.expiresAt) this.reads.wrongExpiry++
    if (!res.body.equals(valueOf(w.key, this.opts.valueBytes))) this.reads.wrongValue++
    return 200
  }
}

/** Options of {@link converge}. */
export interface ConvergeOptions {
  /** The surviving nodes, each to hold every 201 write. */
  urls: string[]
  traffic: Traffic
  /** Give up after this long; what is still missing then is lost. */
  timeoutMs: number
  /** Also require the 202 writes (when no node holding one was killed). @default false */
  include202?: boolean
  /** Writes expiring within this margin are not required (they may expire during the check). @default 3000 */
  marginMs?: number
  /** Read every required key back from every node (GET, checked). @default true */
  readBack?: boolean
  /** Only these writes (e.g. those answered before a heal) instead of every write so far. */
  writes?: WriteEntry[]
}

/** What {@link converge} found. */
export interface Convergence {
  /** Writes required on every node (answered 201, or 202 with include202, alive past the margin). */
  required: number
  /** 201 writes left out because they expire within the margin. */
  skippedExpiring: number
  /** ms from the call until every node listed every required key (NaN if never). */
  convergedMs: number
  /** Required keys some node still lacks at the timeout, by URL. */
  missing: Record<string, number>
  /** Required keys missing on at least one node at the timeout. */
  lost: number
  /** A few of them, for the report. */
  lostSample: string[]
  /** Read-back: GETs done and how many did not answer 200. */
  readBack: { gets: number, not200: number }
}

/** Every key under `prefix` that `url` holds (its own records: `/v1/keys` never reads through). */
export async function listKeys (agent: http.Agent, url: string, prefix: string): Promise<Set<string> | undefined> {
  const res = await request(agent, 'GET', `${url}/v1/keys?prefix=${encodeURIComponent(prefix)}`, undefined, 15_000)
  if (res.status !== 200) return undefined
  return new Set((JSON.parse(res.body.toString()) as { keys: string[] }).keys)
}

/** Polls every node's key listing until each holds every required write, then reads them back. */
export async function converge (opts: ConvergeOptions): Promise<Convergence> {
  const t0 = Date.now()
  const margin = opts.marginMs ?? 3000
  const wanted = (opts.writes ?? opts.traffic.writes).filter(w => w.status === 201 || (opts.include202 === true && w.status === 202))
  const required = wanted.filter(w => w.expiresAt > t0 + margin)
  const prefix = required[0]?.key.slice(0, required[0].key.lastIndexOf('/') + 1) ?? ''
  const missing: Record<string, string[]> = {}
  let convergedMs = NaN
  for (;;) {
    const now = Date.now()
    let all = true
    for (const url of opts.urls) {
      const held = await listKeys(opts.traffic.agent, url, prefix)
      // A write that expired since t0 (margin too small) is no longer required.
      missing[url] = held === undefined ? required.filter(w => w.expiresAt > now).map(w => w.key) : required.filter(w => w.expiresAt > now && !held.has(w.key)).map(w => w.key)
      if (missing[url].length > 0) all = false
    }
    if (all) { convergedMs = Date.now() - t0; break }
    if (Date.now() - t0 > opts.timeoutMs) break
    await sleep(100)
  }
  const lostKeys = new Set(Object.values(missing).flat())
  const readBack = { gets: 0, not200: 0 }
  if (opts.readBack !== false) {
    const jobs = opts.urls.flatMap(url => required.filter(w => !lostKeys.has(w.key) && w.expiresAt > Date.now() + 1000).map(w => ({ url, w })))
    let next = 0
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < jobs.length) {
        const { url, w } = jobs[next++]
        // Checked like any read: value, expiry and the expired-read rule.
        const status = await opts.traffic.check(url, w)
        readBack.gets++
        if (status !== 200 && w.expiresAt > Date.now()) readBack.not200++
      }
    }))
  }
  return {
    required: required.length,
    skippedExpiring: wanted.length - required.length,
    convergedMs,
    missing: Object.fromEntries(Object.entries(missing).map(([u, ks]) => [u, ks.length])),
    lost: lostKeys.size,
    lostSample: [...lostKeys].slice(0, 10),
    readBack
  }
}
