/**
 * The markdown report and SVG charts of a network simulation run: per-scenario metrics,
 * propagation CDF, messages per write against N, convergence after heal, and model
 * against real (the model runs the same parameters on one shared CPU, calibrated on the
 * smallest real run: see simulations/model/README.md).
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { RunResult } from './scenarios.js'
import { cdf, fmt, fmtBytes, summarize } from './stats.js'
import { lineChart, type Series } from './svg.js'
import { runModel, type ModelResult } from '../model/model.js'
import { modelParamsFor, calibrate, stallsOf, TOLERANCE } from '../model/validate.js'

export async function writeReport (dir: string, results: RunResult[], o: { validate: boolean, log: (s: string) => void }): Promise<string> {
  const L: string[] = []
  L.push('# REPRAM network simulation', '')
  L.push(`Generated ${new Date().toISOString()}. Real nodes in one process over simnet (simulation profile: no connection encryption, signed gossip, one shared CPU; see simulations/network/README.md).`, '')
  L.push('| scenario | N | writes | propagation p50 / p99 / max (ms) | undelivered | gossip msgs/write | bytes/write | B/s per node (writes / idle) | convergence after heal (ms) | reads | stale | missing | wrong winner | workers | cpu | wall |')
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const r of results) {
    const p = r.params
    const conv = r.convergenceMs !== undefined ? fmt(r.convergenceMs) : r.hotConvergenceMs !== undefined ? `hot key ${fmt(r.hotConvergenceMs)}` : '–'
    L.push(`| ${p.scenario} | ${p.nodes} | ${r.writes} | ${fmt(r.propagation.p50)} / ${fmt(r.propagation.p99)} / ${fmt(r.propagation.max)} | ${r.undelivered} | ${fmt(r.gossipMessagesPerWrite)} | ${fmtBytes(r.bytesPerWrite)} | ${fmtBytes(r.bytesPerNodePerSec)} / ${fmtBytes(r.idleBytesPerNodePerSec)} | ${conv} | ${r.reads} | ${r.staleReads} | ${r.missing} | ${r.wrongWinner} | ${r.workers ?? 1} | ${fmt(r.elu * 100)}% | ${fmt(r.wallMs / 1000)} s |`)
  }
  L.push('')
  L.push('Propagation: time from `put()` to the last node that was alive from the write to the end (partition: writes outside the partition window). Messages and bytes per write: traffic during the write phase minus the idle rate (pings, announces, heartbeats, sync), divided by writes. Stale: reads answered with a record already expired when the read was issued. Missing: (live node, live winner) pairs absent after convergence; wrong winner: a node holds an older write of the key. workers: the worker threads the nodes were spread over (node i in thread i mod W). cpu: event-loop utilisation of the busiest worker thread during writes (near 100%: latencies include queueing for the core its nodes share).', '')
  for (const r of results) for (const n of r.notes) L.push(`- ${r.params.scenario}/${r.params.nodes}: ${n}`)
  L.push('')

  // Propagation CDF.
  const cdfSeries: Series[] = results.filter(r => r.deliveries.length > 0).map(r => ({ name: `${r.params.scenario} N=${r.params.nodes}`, points: cdf(r.deliveries) }))
  await writeFile(join(dir, 'propagation-cdf.svg'), lineChart(cdfSeries, { title: 'Propagation: delay of each (write, node) delivery', xLabel: 'ms after put()', yLabel: 'fraction of deliveries', logX: true, yMin: 0 }))
  L.push('![propagation CDF](propagation-cdf.svg)', '')

  // Convergence after heal.
  const conv = results.filter(r => r.convergenceCurve !== undefined && r.convergenceCurve.length > 0)
  if (conv.length > 0) {
    await writeFile(join(dir, 'convergence.svg'), lineChart(conv.map(r => ({ name: `N=${r.params.nodes}`, points: r.convergenceCurve! })), { title: 'Convergence after heal: partition-era deliveries done', xLabel: 'ms after heal', yLabel: 'fraction of (write, node) pairs', yMin: 0 }))
    L.push('![convergence after heal](convergence.svg)', '')
  }

  // Model against real.
  if (o.validate) {
    const steady = results.filter(r => r.params.scenario === 'steady' || r.params.scenario === 'lossy')
    if (steady.length > 0) {
      const cal = calibrate(steady)
      L.push('## Model against real', '')
      L.push(`The model runs each real run's parameters with the nodes on as many shared CPUs as the run had worker threads (node i on CPU i mod W, as in the simulation). CPU cost per write-carrying transmission calibrated on the smallest run (the busy time the writes added over the idle window, per transmission of one thread): ${cal.cpuPerMsgMs.toFixed(3)} ms; each thread's background busy fraction is its event-loop utilisation in that run's idle window, served in busy stretches as long as that window's timer probe says (twice the mean lateness of the late probes); each thread's event-loop stalls of ≥ 100 ms during the writes (a major GC of the heap its nodes share and the backlog around it) are replayed at the measured rate and lengths. The column *p99 without stalls* is the same model without them: what the protocol and the CPU queue alone give. Tolerance: ${TOLERANCE.text}.`, '')
      L.push('| scenario | N | p50 real / model (ms) | p99 real / model (ms) | p99 without stalls (ms) | background: busy, stretch | stalls per thread per minute, mean length | msgs/write real / model | IHAVE ids/write real / model | within tolerance |')
      L.push('|---|---|---|---|---|---|---|---|---|---|')
      const pts: Record<string, Array<[number, number]>> = { rp50: [], mp50: [], rp99: [], mp99: [], rmsg: [], mmsg: [] }
      for (const r of steady) {
        o.log(`model: ${r.params.scenario} N=${r.params.nodes}`)
        const mp = modelParamsFor(r, cal)
        const m: ModelResult = runModel(mp)
        const s = summarize(m.reach)
        const bare = summarize(runModel({ ...mp, stallsPerSec: 0 }).reach)
        const st = stallsOf(r)
        const stallCol = st.ms.length > 0 ? `${(st.perSec * 60).toFixed(1)}, ${fmt(st.ms.reduce((a, b) => a + b, 0) / st.ms.length)} ms` : 'none'
        const ok = TOLERANCE.check(r, m)
        L.push(`| ${r.params.scenario} | ${r.params.nodes} | ${fmt(r.propagation.p50)} / ${fmt(s.p50)} | ${fmt(r.propagation.p99)} / ${fmt(s.p99)} | ${fmt(bare.p99)} | ${Math.round((mp.sharedBusy ?? 0) * 100)}%, ${(mp.bgChunkMs ?? 0).toFixed(1)} ms | ${stallCol} | ${fmt(r.gossipMessagesPerWrite)} / ${fmt(m.messagesPerWrite)} | ${fmt(r.ihavePerWrite)} / ${fmt(m.ihavePerWrite)} | ${ok.ok ? 'yes' : `no (${ok.why})`} |`)
        if (r.params.scenario === 'steady') {
          pts.rp50.push([r.params.nodes, r.propagation.p50]); pts.mp50.push([r.params.nodes, s.p50])
          pts.rp99.push([r.params.nodes, r.propagation.p99]); pts.mp99.push([r.params.nodes, s.p99])
          pts.rmsg.push([r.params.nodes, r.gossipMessagesPerWrite]); pts.mmsg.push([r.params.nodes, m.messagesPerWrite])
        }
      }
      L.push('')
      await writeFile(join(dir, 'model-vs-real.svg'), lineChart([
        { name: 'real p50', points: pts.rp50, dots: true }, { name: 'model p50', points: pts.mp50, dashed: true },
        { name: 'real p99', points: pts.rp99, dots: true }, { name: 'model p99', points: pts.mp99, dashed: true }
      ], { title: 'Propagation, model against real (steady)', xLabel: 'nodes', yLabel: 'ms', yMin: 0 }))
      await writeFile(join(dir, 'messages-per-write.svg'), lineChart([
        { name: 'real', points: pts.rmsg, dots: true }, { name: 'model', points: pts.mmsg, dashed: true }
      ], { title: 'Gossip transmissions per write', xLabel: 'nodes', yLabel: 'messages per write', yMin: 0 }))
      L.push('![model vs real](model-vs-real.svg)', '', '![messages per write](messages-per-write.svg)', '')
    }
  }
  const path = join(dir, 'report.md')
  await writeFile(path, L.join('\n'))
  return path
}
