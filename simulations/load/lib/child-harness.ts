/**
 * Child side of the simulation IPC protocol. A child calls {@link serveChild} with a
 * setup function; the harness sends `ready` with whatever setup returns, then answers
 * the parent's requests: CPU/memory usage, the V8 CPU profiler (node:inspector, so a
 * profile covers exactly one load phase), and exit. The child exits when the parent
 * goes away (IPC disconnect), so no server outlives a benchmark.
 */
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'

/** CPU time (µs, since process start) and memory of a child. */
export interface ChildUsage {
  cpuUserUs: number
  cpuSystemUs: number
  /** Wall clock of the child when sampled (ms, `performance.now()`). */
  at: number
  memory: NodeJS.MemoryUsage
}

/** Parent → child. `id` correlates the reply. */
export type ChildRequest =
  | { type: 'usage', id: number }
  | { type: 'profile-start', id: number }
  | { type: 'profile-stop', file: string, id: number }
  | { type: 'exit', id: number }
  /** Calls a handler the child registered with {@link serveChild}. */
  | { type: 'call', id: number, method: string, arg?: unknown }

/** Child → parent. */
export type ChildReply =
  | { type: 'ready', ready: unknown }
  | { type: 'failed', error: string }
  | { type: 'usage', id: number, usage: ChildUsage }
  | { type: 'ok', id: number }
  | { type: 'error', id: number, error: string }
  | { type: 'result', id: number, value: unknown }

/** The JSON config the parent passed (`process.argv[2]`), or `{}`. */
export function childConfig<T> (): T {
  const raw = process.argv[2]
  return (raw === undefined ? {} : JSON.parse(raw)) as T
}

/** Reads the current usage of this process. */
export function currentUsage (): ChildUsage {
  const cpu = process.cpuUsage()
  return { cpuUserUs: cpu.user, cpuSystemUs: cpu.system, at: performance.now(), memory: process.memoryUsage() }
}

function send (msg: ChildReply): void {
  if (process.send !== undefined && process.connected) process.send(msg)
}

/** Scenario-specific requests a child answers (`call` messages), by method name. */
export type ChildHandlers = Record<string, (arg: unknown) => unknown>

/**
 * Runs `setup`, reports its result as `ready`, and serves requests until told to exit.
 * `teardown` runs before a requested exit; `handlers` answer `call` requests.
 */
export function serveChild<Ready> (setup: () => Promise<Ready>, teardown: () => Promise<void> = async () => {}, handlers: ChildHandlers = {}): void {
  if (process.send === undefined) {
    console.error('this file is started by simulations/load/run.ts, not directly')
    process.exit(2)
  }
  let session: Session | undefined
  process.on('disconnect', () => process.exit(0))
  process.on('message', (raw) => {
    const req = raw as ChildRequest
    void (async () => {
      try {
        switch (req.type) {
          case 'usage':
            send({ type: 'usage', id: req.id, usage: currentUsage() })
            return
          case 'profile-start':
            session ??= new Session()
            session.connect()
            await session.post('Profiler.enable')
            // 200 µs sampling: fine enough for a 10 s phase, light enough not to skew it much.
            await session.post('Profiler.setSamplingInterval', { interval: 200 })
            await session.post('Profiler.start')
            send({ type: 'ok', id: req.id })
            return
          case 'profile-stop': {
            if (session === undefined) throw new Error('profiler not started')
            const { profile } = await session.post('Profiler.stop')
            await writeFile(req.file, JSON.stringify(profile))
            session.disconnect()
            session = undefined
            send({ type: 'ok', id: req.id })
            return
          }
          case 'call': {
            const handler = handlers[req.method]
            if (handler === undefined) throw new Error(`no handler "${req.method}"`)
            send({ type: 'result', id: req.id, value: await handler(req.arg) })
            return
          }
          case 'exit':
            await teardown()
            process.exit(0)
        }
      } catch (err) {
        send({ type: 'error', id: req.id, error: err instanceof Error ? err.message : String(err) })
      }
    })()
  })
  setup().then(
    (ready) => send({ type: 'ready', ready }),
    (err: unknown) => {
      send({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) })
      process.exit(1)
    }
  )
}
