/**
 * The chaos scenarios (issue 16, "Tests and figures"): real `repram start` processes under
 * a steady write load, a fault, then a convergence check. Each returns a
 * {@link ScenarioResult}: its checks (each an assertion with its figures), its figures and
 * a timeline. `run.ts` prints and saves them; `test/chaos/chaos.test.ts` runs the short
 * forms of `kill` and `partition`.
 *
 * - `kill`: 5 nodes, R = 3; SIGKILL 2 mid-run. 0 writes lost after a 201, 0 expired reads.
 * - `partition`: 5 nodes in network namespaces split 3 | 2 with writes on both sides, then
 *   healed (SIGSTOP/SIGCONT of the minority where namespaces are unavailable).
 * - `lossy`: one node's link slowed (netem delay 50ms loss 5%, or tbf where the kernel has
 *   no netem); every write 201 or 202, nothing lost after 201.
 * - `skew`: clocks −800 ms / 0 / +800 ms within a 2 s allowance (process-wide offset,
 *   `lib/skew-clock.mjs`), plus one node 5 s ahead, beyond it.
 * - `soak`: steady load for `--soak` (30 min), RSS over time; fails past +10 % after warm-up.
 *
 * @example
 * const r = await runKill({ root, short: true, log: console.error })
 * if (!r.ok) process.exitCode = 1
 */
import { mkdirSync } from 'node:fs'
import { startCliCluster, sampleNodes, getJson, type NodeSample } from '../load/lib/cli-cluster.js'
import { Traffic, converge, listKeys, request, type Convergence } from './lib/traffic.js'
import { startNode, stopNodes, signalNode, waitMembership, type ChaosNode } from './lib/nodes.js'
import { NetnsLan, probeNetns } from './lib/netns.js'

/** One assertion and whether it held. */
export interface Check { what: string, ok: boolean, detail: string }

/** What a scenario reports. */
export interface ScenarioResult {
  name: string
  /** Every check held (a skipped scenario is ok). */
  ok: boolean
  /** Set when the scenario did not run here, with why. */
  skipped?: string
  /** How it ran (SIGSTOP fallback, tbf instead of netem, …). */
  variant: string
  checks: Check[]
  /** Figures for the report: counts, times in ms. */
  figures: Record<string, number | string>
  /** `[seconds since start, event]`. */
  timeline: Array<[number, string]>
  /** RSS samples (soak). */
  rss?: Record<string, NodeSample[]>
}

/** What every scenario gets. */
export interface ScenarioOptions {
  /** Repository root. */
  root: string
  /** The CI form: a few seconds of load, lower rates. */
  short?: boolean
  /** Node output goes here (`<dir>/<scenario>-nodeN.log`). */
  logDir?: string
  /** PUTs per second. @default 150 (short: 60) */
  rate?: number
  /** More `repram start` flags for every node. */
  nodeFlags?: string[]
  signal?: AbortSignal
  log?: (msg: string) => void
}

/**
 * Node timings of the chaos runs: failure detection within a second or two, members
 * forgotten after 10 s, anti-entropy every 2 s, writes answered within 2 s.
 */
export const CHAOS_FLAGS = ['--replication', '3', '--ping-interval', '500ms', '--ping-failures', '2', '--member-ttl', '10s', '--sync-interval', '2s', '--write-timeout', '2s']

const sleep = async (ms: number, signal?: AbortSignal): Promise<void> => await new Promise((resolve, reject) => {
  if (signal?.aborted === true) { reject(new Error('aborted')); return }
  const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
  const onAbort = (): void => { clearTimeout(t); reject(new Error('aborted')) }
  signal?.addEventListener('abort', onAbort, { once: true })
})

/** Timeline and checks of one run. */
class Recorder {
  readonly t0 = performance.now()
  readonly timeline: Array<[number, string]> = []
  readonly checks: Check[] = []
  readonly figures: Record<string, number | string> = {}
  constructor (private readonly name: string, private readonly log?: (msg: string) => void) {}
  at (): number { return (performance.now() - this.t0) / 1000 }
  event (what: string): void {
    this.timeline.push([Math.round(this.at() * 10) / 10, what])
    this.log?.(`[${this.name}] ${this.at().toFixed(1)} s  ${what}`)
  }

