/**
 * Alerts of the monitor: each one is stored (the database is the record), logged as one
 * warning line (key hashes only, never keys or values), counted, and, when a webhook is
 * set, POSTed to it as JSON with a timeout and a bounded number of retries. Deliveries
 * run one at a time from a bounded queue; an alert whose delivery was cut short by a stop
 * is sent again at the next start.
 *
 * @example
 * const alerts = new AlertNotifier({ store, metrics, logger, webhook: { url: 'https://hooks.example/repram', timeoutMs: 5000, retries: 3 } })
 * alerts.start()
 * await alerts.raise({ kind: 'quorum_missed', keyHash, writeId, details: { required: 2, signers: 1 } })
 */
import { anySignal } from 'any-signal'
import type { Logger } from '../logger.js'
import { WEBHOOK_BACKOFF_MS, WEBHOOK_QUEUE_MAX } from './constants.js'
import type { AlertRow, MonitorStore } from './db/store.js'
import type { MonitorMetrics } from './metrics.js'

/** What an alert is about. */
export type AlertKind = 'quorum_missed' | 'gap' | 'node_unreachable'

/** An alert to raise. `details` must hold no key and no value: key hashes, ids, counts, times. */
export interface Alert {
  kind: AlertKind
  keyHash?: string
  writeId?: string
  nodeId?: string
  details: Record<string, unknown>
}

/** Where alerts are POSTed. */
export interface WebhookTarget {
  url: string
  timeoutMs: number
  retries: number
  /** First pause between attempts; doubles each time. @default 1000 */
  backoffMs?: number
}

/** The JSON body of a webhook POST. */
export interface AlertEvent {
  type: 'repram.monitor.alert'
  id: number
  kind: AlertKind
  raisedAt: number
  raisedAtIso: string
  keyHash?: string
  writeId?: string
  nodeId?: string
  [detail: string]: unknown
}

/** What the notifier needs. */
export interface AlertNotifierInit {
  store: MonitorStore
  metrics: MonitorMetrics
  logger: Logger
  webhook?: WebhookTarget
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
  /** @default Date.now */
  now?: () => number
}

const MESSAGES: Record<AlertKind, string> = {
  quorum_missed: 'proof quorum missed',
  gap: 'attestation gap',
  node_unreachable: 'node unreachable beyond its replay window'
}

/** Raises, records and delivers alerts. */
export class AlertNotifier {
  private readonly queue: AlertEvent[] = []
  private readonly halt = new AbortController()
  private worker: Promise<void> | undefined
  private wake: (() => void) | undefined
  private started = false
  private readonly now: () => number
  private readonly doFetch: typeof globalThis.fetch

  constructor (private readonly init: AlertNotifierInit) {
    this.now = init.now ?? Date.now
    this.doFetch = init.fetch ?? ((input, opts) => globalThis.fetch(input, opts))
  }

