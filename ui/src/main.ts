/**
 * The dashboard page (issue 18 §4), served by the node at `/ui/`. Polls the node's public
 * API and its sample ring, watches `/v1/watch`, and draws everything with plain DOM and
 * inline SVG. No framework, no inline script or style (the page's CSP forbids both).
 */
import { ApiError } from './api.js'
import { refreshAttestations } from './attestations.js'
import { byId } from './dom.js'
import { initFeed } from './feed.js'
import { initKeys } from './keys.js'
import { refreshCharts, refreshStatus } from './overview.js'
import { refreshPeers } from './peers.js'

/** How often each part is refreshed, ms. */
export const POLL_MS = { status: 3000, peers: 3000, charts: 5000, attestations: 10_000 }

function connection (ok: boolean, why = ''): void {
  const c = byId('conn')
  c.textContent = ok ? 'connected' : `node unreachable${why === '' ? '' : `: ${why}`}`
  c.className = `badge ${ok ? 'ok' : 'bad'}`
}

/**
 * Runs `fn` now and then every `ms` after it finishes (never two at once), skipping
 * turns while the tab is hidden. A failure is shown, not thrown: the page keeps polling.
 */
function every (ms: number, fn: () => Promise<unknown>, onError: (err: unknown) => void): void {
  const run = async (): Promise<void> => {
    if (!document.hidden) {
      try { await fn() } catch (err) { onError(err) }
    }
    setTimeout(() => { void run() }, ms)
  }
  void run()
}

const why = (err: unknown): string => err instanceof ApiError ? err.message : 'no answer'

function start (): void {
  every(POLL_MS.status, async () => { await refreshStatus(); connection(true) }, (err) => { connection(false, why(err)) })
  every(POLL_MS.peers, refreshPeers, () => {})
  every(POLL_MS.charts, refreshCharts, () => {})
  every(POLL_MS.attestations, refreshAttestations, (err) => { byId('att-meta').textContent = `cannot read attestations: ${why(err)}` })
  initKeys()
  initFeed()
  document.addEventListener('visibilitychange', () => { if (!document.hidden) { void refreshStatus().then(() => connection(true), (err) => connection(false, why(err))) } })
}

start()
