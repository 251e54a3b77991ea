// Node built-ins a browser node does not use at run time (files, OS, HTTP, clusters):
// stubs that answer harmlessly, or throw when actually called.
const unavailable = (name) => () => { throw new Error(`${name} is not available in the browser build`) }
export const readFileSync = unavailable('fs.readFileSync')
export const readFile = unavailable('fs.readFile')
export const writeFile = unavailable('fs.writeFile')
export const mkdir = unavailable('fs.mkdir')
export const rename = unavailable('fs.rename')
export const statfs = unavailable('fs.statfs')
export const readdir = unavailable('fs.readdir')
export const existsSync = () => false
export const homedir = () => '/'
export const hostname = () => 'browser'
export const totalmem = () => 0
export const freemem = () => 0
export const tmpdir = () => '/tmp'
export const platform = () => 'browser'
export const EOL = '\n'
export const join = (...parts) => parts.filter(p => p !== '').join('/').replace(/\/+/g, '/')
export const dirname = (p) => p.replace(/\/[^/]*$/, '') || '/'
export const basename = (p) => p.replace(/.*\//, '')
export const resolve = join
export const sep = '/'
export const getHeapStatistics = () => ({ total_heap_size: 0, used_heap_size: 0, heap_size_limit: 0, total_available_size: 0 })
export const getHeapSpaceStatistics = () => []
export const format = (f, ...a) => [String(f), ...a.map(x => typeof x === 'string' ? x : JSON.stringify(x))].join(' ')
export const inspect = (x) => { try { return JSON.stringify(x) } catch { return String(x) } }
export const inherits = (ctor, superCtor) => { Object.setPrototypeOf(ctor.prototype, superCtor.prototype) }
export const deprecate = (fn) => fn
export const types = { isPromise: (x) => x instanceof Promise }
export const isMainThread = true
export const parentPort = null
export const workerData = undefined
export const monitorEventLoopDelay = () => ({ enable () {}, disable () {}, reset () {}, percentile: () => 0, min: 0, max: 0, mean: 0, stddev: 0, percentiles: new Map() })
export const performance = globalThis.performance
export const PerformanceObserver = class { observe () {} disconnect () {} }
export const constants = {}
export const isatty = () => false
// net.isIP, for config validation: 4 for a dotted quad, 6 for what the URL parser takes in brackets, else 0.
export const isIP = (s) => {
  if (typeof s !== 'string') return 0
  if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s)) return 4
  if (!s.includes(':')) return 0
  try { new URL(`http://[${s}]/`); return 6 } catch { return 0 }
}
export class Transform {}
export class Duplex {}
export class Writable {}
export class Readable {}
export class StringDecoder { write (b) { return new TextDecoder().decode(b) } end () { return '' } }
export function ok (v, msg) { if (!v) throw new Error(msg ?? 'assertion failed') }
export default Object.assign(ok, { ok, equal: (a, b, m) => ok(a == b, m), strictEqual: (a, b, m) => ok(a === b, m), notStrictEqual: (a, b, m) => ok(a !== b, m), readFileSync, homedir, join, format, inspect, getHeapStatistics, totalmem, isatty })
