// Injected into every module of a browser bundle of a REPRAM node (scripts/browser/build.mjs):
// the Node globals the node and its dependencies touch at run time.
import { Buffer } from 'buffer'
import process from './process.mjs'

const g = globalThis
if (g.Buffer === undefined) g.Buffer = Buffer
// The buffer package lacks Node's base64url encoding.
if (!Buffer.isEncoding('base64url')) {
  const toString = Buffer.prototype.toString
  Buffer.prototype.toString = function (enc, start, end) {
    if (enc !== 'base64url') return toString.call(this, enc, start, end)
    return toString.call(this, 'base64', start, end).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  }
}
if (g.process === undefined) g.process = process
if (g.global === undefined) g.global = g
// nact schedules every message with setImmediate.
if (g.setImmediate === undefined) {
  const channel = new MessageChannel()
  const queue = []
  channel.port1.onmessage = () => { const f = queue.shift(); if (f !== undefined) f() }
  g.setImmediate = (fn, ...args) => { queue.push(() => fn(...args)); channel.port2.postMessage(0); return queue.length }
  g.clearImmediate = () => {}
}
// Node timers have unref()/ref(); browser timers are numbers. Wrap them so `.unref()` works.
if (typeof g.setTimeout(() => {}, 0) === 'number') {
  const wrap = (set, clear) => {
    const timer = (id) => ({ id, unref () { return this }, ref () { return this }, hasRef () { return true }, refresh () { return this }, [Symbol.toPrimitive] () { return id } })
    return [
      (fn, ms, ...args) => timer(set(fn, ms, ...args)),
      (h) => clear(typeof h === 'object' && h !== null ? h.id : h)
    ]
  }
  ;[g.setTimeout, g.clearTimeout] = wrap(g.setTimeout.bind(g), g.clearTimeout.bind(g))
  ;[g.setInterval, g.clearInterval] = wrap(g.setInterval.bind(g), g.clearInterval.bind(g))
}
