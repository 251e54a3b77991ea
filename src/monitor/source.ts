/**
 * One watched node: its attestation stream, and the replay from its ring on every
 * (re)connect. A node keeps its last `attestationCycles` closed cycles (10 minutes by
 * default): the monitor opens the stream first (so nothing closes unseen), then reads the
 * ring (`GET /v1/attestations`, then each cycle it does not hold), then applies what the
 * stream delivered meanwhile. Proofs are deduplicated in the database, so overlap costs
 * nothing, and a restart or a dropped stream within the window loses nothing. What cannot
 * be filled (cycles the ring no longer holds, numbers missing from it) is recorded as a gap.
 *
 * @example
 * const source = new NodeSource({ url: 'http://n1:8080', store, metrics, logger, alerts, ...settings })
 * source.start()
 * // …
 * await source.stop()
 */
import { anySignal } from 'any-signal'
import WebSocket from 'ws'
import type { Logger } from '../logger.js'
import type { AttestationListing, CycleAttestations } from '../sdk/attest/types.js'
import type { AlertNotifier } from './alerts.js'
import { sleep } from './alerts.js'
import { HELLO_TIMEOUT_MS, RECONNECT_MIN_MS } from './constants.js'
import type { IngestResult, MonitorStore, NodeInfo } from './db/store.js'
import { parseCycleSummary, verifyAttestations } from './ingest.js'
import type { MonitorMetrics } from './metrics.js'

/** Where a source stands. */
export type SourceState = 'connecting' | 'synced' | 'down'

/** Ring defaults of a node that never said (REPRAM's defaults): 10 cycles of 60 s. */
const DEFAULT_REPLAY_WINDOW_MS = 10 * 60_000

/** Least silence after which a stream is taken for dead (a node pings every 30 s). */
const STREAM_IDLE_MIN_MS = 45_000

/** The largest stream message accepted: a full cycle (10 000 proofs of ~0.6 KiB) with room to spare. */
const MAX_STREAM_MESSAGE_BYTES = 64 * 1024 * 1024

/** Settings and collaborators of a source. */
export interface NodeSourceInit {
  url: string
  store: MonitorStore
  metrics: MonitorMetrics
  logger: Logger
  alerts: AlertNotifier
  requestTimeoutMs: number
  reconnectMaxMs: number
  /** Called after proofs were stored (writes whose proofs changed). */
  onIngest?: (result: IngestResult) => void
  /** Called whenever the state changes. */
  onState?: (source: NodeSource) => void
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
  /** @default Date.now */
  now?: () => number
}

/** A node answered something that is not the attestation API. */
class ProtocolError extends Error {
  constructor (message: string) { super(message); this.name = 'ProtocolError' }
}

/** A non-2xx answer. */
class HttpStatusError extends Error {
  constructor (readonly status: number, url: string) { super(`HTTP ${status} from ${url}`); this.name = 'HttpStatusError' }
}

/** What the monitor knows of the node behind a URL. */
interface Identity extends NodeInfo {
  /** When the node process started, by its uptime (ms), when it said. */
  startedAt?: number
}

/** The stream and ring of one node. */
export class NodeSource {
  readonly url: string
  private _state: SourceState = 'connecting'
  private identity: Identity | undefined
  private downSince: number | undefined
  private lastCycle: number | undefined
  private synced = false
  private everConnected = false
  private outageAlerted = false
  private readonly halt = new AbortController()
  private loop: Promise<void> | undefined
  private ws: WebSocket | undefined
  private readonly log: Logger
  private readonly now: () => number
  private readonly doFetch: typeof globalThis.fetch

  constructor (private readonly init: NodeSourceInit) {
    this.url = init.url.replace(/\/+$/, '')
    this.log = init.logger.child({ node: this.url })
    this.now = init.now ?? Date.now
    this.doFetch = init.fetch ?? ((input, opts) => globalThis.fetch(input, opts))
  }