  check (what: string, ok: boolean, detail: string): void {
    this.checks.push({ what, ok, detail })
    this.log?.(`[${this.name}] ${ok ? 'ok  ' : 'FAIL'} ${what}: ${detail}`)
  }

  result (variant: string, extra: Partial<ScenarioResult> = {}): ScenarioResult {
    return { name: this.name, ok: this.checks.every(c => c.ok), variant, checks: this.checks, figures: this.figures, timeline: this.timeline, ...extra }
  }
}

/** The checks every scenario makes of its traffic and convergence. */
function trafficChecks (rec: Recorder, traffic: Traffic, conv: Convergence, what: string): void {
  const counts = traffic.statusCounts()
  rec.figures.writes = traffic.writes.length
  rec.figures.writes201 = counts['201'] ?? 0
  rec.figures.writes202 = counts['202'] ?? 0
  rec.figures.writesOther = traffic.writes.length - (counts['201'] ?? 0) - (counts['202'] ?? 0)
  rec.figures.writeStatuses = JSON.stringify(counts)
  rec.figures.reads = traffic.reads.total
  rec.figures.reads200 = traffic.reads.ok
  rec.figures.reads404 = traffic.reads.notFound
  rec.figures.expiredReads = traffic.reads.expired.length
  rec.figures.required = conv.required
  rec.figures.lost = conv.lost
  rec.figures.convergedMs = conv.convergedMs
  rec.figures.readBackGets = conv.readBack.gets
  rec.check(`0 writes lost after a 201 (${what})`, conv.lost === 0, `${conv.required} writes required on each of them, ${conv.lost} missing${conv.lost > 0 ? ` (${JSON.stringify(conv.missing)}; e.g. ${conv.lostSample.slice(0, 3).join(', ')})` : ''}; converged in ${Number.isNaN(conv.convergedMs) ? 'never' : `${conv.convergedMs} ms`}`)
  rec.check('every required write reads back, right value and expiry', conv.readBack.not200 === 0 && traffic.reads.wrongValue === 0 && traffic.reads.wrongExpiry === 0, `${conv.readBack.gets} read-back GETs, ${conv.readBack.not200} not 200; ${traffic.reads.wrongValue} wrong values, ${traffic.reads.wrongExpiry} wrong X-Expires-At over ${traffic.reads.ok} 200s`)
  const e = traffic.reads.expired
  rec.check('0 expired reads', e.length === 0, `${traffic.reads.total} GETs checked (${traffic.reads.ok} 200, ${traffic.reads.notFound} 404)${e.length > 0 ? `; e.g. ${JSON.stringify(e[0])}` : ''}`)
}

/** Node ids by URL, from `/v1/health`. */
async function nodeIds (urls: string[]): Promise<Map<string, string>> {
  return new Map(await Promise.all(urls.map(async u => [u, (await getJson<{ node_id: string }>(`${u}/v1/health`)).node_id] as [string, string])))
}

/** Polls until every `urls` node shows each of `gone` as unhealthy or absent; returns ms, or NaN at the timeout. */
async function waitGoneUnhealthy (urls: string[], gone: string[], timeoutMs: number): Promise<number> {
  const t0 = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    const ok = await Promise.all(urls.map(async u => {
      const t = await getJson<{ peers: Array<{ id: string, healthy: boolean }> }>(`${u}/v1/topology`).catch(() => undefined)
      return t !== undefined && gone.every(g => t.peers.find(p => p.id === g)?.healthy !== true)
    }))
    if (ok.every(Boolean)) return Date.now() - t0
    await sleep(100)
  }
  return NaN
}

