/**
 * Every read and write the monitor makes, as SQL shared by both drivers (PGlite and a
 * Postgres server) through the narrow {@link SqlClient}. Rows come back typed, with
 * bigint columns as numbers (ms timestamps fit in 2⁵³).
 *
 * @example
 * const store = await MonitorStore.open(await openDatabase({ dataDir }))
 * const r = await store.ingestCycle({ node, cycle, via: 'stream', proofs })
 * console.log(r.valid, r.rejected, r.duplicates)
 */
import type { CycleSummary } from '../../sdk/attest/types.js'
import { INSERT_CHUNK_ROWS } from '../constants.js'
import { migrate } from './migrations.js'
import type { SqlClient, SqlExecutor } from './sql.js'

/** A watched node as stored. */
export interface NodeRow {
  nodeId: string
  url: string
  publicKey?: string
  keyType?: string
  ephemeral?: boolean
  enclave?: string
  jurisdiction?: string
  cycleMs?: number
  retainedCycles?: number
  firstSeen: number
  lastSeen: number
  firstCycle?: number
  lastCycle?: number
}

/** What the monitor learned of a node on connecting. */
export interface NodeInfo {
  nodeId: string
  url: string
  publicKey?: string
  keyType?: string
  ephemeral?: boolean
  enclave?: string
  jurisdiction?: string
  cycleMs?: number
  retainedCycles?: number
}

/** One received attestation, verified, ready to store. */
export interface ProofInput {
  /** sha256 of the attestation JSON: the same proof received twice is stored once. */
  fingerprint: string
  status: 'valid' | 'rejected'
  reason?: string
  message?: string
  keyHash?: string
  writeId?: string
  nodeId?: string
  createdAt?: number
  expiredAt?: number
  deletedAt?: number
  cycle?: number
  signature?: string
  jurisdiction?: string
  /** The attestation exactly as received (JSON text). */
  raw: string
}

/** One closed cycle of one node, with its proofs. */
export interface CycleInput {
  node: { nodeId: string, url: string, enclave?: string }
  cycle: CycleSummary
  via: 'stream' | 'backfill'
  proofs: ProofInput[]
  receivedAt: number
}

/** What {@link MonitorStore.ingestCycle} stored. */
export interface IngestResult {
  /** False when the cycle was already held (its proofs were still offered, deduplicated). */
  newCycle: boolean
  valid: number
  rejected: number
  duplicates: number
  /** Writes whose set of valid proofs grew. */
  touched: Array<{ keyHash: string, writeId: string }>
  /** Rejected proofs stored now, with why. */
  rejectedReasons: string[]
}

/** A flagged write the monitor knows of. */
export interface WriteRow {
  keyHash: string
  writeId: string
  createdAt?: number
  expiredAt: number
  enclave?: string
  jurisdictions?: string[]
  origin: 'proof' | 'registered'
  firstSeen: number
  status: 'pending' | 'met' | 'missed' | 'met_late'
  required?: number
  expected?: number
  signers?: number
  missing?: string[]
  decidedAt?: number
  alertedAt?: number
}

/** A stretch of a node's cycles the monitor does not hold. */
export interface GapRow {
  id: number
  nodeId: string
  url: string
  fromCycle?: number
  toCycle?: number
  fromMs: number
  toMs?: number
  reason: string
  /** False when the outage turned out to lose nothing (the ring still held every cycle). */
  lost: boolean
  detectedAt: number
  closedAt?: number
}

/** A raised alert. */
export interface AlertRow {
  id: number
  kind: string
  keyHash?: string
  writeId?: string
  nodeId?: string
  raisedAt: number
  payload: unknown
  webhook: 'none' | 'pending' | 'delivered' | 'failed' | 'dropped'
  attempts: number
  deliveredAt?: number
}

