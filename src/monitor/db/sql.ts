/**
 * The monitor's database connection, one interface over two drivers: PGlite (Postgres
 * compiled to WebAssembly, embedded, files in a data directory) and a Postgres server
 * (`pg`). Everything above this file speaks the same SQL through {@link SqlClient}; each
 * driver is loaded only when chosen.
 *
 * @example
 * const db = await openDatabase({ dataDir: '/var/lib/repram-monitor' })      // embedded
 * const pg = await openDatabase({ url: 'postgres://monitor@db.internal/repram' })
 * const rows = await db.query<{ n: number }>('SELECT 1 AS n')
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { redactDatabaseUrl } from '../config.js'

/** Runs statements. Parameters are `$1, $2…`; rows come back as plain objects. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>
}

/** A connection (or pool) to the monitor's database. */
export interface SqlClient extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres'
  /** Where the data lives, safe to log (no password). */
  readonly description: string
  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>
  /** Closes the connection(s). Safe to call twice. */
  close(): Promise<void>
}

/** Where the database is. */
export interface DatabaseLocation {
  /** A `postgres://` URL; when absent, the embedded database in `dataDir`. */
  url?: string
  /** Directory of the embedded database (its files go in `dataDir/pgdata`). */
  dataDir?: string
  /** Connections to a Postgres server. @default 4 */
  poolSize?: number
}

/** Opens the database named by `where`: Postgres for a URL, else PGlite in `dataDir`, else PGlite in memory. */
export async function openDatabase (where: DatabaseLocation): Promise<SqlClient> {
  if (where.url !== undefined) return await openPostgres(where.url, where.poolSize ?? 4)
  return await openPglite(where.dataDir)
}

/** The embedded database. Without a directory it lives in memory (tests, one-shot reports). */
export async function openPglite (dataDir?: string): Promise<SqlClient> {
  const { PGlite } = await import('@electric-sql/pglite')
  let dir: string | undefined
  if (dataDir !== undefined) {
    dir = join(dataDir, 'pgdata')
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  }
  const db = await PGlite.create(dir)
  let closed: Promise<void> | undefined
  const wrap = (q: { query: typeof db.query, exec: typeof db.exec }): SqlExecutor => ({
    query: async <R>(sql: string, params?: unknown[]) => (await q.query(sql, params)).rows as R[],
    exec: async (sql: string) => { await q.exec(sql) }
  })
  return {
    kind: 'pglite',
    description: dir === undefined ? 'embedded (in memory)' : `embedded (${dir})`,
    ...wrap(db),
    transaction: async <T>(fn: (tx: SqlExecutor) => Promise<T>) => await db.transaction(async tx => await fn(wrap(tx))),
    close: async () => { closed ??= db.close(); await closed }
  }
}

/** A pool of connections to a Postgres server (or anything speaking its protocol). */
export async function openPostgres (url: string, poolSize: number): Promise<SqlClient> {
  const pg = (await import('pg')).default
  // query_timeout: a hung server fails a query (the caller retries) instead of stalling a source forever.
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000, query_timeout: 60_000 })
  // An idle client that loses its server emits 'error' on the pool: the next query reconnects.
  pool.on('error', () => {})
  // Fail fast on a wrong URL, password or unreachable server.
  const probe = await pool.connect()
  probe.release()
  let closed: Promise<void> | undefined
  return {
    kind: 'postgres',
    description: `postgres (${redactDatabaseUrl(url)})`,
    query: async <R>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as R[],
    exec: async (sql: string) => { await pool.query(sql) },
    transaction: async <T>(fn: (tx: SqlExecutor) => Promise<T>) => {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const tx: SqlExecutor = {
          query: async <R>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as R[],
          exec: async (sql: string) => { await client.query(sql) }
        }
        const out = await fn(tx)
        await client.query('COMMIT')
        return out
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.release()
      }
    },
    close: async () => { closed ??= pool.end(); await closed }
  }
}