/** Scenario 1: SIGKILL of 2 of 5 nodes under a steady write load. */
export async function runKill (opts: ScenarioOptions): Promise<ScenarioResult> {
  const rec = new Recorder('kill', opts.log)
  const short = opts.short === true
  const [before, after] = short ? [3000, 3000] : [15_000, 30_000]
  const cluster = await startCliCluster({ size: 5, root: opts.root, extraArgs: [...CHAOS_FLAGS, ...(opts.nodeFlags ?? [])], maxStorageMb: 256, logDir: opts.logDir, logPrefix: 'kill-', signal: opts.signal })
  const dead = new Set<string>()
  const traffic = new Traffic({ targets: () => cluster.urls.filter(u => !dead.has(u)), prefix: Traffic.prefix('kill'), rate: opts.rate ?? (short ? 60 : 150) })
  try {
    rec.event('5 nodes meshed; load starts')
    const ids = await nodeIds(cluster.urls)
    traffic.start()
    await sleep(before, opts.signal)
    const victims = cluster.nodes.slice(3)
    for (const v of victims) { dead.add(v.url); process.kill(v.pid as number, 'SIGKILL') }
    const writesAtKill = traffic.writes.length
    rec.event(`SIGKILL ${victims.map(v => v.name).join(', ')}`)
    const survivors = cluster.urls.filter(u => !dead.has(u))
    const detect = waitGoneUnhealthy(survivors, victims.map(v => ids.get(v.url) as string), 30_000)
    // The writes answered before the kill, on every survivor, while the load goes on.
    const settle = converge({ urls: survivors, traffic, timeoutMs: after + 30_000, writes: traffic.writes.slice(), readBack: false })
    await sleep(after, opts.signal)
    await traffic.stop()
    rec.event('load stops')
    rec.figures.failureDetectedMs = await detect
    const settled = await settle
    rec.figures.preKillWritesOnSurvivorsMs = settled.convergedMs
    rec.event(`writes answered before the kill on every survivor ${settled.convergedMs} ms after it; the dead marked unhealthy after ${rec.figures.failureDetectedMs} ms`)
    const conv = await converge({ urls: survivors, traffic, timeoutMs: short ? 10_000 : 30_000 })
    rec.event(`survivors converged (${conv.convergedMs} ms after the load stopped)`)
    const afterKill = traffic.writes.slice(writesAtKill)
    rec.figures.writesAfterKill = afterKill.length
    rec.figures.writes201AfterKill = afterKill.filter(w => w.status === 201).length
    trafficChecks(rec, traffic, conv, 'on all 3 survivors')
    return rec.result('SIGKILL of node4 and node5 (loopback, `repram start` processes)')
  } finally {
    await traffic.stop()
    traffic.close()
    await cluster.stop()
  }
}

/** Starts `n` nodes in the hosts of `lan` (node1 the bootstrap of the others) and waits for membership. */
async function startLanNodes (lan: NetnsLan, n: number, opts: ScenarioOptions, prefix: string): Promise<ChaosNode[]> {
  const nodes: ChaosNode[] = []
  try {
    const flags = [...CHAOS_FLAGS, ...(opts.nodeFlags ?? [])]
    const at = (i: number): { name: string, netns: string, httpHost: string, listen: string } => ({ name: `${prefix}node${i}`, netns: lan.hostNs(i), httpHost: lan.ctlAddr(i), listen: `/ip4/${lan.dataAddr(i)}/tcp/9090` })
    nodes.push(await startNode({ root: opts.root, ...at(1), flags, logDir: opts.logDir }))
    const rest = await Promise.all(Array.from({ length: n - 1 }, async (_, j) => await startNode({ root: opts.root, ...at(j + 2), flags, peers: nodes[0].p2p, logDir: opts.logDir })))
    nodes.push(...rest)
    await waitMembership(nodes.map(x => x.url), 60_000)
    return nodes
  } catch (err) {
    await stopNodes(nodes)
    throw err
  }
}

