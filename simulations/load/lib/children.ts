/**
 * Parent side of the child processes a scenario starts (servers under load, probes).
 * Each child is a TypeScript file run by `node --import tsx`, talks over the IPC
 * channel (see `child-harness.ts`), and is killed when the parent exits for any
 * reason: every live child is tracked here and SIGKILLed by {@link killAllChildren},
 * which the runner calls on exit, on signals and on errors. A child also exits by
 * itself when its IPC channel closes, so even a SIGKILLed parent leaves no server behind.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildReply, ChildRequest, ChildUsage } from './child-harness.js'

/** How long a child may take to report `ready`. */
const READY_TIMEOUT_MS = 60_000
/** How long a request to a child may take (profile writing included). */
const REQUEST_TIMEOUT_MS = 60_000
/** How long `stop()` waits for a clean exit before SIGKILL. */
const STOP_GRACE_MS = 5_000

const live = new Set<ChildProcess>()

/** The `--import` URL that lets plain `node` run TypeScript (tsx's ESM loader). */
export const TSX_LOADER = import.meta.resolve('tsx')

/** Options of {@link startChild}. */
export interface StartChildOptions {
  /** Extra node flags, e.g. `--expose-gc`, `--max-old-space-size=4096`. */
  nodeArgs?: string[]
  /** One JSON argument handed to the child (`process.argv[2]`). */
  config?: unknown
  /** A label for errors. */
  label?: string
  /** How long to wait for `ready`. @default 60 s */
  readyTimeoutMs?: number
  cwd?: string
  /** Pin the child (every thread) to these CPUs, e.g. `0` (`taskset -a -pc`); unset = anywhere. */
  cpus?: string
}

/** A running child. */
export interface ChildHandle<Ready> {
  readonly pid: number
  readonly label: string
  /** The child's `ready` payload. */
  readonly ready: Ready
  /** CPU time and memory of the child now. */
  usage(): Promise<ChildUsage>
  /** Starts the V8 sampling profiler in the child. */
  profileStart(): Promise<void>
  /** Stops it and writes the `.cpuprofile` to `file`. */
  profileStop(file: string): Promise<void>
  /** Calls a handler the child registered with `serveChild(…, handlers)`. */
  call<T = unknown>(method: string, arg?: unknown): Promise<T>
  /** Asks the child to exit, SIGKILLs it after a grace period. Safe to call twice. */
  stop(): Promise<void>
  /** Resolves with the exit code when the child exits. */
  readonly exited: Promise<number | null>
}

/**
 * Starts `script` (a path relative to this repository or absolute) in a child node
 * process and waits for its `ready` message.
 */