/** A stored proof, for reports. */
export interface ProofRow {
  status: 'valid' | 'rejected'
  reason?: string
  message?: string
  keyHash?: string
  writeId?: string
  nodeId?: string
  createdAt?: number
  expiredAt?: number
  deletedAt?: number
  cycle?: number
  jurisdiction?: string
  servedBy: string
  sourceUrl: string
  via: string
  receivedAt: number
  /** The attestation JSON exactly as received. */
  raw: string
}

const num = (v: unknown): number | undefined => v === null || v === undefined ? undefined : Number(v)
const str = (v: unknown): string | undefined => v === null || v === undefined ? undefined : String(v)
/** A text[] column: drivers give an array (or, unparsed, the `{a,b}` literal). */
function pgArray (v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String)
  if (typeof v === 'string' && v.startsWith('{') && v.endsWith('}')) return v.slice(1, -1).split(',').filter(s => s !== '').map(s => s.replace(/^"|"$/g, ''))
  return []
}
const json = (v: unknown): unknown => typeof v === 'string' ? JSON.parse(v) : v

function nodeRow (r: Record<string, unknown>): NodeRow {
  return {
    nodeId: String(r.node_id),
    url: String(r.url),
    publicKey: str(r.public_key),
    keyType: str(r.key_type),
    ephemeral: r.ephemeral === null ? undefined : Boolean(r.ephemeral),
    enclave: str(r.enclave),
    jurisdiction: str(r.jurisdiction),
    cycleMs: num(r.cycle_ms),
    retainedCycles: num(r.retained_cycles),
    firstSeen: Number(r.first_seen),
    lastSeen: Number(r.last_seen),
    firstCycle: num(r.first_cycle),
    lastCycle: num(r.last_cycle)
  }
}

function writeRow (r: Record<string, unknown>): WriteRow {
  return {
    keyHash: String(r.key_hash),
    writeId: String(r.write_id),
    createdAt: num(r.created_at),
    expiredAt: Number(r.expired_at),
    enclave: str(r.enclave),
    jurisdictions: r.jurisdictions === null || r.jurisdictions === undefined ? undefined : String(r.jurisdictions).split(',').filter(s => s !== ''),
    origin: String(r.origin) as WriteRow['origin'],
    firstSeen: Number(r.first_seen),
    status: String(r.status) as WriteRow['status'],
    required: num(r.required),
    expected: num(r.expected),
    signers: num(r.signers),
    missing: r.missing === null || r.missing === undefined ? undefined : json(r.missing) as string[],
    decidedAt: num(r.decided_at),
    alertedAt: num(r.alerted_at)
  }
}

function gapRow (r: Record<string, unknown>): GapRow {
  return {
    id: Number(r.id),
    nodeId: String(r.node_id),
    url: String(r.url),
    fromCycle: num(r.from_cycle),
    toCycle: num(r.to_cycle),
    fromMs: Number(r.from_ms),
    toMs: num(r.to_ms),
    reason: String(r.reason),
    lost: Boolean(r.lost),
    detectedAt: Number(r.detected_at),
    closedAt: num(r.closed_at)
  }
}

function alertRow (r: Record<string, unknown>): AlertRow {
  return {
    id: Number(r.id),
    kind: String(r.kind),
    keyHash: str(r.key_hash),
    writeId: str(r.write_id),
    nodeId: str(r.node_id),
    raisedAt: Number(r.raised_at),
    payload: json(r.payload),
    webhook: String(r.webhook) as AlertRow['webhook'],
    attempts: Number(r.attempts),
    deliveredAt: num(r.delivered_at)
  }
}

function proofRow (r: Record<string, unknown>): ProofRow {
  return {
    status: String(r.status) as ProofRow['status'],
    reason: str(r.reason),
    message: str(r.message),
    keyHash: str(r.key_hash),
    writeId: str(r.write_id),
    nodeId: str(r.node_id),
    createdAt: num(r.created_at),
    expiredAt: num(r.expired_at),
    deletedAt: num(r.deleted_at),
    cycle: num(r.cycle),
    jurisdiction: str(r.jurisdiction),
    servedBy: String(r.served_by),
    sourceUrl: String(r.source_url),
    via: String(r.via),
    receivedAt: Number(r.received_at),
    raw: String(r.raw)
  }
}

