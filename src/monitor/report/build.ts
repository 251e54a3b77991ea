/**
 * The data of an audit report, read from the monitor's database for one period and one
 * framework. The same object is written as the report's JSON (which `repram attest verify
 * --file` re-verifies offline: its `attestations` are the proofs exactly as received) and
 * rendered as the HTML report.
 *
 * Period rules, all half-open `[from, to)`: writes by their expiry; valid proofs of those
 * writes and proofs signed in the period; rejected proofs by when they were received;
 * gaps that overlap the period; alerts raised in it.
 *
 * @example
 * const report = await buildReport(store, { framework: 'gdpr', from: Date.parse('2026-01-01'), to: Date.parse('2026-04-01'), quorum: 2, deadlineMs: 180_000 })
 * writeFileSync('report.json', JSON.stringify(report, null, 2))
 */
import { VERSION } from '../../version.js'
import type { MonitorStore, WriteRow } from '../db/store.js'
import { FRAMEWORK_INFO, PROOF_LIMITS, type Framework, type FrameworkInfo } from './frameworks.js'

/** The `type` of a report JSON. */
export const REPORT_TYPE = 'repram.compliance_report'

/** What to report on. */
export interface ReportRequest {
  framework: Framework
  /** Period start, ms (inclusive). */
  from: number
  /** Period end, ms (exclusive). */
  to: number
  /** The monitor's quorum setting, stated in the report. */
  quorum: number | 'all'
  deadlineMs: number
  /** @default Date.now() */
  generatedAt?: number
}

/** One write with its evidence. */
export interface ReportWrite {
  keyHash: string
  writeId: string
  createdAt?: number
  expiredAt: number
  deadline: number
  origin: WriteRow['origin']
  /** `met`, `met_late` (after an alert), `missed`, or `pending` (not decided when the report was made). */
  status: WriteRow['status']
  required?: number
  expected?: number
  /** Distinct nodes whose valid proofs the monitor holds. */
  signers: string[]
  missing: string[]
  /** Each valid proof: who deleted when. */
  timeline: Array<{ nodeId: string, deletedAt: number, jurisdiction?: string }>
  jurisdictions?: string[]
}

/** A report's data (also its JSON file). */
export interface ComplianceReport {
  type: typeof REPORT_TYPE
  version: 1
  generator: string
  generatedAt: string
  period: { from: string, to: string, fromMs: number, toMs: number }
  framework: FrameworkInfo
  settings: { quorum: number | 'all', deadlineMs: number }
  summary: {
    proofs: { valid: number, rejected: number }
    rejectedByReason: Record<string, number>
    writes: { total: number, met: number, metLate: number, missed: number, pending: number }
    nodes: number
    gaps: number
    outages: number
    overflowCycles: number
    droppedUnsigned: number
    alerts: number
  }
  nodes: Array<{ nodeId: string, publicKey?: string, keyType?: string, ephemeral?: boolean, url: string, enclave?: string, jurisdiction?: string, firstSeen: number, lastSeen: number, proofs: number, cycles: number }>
  writes: ReportWrite[]
  gaps: Array<{ nodeId: string, url: string, fromCycle?: number, toCycle?: number, from: number, to?: number, reason: string, lost: boolean }>
  overflow: Array<{ nodeId: string, cycle: number, start: number, end: number, dropped: number }>
  rejected: Array<{ receivedAt: number, servedBy: string, sourceUrl: string, reason?: string, message?: string, keyHash?: string, writeId?: string, nodeId?: string, raw: string }>
  alerts: Array<{ kind: string, raisedAt: number, keyHash?: string, writeId?: string, nodeId?: string, webhook: string }>
  /** Proof counts per time bucket, for the chart. */
  series: { bucketMs: number, buckets: Array<{ start: number, valid: number, rejected: number, missed: number }> }
  /** Every valid proof, exactly as the node published it: input of `repram attest verify --file`. */
  attestations: unknown[]
  verification: { command: string, steps: string[] }
  limits: typeof PROOF_LIMITS
}

/** Buckets for the chart: a round size giving at most ~48 bars. */
export function bucketSize (spanMs: number): number {
  const sizes = [60_000, 300_000, 900_000, 3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000]
  return sizes.find(s => spanMs / s <= 48) ?? 30 * 86_400_000
}

