/** The header, the overview tiles (`GET /v1/status`) and the charts (`GET /ui/api/samples`). */
import { getJson, type Samples, type Status } from './api.js'
import { drawChart } from './chart.js'
import { byId, setText } from './dom.js'
import { formatBytes, formatCount, formatDuration } from './format.js'

/** Shows the node's status; throws when the node cannot be read (the caller shows that). */
export async function refreshStatus (): Promise<Status> {
  const s = await getJson<Status>('../v1/status')
  setText('node-id', s.node_id)
  setText('node-meta', `v${s.version} · ${s.network} · enclave ${s.enclave} · replication ${s.replication}`)
  setText('ov-records', formatCount(s.records))
  setText('ov-bytes', formatBytes(s.bytes))
  setText('ov-capacity', s.capacity_bytes > 0 ? `of ${formatBytes(s.capacity_bytes)} (${(100 * s.bytes / s.capacity_bytes).toFixed(1)}%)` : '')
  setText('ov-peers', formatCount(s.peers))
  setText('ov-uptime', formatDuration(s.uptime_seconds))
  setText('ov-memory', formatBytes(s.memory.rss))
  return s
}

/** Draws the three charts from the node's sample ring. */
export async function refreshCharts (): Promise<void> {
  const r = await getJson<Samples>('api/samples')
  const windowMs = r.interval_ms * r.retained
  const now = r.samples.at(-1)?.t ?? Date.now()
  setText('charts-span', `(${formatDuration(windowMs / 1000)}, a sample every ${r.interval_ms < 1000 ? `${r.interval_ms} ms` : formatDuration(r.interval_ms / 1000)})`)
  const pts = (f: (s: Samples['samples'][number]) => number | null): Array<[number, number | null]> => r.samples.map(s => [s.t, f(s)])
  drawChart(byId('chart-records'), [{ cls: 's-records', points: pts(s => s.records) }], { windowMs, now, format: v => formatCount(v, true), area: true })
  drawChart(byId('chart-bytes'), [{ cls: 's-bytes', points: pts(s => s.bytes) }], { windowMs, now, format: v => formatBytes(v).replace(' ', ''), area: true })
  drawChart(byId('chart-requests'), [
    { cls: 's-reads', points: pts(s => s.rates?.reads ?? null) },
    { cls: 's-writes', points: pts(s => s.rates?.writes ?? null) },
    { cls: 's-other', points: pts(s => s.rates?.other ?? null) },
    { cls: 's-errors', points: pts(s => s.rates?.errors ?? null) }
  ], { windowMs, now, format: v => formatCount(v, true) })
}
