/**
 * Following a node's changes: `GET /v1/watch` (Server-Sent Events) read over `fetch`, so
 * it runs the same in Node and in browsers (and can send `Last-Event-ID`, which a browser
 * `EventSource` cannot on its first connection). Used through {@link RepramClient.watch}.
 *
 * The watch reconnects by itself after a dropped connection, a node restart, a 5xx or an
 * `overflow` (it read too slowly), moving to the next node URL on failure, and resumes from
 * the last event it saw; when the node can no longer replay from there the handler gets a
 * `gap` event, so missed changes are never silent.
 */
import { fromBase64 } from './encoding.js'
import { ProtocolError, type RepramHttpError } from './errors.js'

/** A change under the watched prefix. */
export type WatchEvent =
  | { type: 'stored', id: string, key: string, writeId: string, createdAt: number, expiresAt: number, size: number, value?: Uint8Array, valueOmitted?: 'too_large' | 'replayed' }
  | { type: 'expired', id: string, key: string, writeId: string, expiresAt: number }
  /** Changes were missed (the node could not replay from the last event seen: too old, another node, or a restart). */
  | { type: 'gap', message: string }

/** Options of {@link RepramClient.watch}. */
export interface WatchOptions {
  /** Carry values (up to the node's `watchValueMaxBytes`) in `stored` events. @default false */
  values?: boolean
  /** Resume after this event id (from an earlier watch's `lastEventId`). */
  lastEventId?: string
  /** Ends the watch when aborted. */
  signal?: AbortSignal
  /** Reconnect after a drop, a 5xx or an overflow. @default true */
  reconnect?: boolean
  /** Longest wait between reconnection attempts, ms (the wait doubles from the node's `retry`). @default 30000 */
  maxReconnectDelayMs?: number
  /** Told each time the connection drops and a reconnection is planned (for logs; never required). */
  onReconnect?: (reason: string, delayMs: number) => void
}

/** A running watch. */
export interface WatchHandle {
  /** Resolves once the first connection is subscribed (events from then on are delivered). */
  readonly ready: Promise<void>
  /** Resolves when the watch ends by `close()` or the signal; rejects with the error that stopped it (a 4xx, a handler that threw, or a drop with `reconnect: false`). */
  readonly closed: Promise<void>
  /** The id of the last event seen: pass it as `lastEventId` to resume later. */
  readonly lastEventId: string | undefined
  /** Ends the watch. */
  close(): void
}

/** What a watch needs from its client (passed in, so this module does not import the client). */
export interface WatchTransport {
  urls: readonly string[]
  /** Index of the URL to start with. */
  preferred: number
  fetch: (input: string, init: RequestInit) => Promise<Response>
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  errorFor: (status: number, code: string, message: string, url: string, retryAfterMs?: number) => RepramHttpError
  parseRetryAfter: (value: string | null) => number | undefined
}

/** One parsed SSE event. */
export interface SseEvent { event: string, data: string, id?: string, retry?: number }

/**
 * Incremental Server-Sent Events parser (the WHATWG event-stream rules: `event`, `data`,
 * `id`, `retry` fields; comments; CRLF, CR or LF line ends). Feed it decoded text in any
 * chunking; it returns the events completed by each chunk.
 */
export class SseParser {
  private buffer = ''
  private event = ''
  private data: string[] = []
  private id: string | undefined
  private retry: number | undefined
  private sawCr = false

  feed (text: string): SseEvent[] {
    const out: SseEvent[] = []
    let s = this.buffer + text
    // A CR at the end of the last chunk already ended its line; an LF right after it is part of that end.
    if (this.sawCr && s.startsWith('\n')) s = s.slice(1)
    this.sawCr = false
    let start = 0
    for (let i = 0; i < s.length; i++) {
      const ch = s.charCodeAt(i)
      if (ch !== 10 && ch !== 13) continue
      this.line(s.slice(start, i), out)
      if (ch === 13) {
        if (i + 1 < s.length) { if (s.charCodeAt(i + 1) === 10) i++ } else this.sawCr = true
      }
      start = i + 1
    }
    this.buffer = s.slice(start)
    return out
  }

  private line (line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0 || this.event !== '') {
        out.push({ event: this.event === '' ? 'message' : this.event, data: this.data.join('\n'), id: this.id, retry: this.retry })
      }
      this.event = ''
      this.data = []
      this.id = undefined
      this.retry = undefined
      return
    }
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    switch (field) {
      case 'event': this.event = value; break
      case 'data': this.data.push(value); break
      case 'id': if (!value.includes('\0')) this.id = value; break
      case 'retry': if (/^\d+$/.test(value)) this.retry = Number(value); break
    }
  }
}

/** Turns one `stored`/`expired`/`gap` SSE event into a {@link WatchEvent}; undefined for others. */
export function toWatchEvent (e: SseEvent): WatchEvent | undefined {
  if (e.event !== 'stored' && e.event !== 'expired' && e.event !== 'gap') return undefined
  let d: Record<string, unknown>
  try {
    d = JSON.parse(e.data) as Record<string, unknown>
  } catch {
    throw new ProtocolError(`the node sent a ${e.event} event whose data is not JSON`)
  }
  if (e.event === 'gap') return { type: 'gap', message: typeof d.message === 'string' ? d.message : 'events were missed' }
  if (typeof d.key !== 'string' || typeof d.writeId !== 'string' || typeof d.expiresAt !== 'number' || e.id === undefined) {
    throw new ProtocolError(`the node sent a malformed ${e.event} event`)
  }
  if (e.event === 'expired') return { type: 'expired', id: e.id, key: d.key, writeId: d.writeId, expiresAt: d.expiresAt }
  const ev: WatchEvent = { type: 'stored', id: e.id, key: d.key, writeId: d.writeId, createdAt: Number(d.createdAt), expiresAt: d.expiresAt, size: Number(d.size) }
  if (typeof d.value === 'string') ev.value = fromBase64(d.value)
  if (d.valueOmitted === 'too_large' || d.valueOmitted === 'replayed') ev.valueOmitted = d.valueOmitted
  return ev
}