  get state (): SourceState { return this._state }
  /** The node's peer id, once reached. */
  get nodeId (): string | undefined { return this.identity?.nodeId }
  get enclave (): string | undefined { return this.identity?.enclave }
  get jurisdiction (): string | undefined { return this.identity?.jurisdiction }
  /** Since when the node has been unreachable (ms), or undefined. */
  get unreachableSince (): number | undefined { return this._state === 'synced' ? undefined : this.downSince }
  /** The newest cycle held. */
  get newestCycle (): number | undefined { return this.lastCycle }

  /** How long the node's ring remembers: `cycle_ms × retained_cycles` (REPRAM's 10 minutes until the node says). */
  get replayWindowMs (): number {
    const i = this.identity
    return i?.cycleMs !== undefined && i.retainedCycles !== undefined ? i.cycleMs * i.retainedCycles : DEFAULT_REPLAY_WINDOW_MS
  }

  /**
   * True when waiting cannot bring more of this node's proofs: its stream is synced, or it
   * has been unreachable for longer than its replay window.
   */
  settled (now = this.now()): boolean {
    if (this._state === 'synced') return true
    return this.downSince !== undefined && now - this.downSince > this.replayWindowMs
  }

  /** Starts connecting (and reconnecting until {@link stop}). */
  start (): void {
    this.downSince ??= this.now()
    this.loop ??= this.run()
  }

  /** Closes the stream and stops reconnecting. Safe to call twice. */
  async stop (): Promise<void> {
    this.halt.abort()
    this.ws?.terminate()
    await this.loop
  }

  /**
   * Records an outage that has outlived the node's replay window: an open gap (settled
   * with the exact lost cycles when the node is back) and one alert. Called on the
   * monitor's timer.
   */
  async checkOutage (): Promise<void> {
    const now = this.now()
    if (this._state === 'synced' || this.downSince === undefined || this.outageAlerted) return
    if (now - this.downSince <= this.replayWindowMs) return
    this.outageAlerted = true
    const nodeId = this.identity?.nodeId
    let created = true
    if (nodeId !== undefined) {
      const r = await this.init.store.openGap({ nodeId, url: this.url, fromCycle: this.lastCycle === undefined ? undefined : this.lastCycle + 1, fromMs: this.downSince, reason: 'unreachable' }, now)
      created = r.created
    }
    if (created) {
      await this.init.alerts.raise({ kind: 'node_unreachable', nodeId, details: { url: this.url, since: this.downSince, replayWindowMs: this.replayWindowMs, everReached: this.everConnected } })
    }
  }

  private setState (s: SourceState): void {
    if (s === this._state) return
    if (s !== 'synced') this.downSince ??= this.now()
    else { this.downSince = undefined; this.outageAlerted = false }
    this._state = s
    this.init.onState?.(this)
  }

  private async run (): Promise<void> {
    const signal = this.halt.signal
    let backoff = RECONNECT_MIN_MS
    while (!signal.aborted) {
      this.setState('connecting')
      try {
        await this.session(signal)
        backoff = RECONNECT_MIN_MS
      } catch (err) {
        if (signal.aborted) break
        const level = this.everConnected ? 'debug' : 'info'
        this.log[level]({ err: errorText(err) }, 'node stream unavailable')
      }
      if (signal.aborted) break
      this.setState('down')
      this.init.metrics.reconnects.inc()
      // Full jitter in [backoff/2, backoff]: many monitors do not reconnect in step.
      await sleep(backoff / 2 + Math.random() * backoff / 2, signal)
      if (this.synced) backoff = RECONNECT_MIN_MS
      else backoff = Math.min(backoff * 2, this.init.reconnectMaxMs)
      this.synced = false
    }
    this.ws?.terminate()
  }