/** `($1, $2, …), ($n+1, …)` for `rows` rows of `cols` columns. */
function placeholders (rows: number, cols: number): string {
  const out: string[] = []
  for (let r = 0; r < rows; r++) out.push(`(${Array.from({ length: cols }, (_, c) => `$${r * cols + c + 1}`).join(', ')})`)
  return out.join(', ')
}

const PROOF_COLUMNS = ['fingerprint', 'status', 'reason', 'message', 'key_hash', 'write_id', 'node_id', 'created_at', 'expired_at', 'deleted_at', 'cycle', 'signature', 'jurisdiction', 'served_by', 'source_url', 'via', 'received_at', 'raw'] as const

/** The monitor's data, over either driver. */
export class MonitorStore {
  private constructor (readonly db: SqlClient, readonly schemaVersion: number) {}

  /** Migrates the schema to the newest version, then wraps the database. */
  static async open (db: SqlClient): Promise<MonitorStore> {
    const { version } = await migrate(db)
    return new MonitorStore(db, version)
  }

  /** A trivial round trip, for /health. */
  async ping (): Promise<void> {
    await this.db.query('SELECT 1')
  }

  async close (): Promise<void> {
    await this.db.close()
  }

  /** Records (or refreshes) what a node said of itself. */
  async upsertNode (info: NodeInfo, now: number): Promise<void> {
    await this.db.query(`
      INSERT INTO repram_nodes (node_id, url, public_key, key_type, ephemeral, enclave, jurisdiction, cycle_ms, retained_cycles, first_seen, last_seen)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
      ON CONFLICT (node_id) DO UPDATE SET
        url = EXCLUDED.url,
        public_key = COALESCE(EXCLUDED.public_key, repram_nodes.public_key),
        key_type = COALESCE(EXCLUDED.key_type, repram_nodes.key_type),
        ephemeral = COALESCE(EXCLUDED.ephemeral, repram_nodes.ephemeral),
        enclave = COALESCE(EXCLUDED.enclave, repram_nodes.enclave),
        jurisdiction = COALESCE(EXCLUDED.jurisdiction, repram_nodes.jurisdiction),
        cycle_ms = COALESCE(EXCLUDED.cycle_ms, repram_nodes.cycle_ms),
        retained_cycles = COALESCE(EXCLUDED.retained_cycles, repram_nodes.retained_cycles),
        last_seen = EXCLUDED.last_seen`,
    [info.nodeId, info.url, info.publicKey ?? null, info.keyType ?? null, info.ephemeral ?? null, info.enclave ?? null, info.jurisdiction ?? null, info.cycleMs ?? null, info.retainedCycles ?? null, now])
  }

  async node (nodeId: string): Promise<NodeRow | undefined> {
    const rows = await this.db.query<Record<string, unknown>>('SELECT * FROM repram_nodes WHERE node_id = $1', [nodeId])
    return rows.length === 0 ? undefined : nodeRow(rows[0])
  }

  async nodes (): Promise<NodeRow[]> {
    return (await this.db.query<Record<string, unknown>>('SELECT * FROM repram_nodes ORDER BY node_id')).map(nodeRow)
  }

  /** The cycle numbers of `nodeId` held in `[from, to]`. */
  async cyclesHeld (nodeId: string, from: number, to: number): Promise<Set<number>> {
    const rows = await this.db.query<{ cycle: unknown }>('SELECT cycle FROM repram_cycles WHERE node_id = $1 AND cycle BETWEEN $2 AND $3', [nodeId, from, to])
    return new Set(rows.map(r => Number(r.cycle)))
  }

  /** The newest cycle held of `nodeId`, or undefined. */
  async lastCycle (nodeId: string): Promise<number | undefined> {
    const [r] = await this.db.query<{ c: unknown }>('SELECT max(cycle) AS c FROM repram_cycles WHERE node_id = $1', [nodeId])
    return num(r?.c)
  }