/** Scenario 2: a 3 | 2 partition with writes on both sides, then heal. */
export async function runPartition (opts: ScenarioOptions & { forceSigstop?: boolean }): Promise<ScenarioResult> {
  const rec = new Recorder('partition', opts.log)
  const short = opts.short === true
  const size = short ? 4 : 5
  const minority = short ? [3, 4] : [4, 5]
  const [before, during, after] = short ? [2000, 5000, 1500] : [10_000, 25_000, 10_000]
  const probe = opts.forceSigstop === true ? { netns: false, reason: 'SIGSTOP variant asked for' } : probeNetns()
  const rate = opts.rate ?? (short ? 60 : 150)
  let lan: NetnsLan | undefined
  let nodes: ChaosNode[] = []
  let cluster: Awaited<ReturnType<typeof startCliCluster>> | undefined
  const stopped = new Set<string>()
  let urls: string[] = []
  const traffic = new Traffic({ targets: () => urls.filter(u => !stopped.has(u)), prefix: Traffic.prefix('partition'), rate })
  try {
    let variant: string
    let split: () => void
    let heal: () => void
    if (probe.netns) {
      lan = await NetnsLan.create(size)
      nodes = await startLanNodes(lan, size, opts, 'partition-')
      urls = nodes.map(n => n.url)
      variant = `network namespaces: ${size} hosts on a bridge, hosts ${minority.join(', ')} moved to another bridge`
      const l = lan
      split = () => l.partition(minority)
      heal = () => l.heal()
    } else {
      rec.event(`no namespaces (${probe.reason ?? ''}): SIGSTOP/SIGCONT of the minority instead; writes on the majority only`)
      cluster = await startCliCluster({ size, root: opts.root, extraArgs: [...CHAOS_FLAGS, ...(opts.nodeFlags ?? [])], maxStorageMb: 256, logDir: opts.logDir, logPrefix: 'partition-', signal: opts.signal })
      urls = cluster.urls
      const c = cluster
      variant = `SIGSTOP of nodes ${minority.join(', ')} (no network namespaces here)`
      split = () => { for (const i of minority) { stopped.add(c.urls[i - 1]); process.kill(c.nodes[i - 1].pid as number, 'SIGSTOP') } }
      heal = () => { for (const i of minority) { process.kill(c.nodes[i - 1].pid as number, 'SIGCONT'); stopped.delete(c.urls[i - 1]) } }
    }
    rec.event(`${size} nodes meshed; load starts`)
    traffic.start()
    await sleep(before, opts.signal)
    split()
    const splitAt = traffic.writes.length
    rec.event(`partition: ${minority.map(i => `node${i}`).join(', ')} cut off`)
    await sleep(during, opts.signal)
    const during201 = traffic.writes.slice(splitAt).filter(w => w.status === 201)
    heal()
    const healedAt = Date.now()
    rec.event('heal')
    // From the heal: every node healthy to every other, and every write of before the heal on every node.
    const members = waitMembership(urls, 60_000, true).then(() => Date.now() - healedAt, () => NaN)
    const settle = converge({ urls, traffic, timeoutMs: after + 60_000, writes: traffic.writes.slice(), include202: true, readBack: false })
    await sleep(after, opts.signal)
    await traffic.stop()
    rec.event('load stops')
    rec.figures.healthyAfterHealMs = await members
    const settled = await settle
    rec.figures.partitionWritesEverywhereAfterHealMs = settled.convergedMs
    rec.event(`after heal: every peer healthy in ${String(rec.figures.healthyAfterHealMs)} ms, every write of before the heal on every node in ${settled.convergedMs} ms`)
    // Nothing was killed: every write a node stored (201 or 202) must reach every node.
    const conv = await converge({ urls, traffic, timeoutMs: short ? 15_000 : 60_000, include202: true })
    rec.event(`converged ${conv.convergedMs} ms after the load stopped`)
    const minorityUrls = new Set(minority.map(i => urls[i - 1]))
    rec.figures.writes201DuringPartitionMajority = during201.filter(w => !minorityUrls.has(w.via)).length
    rec.figures.writes201DuringPartitionMinority = during201.filter(w => minorityUrls.has(w.via)).length
    trafficChecks(rec, traffic, conv, 'on every node, 202s included')
    if (probe.netns) rec.check('writes answered 201 on both sides during the partition', during201.some(w => minorityUrls.has(w.via)) && during201.some(w => !minorityUrls.has(w.via)), `majority ${String(rec.figures.writes201DuringPartitionMajority)}, minority ${String(rec.figures.writes201DuringPartitionMinority)}`)
    return rec.result(variant)
  } finally {
    await traffic.stop()
    traffic.close()
    await stopNodes(nodes)
    await cluster?.stop()
    lan?.destroy()
  }
}

