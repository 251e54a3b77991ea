/**
 * The key browser: `GET /v1/keys?prefix=&limit=` a page at a time, `HEAD /v1/data/{key}`
 * for each key's TTL facts, and a value only on click, its first 64 KiB, as text when it
 * is UTF-8 else as hex. Keys are anyone's input: they go into the page as text only.
 */
import { ApiError, VALUE_VIEW_MAX_BYTES, getJson, headKey, readValue, type KeyFacts, type KeysPage } from './api.js'
import { byId, el, row } from './dom.js'
import { dataPath, formatBytes, formatDuration, formatTime, viewValue } from './format.js'

/** Keys listed per page (each costs one HEAD). */
export const KEYS_PAGE = 50
/** HEADs in flight at once. */
const HEAD_CONCURRENCY = 6

interface Listed { key: string, facts: KeyFacts | undefined, cells: { remaining: HTMLTableCellElement } }

let listed: Listed[] = []
let cursor: string | undefined
let prefix = ''
let generation = 0

/** Wires the form and the "More" button; lists every key once. */
export function initKeys (): void {
  byId<HTMLFormElement>('keys-form').addEventListener('submit', (e) => {
    e.preventDefault()
    prefix = byId<HTMLInputElement>('keys-prefix').value
    void list(true)
  })
  byId('keys-more').addEventListener('click', () => { void list(false) })
  setInterval(tick, 1000)
  void list(true)
}

/** Lists the first page under the prefix (fresh) or the next one. */
async function list (fresh: boolean): Promise<void> {
  const gen = fresh ? ++generation : generation
  const status = byId('keys-status')
  status.textContent = 'listing…'
  try {
    const q = new URLSearchParams({ prefix, limit: String(KEYS_PAGE) })
    if (!fresh && cursor !== undefined) q.set('cursor', cursor)
    const page = await getJson<KeysPage>(`../v1/keys?${q.toString()}`)
    if (gen !== generation) return
    if (fresh) { listed = []; byId('keys-body').replaceChildren() }
    cursor = page.next_cursor
    const added = page.keys.map(key => addRow(key))
    byId('keys-more').hidden = cursor === undefined
    byId('keys-empty').hidden = listed.length > 0
    status.textContent = `${listed.length} key${listed.length === 1 ? '' : 's'}${cursor === undefined ? '' : ' (more)'}`
    await inBatches(added, HEAD_CONCURRENCY, async (item) => {
      const path = dataPath(item.key)
      item.facts = path === undefined ? undefined : await headKey(path).catch(() => undefined)
      if (gen === generation) fillRow(item)
    })
  } catch (err) {
    status.textContent = `cannot list keys: ${err instanceof ApiError ? err.message : 'node unreachable'}`
  }
}

function addRow (key: string): Listed {
  const remaining = el('td', { class: 'num', text: '…' })
  const item: Listed = { key, facts: undefined, cells: { remaining } }
  const tr = row([el('td', { class: 'key', text: key }), remaining, el('td', { class: 'num' }), el('td', { class: 'num' }), el('td', { class: 'num' })], 'clickable key-row')
  tr.addEventListener('click', () => {
    for (const r of byId('keys-body').querySelectorAll('tr.selected')) r.classList.remove('selected')
    tr.classList.add('selected')
    void showValue(key)
  })
  byId('keys-body').append(tr)
  listed.push(item)
  return item
}

function fillRow (item: Listed): void {
  const tr = item.cells.remaining.parentElement
  if (tr === null) return
  const [, , ttl, size, expires] = Array.from(tr.children)
  if (item.facts === undefined) {
    item.cells.remaining.textContent = dataPath(item.key) === undefined ? 'no URL' : 'gone'
    return
  }
  ttl.textContent = formatDuration(item.facts.originalTtl)
  size.textContent = formatBytes(item.facts.size)
  expires.textContent = formatTime(item.facts.expiresAt)
  renderRemaining(item)
}

function renderRemaining (item: Listed): void {
  const f = item.facts
  if (f === undefined) return
  const left = f.remainingTtl - (performance.now() - f.readAt) / 1000
  item.cells.remaining.textContent = left <= 0 ? 'expired' : formatDuration(left)
}

/** Counts the listed TTLs down once a second, without asking the node. */
function tick (): void {
  for (const item of listed) renderRemaining(item)
}

async function inBatches<T> (items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++])
  }))
}

/** Shows the first 64 KiB of `key`'s value (text or hex). */
export async function showValue (key: string): Promise<void> {
  const view = byId('value-view')
  const meta = byId('value-meta')
  const body = byId('value-body')
  view.hidden = false
  byId('value-key').textContent = key
  body.textContent = ''
  const path = dataPath(key)
  if (path === undefined) {
    meta.textContent = 'A key that is exactly "." or ".." cannot be put in a URL by a browser; read it with the CLI or the SDK.'
    return
  }
  meta.textContent = 'reading…'
  try {
    const v = await readValue(path)
    if (byId('value-key').textContent !== key) return
    if (v === undefined) { meta.textContent = 'gone: the record expired or was never here'; return }
    const shown = viewValue(v.bytes, v.truncated)
    meta.textContent = `${formatBytes(v.total)} · shown as ${shown.kind}${v.truncated ? ` · first ${formatBytes(VALUE_VIEW_MAX_BYTES)} only` : ''}`
    body.textContent = shown.body
    body.dataset.kind = shown.kind
  } catch (err) {
    meta.textContent = `cannot read the value: ${err instanceof ApiError ? err.message : 'node unreachable'}`
  }
}
