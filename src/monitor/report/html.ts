/**
 * The HTML form of an audit report: one self-contained file (inline CSS, inline SVG charts,
 * no script, no external asset, a Content-Security-Policy that forbids loading any), with
 * every value from the database escaped. What a node sent is data, never markup.
 *
 * @example
 * writeFileSync('report.html', renderReportHtml(await buildReport(store, request)))
 */
import { REPORT_HTML_MAX_REJECTED, REPORT_HTML_MAX_WRITES } from '../constants.js'
import type { ComplianceReport, ReportWrite } from './build.js'

/** Escapes text for HTML content and attribute values. */
export function esc (value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}

const iso = (ms: number | undefined): string => ms === undefined ? '–' : new Date(ms).toISOString()
const dur = (ms: number): string => ms % 86_400_000 === 0 ? `${ms / 86_400_000} d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`

const COLORS = { valid: '#2e7d32', rejected: '#c62828', missed: '#ef6c00', metLate: '#f9a825', pending: '#757575', axis: '#999' }

/** A bar chart of proofs per bucket: valid (green) and rejected (red) side by side, missed writes as orange ticks. */
function seriesChart (r: ComplianceReport): string {
  const b = r.series.buckets
  if (b.length === 0) return '<p>No chart: the period holds too many buckets.</p>'
  const W = 760
  const H = 200
  const pad = 36
  const max = Math.max(1, ...b.map(x => Math.max(x.valid, x.rejected, x.missed)))
  const bw = (W - pad - 8) / b.length
  const y = (v: number): number => H - pad - (v / max) * (H - pad - 12)
  const bars = b.map((x, i) => {
    const x0 = pad + i * bw
    const w = Math.max(1, bw / 3 - 1)
    const parts = [
      `<rect x="${(x0).toFixed(1)}" y="${y(x.valid).toFixed(1)}" width="${w.toFixed(1)}" height="${(H - pad - y(x.valid)).toFixed(1)}" fill="${COLORS.valid}"><title>${esc(`${iso(x.start)}: ${x.valid} valid`)}</title></rect>`,
      `<rect x="${(x0 + w + 1).toFixed(1)}" y="${y(x.rejected).toFixed(1)}" width="${w.toFixed(1)}" height="${(H - pad - y(x.rejected)).toFixed(1)}" fill="${COLORS.rejected}"><title>${esc(`${iso(x.start)}: ${x.rejected} rejected`)}</title></rect>`,
      `<rect x="${(x0 + 2 * w + 2).toFixed(1)}" y="${y(x.missed).toFixed(1)}" width="${w.toFixed(1)}" height="${(H - pad - y(x.missed)).toFixed(1)}" fill="${COLORS.missed}"><title>${esc(`${iso(x.start)}: ${x.missed} writes missed the quorum`)}</title></rect>`
    ]
    return parts.join('')
  }).join('')
  const axis = `<line x1="${pad}" y1="${H - pad}" x2="${W - 4}" y2="${H - pad}" stroke="${COLORS.axis}"/><line x1="${pad}" y1="8" x2="${pad}" y2="${H - pad}" stroke="${COLORS.axis}"/>` +
    `<text x="${pad - 4}" y="16" text-anchor="end" font-size="10">${max}</text><text x="${pad - 4}" y="${H - pad}" text-anchor="end" font-size="10">0</text>` +
    `<text x="${pad}" y="${H - pad + 14}" font-size="10">${esc(iso(b[0].start))}</text><text x="${W - 4}" y="${H - pad + 14}" font-size="10" text-anchor="end">${esc(iso(r.period.toMs))}</text>` +
    `<text x="${pad}" y="${H - 6}" font-size="10">bars per ${esc(dur(r.series.bucketMs))}: <tspan fill="${COLORS.valid}">■ valid proofs</tspan> <tspan fill="${COLORS.rejected}">■ rejected proofs</tspan> <tspan fill="${COLORS.missed}">■ writes that missed the quorum</tspan></text>`
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Proofs over time">${axis}${bars}</svg>`
}