/** Scenario 3: one node's link slow and lossy; writes through every node. */
export async function runLossy (opts: ScenarioOptions): Promise<ScenarioResult> {
  const rec = new Recorder('lossy', opts.log)
  const probe = probeNetns()
  if (!probe.netns) {
    const reason = `skipped: ${probe.reason ?? 'no network namespaces'} (netem needs a namespace's veth)`
    opts.log?.(`[lossy] ${reason}`)
    return rec.result('none', { skipped: reason })
  }
  const short = opts.short === true
  const size = 3
  const lan = await NetnsLan.create(size)
  let nodes: ChaosNode[] = []
  const traffic = new Traffic({ targets: () => nodes.map(n => n.url), prefix: Traffic.prefix('lossy'), rate: opts.rate ?? (short ? 40 : 100), valueBytes: 1024 })
  try {
    nodes = await startLanNodes(lan, size, opts, 'lossy-')
    const shape = lan.shape(size, probe.netem)
    rec.event(`node${size}'s link: ${shape.spec}${probe.netem ? '' : ' (this kernel has no netem: a token bucket stands in, delay and drops come from its queue)'}`)
    traffic.start()
    await sleep(short ? 6000 : 30_000, opts.signal)
    await traffic.stop()
    rec.event('load stops')
    const conv = await converge({ urls: nodes.map(n => n.url), traffic, timeoutMs: short ? 20_000 : 60_000 })
    rec.event(`converged ${conv.convergedMs} ms after the load stopped (link still shaped)`)
    const slow = traffic.writes.filter(w => w.via === nodes[size - 1].url)
    rec.figures.writesThroughShaped = slow.length
    rec.figures.writes201ThroughShaped = slow.filter(w => w.status === 201).length
    const other = traffic.writes.filter(w => w.status !== 201 && w.status !== 202)
    rec.check('every write answered 201 or 202', other.length === 0, `${other.length} of ${traffic.writes.length} otherwise (${JSON.stringify(traffic.statusCounts())})`)
    trafficChecks(rec, traffic, conv, 'on every node')
    return rec.result(`namespaces, ${shape.kind}: ${shape.spec} on node${size}'s data link, both directions`)
  } finally {
    await traffic.stop()
    traffic.close()
    await stopNodes(nodes)
    lan.destroy()
  }
}

/** Sum of the samples of `name` in Prometheus text whose labels contain `labelPart`. */
function metricSum (text: string, name: string, labelPart = ''): number {
  let sum = 0
  for (const line of text.split('\n')) if (line.startsWith(name) && line.includes(labelPart)) sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0
  return sum
}

