// A `process` for the browser: no environment, zero resource figures.
const t0 = performance.now()
const process = {
  env: {},
  argv: [],
  platform: 'browser',
  version: 'v20.0.0',
  versions: {},
  pid: 1,
  browser: true,
  nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
  memoryUsage: Object.assign(() => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }), { rss: () => 0 }),
  cpuUsage: () => ({ user: 0, system: 0 }),
  resourceUsage: () => ({}),
  hrtime: Object.assign((prev) => {
    const ns = BigInt(Math.round((performance.now() - t0) * 1e6))
    const now = [Number(ns / 1000000000n), Number(ns % 1000000000n)]
    return prev === undefined ? now : [now[0] - prev[0], now[1] - prev[1]]
  }, { bigint: () => BigInt(Math.round((performance.now() - t0) * 1e6)) }),
  uptime: () => (performance.now() - t0) / 1000,
  on () { return process },
  once () { return process },
  off () { return process },
  emit () { return false },
  emitWarning () {},
  cwd: () => '/',
  getuid: () => 0,
  stdout: { isTTY: false, write () { return true } },
  stderr: { isTTY: false, write () { return true } },
  exit () { throw new Error('process.exit in the browser') }
}
export default process
export const { env, nextTick, memoryUsage, cpuUsage, hrtime, uptime, platform, versions } = process
