/**
 * The compliance monitor: a process outside the REPRAM network that watches many nodes'
 * deletion proofs, verifies each one, and keeps proofs, cycle summaries, gaps and alerts in
 * a database the organisation owns. It assembles one class per concern:
 * {@link NodeSource} (a node's stream and ring replay), {@link QuorumWatch} (k of n by a
 * deadline), {@link AlertNotifier} (log, metric, webhook), {@link MonitorStore} (SQL over
 * PGlite or Postgres), and its own HTTP server (`/metrics`, `/health`, `/v1/…`).
 *
 * @example
 * import { createMonitor } from 'repram/monitor'
 * const monitor = await createMonitor({ config: { nodes: ['http://n1:8080', 'http://n2:8080', 'http://n3:8080'], quorum: 2, dataDir: './monitor-data' } })
 * console.log(monitor.url)   // http://127.0.0.1:8090 (/metrics, /health)
 * // …
 * await monitor.stop()
 */
import type { Logger } from '../logger.js'
import { createLogger } from '../logger.js'
import { AlertNotifier } from './alerts.js'
import { assertSomethingToWatch, loadMonitorConfig, type MonitorConfig, type MonitorConfigInput } from './config.js'
import { MonitorStore } from './db/store.js'
import { openDatabase } from './db/sql.js'
import { discoverNodes, type DiscoveredPeer } from './discovery.js'
import { startMonitorServer, type ExpectedWrite, type MonitorServer } from './http.js'
import { acquireLock, type DataDirLock } from './lock.js'
import { createMonitorMetrics, type MonitorMetrics } from './metrics.js'
import { QuorumWatch, type ScopeNode } from './quorum.js'
import { buildReport, type ComplianceReport } from './report/build.js'
import type { Framework } from './report/frameworks.js'
import { errorText, NodeSource } from './source.js'

/** What {@link createMonitor} takes. */
export interface MonitorInit {
  /** Settings over the defaults (no environment is read here; the CLI reads `REPRAM_MONITOR_*`). */
  config?: MonitorConfigInput
  /** @default a pino logger at `config.logLevel` */
  logger?: Logger
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
}

/** Lifecycle of the monitor. */
export type MonitorState = 'stopped' | 'starting' | 'started' | 'stopping'

/** `GET /health`. */
export interface MonitorHealth {
  /** `ok`: every node synced; `degraded`: some node is not; `unavailable`: the database does not answer. */
  status: 'ok' | 'degraded' | 'unavailable' | 'starting' | 'stopping'
  ready: boolean
  database: { kind: string, location: string, schema: number, ok: boolean, error?: string }
  quorum: number | 'all'
  deadline_ms: number
  nodes: Array<{ url: string, node_id?: string, state: string, enclave?: string, jurisdiction?: string, last_cycle?: number, unreachable_since?: number }>
  unresolved: Array<{ node_id: string, reason?: string, candidates: string[] }>
  counts?: Record<string, number>
  alerts_queued: number
}

/** Retry pause of a failed first discovery when no rediscovery interval is set. */
const DISCOVER_RETRY_MS = 5_000

type Running =
  | { code: 'stopped' }
  | { code: 'started', store: MonitorStore, alerts: AlertNotifier, quorum: QuorumWatch, server: MonitorServer, lock?: DataDirLock, timers: NodeJS.Timeout[] }

/** Starts a monitor with `init.config` and resolves once it is serving. */
export async function createMonitor (init: MonitorInit = {}): Promise<ComplianceMonitor> {
  const monitor = new ComplianceMonitor(loadMonitorConfig({ env: {}, overrides: init.config }), init)
  await monitor.start()
  return monitor
}

/** The compliance monitor. */
export class ComplianceMonitor {
  readonly metrics: MonitorMetrics
  readonly logger: Logger
  private running: Running = { code: 'stopped' }
  private _state: MonitorState = 'stopped'
  private readonly sources = new Map<string, NodeSource>()
  private readonly attempted = new Set<NodeSource>()
  private unresolved: DiscoveredPeer[] = []
  private stopping: Promise<void> | undefined
  private readonly doFetch: typeof globalThis.fetch