/** Reads the period's evidence and assembles the report. */
export async function buildReport (store: MonitorStore, req: ReportRequest): Promise<ComplianceReport> {
  const { from, to } = req
  const [writes, valid, rejected, gaps, alerts, nodes, overflow, coverage] = await Promise.all([
    store.writesExpiring(from, to),
    store.validProofs(from, to),
    store.rejectedProofs(from, to),
    store.gaps(from, to),
    store.alerts(from, to),
    store.nodes(),
    store.overflowCycles(from, to),
    store.cycleCoverage(from, to)
  ])

  const byWrite = new Map<string, typeof valid>()
  for (const p of valid) {
    const k = `${p.keyHash ?? ''} ${p.writeId ?? ''}`
    const list = byWrite.get(k)
    if (list === undefined) byWrite.set(k, [p])
    else list.push(p)
  }
  const reportWrites: ReportWrite[] = writes.map(w => {
    const proofs = byWrite.get(`${w.keyHash} ${w.writeId}`) ?? []
    const signers = [...new Set(proofs.map(p => p.nodeId as string))].sort()
    return {
      keyHash: w.keyHash,
      writeId: w.writeId,
      createdAt: w.createdAt,
      expiredAt: w.expiredAt,
      deadline: w.expiredAt + req.deadlineMs,
      origin: w.origin,
      status: w.status,
      required: w.required,
      expected: w.expected,
      signers,
      missing: w.missing ?? [],
      timeline: proofs.map(p => ({ nodeId: p.nodeId as string, deletedAt: p.deletedAt as number, ...(p.jurisdiction !== undefined ? { jurisdiction: p.jurisdiction } : {}) })).sort((a, b) => a.deletedAt - b.deletedAt),
      ...(w.jurisdictions !== undefined ? { jurisdictions: w.jurisdictions } : {})
    }
  })

  const proofsPerNode = new Map<string, number>()
  for (const p of valid) proofsPerNode.set(p.nodeId as string, (proofsPerNode.get(p.nodeId as string) ?? 0) + 1)
  const cyclesPerNode = new Map(coverage.map(c => [c.nodeId, c.cycles]))
  const rejectedByReason: Record<string, number> = {}
  for (const r of rejected) rejectedByReason[r.reason ?? 'malformed'] = (rejectedByReason[r.reason ?? 'malformed'] ?? 0) + 1

  const bucketMs = bucketSize(to - from)
  const first = Math.floor(from / bucketMs) * bucketMs
  const count = Math.max(1, Math.ceil((to - first) / bucketMs))
  const buckets = count <= 1000 ? Array.from({ length: count }, (_, i) => ({ start: first + i * bucketMs, valid: 0, rejected: 0, missed: 0 })) : []
  const bucketOf = (t: number | undefined): typeof buckets[number] | undefined => t === undefined || t < from || t >= to ? undefined : buckets[Math.floor((t - first) / bucketMs)]
  for (const p of valid) { const b = bucketOf(p.deletedAt); if (b !== undefined) b.valid++ }
  for (const r of rejected) { const b = bucketOf(r.receivedAt); if (b !== undefined) b.rejected++ }
  for (const w of writes) if (w.status === 'missed') { const b = bucketOf(w.expiredAt); if (b !== undefined) b.missed++ }

  const lostGaps = gaps.filter(g => g.lost)
  const minNodes = req.quorum === 'all' ? 1 : req.quorum
  const generatedAt = req.generatedAt ?? Date.now()
  return {
    type: REPORT_TYPE,
    version: 1,
    generator: `repram monitor ${VERSION}`,
    generatedAt: new Date(generatedAt).toISOString(),
    period: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), fromMs: from, toMs: to },
    framework: FRAMEWORK_INFO[req.framework],
    settings: { quorum: req.quorum, deadlineMs: req.deadlineMs },
    summary: {
      proofs: { valid: valid.length, rejected: rejected.length },
      rejectedByReason,
      writes: {
        total: writes.length,
        met: writes.filter(w => w.status === 'met').length,
        metLate: writes.filter(w => w.status === 'met_late').length,
        missed: writes.filter(w => w.status === 'missed').length,
        pending: writes.filter(w => w.status === 'pending').length
      },
      nodes: nodes.length,
      gaps: lostGaps.length,
      outages: gaps.length - lostGaps.length,
      overflowCycles: overflow.length,
      droppedUnsigned: overflow.reduce((n, o) => n + o.dropped, 0),
      alerts: alerts.length
    },
    nodes: nodes.map(n => ({ nodeId: n.nodeId, publicKey: n.publicKey, keyType: n.keyType, ephemeral: n.ephemeral, url: n.url, enclave: n.enclave, jurisdiction: n.jurisdiction, firstSeen: n.firstSeen, lastSeen: n.lastSeen, proofs: proofsPerNode.get(n.nodeId) ?? 0, cycles: cyclesPerNode.get(n.nodeId) ?? 0 })),
    writes: reportWrites,
    gaps: gaps.map(g => ({ nodeId: g.nodeId, url: g.url, fromCycle: g.fromCycle, toCycle: g.toCycle, from: g.fromMs, to: g.toMs, reason: g.reason, lost: g.lost })),
    overflow,
    rejected: rejected.map(r => ({ receivedAt: r.receivedAt, servedBy: r.servedBy, sourceUrl: r.sourceUrl, reason: r.reason, message: r.message, keyHash: r.keyHash, writeId: r.writeId, nodeId: r.nodeId, raw: r.raw })),
    alerts: alerts.map(a => ({ kind: a.kind, raisedAt: a.raisedAt, keyHash: a.keyHash, writeId: a.writeId, nodeId: a.nodeId, webhook: a.webhook })),
    series: { bucketMs, buckets },
    attestations: valid.map(p => JSON.parse(p.raw) as unknown),
    verification: {
      command: `repram attest verify --file <this report>.json --min-nodes ${minNodes}`,
      steps: [
        'Install repram (npm install repram) on any machine; no network access to the nodes is needed.',
        `Run: repram attest verify --file <this report>.json --min-nodes ${minNodes}`,
        'It checks every proof in "attestations" (Ed25519 over the canonical bytes, by the key embedded in each node id), then counts distinct signers per write. Exit 0: every proof verifies and every write has at least --min-nodes signers; exit 1 otherwise, naming what failed.',
        'Add --key-hash H --write-id W to check one write; --format json for a machine-readable result.',
        'Compare the node ids and public keys with the "nodes" table, and map them to operators out of band: distinct node ids are not distinct operators by themselves.'
      ]
    },
    limits: PROOF_LIMITS
  }
}
