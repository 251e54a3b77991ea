/**
 * `repram attest verify`: gathers the deletion proofs of one key from several nodes,
 * verifies every signature locally, prints a per-node table (or JSON lines / CEF for a
 * SIEM) and exits non-zero when fewer than `--min-nodes` independent nodes attest.
 * With `--file` it verifies proofs saved earlier, offline: a monitor report's JSON, a
 * `/v1/attestations` reply, a JSON array or JSON lines (`--format jsonl` output).
 *
 * @example
 * // repram attest verify --key app/session/42 --write-id Qm9v… \
 * //   --nodes http://n1:8080 http://n2:8080 http://n3:8080 --min-nodes 2
 * // repram attest verify --file repram-gdpr-20260101T000000Z-20260401T000000Z.json --min-nodes 2
 */
import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { parseDuration } from '../config.js'
import { collectDeletionProofs, type DeletionProofs } from '../sdk/attest/collect.js'
import { toCef, toJsonLines } from '../sdk/attest/export.js'
import { keyHashOf, verifyAttestation, type AttestationFailure } from '../sdk/attest/verify.js'
import type { Attestation } from '../sdk/attest/canonical.js'
import { CliError, EXIT } from './errors.js'
import { parseJurisdictions } from '../wire/jurisdiction.js'
import { readAll, processIo, writeOut, type CliIo } from './io.js'

interface VerifyOpts {
  key?: string
  keyHash?: string
  writeId?: string
  nodes?: string[]
  file?: string
  minNodes: string
  format: string
  timeout: string
  jurisdiction?: string
}

const FORMATS = ['table', 'json', 'jsonl', 'cef'] as const

/** The per-node table printed by `attest verify`. */
export function formatProofTable (r: DeletionProofs): string {
  const rows = [['NODE', 'NODE ID', 'JURISDICTION', 'STATUS', 'VALID', 'INVALID', 'DELETED AT']]
  for (const n of r.nodes) {
    const last = n.proofs.reduce((t, p) => Math.max(t, p.deletedAt), 0)
    // The jurisdictions the node's valid proofs declare (version 2); '-' for none.
    const where = [...new Set(n.proofs.map(p => p.jurisdiction).filter((j): j is string => j !== undefined))].join(',')
    rows.push([n.url, n.nodeId ?? '-', where === '' ? '-' : where, n.status === 'error' ? `error: ${n.error ?? ''}` : n.status, String(n.proofs.length), String(n.invalid.length), last > 0 ? new Date(last).toISOString() : '-'])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)))
  return rows.map(r => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join('  ')).join('\n') + '\n'
}

/** The outcome of verifying a file of proofs offline. */
export interface FileVerification {
  file: string
  keyHash?: string
  writeId?: string
  /** Proofs read (after the key and write filters). */
  proofs: number
  valid: Array<Attestation & { source: string }>
  invalid: Array<{ index: number, reason: AttestationFailure, message: string, nodeId?: string }>
  /** Per write: its distinct valid signers. */
  writes: Array<{ keyHash: string, writeId: string, nodeIds: string[] }>
}

/**
 * The proofs of a file: a monitor report or a `/v1/attestations` reply (an object with an
 * `attestations` array; `public_key` applies to proofs of its `node_id`), a JSON array, or
 * JSON lines. Each entry comes with the public key it may be checked with.
 */
export function proofsOfFile (text: string): Array<{ proof: unknown, publicKey?: string }> {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    // JSON lines: one proof per non-empty line.
    const out: Array<{ proof: unknown }> = []
    for (const [i, line] of text.split(/\r?\n/).entries()) {
      if (line.trim() === '') continue
      try { out.push({ proof: JSON.parse(line) }) } catch { throw new CliError(`line ${i + 1} of the file is not JSON: expected a report, a JSON array or JSON lines of proofs`, EXIT.usage) }
    }
    return out
  }
  if (Array.isArray(doc)) return doc.map(proof => ({ proof }))
  if (doc !== null && typeof doc === 'object' && Array.isArray((doc as { attestations?: unknown }).attestations)) {
    const d = doc as { attestations: unknown[], node_id?: unknown, public_key?: unknown }
    return d.attestations.map(proof => ({ proof, publicKey: typeof d.public_key === 'string' && (proof as { nodeId?: unknown })?.nodeId === d.node_id ? d.public_key : undefined }))
  }
  if (doc !== null && typeof doc === 'object') return [{ proof: doc }]
  throw new CliError('the file holds no proofs: expected a report, a JSON array or JSON lines of proofs', EXIT.usage)
}