class Stop extends Error {}

/** Runs a watch over `t` (see {@link RepramClient.watch}). */
export function startWatch (t: WatchTransport, prefix: string, handler: (e: WatchEvent) => void | Promise<void>, opts: WatchOptions = {}): WatchHandle {
  const abort = new AbortController()
  const onOuterAbort = (): void => abort.abort(new Stop())
  if (opts.signal?.aborted === true) abort.abort(new Stop())
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true })
  const maxDelay = opts.maxReconnectDelayMs ?? 30_000
  let lastEventId = opts.lastEventId
  let markReady!: () => void
  let failReady!: (err: unknown) => void
  const ready = new Promise<void>((resolve, reject) => { markReady = resolve; failReady = reject })
  ready.catch(() => {})
  let isReady = false
  let index = t.preferred

  /** One connection: resolves when the stream ends (with why), throws on a final error. */
  const connect = async (base: string): Promise<{ reason: string, retry?: number, hold?: number }> => {
    const q = new URLSearchParams({ prefix })
    if (opts.values === true) q.set('values', 'true')
    const headers: Record<string, string> = { Accept: 'text/event-stream' }
    if (lastEventId !== undefined) headers['Last-Event-ID'] = lastEventId
    const url = `${base}/v1/watch?${q.toString()}`
    const res = await t.fetch(url, { method: 'GET', headers, signal: abort.signal, cache: 'no-store' })
    if (res.status !== 200) {
      const text = await res.text().catch(() => '')
      let code = `http_${res.status}`
      let message = `HTTP ${res.status}`
      try {
        const body = JSON.parse(text) as { error?: unknown, message?: unknown }
        if (typeof body.error === 'string') code = body.error
        if (typeof body.message === 'string') message = body.message
      } catch { /* not a JSON error body */ }
      const retryAfter = t.parseRetryAfter(res.headers.get('retry-after'))
      const err = t.errorFor(res.status, code, message, base, retryAfter)
      // 429 and 5xx pass; any other answer would be the same next time.
      if (res.status === 429 || res.status >= 500) return { reason: `HTTP ${res.status} ${code}`, hold: retryAfter }
      throw err
    }
    if (res.body === null) throw new ProtocolError('the watch answer has no body')
    const parser = new SseParser()
    const decoder = new TextDecoder()
    const reader = res.body.getReader()
    let retry: number | undefined
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return { reason: 'the node ended the stream', retry }
        for (const e of parser.feed(decoder.decode(value, { stream: true }))) {
          if (e.retry !== undefined) retry = e.retry
          if (e.event === 'ready') {
            if (e.id !== undefined) lastEventId = e.id
            if (!isReady) { isReady = true; markReady() }
            index = t.urls.indexOf(base)
            continue
          }
          if (e.event === 'overflow') return { reason: 'overflow: this watch read too slowly', retry }
          const ev = toWatchEvent(e)
          if (ev === undefined) continue
          if (ev.type !== 'gap') lastEventId = ev.id
          await handler(ev)
        }
      }
    } finally {
      reader.cancel().catch(() => {})
    }
  }

  const run = async (): Promise<void> => {
    let failures = 0
    for (;;) {
      if (abort.signal.aborted) return
      const base = t.urls[index % t.urls.length]
      let outcome: { reason: string, retry?: number, hold?: number }
      try {
        outcome = await connect(base)
        if (isReady) failures = 0
      } catch (err) {
        if (abort.signal.aborted) return
        // A network error: try the next node. Anything else (4xx, protocol, handler) is final.
        if (!(err instanceof TypeError)) throw err
        outcome = { reason: `could not reach ${base}: ${err.message}` }
        index++
      }
      if (abort.signal.aborted) return
      if (opts.reconnect === false) throw new ProtocolError(`the watch ended: ${outcome.reason}`)
      failures++
      const delay = outcome.hold ?? Math.min(maxDelay, (outcome.retry ?? 1000) * 2 ** Math.max(0, failures - 1))
      opts.onReconnect?.(outcome.reason, delay)
      try {
        await t.sleep(delay, abort.signal)
      } catch {
        return
      }
    }
  }

  const closed = run().then(() => {
    if (!isReady) failReady(new ProtocolError('the watch was closed before it was ready'))
  }, (err: unknown) => {
    abort.abort(new Stop())
    if (!isReady) failReady(err)
    throw err
  }).finally(() => opts.signal?.removeEventListener('abort', onOuterAbort))
  // Awaiting `closed` is how a caller learns why a watch stopped; not awaiting it is no crash.
  closed.catch(() => {})

  return {
    ready,
    closed,
    get lastEventId () { return lastEventId },
    close: () => abort.abort(new Stop())
  }
}
