/**
 * Versioned schema migrations of the monitor's database. Append-only: a released migration
 * is never edited; a change is a new entry with the next version. Each runs in its own
 * transaction under a Postgres advisory lock, so two monitors starting on one database
 * never apply the same step twice, and a failed step leaves the schema as it was.
 *
 * Tables are prefixed `repram_` so they can live in a database the organisation shares.
 * Times are milliseconds since the epoch (bigint); the attestation JSON is kept exactly as
 * received (`json`, not `jsonb`, which would reorder it).
 */
import type { SqlClient } from './sql.js'

/** One schema step. */
export interface Migration {
  version: number
  name: string
  sql: string
}

/** Every schema step, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema: nodes, cycles, proofs, writes, gaps, alerts',
    sql: `
CREATE TABLE repram_nodes (
  node_id          text PRIMARY KEY,
  url              text NOT NULL,
  public_key       text,
  key_type         text,
  ephemeral        boolean,
  enclave          text,
  jurisdiction     text,
  cycle_ms         bigint,
  retained_cycles  integer,
  first_seen       bigint NOT NULL,
  last_seen        bigint NOT NULL,
  first_cycle      bigint,
  last_cycle       bigint
);

CREATE TABLE repram_cycles (
  node_id      text NOT NULL,
  cycle        bigint NOT NULL,
  start_ms     bigint NOT NULL,
  end_ms       bigint NOT NULL,
  count        integer NOT NULL,
  dropped      integer NOT NULL,
  received     integer NOT NULL,
  via          text NOT NULL,
  received_at  bigint NOT NULL,
  PRIMARY KEY (node_id, cycle)
);
CREATE INDEX repram_cycles_end ON repram_cycles (end_ms);

CREATE TABLE repram_proofs (
  id            bigserial PRIMARY KEY,
  fingerprint   text NOT NULL UNIQUE,
  status        text NOT NULL CHECK (status IN ('valid', 'rejected')),
  reason        text,
  message       text,
  key_hash      text,
  write_id      text,
  node_id       text,
  created_at    bigint,
  expired_at    bigint,
  deleted_at    bigint,
  cycle         bigint,
  signature     text,
  jurisdiction  text,
  served_by     text NOT NULL,
  source_url    text NOT NULL,
  via           text NOT NULL,
  received_at   bigint NOT NULL,
  raw           json NOT NULL
);
CREATE INDEX repram_proofs_write ON repram_proofs (key_hash, write_id);
CREATE INDEX repram_proofs_deleted ON repram_proofs (deleted_at);
CREATE INDEX repram_proofs_status_received ON repram_proofs (status, received_at);

CREATE TABLE repram_writes (
  key_hash       text NOT NULL,
  write_id       text NOT NULL,
  created_at     bigint,
  expired_at     bigint NOT NULL,
  enclave        text,
  jurisdictions  text,
  origin         text NOT NULL CHECK (origin IN ('proof', 'registered')),
  first_seen     bigint NOT NULL,
  status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'met', 'missed', 'met_late')),
  required       integer,
  expected       integer,
  signers        integer,
  missing        json,
  decided_at     bigint,
  alerted_at     bigint,
  PRIMARY KEY (key_hash, write_id)
);
CREATE INDEX repram_writes_status_expired ON repram_writes (status, expired_at);
CREATE INDEX repram_writes_expired ON repram_writes (expired_at);

CREATE TABLE repram_gaps (
  id           bigserial PRIMARY KEY,
  node_id      text NOT NULL,
  url          text NOT NULL,
  from_cycle   bigint,
  to_cycle     bigint,
  from_ms      bigint NOT NULL,
  to_ms        bigint,
  reason       text NOT NULL,
  lost         boolean NOT NULL DEFAULT true,
  detected_at  bigint NOT NULL,
  closed_at    bigint
);
CREATE INDEX repram_gaps_node ON repram_gaps (node_id, closed_at);
CREATE INDEX repram_gaps_from ON repram_gaps (from_ms);

CREATE TABLE repram_alerts (
  id            bigserial PRIMARY KEY,
  kind          text NOT NULL,
  key_hash      text,
  write_id      text,
  node_id       text,
  raised_at     bigint NOT NULL,
  payload       json NOT NULL,
  webhook       text NOT NULL CHECK (webhook IN ('none', 'pending', 'delivered', 'failed', 'dropped')),
  attempts      integer NOT NULL DEFAULT 0,
  delivered_at  bigint
);
CREATE INDEX repram_alerts_raised ON repram_alerts (raised_at);
`
  }
]

/** Arbitrary, fixed: the advisory lock every monitor takes while migrating. */
const MIGRATION_LOCK = 7_361_937_201

/** The newest schema this code knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version

/** The database holds a schema newer than this monitor: refuse rather than misread it. */
export class SchemaTooNewError extends Error {
  constructor (readonly found: number) {
    super(`the database schema is version ${found}, newer than this monitor's ${SCHEMA_VERSION}: upgrade repram`)
    this.name = 'SchemaTooNewError'
  }
}

/** Applies every pending migration in order and resolves with the schema version. */
export async function migrate (db: SqlClient, migrations: readonly Migration[] = MIGRATIONS): Promise<{ version: number, applied: number[] }> {
  await db.exec('CREATE TABLE IF NOT EXISTS repram_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)')
  const applied: number[] = []
  for (const m of migrations) {
    const done = await db.transaction(async tx => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
      const rows = await tx.query<{ version: number }>('SELECT version FROM repram_schema_migrations WHERE version = $1', [m.version])
      if (rows.length > 0) return false
      await tx.exec(m.sql)
      await tx.query('INSERT INTO repram_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()])
      return true
    })
    if (done) applied.push(m.version)
  }
  const [{ v }] = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM repram_schema_migrations')
  const version = Number(v ?? 0)
  const known = migrations[migrations.length - 1]?.version ?? 0
  if (version > known) throw new SchemaTooNewError(version)
  return { version, applied }
}
