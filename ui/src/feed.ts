/**
 * The live feed: an `EventSource` on `GET /v1/watch?prefix=P`. The browser reconnects by
 * itself after an error or an `overflow` close and sends `Last-Event-ID`, so the node
 * replays what was missed from its buffer (or says `gap`). Keys are inserted as text.
 */
import { byId, el } from './dom.js'
import { formatBytes, formatDuration, formatTime } from './format.js'
import { showValue } from './keys.js'

/** Rows kept in the feed; older ones are dropped. */
export const FEED_MAX_ROWS = 200

let source: EventSource | undefined

/** Wires the form and starts watching every key. */
export function initFeed (): void {
  byId<HTMLFormElement>('feed-form').addEventListener('submit', (e) => {
    e.preventDefault()
    watch(byId<HTMLInputElement>('feed-prefix').value)
  })
  watch('')
}

function status (text: string, cls: '' | 'ok' | 'bad' | 'warn'): void {
  const s = byId('feed-status')
  s.textContent = text
  s.className = `badge ${cls}`.trim()
}

/** (Re)starts the feed on `prefix`. */
function watch (prefix: string): void {
  source?.close()
  byId('feed-list').replaceChildren()
  status('connecting…', '')
  const es = new EventSource(`../v1/watch?${new URLSearchParams({ prefix }).toString()}`)
  source = es
  const label = prefix === '' ? 'every key' : `prefix ${JSON.stringify(prefix)}`
  es.addEventListener('ready', () => { status(`live · ${label}`, 'ok') })
  es.addEventListener('stored', (e) => {
    const d = parse<{ key: string, createdAt: number, expiresAt: number, size: number }>(e)
    if (d !== undefined) add('stored', d.key, `${formatBytes(d.size)} · TTL ${formatDuration((d.expiresAt - d.createdAt) / 1000)}`, d.createdAt)
  })
  es.addEventListener('expired', (e) => {
    const d = parse<{ key: string, expiresAt: number }>(e)
    if (d !== undefined) add('expired', d.key, '', d.expiresAt)
  })
  es.addEventListener('gap', () => { notice('events were missed while disconnected (older than the node keeps)') })
  es.addEventListener('overflow', () => { notice('the feed fell behind; reconnecting') })
  es.addEventListener('error', () => {
    if (source !== es) return
    if (es.readyState === EventSource.CLOSED) status('unavailable on this node', 'bad')
    else status('reconnecting…', 'warn')
  })
}

function parse<T> (e: Event): T | undefined {
  try { return JSON.parse((e as MessageEvent<string>).data) as T } catch { return undefined }
}

function add (type: 'stored' | 'expired', key: string, detail: string, at: number): void {
  const k = el('span', { class: 'key', text: key, title: 'show the value' })
  if (type === 'stored') k.addEventListener('click', () => { void showValue(key) })
  push(el('li', { class: `event ${type}` }, [
    el('span', { class: 'time', text: formatTime(at) }),
    el('span', { class: `type-${type}`, text: type }),
    k,
    el('span', { class: 'muted', text: detail })
  ]))
}

function notice (text: string): void {
  push(el('li', { class: 'notice' }, [el('span', { class: 'time', text: formatTime(Date.now()) }), el('span', { text })]))
}

function push (li: HTMLLIElement): void {
  const list = byId('feed-list')
  list.prepend(li)
  while (list.children.length > FEED_MAX_ROWS) list.lastElementChild?.remove()
}
