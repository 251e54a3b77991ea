/**
 * `repram monitor`: runs the compliance monitor (a separate process that watches many
 * nodes' deletion proofs and stores them in the organisation's database), and
 * `repram monitor report`: writes an audit report (HTML and JSON) for one framework and
 * period from that database. Settings come from `REPRAM_MONITOR_*` and the flags
 * (src/monitor/config.ts); every failure is one `repram: …` line and a non-zero exit.
 *
 * @example
 * // repram monitor --nodes http://n1:8080 http://n2:8080 http://n3:8080 --quorum 2 --data-dir /var/lib/repram-monitor
 * // repram monitor report --framework gdpr --from 2026-01-01 --to 2026-04-01 --out ./reports --data-dir /var/lib/repram-monitor
 */
import { Option, type Command } from 'commander'
import { VERSION } from '../version.js'
import { CliError, describeError, EXIT } from './errors.js'
import { untilSignal, writeOut, type CliIo } from './io.js'
import { formatMonitorDefault, loadMonitorConfig, MONITOR_FIELDS, monitorDefaults, type MonitorConfigInput } from '../monitor/config.js'
import { FRAMEWORKS, type Framework } from '../monitor/report/frameworks.js'
import { parseIsoTime } from '../monitor/http.js'
import type { ComplianceReport } from '../monitor/report/build.js'

/** How long shutdown may take before the process exits anyway. */
const HARD_SHUTDOWN_DEADLINE_MS = 20_000

/** Adds one option per monitor setting (name, env and default in its help) to `cmd`. */
function addSettingOptions (cmd: Command, only?: ReadonlyArray<string>): void {
  const defaults = monitorDefaults()
  for (const f of MONITOR_FIELDS) {
    if (only !== undefined && !only.includes(f.key)) continue
    const d = formatMonitorDefault(f.key, defaults[f.key])
    cmd.addOption(new Option(f.flag, `${f.description} [env ${f.env}${d !== '(none)' ? `; default ${d}` : ''}]`))
  }
}

/** The flags given, as config overrides (flag attribute → config key). */
function overridesOf (cmd: Command, opts: Record<string, unknown>): MonitorConfigInput {
  const out: Record<string, unknown> = {}
  for (const o of cmd.options) {
    const field = MONITOR_FIELDS.find(f => f.flag.split(' ')[0] === o.long)
    if (field === undefined) continue
    const v = opts[o.attributeName()]
    if (v !== undefined) out[field.key] = Array.isArray(v) ? v.flatMap(s => String(s).split(',')).map(s => s.trim()).filter(s => s !== '') : v
  }
  return out as MonitorConfigInput
}

/** A period bound from the command line, or a usage error naming the flag. */
function parseBound (flag: string, raw: string | undefined): number {
  if (raw === undefined) throw new CliError(`${flag} is required (an ISO 8601 date or date-time, e.g. 2026-01-01 or 2026-01-01T00:00:00Z)`, EXIT.usage)
  const t = parseIsoTime(raw)
  if (t === undefined) throw new CliError(`${flag} must be an ISO 8601 date or date-time (e.g. 2026-01-01 or 2026-01-01T00:00:00Z), got "${raw}"`, EXIT.usage)
  return t
}

interface ReportOpts { framework?: string, from?: string, to?: string, out?: string }

/** Registers `repram monitor` and `repram monitor report`. */
export function registerMonitorCommand (program: Command, io: CliIo, setCode: (code: number) => void): void {
  const monitor = program.command('monitor')
    .description('the compliance monitor: `repram monitor [run] [options]` watches nodes\' deletion proofs, verifies and stores them and alerts on missed proof quorums; `repram monitor report` writes an audit report')
    .addHelpText('after', '\nThe settings of `repram monitor` are those of `repram monitor run --help`.')
  // `run` is the default: `repram monitor --nodes …` runs it. Each subcommand owns its options,
  // so `repram monitor report --data-dir D` is the report's --data-dir.
  const run = monitor.command('run', { isDefault: true })
    .description('run the monitor until SIGTERM or SIGINT: /metrics and /health on its own port, proofs in the database')
  addSettingOptions(run)
  run.action(async (opts: Record<string, unknown>) => {
    setCode(await runMonitor(io, overridesOf(run, opts)))
  })

  const report = monitor.command('report')
    .description('write an audit report (HTML with charts, and JSON that `repram attest verify --file` re-verifies) for one framework and period')
    .option('--framework <name>', `the framework whose controls the evidence is mapped to: ${FRAMEWORKS.join(', ')}`)
    .option('--from <iso>', 'period start (ISO 8601 date or date-time; a date is midnight UTC)')
    .option('--to <iso>', 'period end, excluded (ISO 8601)')
    .option('--out <dir>', 'directory for the two files', '.')
  addSettingOptions(report, ['database', 'dataDir', 'token', 'requestTimeoutMs', 'quorum', 'deadlineMs'])
  report.action(async (opts: ReportOpts & Record<string, unknown>) => {
    if (opts.framework === undefined || !(FRAMEWORKS as readonly string[]).includes(opts.framework)) {
      throw new CliError(`--framework must be one of ${FRAMEWORKS.join(', ')}${opts.framework !== undefined ? `, got "${opts.framework}"` : ''}`, EXIT.usage)
    }
    const from = parseBound('--from', opts.from)
    const to = parseBound('--to', opts.to)
    if (from >= to) throw new CliError('--from must be before --to', EXIT.usage)
    const config = loadMonitorConfig({ env: io.env, overrides: overridesOf(report, opts) })
    const r = await readReport(config, { framework: opts.framework as Framework, from, to })
    const { writeReportFiles } = await import('../monitor/report/index.js')
    const files = writeReportFiles(r, opts.out ?? '.')
    const s = r.summary
    await writeOut(io.stdout, `${files.html}\n${files.json}\n`)
    await writeOut(io.stderr, `repram: ${r.framework.name} report, ${r.period.from} to ${r.period.to}: ${s.writes.total} write(s) (${s.writes.met} met, ${s.writes.metLate} met late, ${s.writes.missed} missed, ${s.writes.pending} pending), ${s.proofs.valid} valid and ${s.proofs.rejected} rejected proof(s), ${s.gaps} gap(s)\n`)
  })
}