  /** GET a JSON document from the node, bounded by the request timeout and by stop. */
  private async getJson<T> (path: string, signal: AbortSignal): Promise<T> {
    const url = `${this.url}${path}`
    // any-signal, cleared once the body is read: AbortSignal.any over the source's long-lived
    // signal leaves a WeakRef behind per call in Node 20 (nodejs/node#55351).
    const bounded = anySignal([AbortSignal.timeout(this.init.requestTimeoutMs), signal])
    try {
      const res = await this.doFetch(url, { headers: { accept: 'application/json' }, signal: bounded })
      if (!res.ok) {
        await res.arrayBuffer().catch(() => {})
        throw new HttpStatusError(res.status, url)
      }
      return await res.json() as T
    } finally {
      bounded.clear()
    }
  }

  /** Who the node is: `/v1/health` (id, enclave), then `/v1/status` (jurisdiction, uptime) when it answers. */
  private async identify (signal: AbortSignal): Promise<Identity> {
    const health = await this.getJson<Record<string, unknown>>('/v1/health', signal)
    if (typeof health?.node_id !== 'string' || health.node_id === '') throw new ProtocolError('GET /v1/health has no node_id: not a REPRAM node?')
    const id: Identity = { nodeId: health.node_id, url: this.url, enclave: typeof health.enclave === 'string' ? health.enclave : undefined }
    if (typeof health.jurisdiction === 'string') id.jurisdiction = health.jurisdiction
    try {
      const status = await this.getJson<Record<string, unknown>>('/v1/status', signal)
      if (typeof status.jurisdiction === 'string') id.jurisdiction = status.jurisdiction
      if (typeof status.uptime_seconds === 'number') id.startedAt = this.now() - status.uptime_seconds * 1000
    } catch (err) {
      if (signal.aborted) throw err
    }
    return id
  }