  /**
   * Stores one closed cycle and its proofs in one transaction: the cycle summary (once),
   * every proof not held yet (by fingerprint), and for each new valid proof its write.
   */
  async ingestCycle (input: CycleInput): Promise<IngestResult> {
    return await this.db.transaction(async tx => {
      const c = input.cycle
      const cyc = await tx.query(`
        INSERT INTO repram_cycles (node_id, cycle, start_ms, end_ms, count, dropped, received, via, received_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (node_id, cycle) DO NOTHING RETURNING cycle`,
      [input.node.nodeId, c.cycle, c.start, c.end, c.count, c.dropped, input.proofs.length, input.via, input.receivedAt])
      const result: IngestResult = { newCycle: cyc.length > 0, valid: 0, rejected: 0, duplicates: 0, touched: [], rejectedReasons: [] }
      const touched = new Map<string, { keyHash: string, writeId: string, createdAt?: number, expiredAt: number }>()
      for (let i = 0; i < input.proofs.length; i += INSERT_CHUNK_ROWS) {
        const chunk = input.proofs.slice(i, i + INSERT_CHUNK_ROWS)
        const params: unknown[] = []
        for (const p of chunk) {
          params.push(p.fingerprint, p.status, p.reason ?? null, p.message ?? null, p.keyHash ?? null, p.writeId ?? null, p.nodeId ?? null,
            p.createdAt ?? null, p.expiredAt ?? null, p.deletedAt ?? null, p.cycle ?? null, p.signature ?? null, p.jurisdiction ?? null,
            input.node.nodeId, input.node.url, input.via, input.receivedAt, p.raw)
        }
        const inserted = await tx.query<{ status: string, reason: string | null, key_hash: string | null, write_id: string | null, created_at: unknown, expired_at: unknown }>(
          `INSERT INTO repram_proofs (${PROOF_COLUMNS.join(', ')}) VALUES ${placeholders(chunk.length, PROOF_COLUMNS.length)}
           ON CONFLICT (fingerprint) DO NOTHING RETURNING status, reason, key_hash, write_id, created_at, expired_at`, params)
        result.duplicates += chunk.length - inserted.length
        for (const r of inserted) {
          if (r.status === 'valid') {
            result.valid++
            const k = `${r.key_hash as string} ${r.write_id as string}`
            if (!touched.has(k)) touched.set(k, { keyHash: r.key_hash as string, writeId: r.write_id as string, createdAt: num(r.created_at), expiredAt: Number(r.expired_at) })
          } else {
            result.rejected++
            result.rejectedReasons.push(r.reason ?? 'malformed')
          }
        }
      }
      const writes = [...touched.values()]
      for (let i = 0; i < writes.length; i += INSERT_CHUNK_ROWS) {
        const chunk = writes.slice(i, i + INSERT_CHUNK_ROWS)
        const params: unknown[] = []
        for (const w of chunk) params.push(w.keyHash, w.writeId, w.createdAt ?? null, w.expiredAt, input.node.enclave ?? null, 'proof', input.receivedAt)
        await tx.query(`
          INSERT INTO repram_writes (key_hash, write_id, created_at, expired_at, enclave, origin, first_seen) VALUES ${placeholders(chunk.length, 7)}
          ON CONFLICT (key_hash, write_id) DO UPDATE SET
            created_at = COALESCE(repram_writes.created_at, EXCLUDED.created_at),
            enclave = COALESCE(repram_writes.enclave, EXCLUDED.enclave)`, params)
      }
      result.touched = writes.map(w => ({ keyHash: w.keyHash, writeId: w.writeId }))
      await tx.query(`
        UPDATE repram_nodes SET
          first_cycle = LEAST(COALESCE(first_cycle, $2), $2),
          last_cycle = GREATEST(COALESCE(last_cycle, $2), $2),
          last_seen = GREATEST(last_seen, $3)
        WHERE node_id = $1`, [input.node.nodeId, c.cycle, input.receivedAt])
      return result
    })
  }

