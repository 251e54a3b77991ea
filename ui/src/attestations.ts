/** The deletion-attestation cycles, from `GET /v1/attestations` (key hashes only; nothing secret). */
import { getJson, type Attestations } from './api.js'
import { byId, row, setText } from './dom.js'
import { formatDuration, formatTime } from './format.js'

/** Redraws the cycle table, newest first. */
export async function refreshAttestations (): Promise<void> {
  const a = await getJson<Attestations>('../v1/attestations')
  setText('att-meta', `signed by ${a.node_id}${a.ephemeral ? ' (ephemeral identity)' : ''} · a cycle every ${formatDuration(a.cycle_ms / 1000)} · the last ${a.retained_cycles} kept · at most ${a.max_per_cycle} per cycle`)
  const cycles = [...a.cycles].sort((x, y) => y.cycle - x.cycle)
  byId('att-body').replaceChildren(...cycles.map(c => row([
    String(c.cycle), formatTime(c.start), formatTime(c.end), String(c.count), String(c.dropped), c.closed ? 'closed' : 'open'
  ], c.closed ? 'cycle' : 'cycle open')))
}