/** Verifies every proof of a file offline (filtered by key hash and write id when given). */
export async function verifyProofFile (file: string, text: string, filter: { keyHash?: string, writeId?: string, jurisdictions?: readonly string[] } = {}): Promise<FileVerification> {
  const out: FileVerification = { file, keyHash: filter.keyHash, writeId: filter.writeId, proofs: 0, valid: [], invalid: [], writes: [] }
  const signers = new Map<string, { keyHash: string, writeId: string, nodeIds: Set<string> }>()
  for (const [index, { proof, publicKey }] of proofsOfFile(text).entries()) {
    const p = proof as { keyHash?: unknown, writeId?: unknown, nodeId?: unknown }
    if (filter.keyHash !== undefined && p?.keyHash !== filter.keyHash) continue
    if (filter.writeId !== undefined && p?.writeId !== filter.writeId) continue
    out.proofs++
    const r = await verifyAttestation(proof, { publicKey, jurisdictions: filter.jurisdictions })
    if (!r.valid) {
      out.invalid.push({ index, reason: r.reason, message: r.message, nodeId: typeof p?.nodeId === 'string' ? p.nodeId : undefined })
      continue
    }
    const a = r.attestation
    out.valid.push({ ...a, source: file })
    const k = `${a.keyHash} ${a.writeId}`
    const entry = signers.get(k) ?? { keyHash: a.keyHash, writeId: a.writeId, nodeIds: new Set<string>() }
    entry.nodeIds.add(a.nodeId)
    signers.set(k, entry)
  }
  out.writes = [...signers.values()].map(w => ({ keyHash: w.keyHash, writeId: w.writeId, nodeIds: [...w.nodeIds].sort() }))
  return out
}

/** The per-write table of `attest verify --file`. */
export function formatFileTable (r: FileVerification, min: number): string {
  const rows = [['KEY HASH', 'WRITE ID', 'NODES', 'STATUS']]
  for (const w of r.writes) rows.push([w.keyHash, w.writeId, String(w.nodeIds.length), w.nodeIds.length >= min ? 'verified' : `below ${min}`])
  for (const i of r.invalid) rows.push([`(proof #${i.index})`, '-', '-', `invalid: ${i.reason}`])
  const widths = rows[0].map((_, i) => Math.max(...rows.map(x => x[i].length)))
  return rows.map(x => x.map((c, i) => i === x.length - 1 ? c : c.padEnd(widths[i])).join('  ')).join('\n') + '\n'
}

/** Registers `repram attest verify`. */
export function registerAttestCommands (program: Command, io: CliIo = processIo()): void {
  const attest = program.command('attest').description('signed proofs of deletion of compliance-flagged records')
  attest.command('verify')
    .description('fetch and verify the deletion proofs of one key from several nodes (or, with --file, every proof of a saved file, offline); exit 1 when fewer than --min-nodes independent nodes attest')
    .option('--key <key>', 'the key in clear (only its SHA-256 is sent)')
    .option('--key-hash <hex>', 'the SHA-256 of the key, instead of --key')
    .option('--write-id <id>', 'only proofs for this write (the writeId PUT returned); strongly advised')
    .option('--nodes <urls...>', 'node base URLs (space or comma separated)')
    .option('--file <path>', 'verify proofs saved earlier instead, offline ("-" = stdin): a monitor report\'s JSON, a /v1/attestations reply, a JSON array or JSON lines')
    .option('--min-nodes <n>', 'fewest independent nodes whose proofs must verify', '1')
    .option('--format <format>', `output: ${FORMATS.join(', ')}`, 'table')
    .option('--timeout <duration>', 'per-node timeout', '10s')
    .option('--jurisdiction <codes>', 'the write\'s jurisdictions (its X-Jurisdiction, comma separated): count only proofs whose signer declares one of them')
    .action(async (opts: VerifyOpts) => {
      if ((opts.nodes === undefined) === (opts.file === undefined)) throw new CliError('give exactly one of --nodes (fetch from nodes) and --file (verify a saved file offline)', EXIT.usage)
      if (opts.file !== undefined) {
        await verifyFile(opts, io)
        return
      }
      if ((opts.key === undefined) === (opts.keyHash === undefined)) throw new CliError('give exactly one of --key and --key-hash', EXIT.usage)
      if (opts.keyHash !== undefined && !/^[0-9a-fA-F]{64}$/.test(opts.keyHash)) throw new CliError('--key-hash must be 64 hex digits', EXIT.usage)
      const min = Number(opts.minNodes)
      if (!Number.isSafeInteger(min) || min < 0) throw new CliError('--min-nodes must be a non-negative integer', EXIT.usage)
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}`, EXIT.usage)
      let timeoutMs: number
      try { timeoutMs = parseDuration(opts.timeout) } catch (err) { throw new CliError(`invalid --timeout: ${(err as Error).message}`, EXIT.usage) }
      const urls = (opts.nodes ?? []).flatMap(s => s.split(',')).map(s => s.trim()).filter(s => s.length > 0)
      for (const u of urls) {
        let p: URL
        try { p = new URL(u) } catch { throw new CliError(`invalid node URL "${u}"`, EXIT.usage) }
        if (p.protocol !== 'http:' && p.protocol !== 'https:') throw new CliError(`invalid node URL "${u}": use http:// or https://`, EXIT.usage)
      }
      let jurisdictions: string[] | undefined
      try { jurisdictions = opts.jurisdiction === undefined ? undefined : parseJurisdictions(opts.jurisdiction) } catch (err) { throw new CliError(`invalid --jurisdiction: ${(err as Error).message}`, EXIT.usage) }
      const r = await collectDeletionProofs(urls, opts.key ?? { keyHash: opts.keyHash as string }, { writeId: opts.writeId, timeoutMs, jurisdictions })
      switch (opts.format) {
        case 'json': await writeOut(io.stdout, JSON.stringify(r, null, 2) + '\n'); break
        case 'jsonl': await writeOut(io.stdout, toJsonLines(r.proofs)); break
        case 'cef': await writeOut(io.stdout, toCef(r.proofs)); break
        default:
          await writeOut(io.stdout, formatProofTable(r))
          await writeOut(io.stdout, `key hash ${r.keyHash}${r.writeId !== undefined ? `, write ${r.writeId}` : ''}: ${r.independentNodes} independent node(s) attest deletion (min ${min})\n`)
      }
      if (r.independentNodes < min) throw new CliError(`only ${r.independentNodes} independent node(s) attest deletion, fewer than --min-nodes ${min}`, EXIT.error)
    })
}