  /**
   * Registers writes the organisation expects proofs for (from its `PUT` answers), before
   * any node attests: a write that no node ever attests still raises an alert. Resolves
   * with how many were new.
   */
  async registerWrites (writes: ReadonlyArray<{ keyHash: string, writeId: string, expiresAt: number, createdAt?: number, enclave?: string, jurisdictions?: string[] }>, now: number): Promise<number> {
    let added = 0
    for (let i = 0; i < writes.length; i += INSERT_CHUNK_ROWS) {
      const chunk = writes.slice(i, i + INSERT_CHUNK_ROWS)
      const params: unknown[] = []
      for (const w of chunk) params.push(w.keyHash, w.writeId, w.createdAt ?? null, w.expiresAt, w.enclave ?? null, w.jurisdictions === undefined ? null : w.jurisdictions.join(','), 'registered', now)
      const rows = await this.db.query(`
        INSERT INTO repram_writes (key_hash, write_id, created_at, expired_at, enclave, jurisdictions, origin, first_seen) VALUES ${placeholders(chunk.length, 8)}
        ON CONFLICT (key_hash, write_id) DO UPDATE SET
          enclave = COALESCE(EXCLUDED.enclave, repram_writes.enclave),
          jurisdictions = COALESCE(EXCLUDED.jurisdictions, repram_writes.jurisdictions)
        RETURNING (xmax = 0) AS inserted`, params)
      added += rows.filter(r => (r as { inserted: unknown }).inserted === true).length
    }
    return added
  }

  async write (keyHash: string, writeId: string): Promise<WriteRow | undefined> {
    const rows = await this.db.query<Record<string, unknown>>('SELECT * FROM repram_writes WHERE key_hash = $1 AND write_id = $2', [keyHash, writeId])
    return rows.length === 0 ? undefined : writeRow(rows[0])
  }

  /** Pending writes whose deadline (`expired_at + deadlineMs`) is at or before `now`, oldest first. */
  async dueWrites (now: number, deadlineMs: number, limit: number): Promise<WriteRow[]> {
    return (await this.db.query<Record<string, unknown>>(
      'SELECT * FROM repram_writes WHERE status = \'pending\' AND expired_at <= $1 ORDER BY expired_at LIMIT $2', [now - deadlineMs, limit])).map(writeRow)
  }

  /** Pending writes not yet due (to mark those already met early). */
  async pendingWrites (limit: number): Promise<WriteRow[]> {
    return (await this.db.query<Record<string, unknown>>('SELECT * FROM repram_writes WHERE status = \'pending\' ORDER BY expired_at LIMIT $1', [limit])).map(writeRow)
  }

  /**
   * Writes still pending (oldest expiry first), each with the distinct signers of its valid
   * proofs and the jurisdictions those proofs carry: one query for the whole check.
   */
  async pendingWithSigners (limit: number): Promise<Array<WriteRow & { signerIds: string[], signerJurisdictions: string[] }>> {
    const rows = await this.db.query<Record<string, unknown>>(`
      SELECT w.*,
        array_remove(array_agg(DISTINCT p.node_id), NULL) AS signer_ids,
        array_remove(array_agg(DISTINCT p.jurisdiction), NULL) AS signer_jurisdictions
      FROM repram_writes w
      LEFT JOIN repram_proofs p ON p.key_hash = w.key_hash AND p.write_id = w.write_id AND p.status = 'valid'
      WHERE w.status = 'pending'
      GROUP BY w.key_hash, w.write_id
      ORDER BY w.expired_at
      LIMIT $1`, [limit])
    return rows.map(r => ({ ...writeRow(r), signerIds: pgArray(r.signer_ids), signerJurisdictions: pgArray(r.signer_jurisdictions) }))
  }