/** Scenario 4: clocks apart within the allowance, and one node beyond it. */
export async function runSkew (opts: ScenarioOptions): Promise<ScenarioResult> {
  const rec = new Recorder('skew', opts.log)
  const short = opts.short === true
  const maxSkewMs = 2000
  const offsets = [-800, 0, 800]
  const beyondMs = 5000
  const flags = [...CHAOS_FLAGS, '--max-clock-skew', `${maxSkewMs}ms`, ...(opts.nodeFlags ?? [])]
  const base = { root: opts.root, httpHost: '127.0.0.1', listen: '/ip4/127.0.0.1/tcp/0', logDir: opts.logDir }
  const nodes: ChaosNode[] = []
  let traffic: Traffic | undefined
  try {
    nodes.push(await startNode({ ...base, name: 'skew-node1', clockOffsetMs: offsets[0], flags }))
    nodes.push(...await Promise.all([1, 2].map(async i => await startNode({ ...base, name: `skew-node${i + 1}`, clockOffsetMs: offsets[i], flags, peers: nodes[0].p2p }))))
    nodes.push(await startNode({ ...base, name: 'skew-ahead', clockOffsetMs: beyondMs, flags, peers: nodes[0].p2p }))
    const fair = nodes.slice(0, 3)
    await waitMembership(nodes.map(n => n.url), 60_000)
    rec.event(`clocks ${offsets.join(' / ')} ms (allowance ${maxSkewMs} ms) and one node ${beyondMs} ms ahead; load starts`)
    const offsetOf = new Map(nodes.map(n => [n.url, n.clockOffsetMs]))
    // Half the writes live 2 s, so every node is read around their expiry by its own clock.
    traffic = new Traffic({ targets: () => fair.map(n => n.url), readTargets: () => nodes.map(n => n.url), prefix: Traffic.prefix('skew'), rate: opts.rate ?? (short ? 40 : 100), readRate: short ? 80 : 200, shortFraction: 0.5, clockOffsetMs: u => offsetOf.get(u) ?? 0 })
    traffic.start()
    // Writes through the node beyond the allowance. A peer refuses a write created beyond
    // its now + allowance; that lasts until its clock catches up (beyond − allowance −
    // the peer's own offset), after which anti-entropy may carry it (the rule is checked on receipt).
    const ahead = nodes[3]
    const aheadPrefix = Traffic.prefix('skew-ahead')
    const aheadKeys: string[] = []
    const wroteAt = Date.now()
    for (let i = 0; i < 20; i++) {
      const key = `${aheadPrefix}/${i}`
      const r = await request(traffic.agent, 'PUT', `${ahead.url}/v1/data/${key}?ttl=300`, Buffer.from('ahead'), 10_000)
      if (r.status === 201 || r.status === 202) aheadKeys.push(key)
    }
    const refusedUntil = wroteAt + beyondMs - maxSkewMs - Math.max(...offsets) - 300
    const copies = async (): Promise<number> => (await Promise.all(fair.map(async n => await listKeys(traffic!.agent, n.url, `${aheadPrefix}/`)))).reduce((a, s) => a + (s?.size ?? 0), 0)
    let takenEarly = 0
    while (Date.now() < refusedUntil) { takenEarly = Math.max(takenEarly, await copies()); await sleep(100) }
    const earlyWindowMs = refusedUntil - wroteAt
    const arrived = (async () => {
      while (Date.now() - wroteAt < 20_000) { if (await copies() > 0) return Date.now() - wroteAt; await sleep(200) }
      return NaN
    })()
    await sleep(short ? 6000 : 30_000, opts.signal)
    await traffic.stop()
    rec.event('load stops')
    const conv = await converge({ urls: fair.map(n => n.url), traffic, timeoutMs: short ? 15_000 : 30_000 })
    trafficChecks(rec, traffic, conv, 'on the 3 nodes within the allowance')
    const past = traffic.reads.maxServedPastExpiryMs
    rec.figures.maxServedPastExpiryMs = past
    rec.check(`no node serves a record more than the allowance (${maxSkewMs} ms) past its expiry, on the runner's clock`, past <= maxSkewMs, `latest 200 was asked ${past} ms after X-Expires-At (node clocks up to ${Math.max(...offsets.map(o => -o))} ms behind)`)
    const refused = (await Promise.all(fair.map(async n => {
      const text = (await request(traffic!.agent, 'GET', `${n.url}/v1/metrics`, undefined, 5000)).body.toString()
      return metricSum(text, 'repram_sync_records_total', 'result="invalid"') + metricSum(text, 'repram_replicate_frames_refused_total', 'invalid') + metricSum(text, 'repram_gossip_writes_total', 'result="invalid"')
    }))).reduce((a, b) => a + b, 0)
    rec.figures.aheadWrites = aheadKeys.length
    rec.figures.aheadRefusals = refused
    rec.figures.aheadFirstCopyAfterMs = await arrived
    rec.check(`writes from a clock ${beyondMs} ms ahead are refused while beyond the allowance`, aheadKeys.length > 0 && takenEarly === 0 && refused > 0, `${aheadKeys.length} written on it; ${takenEarly} copies on the others during the first ${earlyWindowMs} ms; ${refused} refusals counted (replicate, gossip, sync); first copy accepted by a peer after ${String(rec.figures.aheadFirstCopyAfterMs)} ms`)
    return rec.result(`loopback processes, clocks shifted per process (Date, lib/skew-clock.mjs): ${offsets.join(', ')} ms within --max-clock-skew ${maxSkewMs}ms; one node +${beyondMs} ms`)
  } finally {
    await traffic?.stop()
    traffic?.close()
    await stopNodes(nodes)
  }
}

/** Parses `30m`, `90s`, `1h`, `45` (seconds). */
export function parseDuration (s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim())
  if (m === null) throw new Error(`--soak: "${s}" is not a duration like 30m, 90s or 1h`)
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000)
}

