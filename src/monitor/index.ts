/**
 * `repram/monitor`: the compliance monitor as a library. It watches the deletion proofs of
 * many REPRAM nodes, verifies each with the SDK's verifier, stores proofs, cycle summaries,
 * gaps and alerts in a database the organisation owns (embedded PGlite by default, or a
 * Postgres URL), alerts on writes that miss their proof quorum, and writes audit reports
 * for GDPR, HIPAA, PCI DSS and SOC 2. The CLI is `repram monitor` (docs/compliance.md).
 *
 * @example
 * import { createMonitor, buildReport, writeReportFiles } from 'repram/monitor'
 *
 * const monitor = await createMonitor({
 *   config: { nodes: ['http://n1:8080', 'http://n2:8080', 'http://n3:8080'], quorum: 2, deadlineMs: '3m', dataDir: './monitor-data', webhook: 'https://hooks.example/repram' }
 * })
 * // …later: a quarterly PCI DSS report from the live database
 * const report = await monitor.report({ framework: 'pci-dss', from: Date.parse('2026-01-01'), to: Date.parse('2026-04-01') })
 * writeReportFiles(report, './reports')
 * await monitor.stop()
 */
export { ComplianceMonitor, createMonitor, type MonitorHealth, type MonitorInit, type MonitorState } from './monitor.js'
export { assertSomethingToWatch, formatMonitorDefault, loadMonitorConfig, MONITOR_FIELDS, MONITOR_TABLE_MARKERS, renderMonitorSettingsTable, monitorConfigSchema, monitorDefaults, parseMonitorDuration, validateMonitorConfig, type LoadMonitorConfigOptions, type MonitorConfig, type MonitorConfigInput, type MonitorField } from './config.js'
export { openDatabase, openPglite, openPostgres, type DatabaseLocation, type SqlClient, type SqlExecutor } from './db/sql.js'
export { MIGRATIONS, SCHEMA_VERSION, SchemaTooNewError, migrate, type Migration } from './db/migrations.js'
export { MonitorStore, type AlertRow, type CycleInput, type GapRow, type IngestResult, type NodeInfo, type NodeRow, type ProofInput, type ProofRow, type WriteRow } from './db/store.js'
export { NodeSource, missingRanges, type NodeSourceInit, type SourceState } from './source.js'
export { QuorumWatch, decideQuorum, replicaScope, type QuorumOutcome, type QuorumSetting, type ScopeNode, type SourceView } from './quorum.js'
export { AlertNotifier, type Alert, type AlertEvent, type AlertKind, type WebhookTarget } from './alerts.js'
export { candidateUrl, discoverNodes, hostsOf, type DiscoveredPeer, type Discovery } from './discovery.js'
export { createMonitorApp, parseExpectedWrite, parseIsoTime, startMonitorServer, type ExpectedWrite, type MonitorApi, type MonitorServer } from './http.js'
export { createMonitorMetrics, type MonitorMetrics } from './metrics.js'
export { fingerprintOf, verifyAttestations } from './ingest.js'
export { acquireLock, DataDirLockedError, readLock, type DataDirLock, type LockInfo } from './lock.js'
export * from './report/index.js'