  /** Starts delivering; alerts left pending by a previous run are queued again. */
  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    if (this.init.webhook !== undefined) {
      for (const row of await this.init.store.pendingAlerts()) this.enqueue(eventOf(row))
      this.worker = this.run()
    }
  }

  /** Stops delivering (an attempt in flight is aborted; its alert stays pending for next time). Safe to call twice. */
  async stop (): Promise<void> {
    this.halt.abort()
    this.wake?.()
    await this.worker
  }

  /** Stores, logs, counts and (with a webhook) queues one alert. Resolves with its id. */
  async raise (alert: Alert): Promise<number> {
    const raisedAt = this.now()
    const hook = this.init.webhook !== undefined
    const payload = { ...alert.details }
    const id = await this.init.store.addAlert({ kind: alert.kind, keyHash: alert.keyHash, writeId: alert.writeId, nodeId: alert.nodeId, raisedAt, payload, webhook: hook ? 'pending' : 'none' })
    this.init.metrics.alerts.inc({ kind: alert.kind })
    this.init.logger.warn({ alert: alert.kind, alertId: id, keyHash: alert.keyHash, writeId: alert.writeId, nodeId: alert.nodeId, ...payload }, MESSAGES[alert.kind])
    if (hook) {
      const event = eventOf({ id, kind: alert.kind, keyHash: alert.keyHash, writeId: alert.writeId, nodeId: alert.nodeId, raisedAt, payload, webhook: 'pending', attempts: 0 })
      if (this.queue.length >= WEBHOOK_QUEUE_MAX) {
        this.init.metrics.webhooks.inc({ result: 'dropped' })
        await this.init.store.updateAlert(id, 'dropped', 0)
        this.init.logger.warn({ alertId: id, queued: this.queue.length }, 'webhook queue full: alert kept in the database only')
      } else {
        this.enqueue(event)
      }
    }
    return id
  }

  /** Alerts waiting for delivery. */
  get queued (): number {
    return this.queue.length
  }

  private enqueue (event: AlertEvent): void {
    this.queue.push(event)
    this.wake?.()
  }

  private async run (): Promise<void> {
    const signal = this.halt.signal
    while (!signal.aborted) {
      const event = this.queue.shift()
      if (event === undefined) {
        await new Promise<void>(resolve => { this.wake = resolve })
        this.wake = undefined
        continue
      }
      await this.deliver(event, signal).catch((err: unknown) => {
        this.init.metrics.dbErrors.inc()
        this.init.logger.error({ err: (err as Error)?.message, alertId: event.id }, 'cannot record a webhook delivery')
      })
    }
  }

  /** POSTs one alert, with the retries; records the outcome. */
  private async deliver (event: AlertEvent, halt: AbortSignal): Promise<void> {
    const hook = this.init.webhook as WebhookTarget
    const body = JSON.stringify(event)
    let attempts = 0
    let wait = hook.backoffMs ?? WEBHOOK_BACKOFF_MS
    let lastError = ''
    for (;;) {
      if (halt.aborted) return
      attempts++
      // any-signal, cleared after the attempt: AbortSignal.any over the long-lived halt signal leaks (nodejs/node#55351).
      const bounded = anySignal([AbortSignal.timeout(hook.timeoutMs), halt])
      try {
        const res = await this.doFetch(hook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'repram-monitor' },
          body,
          signal: bounded
        })
        // The body is not needed; reading it frees the connection.
        await res.arrayBuffer().catch(() => {})
        if (res.ok) {
          this.init.metrics.webhooks.inc({ result: 'delivered' })
          await this.init.store.updateAlert(event.id, 'delivered', attempts, this.now())
          return
        }
        lastError = `HTTP ${res.status}`
      } catch (err) {
        if (halt.aborted) return
        lastError = (err as Error)?.name === 'TimeoutError' ? `no answer within ${hook.timeoutMs} ms` : ((err as Error)?.message ?? String(err))
      } finally {
        bounded.clear()
      }
      if (attempts > hook.retries) break
      this.init.metrics.webhooks.inc({ result: 'retried' })
      await sleep(wait, halt)
      wait *= 2
    }
    this.init.metrics.webhooks.inc({ result: 'failed' })
    this.init.logger.warn({ alertId: event.id, attempts, error: lastError }, 'webhook delivery failed')
    await this.init.store.updateAlert(event.id, 'failed', attempts)
  }
}

function eventOf (row: Pick<AlertRow, 'id' | 'kind' | 'keyHash' | 'writeId' | 'nodeId' | 'raisedAt' | 'payload'> & Partial<AlertRow>): AlertEvent {
  const details = (row.payload !== null && typeof row.payload === 'object' ? row.payload : {}) as Record<string, unknown>
  return {
    ...details,
    type: 'repram.monitor.alert',
    id: row.id,
    kind: row.kind as AlertKind,
    raisedAt: row.raisedAt,
    raisedAtIso: new Date(row.raisedAt).toISOString(),
    ...(row.keyHash !== undefined ? { keyHash: row.keyHash } : {}),
    ...(row.writeId !== undefined ? { writeId: row.writeId } : {}),
    ...(row.nodeId !== undefined ? { nodeId: row.nodeId } : {})
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return
  await new Promise<void>(resolve => {
    const t = setTimeout(done, ms)
    function done (): void {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}
