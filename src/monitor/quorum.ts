/**
 * The proof quorum: every flagged write the monitor knows of needs valid proofs from k of
 * its n replicas by `expiredAt + deadline`. The rules are pure functions ({@link replicaScope},
 * {@link decideQuorum}) under table tests; {@link QuorumWatch} applies them on a timer and
 * raises one alert per write that misses.
 *
 * How the monitor knows of a write: from the first valid proof of it any node publishes
 * (the proof carries `keyHash`, `writeId`, `createdAt` and `expiredAt`), or because the
 * organisation registered it from its `PUT` answer (`POST /v1/writes`), so that a write
 * no node ever attests is known too.
 *
 * What n is: nodes cannot say which of them held a write, so n is the set of watched nodes
 * in the write's scope (see {@link replicaScope}). REPRAM replicates every write to every
 * member of its enclave, so that set is the write's replicas whenever membership was stable.
 *
 * @example
 * const out = decideQuorum({ quorum: 2, scope: ['A', 'B', 'C'], signers: ['A'] })
 * // { required: 2, expected: 3, signers: 1, met: false, missing: ['B', 'C'] }
 */
import type { Logger } from '../logger.js'
import type { AlertNotifier } from './alerts.js'
import type { MonitorStore, WriteRow } from './db/store.js'
import type { MonitorMetrics } from './metrics.js'

/** A watched node as the scope rule sees it. */
export interface ScopeNode {
  nodeId: string
  enclave?: string
  jurisdiction?: string
  /** When the monitor first reached the node (ms). */
  firstSeen: number
  /** Start of the oldest cycle held of the node (ms), when any. */
  coveredFrom?: number
}

/**
 * The replicas a write is expected to have (its n): the watched nodes
 * - of the write's enclave (when both are known),
 * - of the write's jurisdictions, when it has any (registered with the write, else those
 *   its proofs carry), a node without a declared jurisdiction being outside them,
 * - that the monitor was watching in time: first reached before the write's deadline, or
 *   holding cycles from before its expiry (a monitor started late reads the node's ring).
 * Sorted by node id.
 */
export function replicaScope (write: Pick<WriteRow, 'enclave' | 'expiredAt'> & { jurisdictions?: readonly string[] }, nodes: readonly ScopeNode[], deadlineMs: number): string[] {
  const deadlineAt = write.expiredAt + deadlineMs
  const jur = write.jurisdictions !== undefined && write.jurisdictions.length > 0 ? write.jurisdictions : undefined
  return nodes
    .filter(n => write.enclave === undefined || n.enclave === undefined || n.enclave === write.enclave)
    .filter(n => jur === undefined || (n.jurisdiction !== undefined && jur.includes(n.jurisdiction)))
    .filter(n => n.firstSeen <= deadlineAt || (n.coveredFrom !== undefined && n.coveredFrom <= write.expiredAt))
    .map(n => n.nodeId)
    .sort()
}

/** The quorum setting: k, or `all` (k = n). */
export type QuorumSetting = number | 'all'

/** A quorum decision. */
export interface QuorumOutcome {
  /** k: `all` is n (at least 1). */
  required: number
  /** n: the size of the scope. */
  expected: number
  /** Distinct valid signers (from anywhere). */
  signers: number
  met: boolean
  /** Nodes of the scope that did not attest, sorted. */
  missing: string[]
}

/**
 * Met when at least k distinct nodes signed valid proofs; with `all`, when every node of the
 * scope did (and at least one node signed). A numeric k above n cannot be met by the scope
 * alone: that is reported, not forgiven.
 */
export function decideQuorum (input: { quorum: QuorumSetting, scope: readonly string[], signers: readonly string[] }): QuorumOutcome {
  const signers = new Set(input.signers)
  const missing = input.scope.filter(n => !signers.has(n))
  const expected = input.scope.length
  if (input.quorum === 'all') {
    const required = Math.max(expected, 1)
    return { required, expected, signers: signers.size, met: signers.size >= 1 && missing.length === 0, missing }
  }
  return { required: input.quorum, expected, signers: signers.size, met: signers.size >= input.quorum, missing }
}

/** What the watch asks the monitor about its sources. */
export interface SourceView {
  /** Watched nodes with what the scope rule needs. */
  scopeNodes(): Promise<ScopeNode[]>
  /**
   * Whether the monitor holds all it can of a node right now: true when its stream is
   * synced, or when it has been unreachable longer than its replay window (waiting longer
   * cannot bring anything back). False while a reconnect may still backfill.
   */
  settled(nodeId: string): boolean
  /** The longest replay window among the nodes (ms): how long a decision may wait for a reconnect. */
  maxReplayWindowMs(): number
}