  /** Distinct valid signers of a write, and the jurisdictions their proofs carry. */
  async signers (keyHash: string, writeId: string): Promise<{ nodeIds: string[], jurisdictions: string[] }> {
    const rows = await this.db.query<{ node_id: string, jurisdiction: string | null }>(
      'SELECT DISTINCT node_id, jurisdiction FROM repram_proofs WHERE status = \'valid\' AND key_hash = $1 AND write_id = $2', [keyHash, writeId])
    return {
      nodeIds: [...new Set(rows.map(r => r.node_id))].sort(),
      jurisdictions: [...new Set(rows.map(r => r.jurisdiction).filter((j): j is string => j !== null))].sort()
    }
  }

  /** Records the quorum decision of a write. */
  async decideWrite (w: { keyHash: string, writeId: string, status: WriteRow['status'], required: number, expected: number, signers: number, missing: string[], decidedAt: number, alerted: boolean }): Promise<void> {
    await this.db.query(`
      UPDATE repram_writes SET status = $3, required = $4, expected = $5, signers = $6, missing = $7, decided_at = $8,
        alerted_at = CASE WHEN $9::boolean THEN $8 ELSE alerted_at END
      WHERE key_hash = $1 AND write_id = $2`,
    [w.keyHash, w.writeId, w.status, w.required, w.expected, w.signers, JSON.stringify(w.missing), w.decidedAt, w.alerted])
  }

  /** Of the given writes, those decided `missed` (a late proof may now meet them). */
  async missedAmong (writes: ReadonlyArray<{ keyHash: string, writeId: string }>): Promise<WriteRow[]> {
    if (writes.length === 0) return []
    const out: WriteRow[] = []
    for (let i = 0; i < writes.length; i += INSERT_CHUNK_ROWS) {
      const chunk = writes.slice(i, i + INSERT_CHUNK_ROWS)
      const params = chunk.flatMap(w => [w.keyHash, w.writeId])
      const rows = await this.db.query<Record<string, unknown>>(
        `SELECT w.* FROM repram_writes w JOIN (VALUES ${placeholders(chunk.length, 2)}) AS t(k, id) ON w.key_hash = t.k AND w.write_id = t.id WHERE w.status = 'missed'`, params)
      out.push(...rows.map(writeRow))
    }
    return out
  }

  /** Opens (or returns the already open) outage of a node. */
  async openGap (g: { nodeId: string, url: string, fromCycle?: number, fromMs: number, reason: string }, now: number): Promise<{ gap: GapRow, created: boolean }> {
    const open = await this.db.query<Record<string, unknown>>('SELECT * FROM repram_gaps WHERE node_id = $1 AND closed_at IS NULL ORDER BY id LIMIT 1', [g.nodeId])
    if (open.length > 0) return { gap: gapRow(open[0]), created: false }
    const rows = await this.db.query<Record<string, unknown>>(
      'INSERT INTO repram_gaps (node_id, url, from_cycle, from_ms, reason, detected_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *',
      [g.nodeId, g.url, g.fromCycle ?? null, g.fromMs, g.reason, now])
    return { gap: gapRow(rows[0]), created: true }
  }

  /**
   * Settles a node's open outage once its ring has been read: as the exact lost stretch
   * when there is one, else as an outage that lost nothing. Resolves with the settled row.
   */
  async closeOpenGap (nodeId: string, lost: { fromCycle: number, toCycle: number, fromMs: number, toMs: number, reason: string } | undefined, now: number): Promise<GapRow | undefined> {
    const rows = lost === undefined
      ? await this.db.query<Record<string, unknown>>('UPDATE repram_gaps SET closed_at = $2, to_ms = $2, lost = false WHERE node_id = $1 AND closed_at IS NULL RETURNING *', [nodeId, now])
      : await this.db.query<Record<string, unknown>>(
        'UPDATE repram_gaps SET closed_at = $2, from_cycle = $3, to_cycle = $4, from_ms = $5, to_ms = $6, reason = $7, lost = true WHERE node_id = $1 AND closed_at IS NULL RETURNING *',
        [nodeId, now, lost.fromCycle, lost.toCycle, lost.fromMs, lost.toMs, lost.reason])
    return rows.length === 0 ? undefined : gapRow(rows[0])
  }

