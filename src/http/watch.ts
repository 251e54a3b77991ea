/**
 * `GET /v1/watch?prefix=P[&values=true]`: the node's changes as Server-Sent Events.
 *
 * - `ready` first (its id is the resume point at subscription), then `stored` and
 *   `expired` events, each with an id `<boot>-<n>`; `gap` right after `ready` when a
 *   `Last-Event-ID` (header, or `last_event_id` in the query for clients that cannot set
 *   headers) could not be resumed from.
 * - A slow consumer (more than `watchQueueBytes` unsent) gets a final `overflow` event
 *   and is closed: it reconnects with its last id and resumes from the node's buffer.
 * - Idle streams get a comment line every `watchHeartbeatMs`.
 * - Bounded: `watchMaxPerIp` streams per client IP (429), `watchMaxClients` per node (503).
 *
 * @example
 * // curl -N 'http://127.0.0.1:8080/v1/watch?prefix=chat/'
 * // id: 3f2a9c10-0
 * // event: ready
 * // data: {"node_id":"12D3…","prefix":"chat/","values":false}
 */
import type { Hono } from 'hono'
import { Counter, Gauge } from 'prom-client'
import { BadRequestError, RepramError } from '../errors.js'
import { formatEventId, type RepramNode, type WatchDelivery, type WatchSink, type WatchSubscription } from '../node/node.js'
import { clientIp } from './middleware/rate-limit.js'

/** Media type of the stream. */
export const EVENT_STREAM = 'text/event-stream'

/** How long a client waits before reconnecting (the SSE `retry` field), ms. */
export const WATCH_RETRY_MS = 1000

/** Too many open watches from one client IP. */
export class TooManyWatchesError extends RepramError {
  constructor (max: number) { super(`at most ${max} open watch streams per client`, 'too_many_watches', 429); this.name = 'TooManyWatchesError' }
}

/** The node holds as many watch streams as it may. */
export class WatchCapacityError extends RepramError {
  constructor (max: number) { super(`this node serves at most ${max} watch streams; try again later or another node`, 'watch_capacity', 503); this.name = 'WatchCapacityError' }
}

/** The open streams of one app, so a drain can end them. */
export interface WatchRoutes {
  /** Open streams now. */
  readonly open: number
  /** Ends every stream (shutdown). */
  closeAll(): void
}

interface Metrics { streams: Gauge, events: Counter<'event'>, overflows: Counter }

function metricsOf (node: RepramNode): Metrics {
  const r = node.registry
  const get = <T>(name: string): T | undefined => r.getSingleMetric(name) as T | undefined
  return {
    streams: get<Gauge>('repram_watch_streams') ?? new Gauge({ name: 'repram_watch_streams', help: 'Open GET /v1/watch streams', registers: [r] }),
    events: get<Counter<'event'>>('repram_watch_events_total') ?? new Counter({ name: 'repram_watch_events_total', help: 'Events sent on watch streams, by event type', labelNames: ['event'] as const, registers: [r] }),
    overflows: get<Counter>('repram_watch_overflows_total') ?? new Counter({ name: 'repram_watch_overflows_total', help: 'Watch streams closed because the client read too slowly (overflow)', registers: [r] })
  }
}

const enc = new TextEncoder()

/** One SSE frame. Data is one line of JSON (JSON never holds a raw newline). */
function frame (event: string, data: unknown, id?: string): Uint8Array {
  return enc.encode(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
}

/** The JSON of a change: the record's facts, the value base64 when carried. */
export function eventData (e: WatchDelivery): Record<string, unknown> {
  if (e.type === 'expired') return { key: e.key, writeId: e.writeId, expiresAt: e.expiresAt }
  const out: Record<string, unknown> = { key: e.key, writeId: e.writeId, createdAt: e.createdAt, expiresAt: e.expiresAt, size: e.size }
  if (e.value !== undefined) out.value = Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength).toString('base64')
  if (e.valueOmitted !== undefined) out.valueOmitted = e.valueOmitted
  return out
}

function parseBool (raw: string | undefined, name: string): boolean {
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false
  if (raw === 'true' || raw === '1') return true
  throw new BadRequestError(`${name} must be true or false`, `invalid_${name}`)
}