/** Settings and collaborators of {@link QuorumWatch}. */
export interface QuorumWatchInit {
  store: MonitorStore
  alerts: AlertNotifier
  metrics: MonitorMetrics
  logger: Logger
  sources: SourceView
  quorum: QuorumSetting
  deadlineMs: number
  /** @default Date.now */
  now?: () => number
  /** Most writes looked at per check. @default 10000 */
  batch?: number
}

/** Applies the quorum to the writes the monitor knows, one check at a time. */
export class QuorumWatch {
  private readonly now: () => number
  private running: Promise<void> | undefined

  constructor (private readonly init: QuorumWatchInit) {
    this.now = init.now ?? Date.now
  }

  /**
   * One pass: a pending write already met is marked met; a write past its deadline that
   * is not met is marked missed and alerted, unless a node of its scope is still catching
   * up within its replay window (then the decision waits, at most that window). Concurrent
   * calls share one pass.
   */
  async check (): Promise<void> {
    this.running ??= this.pass().finally(() => { this.running = undefined })
    await this.running
  }

  private async pass (): Promise<void> {
    const { store, metrics, sources, deadlineMs } = this.init
    const now = this.now()
    const pending = await store.pendingWithSigners(this.init.batch ?? 10_000)
    const nodes = await sources.scopeNodes()
    const maxWait = sources.maxReplayWindowMs()
    let left = 0
    for (const w of pending) {
      const jurisdictions = w.jurisdictions ?? (w.signerJurisdictions.length > 0 ? w.signerJurisdictions : undefined)
      const scope = replicaScope({ enclave: w.enclave, expiredAt: w.expiredAt, jurisdictions }, nodes, deadlineMs)
      const out = decideQuorum({ quorum: this.init.quorum, scope, signers: w.signerIds })
      const due = now >= w.expiredAt + deadlineMs
      if (out.met) {
        await store.decideWrite({ keyHash: w.keyHash, writeId: w.writeId, status: 'met', ...out, decidedAt: now, alerted: false })
        metrics.decisions.inc({ outcome: 'met' })
        continue
      }
      if (!due) { left++; continue }
      const catchingUp = out.missing.filter(n => !sources.settled(n))
      if (catchingUp.length > 0 && now < w.expiredAt + deadlineMs + maxWait) { left++; continue }
      await store.decideWrite({ keyHash: w.keyHash, writeId: w.writeId, status: 'missed', ...out, decidedAt: now, alerted: true })
      metrics.decisions.inc({ outcome: 'missed' })
      await this.init.alerts.raise({
        kind: 'quorum_missed',
        keyHash: w.keyHash,
        writeId: w.writeId,
        details: {
          createdAt: w.createdAt,
          expiredAt: w.expiredAt,
          deadline: w.expiredAt + deadlineMs,
          quorum: this.init.quorum,
          required: out.required,
          expected: out.expected,
          signers: w.signerIds,
          missing: out.missing,
          unreachable: catchingUp,
          origin: w.origin
        }
      })
    }
    metrics.pending.set(left)
  }

  /**
   * Proofs arrived for these writes: one decided missed that they now meet becomes
   * `met_late` (the alert stays on record).
   */
  async recheckMissed (writes: ReadonlyArray<{ keyHash: string, writeId: string }>): Promise<void> {
    const missed = await this.init.store.missedAmong(writes)
    if (missed.length === 0) return
    const nodes = await this.init.sources.scopeNodes()
    for (const w of missed) {
      const s = await this.init.store.signers(w.keyHash, w.writeId)
      const scope = replicaScope({ enclave: w.enclave, expiredAt: w.expiredAt, jurisdictions: w.jurisdictions ?? (s.jurisdictions.length > 0 ? s.jurisdictions : undefined) }, nodes, this.init.deadlineMs)
      const out = decideQuorum({ quorum: this.init.quorum, scope, signers: s.nodeIds })
      if (!out.met) continue
      await this.init.store.decideWrite({ keyHash: w.keyHash, writeId: w.writeId, status: 'met_late', ...out, decidedAt: this.now(), alerted: false })
      this.init.metrics.decisions.inc({ outcome: 'met_late' })
      this.init.logger.info({ keyHash: w.keyHash, writeId: w.writeId, signers: out.signers }, 'late proofs meet the quorum of a missed write')
    }
  }
}