  /** Records a closed stretch of cycles that cannot be filled. */
  async addGap (g: { nodeId: string, url: string, fromCycle: number, toCycle: number, fromMs: number, toMs: number, reason: string }, now: number): Promise<GapRow> {
    const rows = await this.db.query<Record<string, unknown>>(
      'INSERT INTO repram_gaps (node_id, url, from_cycle, to_cycle, from_ms, to_ms, reason, lost, detected_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8, $8) RETURNING *',
      [g.nodeId, g.url, g.fromCycle, g.toCycle, g.fromMs, g.toMs, g.reason, now])
    return gapRow(rows[0])
  }

  /** Every gap, or those touching `[from, to)`. */
  async gaps (from?: number, to?: number): Promise<GapRow[]> {
    const rows = from === undefined
      ? await this.db.query<Record<string, unknown>>('SELECT * FROM repram_gaps ORDER BY from_ms, id')
      : await this.db.query<Record<string, unknown>>('SELECT * FROM repram_gaps WHERE from_ms < $2 AND COALESCE(to_ms, $2) >= $1 ORDER BY from_ms, id', [from, to])
    return rows.map(gapRow)
  }

  /** Open outages (node unreachable, not settled yet). */
  async openGaps (): Promise<GapRow[]> {
    return (await this.db.query<Record<string, unknown>>('SELECT * FROM repram_gaps WHERE closed_at IS NULL ORDER BY id')).map(gapRow)
  }

  async addAlert (a: { kind: string, keyHash?: string, writeId?: string, nodeId?: string, raisedAt: number, payload: unknown, webhook: AlertRow['webhook'] }): Promise<number> {
    const [r] = await this.db.query<{ id: unknown }>(
      'INSERT INTO repram_alerts (kind, key_hash, write_id, node_id, raised_at, payload, webhook) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
      [a.kind, a.keyHash ?? null, a.writeId ?? null, a.nodeId ?? null, a.raisedAt, JSON.stringify(a.payload), a.webhook])
    return Number(r.id)
  }

  async updateAlert (id: number, webhook: AlertRow['webhook'], attempts: number, deliveredAt?: number): Promise<void> {
    await this.db.query('UPDATE repram_alerts SET webhook = $2, attempts = $3, delivered_at = $4 WHERE id = $1', [id, webhook, attempts, deliveredAt ?? null])
  }

  /** Alerts whose webhook delivery was interrupted (the monitor stopped): sent again at start. */
  async pendingAlerts (): Promise<AlertRow[]> {
    return (await this.db.query<Record<string, unknown>>('SELECT * FROM repram_alerts WHERE webhook = \'pending\' ORDER BY id')).map(alertRow)
  }

  async alerts (from: number, to: number): Promise<AlertRow[]> {
    return (await this.db.query<Record<string, unknown>>('SELECT * FROM repram_alerts WHERE raised_at >= $1 AND raised_at < $2 ORDER BY raised_at, id', [from, to])).map(alertRow)
  }

  /** Writes that expired in `[from, to)`. */
  async writesExpiring (from: number, to: number): Promise<WriteRow[]> {
    return (await this.db.query<Record<string, unknown>>('SELECT * FROM repram_writes WHERE expired_at >= $1 AND expired_at < $2 ORDER BY expired_at, key_hash, write_id', [from, to])).map(writeRow)
  }

  /** Valid proofs of the writes that expired in `[from, to)`, and valid proofs signed in it. */
  async validProofs (from: number, to: number): Promise<ProofRow[]> {
    return (await this.db.query<Record<string, unknown>>(`
      SELECT status, reason, message, key_hash, write_id, node_id, created_at, expired_at, deleted_at, cycle, jurisdiction, served_by, source_url, via, received_at, raw::text AS raw
      FROM repram_proofs WHERE status = 'valid' AND ((expired_at >= $1 AND expired_at < $2) OR (deleted_at >= $1 AND deleted_at < $2))
      ORDER BY key_hash, write_id, deleted_at, node_id`, [from, to])).map(proofRow)
  }

