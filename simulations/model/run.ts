/**
 * Model predictions: `npx tsx simulations/model/run.ts [--nodes 1000,10000] [--rate 10]
 * [--value-bytes 256] [--max-peers 50]`. Prints, and writes `model.md` with an SVG
 * into simulations/results/model-<timestamp>/: propagation, per-node bandwidth and sync
 * cost at each size, for REPRAM as configured today and for the design changes that
 * scale it (bounded connections, no flood publish, larger batches, slower announces).
 *
 * @example
 * npx tsx simulations/model/run.ts --nodes 100,1000,10000 --rate 10 --value-bytes 1024
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runModel, type ModelParams } from './model.js'
import { fmt, fmtBytes, summarize } from '../network/stats.js'
import { lineChart } from '../network/svg.js'

/** Named variants: today's protocol and the changes that scale it. */
export const VARIANTS: Record<string, { text: string, params: (n: number) => Partial<ModelParams> }> = {
  before: { text: 'before the large-enclave work: every member connected and pinged, flood publish, announce every 5-10 s', params: () => ({}) },
  today: { text: 'production defaults today: an active view of 32 (about 64 connections), pings over those connections, flood publish, D 6, announce every memberTtl/3 = 20 s', params: () => ({ maxPeers: 64, announceMs: 20_000 }) },
  'large-enclave': { text: 'the docs/scaling.md settings (the simulation profile): activePeers 8 (about 16 connections), D 4 (Dlo 3, Dhi 8), Dlazy 3, gossip factor 0.1, no flood publish, announce every 20 s', params: () => ({ maxPeers: 16, floodPublish: false, announceMs: 20_000, D: 4, Dlo: 3, Dhi: 8, Dlazy: 3, gossipFactor: 0.1 }) },
  'large-enclave+batch': { text: 'large-enclave settings with 100 ms gossip batches and announces every 60 s (memberTtl 180 s)', params: () => ({ maxPeers: 16, floodPublish: false, announceMs: 60_000, D: 4, Dlo: 3, Dhi: 8, Dlazy: 3, gossipFactor: 0.1, batchDelayMs: 100 }) },
  bounded: { text: 'connections capped at 50 peers, no flood publish (mesh only), announce every 60 s, pings to connected peers only', params: () => ({ maxPeers: 50, floodPublish: false, announceMs: 60_000 }) },
  'bounded+batch': { text: 'bounded, plus 50 ms gossip batches', params: () => ({ maxPeers: 50, floodPublish: false, announceMs: 60_000, batchDelayMs: 50 }) },
  scalable: { text: 'bounded connections (50), no flood publish, partial-view membership (no enclave-wide announces; pings to connected peers), D=4 (Dlo 3, Dhi 8), Dlazy 3 / gossipFactor 0.1, 100 ms batches', params: () => ({ maxPeers: 50, floodPublish: false, announceMs: Infinity, D: 4, Dlo: 3, Dhi: 8, Dlazy: 3, gossipFactor: 0.1, batchDelayMs: 100 }) }
}

export interface Prediction { variant: string, nodes: number, p50: number, p99: number, max: number, undelivered: number, msgsPerWrite: number, perNode: Record<string, number>, payload: number, ratio: number, uplinkWaitMs: number }

export function predict (nodes: number[], base: Partial<ModelParams>, variants = Object.keys(VARIANTS), log: (s: string) => void = () => {}): Prediction[] {
  const out: Prediction[] = []
  for (const v of variants) {
    for (const n of nodes) {
      const t = performance.now()
      // Simulated time shrinks with N to keep a run to seconds; at least 100 writes.
      const duration = Math.max(Math.ceil(100 / (base.rate ?? 10)), n >= 5000 ? 10 : 20)
      const r = runModel({ ...base, nodes: n, duration, ...VARIANTS[v].params(n) })
      const s = summarize(r.reach)
      out.push({ variant: v, nodes: n, p50: s.p50, p99: s.p99, max: s.max, undelivered: r.undelivered, msgsPerWrite: r.messagesPerWrite, perNode: r.perNode, payload: r.payloadBytesPerSec, ratio: r.perNode.totalBytesPerSec / r.payloadBytesPerSec, uplinkWaitMs: r.maxUplinkWaitMs })
      log(`${v} N=${n}: p99 ${s.p99.toFixed(0)} ms, ${fmtBytes(r.perNode.totalBytesPerSec)}/s per node (${(r.perNode.totalBytesPerSec / r.payloadBytesPerSec).toFixed(1)}× payload), ${((performance.now() - t) / 1000).toFixed(1)} s`)
    }
  }
  return out
}

