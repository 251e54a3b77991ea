/**
 * Pure formatting for the dashboard: sizes, durations, ids, and how a value is shown
 * (text when it is UTF-8, else a hex dump). No DOM here, so Node tests run it too.
 */

/** `1536` → `1.5 KiB`. */
export function formatBytes (n: number): string {
  if (!Number.isFinite(n)) return '–'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = 0
  while (Math.abs(v) >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`
}

/** A count with thousands separators, or a short form (`12.3k`) for chart ticks. */
export function formatCount (n: number, short = false): string {
  if (!Number.isFinite(n)) return '–'
  if (short) {
    const a = Math.abs(n)
    if (a >= 1e9) return `${+(n / 1e9).toFixed(1)}G`
    if (a >= 1e6) return `${+(n / 1e6).toFixed(1)}M`
    if (a >= 1e4) return `${+(n / 1e3).toFixed(1)}k`
    return a < 10 && !Number.isInteger(n) ? `${+n.toFixed(2)}` : `${+n.toFixed(1)}`
  }
  return Math.round(n).toLocaleString('en-US')
}

/** Seconds as `1h 02m`, `4m 05s`, `12s`. */
export function formatDuration (seconds: number): string {
  if (!Number.isFinite(seconds)) return '–'
  const s = Math.max(0, Math.floor(seconds))
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  const pad = (x: number): string => String(x).padStart(2, '0')
  if (d > 0) return `${d}d ${pad(h)}h`
  if (h > 0) return `${h}h ${pad(m)}m`
  if (m > 0) return `${m}m ${pad(sec)}s`
  return `${sec}s`
}

/** A clock time `HH:MM:SS` (local) of an epoch-ms instant. */
export function formatTime (ms: number): string {
  const d = new Date(ms)
  const pad = (x: number): string => String(x).padStart(2, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** How long ago `ms` was, relative to `now`: `3s ago`. */
export function formatAgo (ms: number, now: number): string {
  return `${formatDuration((now - ms) / 1000)} ago`
}

/** A peer id shortened for a table cell: `12D3Koo…x7Yq`. */
export function shortId (id: string): string {
  return id.length <= 16 ? id : `${id.slice(0, 8)}…${id.slice(-6)}`
}

/** How a value's bytes are shown. */
export interface ValueView {
  kind: 'text' | 'hex'
  body: string
}

/**
 * Text when the bytes are valid UTF-8 (a cut in the middle of a character at the end
 * of a `truncated` value is allowed), else a hex dump. Control characters stay in the
 * text: the page inserts it as text, so they cannot become markup.
 */
export function viewValue (bytes: Uint8Array, truncated: boolean): ValueView {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: truncated })
    return { kind: 'text', body: text }
  } catch {
    return { kind: 'hex', body: hexDump(bytes) }
  }
}

/** `00000000  68 65 6c 6c 6f …  |hello|`, 16 bytes a line. */
export function hexDump (bytes: Uint8Array): string {
  const lines: string[] = []
  for (let off = 0; off < bytes.length; off += 16) {
    const chunk = bytes.subarray(off, off + 16)
    const hex = Array.from(chunk, b => b.toString(16).padStart(2, '0')).join(' ')
    const ascii = Array.from(chunk, b => b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.').join('')
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${ascii}|`)
  }
  return lines.join('\n')
}

/**
 * The URL path of a key under `/v1/data/`, encoded so the key reaches the node whole
 * (its `/` too). A key that is exactly `.` or `..` has no URL a browser will send (the
 * URL parser resolves it as a path segment, even percent-encoded): undefined.
 */
export function dataPath (key: string): string | undefined {
  if (key === '.' || key === '..') return undefined
  return `../v1/data/${encodeURIComponent(key)}`
}