  /** Rejected proofs received in `[from, to)`. */
  async rejectedProofs (from: number, to: number): Promise<ProofRow[]> {
    return (await this.db.query<Record<string, unknown>>(`
      SELECT status, reason, message, key_hash, write_id, node_id, created_at, expired_at, deleted_at, cycle, jurisdiction, served_by, source_url, via, received_at, raw::text AS raw
      FROM repram_proofs WHERE status = 'rejected' AND received_at >= $1 AND received_at < $2 ORDER BY received_at, id`, [from, to])).map(proofRow)
  }

  /** Cycles of every node ending in `[from, to)` that dropped flagged expirations (full cycles: unsigned deletions). */
  async overflowCycles (from: number, to: number): Promise<Array<{ nodeId: string, cycle: number, start: number, end: number, dropped: number }>> {
    const rows = await this.db.query<Record<string, unknown>>('SELECT node_id, cycle, start_ms, end_ms, dropped FROM repram_cycles WHERE dropped > 0 AND end_ms >= $1 AND end_ms < $2 ORDER BY start_ms', [from, to])
    return rows.map(r => ({ nodeId: String(r.node_id), cycle: Number(r.cycle), start: Number(r.start_ms), end: Number(r.end_ms), dropped: Number(r.dropped) }))
  }

  /** Cycles held per node in `[from, to)`: coverage for the report. */
  async cycleCoverage (from: number, to: number): Promise<Array<{ nodeId: string, cycles: number, first?: number, last?: number }>> {
    const rows = await this.db.query<Record<string, unknown>>('SELECT node_id, count(*)::int AS n, min(start_ms) AS first, max(end_ms) AS last FROM repram_cycles WHERE end_ms > $1 AND start_ms < $2 GROUP BY node_id ORDER BY node_id', [from, to])
    return rows.map(r => ({ nodeId: String(r.node_id), cycles: Number(r.n), first: num(r.first), last: num(r.last) }))
  }

  /**
   * Deletes everything older than `cutoff` (ms): proofs by receipt, cycles by end, writes by
   * expiry, gaps by their end, alerts by when they were raised. Resolves with the rows
   * deleted per table.
   */
  async deleteOlderThan (cutoff: number): Promise<Record<'proofs' | 'cycles' | 'writes' | 'gaps' | 'alerts', number>> {
    return await this.db.transaction(async (tx: SqlExecutor) => {
      const count = async (sql: string): Promise<number> => (await tx.query(sql + ' RETURNING 1', [cutoff])).length
      return {
        proofs: await count('DELETE FROM repram_proofs WHERE received_at < $1'),
        cycles: await count('DELETE FROM repram_cycles WHERE end_ms < $1'),
        writes: await count('DELETE FROM repram_writes WHERE expired_at < $1 AND status <> \'pending\''),
        gaps: await count('DELETE FROM repram_gaps WHERE closed_at IS NOT NULL AND COALESCE(to_ms, from_ms) < $1'),
        alerts: await count('DELETE FROM repram_alerts WHERE raised_at < $1 AND webhook <> \'pending\'')
      }
    })
  }

  /** Row counts, for /health and tests. */
  async counts (): Promise<Record<'proofsValid' | 'proofsRejected' | 'cycles' | 'writes' | 'gaps' | 'alerts', number>> {
    const [r] = await this.db.query<Record<string, unknown>>(`SELECT
      (SELECT count(*) FROM repram_proofs WHERE status = 'valid')::int AS pv,
      (SELECT count(*) FROM repram_proofs WHERE status = 'rejected')::int AS pr,
      (SELECT count(*) FROM repram_cycles)::int AS c,
      (SELECT count(*) FROM repram_writes)::int AS w,
      (SELECT count(*) FROM repram_gaps WHERE lost)::int AS g,
      (SELECT count(*) FROM repram_alerts)::int AS a`)
    return { proofsValid: Number(r.pv), proofsRejected: Number(r.pr), cycles: Number(r.c), writes: Number(r.w), gaps: Number(r.g), alerts: Number(r.a) }
  }
}