/** One horizontal bar: the share of writes met, met late, missed and pending. */
function quorumChart (r: ComplianceReport): string {
  const w = r.summary.writes
  const total = Math.max(1, w.total)
  const W = 760
  let x = 0
  const seg = (n: number, color: string, label: string): string => {
    if (n === 0) return ''
    const width = (n / total) * W
    const s = `<rect x="${x.toFixed(1)}" y="0" width="${width.toFixed(1)}" height="28" fill="${color}"><title>${esc(`${label}: ${n}`)}</title></rect>` +
      (width > 60 ? `<text x="${(x + 6).toFixed(1)}" y="19" font-size="12" fill="#fff">${esc(`${label} ${n}`)}</text>` : '')
    x += width
    return s
  }
  const body = w.total === 0
    ? `<rect x="0" y="0" width="${W}" height="28" fill="#eee"/><text x="6" y="19" font-size="12">no flagged write expired in this period</text>`
    : seg(w.met, COLORS.valid, 'met') + seg(w.metLate, COLORS.metLate, 'met late') + seg(w.missed, COLORS.missed, 'missed') + seg(w.pending, COLORS.pending, 'pending')
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} 28" width="100%" role="img" aria-label="k-of-n status of writes">${body}</svg>`
}

/** A write's life on one line: created → expired → deadline, and a tick per node's deletion. */
function timeline (w: ReportWrite): string {
  const W = 260
  const start = w.createdAt ?? w.expiredAt - 1000
  const end = Math.max(w.deadline, ...w.timeline.map(t => t.deletedAt))
  const span = Math.max(1, end - start)
  const x = (t: number): number => 4 + ((t - start) / span) * (W - 8)
  const ticks = w.timeline.map(t => `<line x1="${x(t.deletedAt).toFixed(1)}" y1="2" x2="${x(t.deletedAt).toFixed(1)}" y2="18" stroke="${t.deletedAt <= w.deadline ? COLORS.valid : COLORS.missed}" stroke-width="2"><title>${esc(`${t.nodeId} deleted at ${iso(t.deletedAt)}`)}</title></line>`).join('')
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} 20" width="${W}" height="20" role="img" aria-label="timeline">` +
    `<rect x="${x(start).toFixed(1)}" y="8" width="${(x(w.expiredAt) - x(start)).toFixed(1)}" height="4" fill="#90caf9"><title>${esc(`live ${iso(w.createdAt)} → ${iso(w.expiredAt)}`)}</title></rect>` +
    `<line x1="${x(w.expiredAt).toFixed(1)}" y1="0" x2="${x(w.expiredAt).toFixed(1)}" y2="20" stroke="#1565c0"><title>${esc(`expired ${iso(w.expiredAt)}`)}</title></line>` +
    `<line x1="${x(w.deadline).toFixed(1)}" y1="0" x2="${x(w.deadline).toFixed(1)}" y2="20" stroke="#555" stroke-dasharray="2,2"><title>${esc(`deadline ${iso(w.deadline)}`)}</title></line>` +
    ticks + '</svg>'
}

const STATUS_LABEL: Record<string, string> = { met: 'met', met_late: 'met late', missed: 'MISSED', pending: 'pending' }