export function predictionTable (ps: Prediction[]): string {
  const L = ['| variant | N | p50 / p99 / max (ms) | undelivered | msgs/write | per node B/s: writes / announces / pings / sync = total | × payload rate |', '|---|---|---|---|---|---|---|']
  for (const p of ps) {
    const n = p.perNode
    L.push(`| ${p.variant} | ${p.nodes} | ${fmt(p.p50)} / ${fmt(p.p99)} / ${fmt(p.max)} | ${p.undelivered} | ${fmt(p.msgsPerWrite)} | ${fmtBytes(n.writeBytesPerSec)} / ${fmtBytes(n.announceBytesPerSec)} / ${fmtBytes(n.pingBytesPerSec)} / ${fmtBytes(n.syncBytesPerSec)} = ${fmtBytes(n.totalBytesPerSec)} | ${p.ratio.toFixed(1)} |`)
  }
  return L.join('\n')
}

async function main (): Promise<void> {
  const { values: v } = parseArgs({ options: { nodes: { type: 'string', default: '100,1000,10000' }, rate: { type: 'string', default: '10' }, 'value-bytes': { type: 'string', default: '256' }, latency: { type: 'string', default: '20' }, jitter: { type: 'string', default: '20' }, variants: { type: 'string' }, out: { type: 'string' } } })
  const nodes = String(v.nodes).split(',').map(Number)
  const base: Partial<ModelParams> = { rate: Number(v.rate), valueBytes: Number(v['value-bytes']), latencyMs: Number(v.latency), jitterMs: Number(v.jitter) }
  const variants = typeof v.variants === 'string' ? v.variants.split(',') : Object.keys(VARIANTS)
  const ps = predict(nodes, base, variants, s => process.stderr.write(`${s}\n`))
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)
  const dir = typeof v.out === 'string' ? v.out : join(fileURLToPath(new URL('../../', import.meta.url)), 'simulations', 'results', `model-${stamp}`)
  await mkdir(dir, { recursive: true })
  const md = [`# REPRAM model predictions`, '', `rate ${String(v.rate)} writes/s, values ${String(v['value-bytes'])} B, one-way latency ${String(v.latency)}–${Number(v.latency) + Number(v.jitter)} ms, per-node CPU 0.15 ms per message, 1 Gbit/s uplinks.`, '', ...variants.map(x => `- **${x}**: ${VARIANTS[x].text}`), '', predictionTable(ps), '', '![p99 vs N](model-p99.svg)', '![traffic vs N](model-traffic.svg)'].join('\n')
  await writeFile(join(dir, 'model.md'), md)
  await writeFile(join(dir, 'model-p99.svg'), lineChart(variants.map(x => ({ name: x, points: ps.filter(p => p.variant === x).map(p => [p.nodes, p.p99] as [number, number]) })), { title: 'Model: p99 propagation vs N', xLabel: 'nodes', yLabel: 'ms', logX: true, logY: true }))
  await writeFile(join(dir, 'model-traffic.svg'), lineChart(variants.map(x => ({ name: x, points: ps.filter(p => p.variant === x).map(p => [p.nodes, p.ratio] as [number, number]) })), { title: 'Model: per-node traffic / payload write rate', xLabel: 'nodes', yLabel: '× payload', logX: true, logY: true }))
  console.log(md)
  console.log(`\nwritten to ${dir}`)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1) })
}