/** The report's data: from the running monitor that holds the embedded database, else from the database itself. */
async function readReport (config: ReturnType<typeof loadMonitorConfig>, req: { framework: Framework, from: number, to: number }): Promise<ComplianceReport> {
  const { readLock, acquireLock } = await import('../monitor/lock.js')
  if (config.database === undefined) {
    const holder = readLock(config.dataDir)
    if (holder?.url !== undefined) {
      // The monitor owns the files: ask it (PGlite is single-process).
      const url = `${holder.url}/v1/report?framework=${req.framework}&from=${encodeURIComponent(new Date(req.from).toISOString())}&to=${encodeURIComponent(new Date(req.to).toISOString())}`
      let res: Response
      try {
        res = await fetch(url, { headers: config.token !== undefined ? { authorization: `Bearer ${config.token}` } : {}, signal: AbortSignal.timeout(Math.max(config.requestTimeoutMs, 60_000)) })
      } catch (err) {
        throw new CliError(`the monitor holding ${config.dataDir} (pid ${holder.pid}) does not answer at ${holder.url}: ${describeError(err).message}`, EXIT.error)
      }
      const body = await res.json().catch(() => undefined) as (ComplianceReport & { message?: string }) | undefined
      if (!res.ok || body === undefined) throw new CliError(`the monitor at ${holder.url} refused the report: ${body?.message ?? `HTTP ${res.status}`}`, EXIT.error)
      return body
    }
    const { existsSync } = await import('node:fs')
    const { join } = await import('node:path')
    if (!existsSync(join(config.dataDir, 'pgdata'))) throw new CliError(`no monitor database in ${config.dataDir} (run repram monitor first, or pass --data-dir or --database)`, EXIT.error)
  }
  const [{ openDatabase }, { MonitorStore }, { buildReport }] = await Promise.all([import('../monitor/db/sql.js'), import('../monitor/db/store.js'), import('../monitor/report/build.js')])
  const lock = config.database === undefined ? acquireLock(config.dataDir) : undefined
  try {
    const store = await MonitorStore.open(await openDatabase({ url: config.database, dataDir: config.dataDir, poolSize: 1 }))
    try {
      return await buildReport(store, { ...req, quorum: config.quorum, deadlineMs: config.deadlineMs })
    } finally {
      await store.close()
    }
  } finally {
    lock?.release()
  }
}

/** Runs the monitor until SIGTERM or SIGINT; resolves with the exit code. */
async function runMonitor (io: CliIo, overrides: MonitorConfigInput): Promise<number> {
  const config = loadMonitorConfig({ env: io.env, overrides })
  const [{ ComplianceMonitor }, { createLogger }] = await Promise.all([import('../monitor/monitor.js'), import('../logger.js')])
  const monitor = new ComplianceMonitor(config, { logger: createLogger(config.logLevel) })
  try {
    await monitor.start()
  } catch (err) {
    const name = (err as Error | undefined)?.name
    if (name === 'ConfigError') throw err
    if (name === 'DataDirLockedError') throw new CliError(`${(err as Error).message}: one monitor per data directory`, EXIT.error)
    throw new CliError(`cannot start the monitor: ${describeError(err).message}`, EXIT.error)
  }
  const signalled = untilSignal()
  const s = monitor.watched
  await writeOut(io.stdout, [`repram monitor ${VERSION} listening on ${monitor.url}`, `database ${monitor.store.db.description}`, ...s.map(x => `watching ${x.url}`)].join('\n') + '\n')
  const sig = await signalled
  const deadline = setTimeout(() => {
    io.stderr.write(`repram: monitor shutdown did not finish within ${HARD_SHUTDOWN_DEADLINE_MS / 1000} s, exiting\n`)
    io.exit(EXIT.error)
  }, HARD_SHUTDOWN_DEADLINE_MS)
  deadline.unref()
  monitor.logger.info({ signal: sig }, 'monitor shutting down')
  await monitor.stop()
  clearTimeout(deadline)
  await writeOut(io.stdout, 'repram monitor stopped\n')
  io.exit(EXIT.ok)
  return EXIT.ok
}
