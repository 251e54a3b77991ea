/**
 * Audit reports of the compliance monitor: build one from the database, render it as HTML,
 * write both files.
 *
 * @example
 * const report = await buildReport(store, { framework: 'hipaa', from, to, quorum: 2, deadlineMs: 180_000 })
 * const files = writeReportFiles(report, './reports')   // { html: '…/repram-hipaa-….html', json: '…/repram-hipaa-….json' }
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ComplianceReport } from './build.js'
import { renderReportHtml } from './html.js'

export { buildReport, bucketSize, REPORT_TYPE, type ComplianceReport, type ReportRequest, type ReportWrite } from './build.js'
export { esc, renderReportHtml } from './html.js'
export { FRAMEWORK_INFO, FRAMEWORKS, PROOF_LIMITS, type Control, type Framework, type FrameworkInfo } from './frameworks.js'

/** `2026-01-01T00:00:00.000Z` → `20260101T000000Z`: safe in file names everywhere. */
function stamp (iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')
}

/** The base name of a report's files (without extension). */
export function reportBaseName (r: ComplianceReport): string {
  return `repram-${r.framework.id}-${stamp(r.period.from)}-${stamp(r.period.to)}`
}

/** Writes `<dir>/<base>.html` and `<dir>/<base>.json` (the directory is created) and returns their paths. */
export function writeReportFiles (r: ComplianceReport, dir: string): { html: string, json: string } {
  mkdirSync(dir, { recursive: true })
  const base = join(dir, reportBaseName(r))
  const files = { html: `${base}.html`, json: `${base}.json` }
  writeFileSync(files.json, JSON.stringify(r, null, 2) + '\n')
  writeFileSync(files.html, renderReportHtml(r))
  return files
}