/** Adds `GET /v1/watch` to `app`. Errors are thrown as RepramError for the app's onError. */
export function mountWatchRoutes (app: Hono, node: RepramNode, opts: { trustProxy: boolean }): WatchRoutes {
  const config = node.config
  const metrics = metricsOf(node)
  const perIp = new Map<string, number>()
  const streams = new Set<{ heartbeat: () => void, end: () => void }>()
  let timer: NodeJS.Timeout | undefined

  const beat = (): void => { for (const s of streams) s.heartbeat() }
  const track = (s: { heartbeat: () => void, end: () => void }, add: boolean): void => {
    if (add) streams.add(s)
    else streams.delete(s)
    metrics.streams.set(streams.size)
    if (streams.size > 0 && timer === undefined) {
      timer = setInterval(beat, config.watchHeartbeatMs)
      timer.unref()
    } else if (streams.size === 0 && timer !== undefined) {
      clearInterval(timer)
      timer = undefined
    }
  }

  app.get('/v1/watch', async (c) => {
    if (config.watchMaxClients === 0 || config.watchMaxPerIp === 0) {
      return c.json({ error: 'not_found', message: 'watch is turned off on this node (REPRAM_WATCH_MAX_CLIENTS / REPRAM_WATCH_MAX_PER_IP is 0)' }, 404)
    }
    const prefix = c.req.query('prefix') ?? ''
    const values = parseBool(c.req.query('values'), 'values')
    const lastEventId = c.req.header('last-event-id') ?? c.req.query('last_event_id')
    const ip = clientIp(c, opts.trustProxy)
    const mine = perIp.get(ip) ?? 0
    if (mine >= config.watchMaxPerIp) throw new TooManyWatchesError(config.watchMaxPerIp)
    if (streams.size >= config.watchMaxClients) throw new WatchCapacityError(config.watchMaxClients)

    let sub: WatchSubscription | undefined
    let ctl: ReadableStreamDefaultController<Uint8Array> | undefined
    let closed = false
    let boot = ''
    const entry = {
      heartbeat: () => {
        // A full queue is a slow reader: the next event will end it; a comment would only add to it.
        if (ctl !== undefined && !closed && (ctl.desiredSize ?? 0) > 0) ctl.enqueue(enc.encode(': keep-alive\n\n'))
      },
      end: () => finish(true)
    }
    const finish = (closeStream: boolean): void => {
      if (closed) return
      closed = true
      sub?.close()
      const left = (perIp.get(ip) ?? 1) - 1
      if (left <= 0) perIp.delete(ip)
      else perIp.set(ip, left)
      track(entry, false)
      if (closeStream) {
        try { ctl?.close() } catch { /* already closed or cancelled */ }
      }
    }
    // Counted before subscribing, so concurrent requests cannot pass the caps together.
    perIp.set(ip, mine + 1)
    track(entry, true)

    const sink: WatchSink = {
      deliver: (e) => {
        if (closed || ctl === undefined) return true
        const bytes = frame(e.type, eventData(e), formatEventId(boot, e.seq))
        if ((ctl.desiredSize ?? 0) < bytes.byteLength) return false
        ctl.enqueue(bytes)
        metrics.events.inc({ event: e.type })
        return true
      },
      end: (reason) => {
        if (closed || ctl === undefined) return
        if (reason === 'overflow') {
          metrics.overflows.inc()
          ctl.enqueue(frame('overflow', { message: `this client read too slowly (over ${config.watchQueueBytes} bytes unsent); reconnect with Last-Event-ID to resume` }))
        }
        finish(true)
      }
    }
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => { ctl = controller },
      cancel: () => finish(false)
    }, { highWaterMark: config.watchQueueBytes, size: (chunk) => chunk.byteLength })

    try {
      // Replayed events, and live ones the hub handles before this resumes, arrive before
      // `ready` is queued: they wait here (deliver() needs the boot id) and follow `ready`.
      const early: WatchDelivery[] = []
      let live = false
      sub = await node.watch({ prefix, values, lastEventId }, {
        deliver: (e) => {
          if (live) return sink.deliver(e)
          early.push(e)
          return early.length <= 10_000
        },
        end: (reason) => sink.end(reason)
      })
      boot = sub.lastEventId.slice(0, sub.lastEventId.lastIndexOf('-'))
      const c0 = ctl as ReadableStreamDefaultController<Uint8Array>
      c0.enqueue(enc.encode(`retry: ${WATCH_RETRY_MS}\n`))
      // `ready` carries the resume point only when nothing is queued behind it; otherwise the
      // queued events carry their own ids, and a client that drops now resumes from its last.
      const replayed = early.splice(0)
      c0.enqueue(frame('ready', { node_id: node.nodeId, prefix, values }, replayed.length > 0 ? undefined : sub.lastEventId))
      if (sub.gap) c0.enqueue(frame('gap', { message: 'events were missed: the resume point is older than this node\'s buffer, or from another node or run', resumed_from: lastEventId }))
      live = true
      for (const e of replayed) {
        if (!sink.deliver(e)) { sink.end('overflow'); break }
      }
    } catch (err) {
      finish(false)
      throw err
    }
    return new Response(body, {
      status: 200,
      headers: {
        'Content-Type': `${EVENT_STREAM}; charset=utf-8`,
        'X-Accel-Buffering': 'no'
      }
    })
  })

  app.all('/v1/watch', (c) => {
    c.header('Allow', 'GET, HEAD, OPTIONS')
    return c.json({ error: 'method_not_allowed', message: `${c.req.method} is not allowed here; allowed: GET, HEAD, OPTIONS` }, 405)
  })

  return {
    get open () { return streams.size },
    closeAll () { for (const s of [...streams]) s.end() }
  }
}