function table (head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map(h => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map(r => `<tr>${r.join('')}</tr>`).join('')}</tbody></table>`
}
const td = (v: unknown, cls = ''): string => `<td${cls !== '' ? ` class="${cls}"` : ''}>${esc(v)}</td>`
const tdHtml = (html: string): string => `<td>${html}</td>`

/** Renders the report as one HTML document. */
export function renderReportHtml (r: ComplianceReport): string {
  const s = r.summary
  const quorum = r.settings.quorum === 'all' ? 'all (k = n)' : String(r.settings.quorum)
  // Writes that need attention first, then the rest by expiry.
  const order: Record<string, number> = { missed: 0, pending: 1, met_late: 2, met: 3 }
  const writes = [...r.writes].sort((a, b) => (order[a.status] - order[b.status]) || a.expiredAt - b.expiredAt)
  const shown = writes.slice(0, REPORT_HTML_MAX_WRITES)
  const rejected = r.rejected.slice(0, REPORT_HTML_MAX_REJECTED)
  const card = (label: string, value: number | string, cls = ''): string => `<div class="card ${cls}"><div class="v">${esc(value)}</div><div class="l">${esc(label)}</div></div>`

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`REPRAM deletion evidence: ${r.framework.name}, ${r.period.from} to ${r.period.to}`)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
.meta{color:#555}.cards{display:flex;flex-wrap:wrap;gap:.6rem}.card{border:1px solid #ddd;border-radius:6px;padding:.5rem .8rem;min-width:8rem}
.card .v{font-size:1.5rem;font-weight:600}.card .l{color:#555;font-size:.85rem}.bad .v{color:${COLORS.rejected}}.warn .v{color:${COLORS.missed}}.good .v{color:${COLORS.valid}}
table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.85rem}th,td{border:1px solid #ddd;padding:.25rem .4rem;text-align:left;vertical-align:top}th{background:#f5f5f5}
td.mono,code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8rem;word-break:break-all}
td.missed{color:${COLORS.missed};font-weight:600}td.met_late{color:#a67c00}td.pending{color:${COLORS.pending}}
blockquote{margin:.4rem 0;padding:.4rem .8rem;border-left:4px solid #90caf9;background:#f7fbff}
pre{background:#f5f5f5;padding:.6rem;overflow-x:auto}.note{color:#555;font-size:.85rem}
</style>
</head>
<body>
<header>
<h1>REPRAM deletion evidence: ${esc(r.framework.name)}</h1>
<p class="meta">Period ${esc(r.period.from)} to ${esc(r.period.to)} (writes by expiry, end excluded) · generated ${esc(r.generatedAt)} by ${esc(r.generator)} · source: ${esc(r.framework.source)}</p>
</header>

<section id="summary">
<h2>Summary</h2>
<div class="cards">
${card('valid proofs', s.proofs.valid, 'good')}${card('rejected proofs', s.proofs.rejected, s.proofs.rejected > 0 ? 'bad' : '')}${card('flagged writes', s.writes.total)}${card('k-of-n met', s.writes.met, 'good')}${card('met late', s.writes.metLate, s.writes.metLate > 0 ? 'warn' : '')}${card('k-of-n missed', s.writes.missed, s.writes.missed > 0 ? 'warn' : '')}${card('pending', s.writes.pending)}${card('signer nodes', s.nodes)}${card('gaps', s.gaps, s.gaps > 0 ? 'warn' : '')}${card('alerts', s.alerts, s.alerts > 0 ? 'warn' : '')}
</div>
<h3>Proofs over time</h3>
${seriesChart(r)}
<h3>Proof quorum of the period's writes</h3>
${quorumChart(r)}
${Object.keys(s.rejectedByReason).length > 0 ? `<p>Rejected proofs by reason: ${Object.entries(s.rejectedByReason).map(([k, v]) => `${esc(k)} ${esc(v)}`).join(', ')}.</p>` : ''}
${s.droppedUnsigned > 0 ? `<p>${esc(s.droppedUnsigned)} flagged expirations in ${esc(s.overflowCycles)} full cycles were not signed by their node (cycle capacity reached): see Gaps.</p>` : ''}
</section>

<section id="controls">
<h2>Controls</h2>
${r.framework.controls.map(c => `<h3>${esc(c.id)}: ${esc(c.title)}</h3>
<blockquote>${esc(c.text)}</blockquote>
<p><strong>Evidence in this report.</strong> ${esc(c.evidence)}</p>
<p><strong>Not covered by this evidence.</strong> ${esc(c.outOfScope)}</p>`).join('\n')}
</section>

<section id="quorum">
<h2>k-of-n status</h2>
<p>Each flagged write must be attested by valid proofs from <strong>k = ${esc(quorum)}</strong> of its <strong>n</strong> replicas within <strong>${esc(dur(r.settings.deadlineMs))}</strong> of its expiry. n counts the watched nodes in the write's scope (its enclave and, when it has any, its jurisdictions) that the monitor was watching in time; a node that was unreachable still counts, so its missing proof shows. A write is <em>met late</em> when proofs that meet the quorum arrived after it was reported missed.</p>
${table(['status', 'writes'], [[td('met'), td(s.writes.met)], [td('met late'), td(s.writes.metLate)], [td('missed'), td(s.writes.missed)], [td('pending (deadline not passed when the report was made)'), td(s.writes.pending)]])}
</section>

<section id="timelines">
<h2>Per-key-hash timelines</h2>
<p class="note">Key hashes only (SHA-256 of the storage key): the monitor never sees keys or values. Blue: the write's life until expiry; dashed: the deadline; ticks: each node's deletion (green in time, orange late). ${writes.length > shown.length ? esc(`${shown.length} of ${writes.length} writes shown, those needing attention first; the JSON lists all.`) : ''}</p>
${table(['key hash', 'write id', 'expired at', 'status', 'signers / k / n', 'missing', 'timeline'], shown.map(w => [
    td(w.keyHash, 'mono'), td(w.writeId, 'mono'), td(iso(w.expiredAt)), td(STATUS_LABEL[w.status] ?? w.status, w.status),
    td(`${w.signers.length} / ${w.required ?? '–'} / ${w.expected ?? '–'}`), td(w.missing.join(', '), 'mono'), tdHtml(timeline(w))
  ]))}
</section>

<section id="gaps">
<h2>Gaps</h2>
<p>Stretches of a node's attestation cycles the monitor does not hold and can no longer fetch: proofs signed in them (if any) are not in this report. Outages that lost nothing (the node's ring still held every cycle when the monitor reconnected) are listed with lost = no.</p>
${r.gaps.length === 0 ? '<p>None in this period.</p>' : table(['node', 'URL', 'cycles', 'from', 'to', 'reason', 'lost'], r.gaps.map(g => [td(g.nodeId, 'mono'), td(g.url), td(g.fromCycle === undefined ? '–' : `${g.fromCycle}–${g.toCycle ?? '…'}`), td(iso(g.from)), td(g.to === undefined ? 'open' : iso(g.to)), td(g.reason), td(g.lost ? 'yes' : 'no')]))}
${r.overflow.length === 0 ? '' : `<h3>Full cycles (unsigned deletions)</h3>${table(['node', 'cycle', 'start', 'end', 'unsigned'], r.overflow.map(o => [td(o.nodeId, 'mono'), td(o.cycle), td(iso(o.start)), td(iso(o.end)), td(o.dropped)]))}`}
</section>

<section id="rejected">
<h2>Rejected proofs</h2>
<p>Proofs that failed verification (forged, altered or malformed), stored as received with the verifier's reason. They count for nothing.${r.rejected.length > rejected.length ? esc(` ${rejected.length} of ${r.rejected.length} shown; the JSON lists all.`) : ''}</p>
${r.rejected.length === 0 ? '<p>None in this period.</p>' : table(['received at', 'served by', 'reason', 'message', 'claimed node', 'as received'], rejected.map(x => [td(iso(x.receivedAt)), td(`${x.servedBy} (${x.sourceUrl})`, 'mono'), td(x.reason), td(x.message), td(x.nodeId ?? '–', 'mono'), `<td class="mono"><code>${esc(x.raw.length > 600 ? `${x.raw.slice(0, 600)}…` : x.raw)}</code></td>`]))}
</section>

<section id="signers">
<h2>Signer nodes and public keys</h2>
<p>Each proof is signed by the Ed25519 key of its node id (the key is embedded in the id; the hex protobuf below is the same key). Map node ids to operators out of band: independence of operators is what gives several proofs their weight.</p>
${table(['node id', 'public key (hex protobuf)', 'key type', 'URL', 'enclave', 'jurisdiction', 'valid proofs in period', 'first seen', 'last seen'], r.nodes.map(n => [td(n.nodeId, 'mono'), td(n.publicKey ?? '–', 'mono'), td(`${n.keyType ?? '–'}${n.ephemeral === true ? ' (ephemeral)' : ''}`), td(n.url), td(n.enclave ?? '–'), td(n.jurisdiction ?? '–'), td(n.proofs), td(iso(n.firstSeen)), td(iso(n.lastSeen))]))}
</section>

<section id="alerts">
<h2>Alerts</h2>
${r.alerts.length === 0 ? '<p>None in this period.</p>' : table(['raised at', 'kind', 'key hash', 'write id', 'node', 'webhook'], r.alerts.map(a => [td(iso(a.raisedAt)), td(a.kind), td(a.keyHash ?? '–', 'mono'), td(a.writeId ?? '–', 'mono'), td(a.nodeId ?? '–', 'mono'), td(a.webhook)]))}
</section>

<section id="verify">
<h2>Re-verify offline</h2>
<p>The JSON file written with this report holds every valid proof exactly as its node published it (field <code>attestations</code>). Anyone can check them without trusting the nodes, the monitor or this report:</p>
<pre>${esc(r.verification.command)}</pre>
<ol>${r.verification.steps.map(step => `<li>${esc(step)}</li>`).join('')}</ol>
<p>Any Ed25519 library can do the same: the signed bytes are <code>repram-deletion-attestation/1\\n</code> followed by the attestation's fields in canonical JSON (docs/compliance.md, "Canonical encoding").</p>
</section>

<section id="limits">
<h2>What a proof does and does not prove</h2>
<h3>It proves</h3>
<ul>${r.limits.proves.map(x => `<li>${esc(x)}</li>`).join('')}</ul>
<h3>It does not prove</h3>
<ul>${r.limits.doesNotProve.map(x => `<li>${esc(x)}</li>`).join('')}</ul>
</section>
</body>
</html>
`
}