  constructor (readonly config: MonitorConfig, private readonly init: MonitorInit = {}) {
    this.logger = (init.logger ?? createLogger(config.logLevel)).child({ component: 'repram:monitor' })
    this.metrics = createMonitorMetrics()
    this.doFetch = init.fetch ?? ((input, opts) => globalThis.fetch(input, opts))
  }

  get state (): MonitorState { return this._state }

  /** Base URL of the monitor's HTTP server. */
  get url (): string {
    if (this.running.code !== 'started') throw new Error('the monitor is not running')
    return this.running.server.url
  }

  /** The database layer (for reports and tests). */
  get store (): MonitorStore {
    if (this.running.code !== 'started') throw new Error('the monitor is not running')
    return this.running.store
  }

  /** The watched sources, by URL. */
  get watched (): NodeSource[] {
    return [...this.sources.values()]
  }

  /** True once every initial node was tried at least once (decisions wait for it). */
  get ready (): boolean {
    return [...this.sources.values()].every(s => this.attempted.has(s))
  }

  /** Opens the database, starts the server, the sources and the timers. A failed start stops what had started, then throws. */
  async start (): Promise<void> {
    if (this._state !== 'stopped') return
    this._state = 'starting'
    const c = this.config
    let lock: DataDirLock | undefined
    let store: MonitorStore | undefined
    let alerts: AlertNotifier | undefined
    let server: MonitorServer | undefined
    try {
      assertSomethingToWatch(c)
      if (c.database === undefined) lock = acquireLock(c.dataDir)
      const db = await openDatabase({ url: c.database, dataDir: c.dataDir, poolSize: c.dbPoolSize })
      try {
        store = await MonitorStore.open(db)
      } catch (err) {
        await db.close().catch(() => {})
        throw err
      }
      alerts = new AlertNotifier({
        store,
        metrics: this.metrics,
        logger: this.logger,
        fetch: this.init.fetch,
        webhook: c.webhook === undefined ? undefined : { url: c.webhook, timeoutMs: c.webhookTimeoutMs, retries: c.webhookRetries }
      })
      await alerts.start()
      const quorum = new QuorumWatch({
        store,
        alerts,
        metrics: this.metrics,
        logger: this.logger,
        quorum: c.quorum,
        deadlineMs: c.deadlineMs,
        sources: {
          scopeNodes: async () => await this.scopeNodes(),
          settled: (nodeId) => [...this.sources.values()].find(s => s.nodeId === nodeId)?.settled() ?? true,
          maxReplayWindowMs: () => Math.max(0, ...[...this.sources.values()].map(s => s.replayWindowMs))
        }
      })
      this.running = { code: 'started', store, alerts, quorum, server: undefined as unknown as MonitorServer, lock, timers: [] }
      server = await startMonitorServer(this, c.httpHost, c.httpPort)
      this.running.server = server
      lock?.update({ url: server.url })
      for (const url of c.nodes) this.addSource(url)
      if (c.discover !== undefined) {
        this.addSource(c.discover)
        const found = await this.discover()
        // Without a rediscovery interval, a first reading that failed is still retried until one succeeds.
        const every = c.discoverIntervalMs > 0 ? c.discoverIntervalMs : found ? 0 : DISCOVER_RETRY_MS
        if (every > 0) {
          const timer = setInterval(() => {
            void this.discover().then(ok => { if (ok && c.discoverIntervalMs === 0) clearInterval(timer) })
          }, every)
          this.running.timers.push(timer)
        }
      }
      this.running.timers.push(setInterval(() => { void this.tick() }, c.checkIntervalMs))
      if (c.retentionMs > 0) {
        void this.applyRetention()
        this.running.timers.push(setInterval(() => { void this.applyRetention() }, c.retentionIntervalMs))
      }
      for (const t of this.running.timers) t.unref()
      this._state = 'started'
      this.logger.info({ url: server.url, database: db.description, schema: store.schemaVersion, nodes: [...this.sources.keys()], quorum: c.quorum, deadlineMs: c.deadlineMs }, 'monitor started')
    } catch (err) {
      for (const s of this.sources.values()) await s.stop().catch(() => {})
      this.sources.clear()
      if (this.running.code === 'started') for (const t of this.running.timers) clearInterval(t)
      await server?.close().catch(() => {})
      await alerts?.stop().catch(() => {})
      await store?.close().catch(() => {})
      lock?.release()
      this.running = { code: 'stopped' }
      this._state = 'stopped'
      throw err
    }
  }