/** `attest verify --file`: every proof of the file, verified offline, counted per write. */
async function verifyFile (opts: VerifyOpts, io: CliIo): Promise<void> {
  if (opts.key !== undefined && opts.keyHash !== undefined) throw new CliError('give at most one of --key and --key-hash', EXIT.usage)
  if (opts.keyHash !== undefined && !/^[0-9a-fA-F]{64}$/.test(opts.keyHash)) throw new CliError('--key-hash must be 64 hex digits', EXIT.usage)
  const min = Number(opts.minNodes)
  if (!Number.isSafeInteger(min) || min < 0) throw new CliError('--min-nodes must be a non-negative integer', EXIT.usage)
  if (!(FORMATS as readonly string[]).includes(opts.format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}`, EXIT.usage)
  const file = opts.file as string
  let text: string
  try {
    text = file === '-' ? Buffer.from(await readAll(io.stdin)).toString('utf8') : await readFile(file, 'utf8')
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.error)
  }
  let jurisdictions: string[] | undefined
  try { jurisdictions = opts.jurisdiction === undefined ? undefined : parseJurisdictions(opts.jurisdiction) } catch (err) { throw new CliError(`invalid --jurisdiction: ${(err as Error).message}`, EXIT.usage) }
  const keyHash = opts.key !== undefined ? keyHashOf(opts.key) : opts.keyHash?.toLowerCase()
  const r = await verifyProofFile(file, text, { keyHash, writeId: opts.writeId, jurisdictions })
  const below = r.writes.filter(w => w.nodeIds.length < min)
  switch (opts.format) {
    case 'json': await writeOut(io.stdout, JSON.stringify({ ...r, minNodes: min, ok: r.invalid.length === 0 && below.length === 0 && r.proofs > 0 }, null, 2) + '\n'); break
    case 'jsonl': await writeOut(io.stdout, toJsonLines(r.valid)); break
    case 'cef': await writeOut(io.stdout, toCef(r.valid)); break
    default:
      await writeOut(io.stdout, formatFileTable(r, min))
      await writeOut(io.stdout, `${file}: ${r.proofs} proof(s), ${r.valid.length} valid, ${r.invalid.length} invalid; ${r.writes.length} write(s), ${r.writes.length - below.length} attested by at least ${min} independent node(s)\n`)
  }
  if (r.proofs === 0) throw new CliError(`no proof in ${file}${keyHash !== undefined || opts.writeId !== undefined ? ' for that key and write' : ''}`, EXIT.error)
  if (r.invalid.length > 0) throw new CliError(`${r.invalid.length} proof(s) in ${file} do not verify (first: ${r.invalid[0].reason}: ${r.invalid[0].message})`, EXIT.error)
  if (below.length > 0) throw new CliError(`${below.length} write(s) in ${file} are attested by fewer than --min-nodes ${min} independent node(s)`, EXIT.error)
}
