/**
 * Load phases over HTTP with autocannon (as a library, in the runner's process) or wrk
 * (its own process, `wrk.ts`; the servers run in their own processes). A phase is a fixed-duration run of one request
 * shape, with the server's and the load generator's CPU use sampled around it, so a
 * report can tell a saturated server from a saturated generator.
 */
import autocannon from 'autocannon'
import type { ChildHandle } from './children.js'
import { runWrk } from './wrk.js'

/** One request shape. */
export type Workload =
  /** GET over `keys` preloaded keys, cycling. */
  | { kind: 'get', keyPrefix: string, keys: number }
  /** PUT of never-used keys under `keyPrefix`, `valueSize` bytes each, `?ttl=`. */
  | { kind: 'put', keyPrefix: string, valueSize: number, ttl: number }
  /** `GET /v1/keys?limit=` pages starting after a random one of `keys` preloaded keys (a client paging through them). */
  | { kind: 'keys', keyPrefix: string, keys: number, limit: number }
  /** `GET /v1/health`: the HTTP path alone, to tell a route's own cost from the server's. */
  | { kind: 'health' }

/** How hard and how long. */
export interface LoadShape {
  connections: number
  durationS: number
  /** Seconds; 0 = none. */
  timeoutS?: number
  /** Requests per second over all connections (a fixed offered load); unset = as fast as possible. */
  overallRate?: number
  /** Who makes the requests. @default 'autocannon' ('wrk' takes no overallRate nor the keys workload) */
  generator?: 'autocannon' | 'wrk'
}

/** The outcome of one phase. */
export interface PhaseResult {
  reqPerSec: number
  total: number
  /** Latencies in ms. */
  p50: number
  p90: number
  p99: number
  mean: number
  max: number
  non2xx: number
  errors: number
  timeouts: number
  durationS: number
  /** CPU of the server process over the phase, in % of one core. */
  serverCpu: number
  /** CPU of this (load generator) process over the phase, in % of one core. */
  loaderCpu: number
  /** Server heap + external at the end of the phase, MiB. */
  serverMemMiB: number
}

/** Width of the preloaded key numbers (see servers/common.ts). */
const KEY_DIGITS = 6

function requestsFor (w: Workload): autocannon.Request[] {
  if (w.kind === 'health') return [{ method: 'GET', path: '/v1/health' }]
  if (w.kind === 'keys') {
    // A fixed-seed walk, so runs compare: each page starts after a pseudo-random preloaded key.
    let x = 1
    return [{
      method: 'GET',
      setupRequest: (req) => {
        x = (x * 48271) % 2147483647
        const after = w.keyPrefix + String(x % w.keys).padStart(KEY_DIGITS, '0')
        req.path = `/v1/keys?limit=${w.limit}&prefix=${encodeURIComponent(w.keyPrefix)}&cursor=${encodeURIComponent(after)}`
        return req
      }
    }]
  }
  if (w.kind === 'get') {
    let i = 0
    return [{
      method: 'GET',
      setupRequest: (req) => {
        req.path = '/v1/data/' + w.keyPrefix + String(i++ % w.keys).padStart(KEY_DIGITS, '0')
        return req
      }
    }]
  }
  let i = 0
  const body = Buffer.alloc(w.valueSize, 0x61)
  return [{
    method: 'PUT',
    body,
    headers: { 'content-type': 'application/octet-stream' },
    setupRequest: (req) => {
      req.path = `/v1/data/${w.keyPrefix}${i++}?ttl=${w.ttl}`
      return req
    }
  }]
}

/** Runs `w` against `server` (at `url`) for `shape.durationS` seconds and measures it. */
export async function runPhase (url: string, server: ChildHandle<unknown>, w: Workload, shape: LoadShape, signal?: AbortSignal): Promise<PhaseResult> {
  if (shape.generator === 'wrk') {
    if (shape.overallRate !== undefined) throw new Error('wrk: no fixed rate (use autocannon)')
    const s0 = await server.usage()
    const t0 = performance.now()
    const { cpuUs, ...figures } = await runWrk(url, w, shape.connections, shape.durationS, signal)
    const wallUs = (performance.now() - t0) * 1000
    const s1 = await server.usage()
    return { ...resultOf(figures, s0, s1), loaderCpu: 100 * cpuUs / wallUs }
  }
  const s0 = await server.usage()
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const inst = autocannon({
    url,
    connections: shape.connections,
    duration: shape.durationS,
    timeout: shape.timeoutS ?? 10,
    ...(shape.overallRate === undefined ? {} : { overallRate: shape.overallRate }),
    requests: requestsFor(w)
  })
  const onAbort = (): void => inst.stop()
  signal?.addEventListener('abort', onAbort, { once: true })
  let r: autocannon.Result
  try {
    r = await inst
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
  const wallUs = (performance.now() - t0) * 1000
  const c1 = process.cpuUsage(c0)
  const s1 = await server.usage()
  const measured = {
    reqPerSec: r.requests.total / r.duration,
    total: r.requests.total,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    mean: r.latency.mean,
    max: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationS: r.duration
  }
  return { ...resultOf(measured, s0, s1), loaderCpu: 100 * (c1.user + c1.system) / wallUs }
}

type Usage = Awaited<ReturnType<ChildHandle<unknown>['usage']>>

/** What the load generator measures of a phase (the rest of a {@link PhaseResult} is CPU and memory). */
export type GeneratorFigures = Omit<PhaseResult, 'serverCpu' | 'loaderCpu' | 'serverMemMiB'>

/** A phase's result: the generator's figures and the server's CPU and memory between two samples. */
function resultOf (m: GeneratorFigures, s0: Usage, s1: Usage): Omit<PhaseResult, 'loaderCpu'> {
  const serverWallUs = (s1.at - s0.at) * 1000
  const serverCpuUs = (s1.cpuUserUs - s0.cpuUserUs) + (s1.cpuSystemUs - s0.cpuSystemUs)
  return { ...m, serverCpu: 100 * serverCpuUs / serverWallUs, serverMemMiB: (s1.memory.heapUsed + s1.memory.external) / 1024 / 1024 }
}