  /** Stops the sources, the timers, the server and the database, in that order. Safe to call twice. */
  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      if (this.running.code !== 'started') return
      this._state = 'stopping'
      const r = this.running
      for (const t of r.timers) clearInterval(t)
      await Promise.all([...this.sources.values()].map(async s => { await s.stop() }))
      await r.alerts.stop()
      await r.server.close()
      await r.store.close()
      r.lock?.release()
      this.running = { code: 'stopped' }
      this._state = 'stopped'
      this.logger.info('monitor stopped')
    })()
    await this.stopping
  }

  /** Watches one more node (idempotent per URL). */
  addSource (url: string): NodeSource {
    const key = url.replace(/\/+$/, '')
    const existing = this.sources.get(key)
    if (existing !== undefined) return existing
    const r = this.running
    if (r.code !== 'started') throw new Error('the monitor is not running')
    const source = new NodeSource({
      url: key,
      store: r.store,
      metrics: this.metrics,
      logger: this.logger,
      alerts: r.alerts,
      requestTimeoutMs: this.config.requestTimeoutMs,
      reconnectMaxMs: this.config.reconnectMaxMs,
      fetch: this.init.fetch,
      onState: (s) => {
        if (s.state !== 'connecting') this.attempted.add(s)
        this.countNodes()
      },
      onIngest: (result) => {
        if (result.touched.length > 0 && this.running.code === 'started') {
          void this.running.quorum.recheckMissed(result.touched).catch((err: unknown) => this.dbFailed(err, 'quorum recheck'))
        }
      }
    })
    this.sources.set(key, source)
    source.start()
    this.countNodes()
    return source
  }

  /** Registers writes the organisation expects proofs for; resolves with how many were new. */
  async registerWrites (writes: readonly ExpectedWrite[]): Promise<number> {
    const added = await this.store.registerWrites(writes, Date.now())
    this.logger.info({ registered: writes.length, new: added }, 'writes registered')
    return added
  }

  /** A report's data for one framework and period, with this monitor's quorum settings. */
  async report (req: { framework: Framework, from: number, to: number }): Promise<ComplianceReport> {
    return await buildReport(this.store, { ...req, quorum: this.config.quorum, deadlineMs: this.config.deadlineMs })
  }

  /** One quorum pass now (the timer runs them too); waits for readiness like the timer. */
  async checkQuorum (): Promise<void> {
    if (this.running.code !== 'started' || !this.ready) return
    await this.running.quorum.check()
  }

  /** What `/health` answers. */
  async health (): Promise<MonitorHealth> {
    const nodes = [...this.sources.values()].map(s => ({ url: s.url, node_id: s.nodeId, state: s.state, enclave: s.enclave, jurisdiction: s.jurisdiction, last_cycle: s.newestCycle, unreachable_since: s.unreachableSince }))
    const unresolved = this.unresolved.map(p => ({ node_id: p.nodeId, reason: p.reason, candidates: p.candidates }))
    if (this.running.code !== 'started') {
      return { status: this._state === 'stopping' ? 'stopping' : 'starting', ready: false, database: { kind: '-', location: '-', schema: 0, ok: false }, quorum: this.config.quorum, deadline_ms: this.config.deadlineMs, nodes, unresolved, alerts_queued: 0 }
    }
    const r = this.running
    let ok = true
    let error: string | undefined
    let counts: Record<string, number> | undefined
    try {
      counts = await r.store.counts()
    } catch (err) {
      ok = false
      error = (err as Error).message
    }
    const allSynced = nodes.every(n => n.state === 'synced') && unresolved.length === 0
    return {
      status: !ok ? 'unavailable' : allSynced ? 'ok' : 'degraded',
      ready: this.ready,
      database: { kind: r.store.db.kind, location: r.store.db.description, schema: r.store.schemaVersion, ok, ...(error !== undefined ? { error } : {}) },
      quorum: this.config.quorum,
      deadline_ms: this.config.deadlineMs,
      nodes,
      unresolved,
      ...(counts !== undefined ? { counts } : {}),
      alerts_queued: r.alerts.queued
    }
  }

  /** The scope rule's view of the watched nodes. */
  private async scopeNodes (): Promise<ScopeNode[]> {
    const watched = new Map([...this.sources.values()].filter(s => s.nodeId !== undefined).map(s => [s.nodeId as string, s]))
    const rows = await this.store.nodes()
    return rows.filter(n => watched.has(n.nodeId)).map(n => ({
      nodeId: n.nodeId,
      enclave: n.enclave,
      jurisdiction: n.jurisdiction,
      firstSeen: n.firstSeen,
      coveredFrom: n.firstCycle !== undefined && n.cycleMs !== undefined ? n.firstCycle * n.cycleMs : undefined
    }))
  }

  private countNodes (): void {
    const counts = { connecting: 0, synced: 0, down: 0 }
    for (const s of this.sources.values()) counts[s.state]++
    for (const [state, n] of Object.entries(counts)) this.metrics.nodes.set({ state }, n)
  }

  private async tick (): Promise<void> {
    if (this.running.code !== 'started') return
    try {
      for (const s of this.sources.values()) await s.checkOutage()
      await this.checkQuorum()
    } catch (err) {
      this.dbFailed(err, 'quorum check')
    }
  }

  private dbFailed (err: unknown, what: string): void {
    this.metrics.dbErrors.inc()
    this.logger.error({ err: (err as Error)?.message, what }, 'monitor database operation failed')
  }

  /** Reads the seed's topology and watches every peer whose HTTP URL resolves. Resolves false when the topology could not be read. */
  private async discover (): Promise<boolean> {
    const seed = this.config.discover
    if (seed === undefined || this.running.code !== 'started') return false
    try {
      const found = await discoverNodes(seed, this.config.discoverUrlTemplate, { timeoutMs: this.config.requestTimeoutMs, fetch: this.init.fetch === undefined ? undefined : this.doFetch })
      if (this.running.code !== 'started') return false
      for (const p of found.peers) if (p.url !== undefined) this.addSource(p.url)
      const before = new Set(this.unresolved.map(p => p.nodeId))
      this.unresolved = found.peers.filter(p => p.url === undefined)
      for (const p of this.unresolved) {
        if (!before.has(p.nodeId)) this.logger.warn({ nodeId: p.nodeId, candidates: p.candidates, reason: p.reason }, 'peer not reachable over HTTP: not watched')
      }
      return true
    } catch (err) {
      this.logger.warn({ seed, err: errorText(err) }, 'topology discovery failed')
      return false
    }
  }

  /** Deletes rows older than the retention. */
  private async applyRetention (): Promise<void> {
    if (this.running.code !== 'started' || this.config.retentionMs <= 0) return
    try {
      const deleted = await this.running.store.deleteOlderThan(Date.now() - this.config.retentionMs)
      for (const [table, n] of Object.entries(deleted)) if (n > 0) this.metrics.retentionDeleted.inc({ table }, n)
      if (Object.values(deleted).some(n => n > 0)) this.logger.info({ deleted, retentionMs: this.config.retentionMs }, 'retention applied')
    } catch (err) {
      this.dbFailed(err, 'retention')
    }
  }
}
