/**
 * One process at a time owns an embedded database: PGlite is a single-process database,
 * and two processes writing one data directory would corrupt it. The running monitor holds
 * `dataDir/monitor.lock` (its pid and the URL of its HTTP server); a report run while it
 * runs reads the lock and asks that monitor over HTTP instead of opening the files.
 *
 * @example
 * const lock = acquireLock('/var/lib/repram-monitor')
 * lock.update({ url: 'http://127.0.0.1:8090' })
 * // …
 * lock.release()
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** What the lock file holds. */
export interface LockInfo {
  pid: number
  startedAt: number
  /** The monitor's HTTP base URL, once it listens. */
  url?: string
}

/** The data directory is in use by a live monitor. */
export class DataDirLockedError extends Error {
  constructor (readonly dir: string, readonly holder: LockInfo) {
    super(`the embedded database in ${dir} is in use by monitor process ${holder.pid}${holder.url !== undefined ? ` (${holder.url})` : ''}`)
    this.name = 'DataDirLockedError'
  }
}

const lockPath = (dir: string): string => join(dir, 'monitor.lock')

function alive (pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The lock of a live monitor on `dir`, or undefined (no lock, or a stale one). */
export function readLock (dir: string): LockInfo | undefined {
  let info: LockInfo
  try {
    info = JSON.parse(readFileSync(lockPath(dir), 'utf8')) as LockInfo
  } catch {
    return undefined
  }
  if (typeof info?.pid !== 'number' || !alive(info.pid)) return undefined
  return info
}

/** A held lock. */
export interface DataDirLock {
  update(fields: Partial<LockInfo>): void
  /** Removes the lock file. Safe to call twice. */
  release(): void
}

/**
 * Takes the lock of `dir` (created if missing). A lock left by a process that no longer
 * runs is taken over; one held by a live process throws {@link DataDirLockedError}.
 */
export function acquireLock (dir: string): DataDirLock {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const path = lockPath(dir)
  let info: LockInfo = { pid: process.pid, startedAt: Date.now() }
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(info), { flag: 'wx', mode: 0o600 })
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw err
      const holder = readLock(dir)
      if (holder !== undefined) throw new DataDirLockedError(dir, holder)
      // Left by a process that no longer runs: take it over.
      rmSync(path, { force: true })
    }
  }
  let released = false
  return {
    update (fields) {
      if (released) return
      info = { ...info, ...fields }
      writeFileSync(path, JSON.stringify(info), { mode: 0o600 })
    },
    release () {
      if (released) return
      released = true
      const current = readLock(dir)
      if (current === undefined || current.pid === process.pid) rmSync(path, { force: true })
    }
  }
}