/**
 * RSS growth of one node after warm-up: the least-squares line through every sample after
 * warm-up, its value at the last sample against its value at the first. A node's RSS follows
 * the V8 old space it has reserved, which swings by ±15 % with the phase of major GCs (seen
 * in a 3-node soak: old space reserved 63 → 96 → 69 MiB while records stayed flat), so two
 * short windows compared against each other measure the GC phase; a line through all the
 * samples measures the trend, which is what a leak is.
 */
export function rssGrowth (samples: NodeSample[], warmupS: number): { baseMiB: number, endMiB: number, growth: number } {
  const after = samples.filter(s => s.t >= warmupS && Number.isFinite(s.rssMiB))
  if (after.length < 2) return { baseMiB: NaN, endMiB: NaN, growth: NaN }
  const n = after.length
  const mt = after.reduce((a, s) => a + s.t, 0) / n
  const mr = after.reduce((a, s) => a + s.rssMiB, 0) / n
  const cov = after.reduce((a, s) => a + (s.t - mt) * (s.rssMiB - mr), 0)
  const vt = after.reduce((a, s) => a + (s.t - mt) ** 2, 0)
  const slope = vt > 0 ? cov / vt : 0
  const at = (t: number): number => mr + slope * (t - mt)
  const baseMiB = at(after[0].t)
  const endMiB = at(after[n - 1].t)
  return { baseMiB, endMiB, growth: endMiB / baseMiB - 1 }
}

/** Scenario 5: steady load for `durationMs`; fails if a node's RSS grows by more than 10 % after warm-up. */
export async function runSoak (opts: ScenarioOptions & { durationMs: number }): Promise<ScenarioResult> {
  const rec = new Recorder('soak', opts.log)
  const warmupS = opts.durationMs / 1000 * 0.2
  // TTLs end well within the warm-up, so the store is at its steady size when measuring starts.
  const ttlS = Math.max(5, Math.min(300, Math.floor(warmupS / 2)))
  const cluster = await startCliCluster({ size: 3, root: opts.root, extraArgs: [...CHAOS_FLAGS, ...(opts.nodeFlags ?? [])], maxStorageMb: 512, logDir: opts.logDir, logPrefix: 'soak-', signal: opts.signal })
  const traffic = new Traffic({ targets: () => cluster.urls, prefix: Traffic.prefix('soak'), rate: opts.rate ?? 200, ttlS, shortFraction: 0.1 })
  const sampler = sampleNodes(cluster.nodes, Math.max(1000, Math.min(10_000, opts.durationMs / 120)), performance.now(), { heapSpaces: true })
  try {
    rec.event(`3 nodes; ${opts.durationMs / 1000} s of load, TTL ${ttlS} s, warm-up ${warmupS} s`)
    traffic.start()
    await sleep(opts.durationMs, opts.signal)
    await traffic.stop()
    await sampler.stop()
    rec.event('load stops')
    const conv = await converge({ urls: cluster.urls, traffic, timeoutMs: 30_000, readBack: false })
    trafficChecks(rec, traffic, conv, 'on all 3 nodes')
    for (const [name, s] of sampler.samples) {
      const g = rssGrowth(s, warmupS)
      rec.figures[`${name}RssBaseMiB`] = Math.round(g.baseMiB * 10) / 10
      rec.figures[`${name}RssEndMiB`] = Math.round(g.endMiB * 10) / 10
      rec.check(`${name}: RSS grows at most 10 % after warm-up`, g.growth <= 0.1, `trend line ${g.baseMiB.toFixed(1)} → ${g.endMiB.toFixed(1)} MiB (${(g.growth * 100).toFixed(1)} %), ${s.length} samples`)
    }
    return rec.result(`3 loopback processes, ${traffic.writes.length} writes`, { rss: Object.fromEntries(sampler.samples) })
  } finally {
    await traffic.stop()
    await sampler.stop()
    traffic.close()
    await cluster.stop()
  }
}

/** Makes `dir` (for node logs). */
export function ensureDir (dir: string): string { mkdirSync(dir, { recursive: true }); return dir }