export async function startChild<Ready> (script: string | URL, opts: StartChildOptions = {}): Promise<ChildHandle<Ready>> {
  const path = script instanceof URL ? fileURLToPath(script) : script
  const label = opts.label ?? path
  const args = [...(opts.nodeArgs ?? []), '--import', TSX_LOADER, path]
  if (opts.config !== undefined) args.push(JSON.stringify(opts.config))
  const child = spawn(process.execPath, args, { cwd: opts.cwd, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, NODE_OPTIONS: '' } })
  live.add(child)
  if (opts.cpus !== undefined && child.pid !== undefined) pinProcess(child.pid, opts.cpus)
  const exited = new Promise<number | null>(resolve => child.once('exit', (code) => { live.delete(child); resolve(code) }))

  let seq = 0
  const waiting = new Map<number, { resolve: (r: ChildReply) => void, reject: (e: Error) => void, timer: NodeJS.Timeout }>()
  let readyResolve!: (r: Ready) => void
  let readyReject!: (e: Error) => void
  const readyP = new Promise<Ready>((resolve, reject) => { readyResolve = resolve; readyReject = reject })
  const failAll = (err: Error): void => {
    readyReject(err)
    for (const w of waiting.values()) { clearTimeout(w.timer); w.reject(err) }
    waiting.clear()
  }
  child.on('message', (raw) => {
    const msg = raw as ChildReply
    if (msg.type === 'ready') { readyResolve(msg.ready as Ready); return }
    if (msg.type === 'failed') { failAll(new Error(`${label}: ${msg.error}`)); return }
    const w = waiting.get(msg.id)
    if (w === undefined) return
    waiting.delete(msg.id)
    clearTimeout(w.timer)
    if (msg.type === 'error') w.reject(new Error(`${label}: ${msg.error}`))
    else w.resolve(msg)
  })
  child.once('error', (err) => failAll(err))
  void exited.then((code) => failAll(new Error(`${label} exited (code ${String(code)})`)))

  const request = async (req: ChildRequest): Promise<ChildReply> => {
    const id = ++seq
    return await new Promise<ChildReply>((resolve, reject) => {
      const timer = setTimeout(() => { waiting.delete(id); reject(new Error(`${label}: no answer to ${req.type} within ${REQUEST_TIMEOUT_MS} ms`)) }, REQUEST_TIMEOUT_MS)
      waiting.set(id, { resolve, reject, timer })
      child.send({ ...req, id }, (err) => {
        if (err != null) { clearTimeout(timer); waiting.delete(id); reject(err) }
      })
    })
  }

  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      if (child.connected) child.send({ type: 'exit', id: 0 }, () => {})
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
      await exited
      clearTimeout(timer)
    })()
    return await stopping
  }

  const readyTimeoutMs = opts.readyTimeoutMs ?? READY_TIMEOUT_MS
  const readyTimer = setTimeout(() => readyReject(new Error(`${label} was not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs)
  let ready: Ready
  try {
    ready = await readyP
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  } finally {
    clearTimeout(readyTimer)
  }

  return {
    pid: child.pid ?? -1,
    label,
    ready,
    exited,
    stop,
    usage: async () => {
      const r = await request({ type: 'usage', id: 0 })
      if (r.type !== 'usage') throw new Error(`${label}: unexpected reply ${r.type}`)
      return r.usage
    },
    profileStart: async () => { await request({ type: 'profile-start', id: 0 }) },
    profileStop: async (file: string) => { await request({ type: 'profile-stop', file, id: 0 }) },
    call: async <T>(method: string, arg?: unknown): Promise<T> => {
      const r = await request({ type: 'call', id: 0, method, arg })
      if (r.type !== 'result') throw new Error(`${label}: unexpected reply ${r.type}`)
      return r.value as T
    }
  }
}

/**
 * Starts a one-shot child that computes something and sends it as its `ready`
 * payload, then waits for it to exit.
 */
export async function runChild<Result> (script: string | URL, opts: StartChildOptions = {}): Promise<Result> {
  const child = await startChild<Result>(script, opts)
  await child.stop()
  return child.ready
}

/**
 * Tracks a process started without {@link startChild} (e.g. a `repram start` CLI node),
 * so {@link killAllChildren} kills it too. It leaves the set when it exits.
 */
export function trackProcess (child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return
  live.add(child)
  child.once('exit', () => live.delete(child))
}

/** SIGKILLs every child still alive. Synchronous, so it is safe in an `exit` handler. */
export function killAllChildren (): void {
  for (const c of live) {
    try { c.kill('SIGKILL') } catch { /* already gone */ }
  }
  live.clear()
}

/**
 * Pins a process, every thread of it, to `cpus` (e.g. `0`, `1-3`) with util-linux's
 * `taskset`. Throws when taskset is missing or refuses: a benchmark that asked for pinning
 * must not silently run unpinned.
 */
export function pinProcess (pid: number, cpus: string): void {
  try {
    execFileSync('taskset', ['-a', '-pc', cpus, String(pid)], { stdio: 'ignore' })
  } catch (err) {
    throw new Error(`could not pin pid ${pid} to CPUs ${cpus} with taskset (util-linux): ${(err as Error).message}`)
  }
}
