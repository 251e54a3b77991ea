// A small EventEmitter (node:events) for the browser build.
export class EventEmitter {
  #listeners = new Map()
  static defaultMaxListeners = 10
  on (name, fn) { (this.#listeners.get(name) ?? this.#listeners.set(name, []).get(name)).push(fn); return this }
  addListener (name, fn) { return this.on(name, fn) }
  prependListener (name, fn) { (this.#listeners.get(name) ?? this.#listeners.set(name, []).get(name)).unshift(fn); return this }
  once (name, fn) { const w = (...a) => { this.off(name, w); fn.apply(this, a) }; w.listener = fn; return this.on(name, w) }
  off (name, fn) { const l = this.#listeners.get(name); if (l !== undefined) { const i = l.findIndex(x => x === fn || x.listener === fn); if (i >= 0) l.splice(i, 1) } return this }
  removeListener (name, fn) { return this.off(name, fn) }
  removeAllListeners (name) { if (name === undefined) this.#listeners.clear(); else this.#listeners.delete(name); return this }
  emit (name, ...args) {
    const l = this.#listeners.get(name)
    if (l === undefined || l.length === 0) { if (name === 'error') throw args[0]; return false }
    for (const fn of [...l]) fn.apply(this, args)
    return true
  }
  listenerCount (name) { return this.#listeners.get(name)?.length ?? 0 }
  listeners (name) { return [...(this.#listeners.get(name) ?? [])] }
  eventNames () { return [...this.#listeners.keys()] }
  setMaxListeners () { return this }
  getMaxListeners () { return Infinity }
}
export function setMaxListeners () {}
export function once (emitter, name) { return new Promise(resolve => emitter.once(name, (...a) => resolve(a))) }
export default EventEmitter