  /** One connection: identify, open the stream, replay the ring, then follow the stream until it closes. */
  private async session (signal: AbortSignal): Promise<void> {
    const id = await this.identify(signal)
    if (this.identity !== undefined && this.identity.nodeId !== id.nodeId) {
      this.log.warn({ previous: this.identity.nodeId, nodeId: id.nodeId }, 'node identity changed at this URL')
      this.lastCycle = undefined
    }
    this.identity = { ...this.identity, ...id }

    const queue: unknown[] = []
    let deliver: ((msg: unknown) => void) | undefined
    const wsUrl = `${this.url.replace(/^http/, 'ws')}/v1/attestations/stream`
    const ws = new WebSocket(wsUrl, { handshakeTimeout: this.init.requestTimeoutMs, maxPayload: MAX_STREAM_MESSAGE_BYTES })
    this.ws = ws
    const closed = new Promise<string>(resolve => {
      ws.once('close', (code, reason) => resolve(`stream closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`))
      ws.once('error', (err) => resolve(`stream error: ${err.message}`))
    })
    let idle: NodeJS.Timeout | undefined
    const onAbort = (): void => ws.terminate()
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new ProtocolError(`no hello on ${wsUrl} within ${HELLO_TIMEOUT_MS} ms`)), Math.min(HELLO_TIMEOUT_MS, this.init.requestTimeoutMs))
        void closed.then(why => { clearTimeout(timer); reject(new Error(why)) })
        ws.on('message', (data) => {
          let msg: unknown
          try { msg = JSON.parse(data.toString()) } catch { this.log.debug('unparsable stream message dropped'); return }
          if ((msg as { type?: unknown })?.type === 'hello') { clearTimeout(timer); resolve(msg as Record<string, unknown>); return }
          if (deliver !== undefined) deliver(msg)
          else queue.push(msg)
        })
      })
      if (hello.node_id !== id.nodeId) throw new ProtocolError(`the stream's node id ${String(hello.node_id)} is not the node's (${id.nodeId})`)
      this.identity.publicKey = typeof hello.public_key === 'string' ? hello.public_key : undefined
      this.identity.keyType = typeof hello.key_type === 'string' ? hello.key_type : undefined
      this.identity.ephemeral = typeof hello.ephemeral === 'boolean' ? hello.ephemeral : undefined
      if (typeof hello.cycle_ms === 'number' && hello.cycle_ms > 0) this.identity.cycleMs = hello.cycle_ms
      // A node sends every closed cycle (empty ones too) and pings every 30 s: silence
      // longer than that is a dead connection TCP has not noticed yet.
      const idleMs = Math.max(3 * (this.identity.cycleMs ?? 60_000), STREAM_IDLE_MIN_MS)
      const touch = (): void => {
        clearTimeout(idle)
        idle = setTimeout(() => { this.log.debug({ idleMs }, 'silent stream closed'); ws.terminate() }, idleMs)
      }
      ws.on('message', touch)
      ws.on('ping', touch)
      touch()

      const listing = await this.getJson<AttestationListing>('/v1/attestations', signal)
      if (listing.node_id !== id.nodeId || !Array.isArray(listing.cycles)) throw new ProtocolError('GET /v1/attestations is not this node\'s attestation listing')
      if (typeof listing.retained_cycles === 'number') this.identity.retainedCycles = listing.retained_cycles
      if (typeof listing.cycle_ms === 'number' && listing.cycle_ms > 0) this.identity.cycleMs = listing.cycle_ms
      await this.init.store.upsertNode(this.identity, this.now())
      this.everConnected = true

      await this.replay(listing, typeof hello.open_cycle === 'number' ? hello.open_cycle : undefined, signal)

      // Live: what arrived during the replay first, then each message in order.
      let chain = Promise.resolve()
      let failure: Error | undefined
      const handle = (msg: unknown): void => {
        chain = chain.then(async () => { if (failure === undefined && !signal.aborted) await this.onStreamMessage(msg, signal) })
          .catch((err: unknown) => { failure = err as Error; ws.terminate() })
      }
      for (const m of queue.splice(0)) handle(m)
      deliver = handle
      await chain
      if (failure !== undefined) throw failure
      this.synced = true
      this.setState('synced')
      this.log.info({ nodeId: id.nodeId, lastCycle: this.lastCycle }, 'node stream synced')
      const why = await closed
      await chain
      if (failure !== undefined) throw failure
      if (!signal.aborted) throw new Error(why)
    } finally {
      clearTimeout(idle)
      signal.removeEventListener('abort', onAbort)
      ws.removeAllListeners('message')
      ws.removeAllListeners('ping')
      ws.terminate()
      if (this.ws === ws) this.ws = undefined
    }
  }

  /**
   * Reads the ring: settles an open outage (with the exact cycles lost, if any), records
   * cycles no longer retained as gaps, and fetches each retained closed cycle not held.
   */
  private async replay (listing: AttestationListing, openCycle: number | undefined, signal: AbortSignal): Promise<void> {
    const id = this.identity as Identity
    const store = this.init.store
    const cycleMs = id.cycleMs ?? 60_000
    const closed = listing.cycles.filter(c => c.closed && Number.isSafeInteger(c.cycle)).map(c => c.cycle).sort((a, b) => a - b)
    const newest = closed.length > 0 ? closed[closed.length - 1] : undefined
    const oldest = closed.length > 0 ? closed[0] : openCycle
    const held = await store.lastCycle(id.nodeId)
    const now = this.now()

    // Cycles between the last one held and the ring's oldest are gone for good.
    let lost: { fromCycle: number, toCycle: number, fromMs: number, toMs: number, reason: string } | undefined
    if (held !== undefined && oldest !== undefined && oldest > held + 1) {
      const fromMs = (held + 1) * cycleMs
      lost = { fromCycle: held + 1, toCycle: oldest - 1, fromMs, toMs: oldest * cycleMs, reason: id.startedAt !== undefined && id.startedAt > fromMs ? 'node_restarted' : 'beyond_replay_window' }
    }
    const settled = await store.closeOpenGap(id.nodeId, lost, now)
    if (lost !== undefined) {
      const gap = settled ?? await store.addGap({ nodeId: id.nodeId, url: this.url, ...lost }, now)
      await this.gapFound(gap.reason, lost.fromCycle, lost.toCycle, lost.fromMs, lost.toMs, settled !== undefined)
    }

    if (newest !== undefined && oldest !== undefined) {
      const have = await store.cyclesHeld(id.nodeId, oldest, newest)
      // Numbers between retained cycles that the ring skipped (a suspended host): never filled.
      for (let i = 1; i < closed.length; i++) {
        if (closed[i] - closed[i - 1] <= 1) continue
        for (const [a, b] of missingRanges(closed[i - 1] + 1, closed[i] - 1, have)) await this.recordGap(a, b, 'not_in_ring')
      }
      await this.fetchAll(closed.filter(c => !have.has(c)), signal, held === undefined)
    }
    this.lastCycle = Math.max(held ?? -1, newest ?? -1, this.lastCycle ?? -1)
    if (this.lastCycle < 0) this.lastCycle = undefined
  }

  /**
   * Fills cycles `[from, to]` not held from the ring. Only the newest `retained_cycles` of them
   * can still be there: the older ones are recorded as gaps without asking.
   */
  private async fill (from: number, to: number, signal: AbortSignal): Promise<void> {
    const id = this.identity as Identity
    const have = await this.init.store.cyclesHeld(id.nodeId, from, to)
    const reachable = Math.max(from, to - (id.retainedCycles ?? 10) + 1)
    if (reachable > from) {
      for (const [a, b] of missingRanges(from, reachable - 1, have)) await this.recordGap(a, b, 'beyond_replay_window')
    }
    await this.fetchAll(Array.from({ length: to - reachable + 1 }, (_, i) => reachable + i).filter(c => !have.has(c)), signal)
  }

  /**
   * Fetches cycles in order; consecutive ones the ring does not have are recorded as one gap.
   * With `firstContact` (nothing held of this node yet), cycles that rotate out before the
   * first one is fetched are not a gap: coverage starts at the first cycle held.
   */
  private async fetchAll (cycles: readonly number[], signal: AbortSignal, firstContact = false): Promise<void> {
    let run: [number, number] | undefined
    let leading = firstContact
    for (const c of cycles) {
      if (signal.aborted) return
      const found = await this.fetchCycle(c, 'backfill', signal)
      if (!found && leading) continue
      leading = false
      if (found) {
        if (run !== undefined) await this.recordGap(run[0], run[1], 'rotated_out')
        run = undefined
      } else if (run !== undefined && run[1] === c - 1) run[1] = c
      else {
        if (run !== undefined) await this.recordGap(run[0], run[1], 'rotated_out')
        run = [c, c]
      }
    }
    if (run !== undefined) await this.recordGap(run[0], run[1], 'rotated_out')
  }

  /** Fetches one cycle from the ring and stores it; false when the ring does not have it (404). */
  private async fetchCycle (cycle: number, via: 'stream' | 'backfill', signal: AbortSignal): Promise<boolean> {
    let body: CycleAttestations
    try {
      body = await this.getJson<CycleAttestations>(`/v1/attestations/${cycle}`, signal)
    } catch (err) {
      if (err instanceof HttpStatusError && err.status === 404) return false
      throw err
    }
    await this.ingest(body, via)
    return true
  }

  private async onStreamMessage (msg: unknown, signal: AbortSignal): Promise<void> {
    const m = msg as Partial<CycleAttestations> & { type?: unknown }
    if (m?.type !== 'cycle') return
    const summary = parseCycleSummary(m.cycle)
    if (typeof summary === 'string') { this.log.debug({ why: summary }, 'malformed cycle message dropped'); return }
    // Cycles the stream skipped (it was slow, or closed and reopened inside a cycle): from the ring.
    if (this.lastCycle !== undefined && summary.cycle > this.lastCycle + 1) await this.fill(this.lastCycle + 1, summary.cycle - 1, signal)
    await this.ingest(m as CycleAttestations, 'stream')
  }

  /** Verifies and stores one cycle as the node published it. */
  private async ingest (body: CycleAttestations, via: 'stream' | 'backfill'): Promise<void> {
    const id = this.identity as Identity
    if (body?.node_id !== id.nodeId) throw new ProtocolError(`a cycle of node ${String(body?.node_id)} arrived from ${id.nodeId}`)
    const summary = parseCycleSummary(body.cycle)
    if (typeof summary === 'string') throw new ProtocolError(`malformed cycle: ${summary}`)
    if (!summary.closed) return
    const attestations = Array.isArray(body.attestations) ? body.attestations : []
    const proofs = await verifyAttestations(attestations, { node_id: body.node_id, public_key: typeof body.public_key === 'string' ? body.public_key : id.publicKey })
    const m = this.init.metrics
    let result: IngestResult
    try {
      result = await this.init.store.ingestCycle({ node: { nodeId: id.nodeId, url: this.url, enclave: id.enclave }, cycle: summary, via, proofs, receivedAt: this.now() })
    } catch (err) {
      m.dbErrors.inc()
      this.log.error({ err: (err as Error)?.message, cycle: summary.cycle }, 'cannot store a cycle')
      throw err
    }
    if (result.newCycle) m.cycles.inc({ via })
    if (result.valid > 0) m.proofs.inc({ result: 'valid' }, result.valid)
    if (result.rejected > 0) m.proofs.inc({ result: 'rejected' }, result.rejected)
    if (result.duplicates > 0) m.duplicates.inc(result.duplicates)
    for (const reason of result.rejectedReasons) m.rejected.inc({ reason })
    if (result.rejected > 0) this.log.warn({ nodeId: id.nodeId, cycle: summary.cycle, rejected: result.rejected, reasons: [...new Set(result.rejectedReasons)] }, 'rejected proofs stored')
    if (summary.dropped > 0 && result.newCycle) await this.recordGap(summary.cycle, summary.cycle, 'overflow', summary.dropped)
    this.lastCycle = Math.max(this.lastCycle ?? summary.cycle, summary.cycle)
    this.init.onIngest?.(result)
  }

  /** A closed stretch of cycles that will never be filled: stored, counted, logged and alerted. */
  private async recordGap (fromCycle: number, toCycle: number, reason: string, dropped?: number): Promise<void> {
    const id = this.identity as Identity
    const cycleMs = id.cycleMs ?? 60_000
    const fromMs = fromCycle * cycleMs
    const toMs = (toCycle + 1) * cycleMs
    await this.init.store.addGap({ nodeId: id.nodeId, url: this.url, fromCycle, toCycle, fromMs, toMs, reason }, this.now())
    await this.gapFound(reason, fromCycle, toCycle, fromMs, toMs, false, dropped)
  }

  private async gapFound (reason: string, fromCycle: number, toCycle: number, fromMs: number, toMs: number, settledOutage: boolean, dropped?: number): Promise<void> {
    this.init.metrics.gaps.inc({ reason })
    await this.init.alerts.raise({
      kind: 'gap',
      nodeId: this.identity?.nodeId,
      details: { url: this.url, reason, fromCycle, toCycle, from: fromMs, to: toMs, cycles: toCycle - fromCycle + 1, ...(dropped !== undefined ? { dropped } : {}), ...(settledOutage ? { outage: true } : {}) }
    })
  }
}

/** The stretches of `[from, to]` not in `have`, as inclusive ranges, without walking every number. */
export function missingRanges (from: number, to: number, have: ReadonlySet<number>): Array<[number, number]> {
  const out: Array<[number, number]> = []
  let start = from
  for (const c of [...have].filter(c => c >= from && c <= to).sort((a, b) => a - b)) {
    if (c > start) out.push([start, c - 1])
    start = c + 1
  }
  if (start <= to) out.push([start, to])
  return out
}

/** An error as one line, with the network cause `fetch` hides behind "fetch failed". */
export function errorText (err: unknown): string {
  const e = err as { message?: string, cause?: { message?: string, code?: string } }
  const cause = e?.cause?.message ?? e?.cause?.code
  return `${e?.message ?? String(err)}${cause !== undefined && cause !== '' ? ` (${cause})` : ''}`
}
