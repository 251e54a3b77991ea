/**
 * `repram attest verify`: gathers the deletion proofs of one key from several nodes,
 * verifies every signature locally, prints a per-node table (or JSON lines / CEF for a
 * SIEM) and exits non-zero when fewer than `--min-nodes` independent nodes attest.
 *
 * @example
 * // repram attest verify --key app/session/42 --write-id Qm9v… \
 * //   --nodes http://n1:8080 http://n2:8080 http://n3:8080 --min-nodes 2
 */
import type { Command } from 'commander'
import { parseDuration } from '../config.js'
import { collectDeletionProofs, type DeletionProofs } from '../sdk/attest/collect.js'
import { toCef, toJsonLines } from '../sdk/attest/export.js'
import { CliError, EXIT } from './errors.js'
import { parseJurisdictions } from '../wire/jurisdiction.js'
import { processIo, writeOut, type CliIo } from './io.js'

interface VerifyOpts {
  key?: string
  keyHash?: string
  writeId?: string
  nodes: string[]
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

/** Registers `repram attest verify`. */
export function registerAttestCommands (program: Command, io: CliIo = processIo()): void {
  const attest = program.command('attest').description('signed proofs of deletion of compliance-flagged records')
  attest.command('verify')
    .description('fetch and verify the deletion proofs of one key from several nodes; exit 1 when fewer than --min-nodes independent nodes attest')
    .option('--key <key>', 'the key in clear (only its SHA-256 is sent)')
    .option('--key-hash <hex>', 'the SHA-256 of the key, instead of --key')
    .option('--write-id <id>', 'only proofs for this write (the writeId PUT returned); strongly advised')
    .requiredOption('--nodes <urls...>', 'node base URLs (space or comma separated)')
    .option('--min-nodes <n>', 'fewest independent nodes whose proofs must verify', '1')
    .option('--format <format>', `output: ${FORMATS.join(', ')}`, 'table')
    .option('--timeout <duration>', 'per-node timeout', '10s')
    .option('--jurisdiction <codes>', 'the write\'s jurisdictions (its X-Jurisdiction, comma separated): count only proofs whose signer declares one of them')
    .action(async (opts: VerifyOpts) => {
      if ((opts.key === undefined) === (opts.keyHash === undefined)) throw new CliError('give exactly one of --key and --key-hash', EXIT.usage)
      if (opts.keyHash !== undefined && !/^[0-9a-fA-F]{64}$/.test(opts.keyHash)) throw new CliError('--key-hash must be 64 hex digits', EXIT.usage)
      const min = Number(opts.minNodes)
      if (!Number.isSafeInteger(min) || min < 0) throw new CliError('--min-nodes must be a non-negative integer', EXIT.usage)
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}`, EXIT.usage)
      let timeoutMs: number
      try { timeoutMs = parseDuration(opts.timeout) } catch (err) { throw new CliError(`invalid --timeout: ${(err as Error).message}`, EXIT.usage) }
      const urls = opts.nodes.flatMap(s => s.split(',')).map(s => s.trim()).filter(s => s.length > 0)
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
