/**
 * A discrete-event model of REPRAM replication: the same protocol and parameters as the
 * real nodes, without sockets or crypto.
 *
 * What it models, per node:
 * - **gossipsub** (`@libp2p/gossipsub` defaults, as configured in `src/net/libp2p.ts`):
 *   a mesh of degree D within [Dlo, Dhi] over the connected peers; **flood publish**
 *   (the author sends its own message to every connected subscriber); forwarding of a
 *   first-seen message to mesh peers except the one it came from; heartbeats every
 *   `heartbeatMs` (random phase) that send IHAVE for the message ids of the last
 *   `historyGossip` heartbeats to max(Dlazy, gossipFactor × non-mesh peers) peers, which
 *   IWANT what they lack (one round trip later).
 * - **batching** (`actors/gossip-peer`): writes of one node within `batchDelayMs` share one
 *   message, at most `batchSize` writes.
 * - **links**: one-way latency `latencyMs + jitter` fixed per link; per-node uplink of
 *   `uplinkBytesPerSec` (serialisation queue: flood publish to thousands of peers takes
 *   time); loss as a dropped transmission (`drop`) or a TCP retransmission delay (`tcp`).
 * - **CPU**: `cpuPerMsgMs` per message received (decode, signature check on first sight,
 *   merge) on the node's own CPU (`cpu: 'per-node'`, a real deployment) or on one CPU
 *   shared by the nodes (`cpu: 'shared'`, the real-node simulation: node i on CPU i mod
 *   `cpus`, its worker threads; used to validate against it), with the background load
 *   of those CPUs as `sharedBusy`.
 * - **background in stretches** (`bgChunkMs`): a shared CPU's background load as busy
 *   stretches of that length, which messages wait out, instead of a uniform slowdown.
 * - **stalls**: `stallsPerSec` per CPU, each of a length drawn from `stallMs`, in which
 *   the CPU serves nothing (to validate against the simulation: its threads' measured
 *   event-loop stalls, mostly around major GCs of a heap shared by dozens of nodes).
 * - **membership and sync** (background): an announce per node per `announceMs`
 *   (jittered to ¾–1 of it, flooded like a write, skipped by a node that gossiped a write
 *   within that time), `N-1` pings per node per `pingIntervalMs`, one anti-entropy
 *   round per node per `syncIntervalMs` (root compare, plus digests when they differ).
 *
 * Not modelled: peer scoring, PRUNE/PX, IDONTWANT, connection set-up, mesh churn.
 */
import { rng } from '../network/stats.js'
import { ANNOUNCE_JITTER } from '../../actors/membership/index.js'

/** Parameters of the model. Times in ms, sizes in bytes. */
export interface ModelParams {
  nodes: number
  /** Writes per second, whole cluster, from random nodes (Poisson). */
  rate: number
  /** Simulated seconds of writes. */
  duration: number
  valueBytes: number
  keyBytes: number
  D: number
  Dlo: number
  Dhi: number
  Dlazy: number
  gossipFactor: number
  heartbeatMs: number
  historyGossip: number
  floodPublish: boolean
  /** Connected peers per node (REPRAM today: every member, i.e. N-1). */
  maxPeers: number
  batchDelayMs: number
  batchSize: number
  latencyMs: number
  jitterMs: number
  loss: number
  lossMode: 'drop' | 'tcp'
  rtoMs: number
  uplinkBytesPerSec: number
  cpu: 'per-node' | 'shared'
  cpuPerMsgMs: number
  /** Shared CPU: fraction busy with background work (pings, announces, timers). */
  sharedBusy: number
  /** Shared CPU: how many (node i runs on CPU i mod cpus: the simulation's worker threads). */
  cpus: number
  /**
   * Stalls per second of each CPU (each node's with `cpu: 'per-node'`): stretches in which
   * it serves no message (a major GC and the backlog around it), at Poisson times.
   */
  stallsPerSec: number
  /** Lengths of the stalls, ms, drawn at random (measured: the real run's event-loop stalls). */
  stallMs: number[]
  /**
   * Shared CPU: the background (`sharedBusy`) as busy stretches of this many ms at Poisson
   * times, which a message arriving during one waits out; 0: as a uniform slowdown of
   * every message (cost / (1 − sharedBusy)).
   */
  bgChunkMs: number
  announceMs: number
  pingIntervalMs: number
  syncIntervalMs: number
  /** Gossip message overhead: from, seqno, signature, topic, protobuf, RPC and yamux framing. */
  msgOverheadBytes: number
  /** Per write in a message: writeId, createdAt, expiresAt, origin, field tags. */
  writeOverheadBytes: number
  /** One message id in IHAVE/IWANT (StrictSign: from + seqno). */
  msgIdBytes: number
  /** Bytes of one ping exchange (stream open, multistream, 32 B each way, close). */
  pingBytes: number
  /** Bytes of an in-sync anti-entropy round (stream open, root, reply, close). */
  syncRoundBytes: number
  /** Extra bytes of a round whose roots differ (group digests, one group's buckets, entries). */
  syncDiffBytes: number
  seed: number
}

export const DEFAULT_MODEL: ModelParams = {
  nodes: 100,
  rate: 10,
  duration: 20,
  valueBytes: 256,
  keyBytes: 12,
  D: 6,
  Dlo: 4,
  Dhi: 12,
  Dlazy: 6,
  gossipFactor: 0.25,
  heartbeatMs: 1000,
  historyGossip: 3,
  floodPublish: true,
  maxPeers: Infinity,
  batchDelayMs: 2,
  batchSize: 256,
  latencyMs: 5,
  jitterMs: 5,
  loss: 0,
  lossMode: 'tcp',
  rtoMs: 200,
  uplinkBytesPerSec: 125_000_000 / 8 * 8, // 1 Gbit/s
  cpu: 'per-node',
  cpuPerMsgMs: 0.15,
  sharedBusy: 0,
  cpus: 1,
  stallsPerSec: 0,
  stallMs: [],
  bgChunkMs: 0,
  announceMs: 10_000,
  pingIntervalMs: 10_000,
  syncIntervalMs: 5000,
  msgOverheadBytes: 260,
  writeOverheadBytes: 90,
  msgIdBytes: 48,
  pingBytes: 400,
  syncRoundBytes: 300,
  syncDiffBytes: 2200,
  seed: 1
}

/** What the model predicts. */
export interface ModelResult {
  params: ModelParams
  /** Per write: ms from write to the last node. */
  reach: number[]
  /** Per (write, node): delivery delay, ms. */
  deliveries: number[]
  writes: number
  undelivered: number
  /** Gossip transmissions of write messages, per write. */
  messagesPerWrite: number
  ihavePerWrite: number
  iwantPerWrite: number
  /** Bytes on the wire caused by one write (gossip + IHAVE/IWANT), all nodes. */
  bytesPerWrite: number
  /** Per node, bytes/s sent: writes (gossip), background (announces, pings, heartbeats), sync. */
  perNode: { writeBytesPerSec: number, announceBytesPerSec: number, pingBytesPerSec: number, syncBytesPerSec: number, totalBytesPerSec: number }
  /** Payload write rate: rate × (key + value) bytes/s — the reference for "traffic ≤ 10× payload". */
  payloadBytesPerSec: number
  /** Peak uplink queue of an author (flood publish), ms. */
  maxUplinkWaitMs: number
  events: number
}

/** A binary min-heap of events ordered by time. */
class Heap {
  private t: number[] = []
  private v: Ev[] = []
  get size (): number { return this.t.length }
  push (time: number, ev: Ev): void {
    const t = this.t
    const v = this.v
    let i = t.length
    t.push(time); v.push(ev)
    while (i > 0) {
      const p = (i - 1) >> 1
      if (t[p] <= time) break
      t[i] = t[p]; v[i] = v[p]; i = p
    }
    t[i] = time; v[i] = ev
  }

  pop (): [number, Ev] {
    const t = this.t
    const v = this.v
    const top: [number, Ev] = [t[0], v[0]]
    const lt = t.pop()!
    const lv = v.pop()!
    if (t.length > 0) {
      let i = 0
      const n = t.length
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        const c = r < n && t[r] < t[l] ? r : l
        if (t[c] >= lt) break
        t[i] = t[c]; v[i] = v[c]; i = c
      }
      t[i] = lt; v[i] = lv
    }
    return top
  }
}

type Ev =
  | { k: 'write', node: number }
  | { k: 'flush', node: number }
  | { k: 'arrive', to: number, from: number, msg: number }
  | { k: 'process', to: number, from: number, msg: number }
  | { k: 'heartbeat', node: number }

interface Msg { writes: number[], bytes: number, holders: number, firstWrite: number, author: number }

/** Runs the model. */
export function runModel (input: Partial<ModelParams> = {}): ModelResult {
  const p: ModelParams = { ...DEFAULT_MODEL, ...input }
  const N = p.nodes
  const rnd = rng(p.seed)
  const heap = new Heap()
  const peersOf = Math.min(N - 1, p.maxPeers)

  // Connected peers: everyone (REPRAM today) or a random subset of maxPeers.
  const full = peersOf === N - 1
  const peers: Int32Array[] = []
  if (!full) {
    const sets = Array.from({ length: N }, () => new Set<number>())
    for (let i = 0; i < N; i++) {
      while (sets[i].size < Math.ceil(peersOf / 2)) {
        const j = Math.floor(rnd() * N)
        if (j !== i) { sets[i].add(j); sets[j].add(i) }
      }
    }
    for (let i = 0; i < N; i++) peers.push(Int32Array.from(sets[i]))
  }
  const peerList = (i: number): ArrayLike<number> => full ? allBut(N, i) : peers[i]

  // Mesh: a node below D grafts random connected peers (grafts are symmetric), so
  // degrees end between D and Dhi, mostly near D (as the gossipsub heartbeat keeps them).
  const meshSets = Array.from({ length: N }, () => new Set<number>())
  for (let i = 0; i < N; i++) {
    let guard = 0
    while (meshSets[i].size < Math.min(p.D, peersOf) && guard++ < 10 * p.D) {
      const pl = peerList(i)
      const j = pl[Math.floor(rnd() * pl.length)]
      if (j === i || meshSets[i].has(j) || meshSets[j].size >= p.Dhi) continue
      meshSets[i].add(j); meshSets[j].add(i)
    }
  }
  const mesh = meshSets.map(s => Int32Array.from(s))
  const meshDeg = mesh.reduce((n, m) => n + m.length, 0) / N

  // Per-link latency, fixed per pair.
  const lat = (a: number, b: number): number => {
    const x = a < b ? a * 1_000_003 + b : b * 1_000_003 + a
    let h = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d)
    h = Math.imul(h ^ (h >>> 12), 0x297a2d39)
    return p.latencyMs + p.jitterMs * (((h ^ (h >>> 15)) >>> 0) / 4294967296)
  }

  const has: Uint8Array[] = [] // per message: which nodes hold it
  const msgs: Msg[] = []
  const writeT0: number[] = []
  const writeArr: Float64Array[] = []
  const batch: number[][] = Array.from({ length: N }, () => [])
  const batchTimer = new Uint8Array(N)
  const uplinkFree = new Float64Array(N)
  let maxUplinkWait = 0
  const cpus = Math.max(1, Math.floor(p.cpus))
  const cpuFree = new Float64Array(p.cpu === 'shared' ? cpus : N)
  /** Per node: ring of (time, msg) received, for IHAVE. */
  const recent: Array<Array<[number, number]>> = Array.from({ length: N }, () => [])
  let tx = 0
  const pendingFrom = new Map<number, number[]>()
  let ihave = 0
  let iwant = 0
  let gossipBytes = 0
  let events = 0
  const end = p.duration * 1000

  const writeBytes = p.keyBytes + p.valueBytes + p.writeOverheadBytes
  const chunks = p.cpu === 'shared' && p.bgChunkMs > 0 && p.sharedBusy > 0
  const cpuCost = p.cpu === 'shared' && !chunks ? p.cpuPerMsgMs / Math.max(0.05, 1 - p.sharedBusy) : p.cpuPerMsgMs

  /** Sends `msg` from `a` to `b` at `t`: uplink serialisation, latency, loss. */
  const send = (t: number, a: number, b: number, m: number): void => {
    const bytes = msgs[m].bytes
    tx++
    gossipBytes += bytes
    const start = Math.max(t, uplinkFree[a])
    const done = start + bytes / p.uplinkBytesPerSec * 1000
    uplinkFree[a] = done
    maxUplinkWait = Math.max(maxUplinkWait, done - t)
    let d = lat(a, b)
    if (p.loss > 0 && rnd() < p.loss) {
      if (p.lossMode === 'drop') return
      d += p.rtoMs
    }
    heap.push(done + d, { k: 'arrive', to: b, from: a, msg: m })
  }

  const publish = (t: number, node: number): void => {
    const ws = batch[node].splice(0, p.batchSize)
    if (ws.length === 0) return
    const m = msgs.length
    msgs.push({ writes: ws, bytes: p.msgOverheadBytes + ws.length * writeBytes, holders: 1, firstWrite: ws[0], author: node })
    const h = new Uint8Array(N)
    h[node] = 1
    has.push(h)
    recent[node].push([t, m])
    const targets = p.floodPublish ? peerList(node) : mesh[node]
    for (let i = 0; i < targets.length; i++) if (targets[i] !== node) send(t, node, targets[i], m)
    if (batch[node].length > 0) publish(t, node)
  }

  const horizon = end + 30_000
  // Stalls per CPU: [start, end] at Poisson times (own random stream: the rest of the run
  // is the same with or without them).
  const stalls: Float64Array[] = []
  const stallAt = new Int32Array(cpuFree.length)
  const stalling = p.stallsPerSec > 0 && p.stallMs.length > 0
  if (stalling || chunks) {
    const r2 = rng(p.seed + 7919)
    const poisson = (perSec: number, len: () => number, into: Array<[number, number]>): void => {
      for (let t = -Math.log(1 - r2()) * 1000 / perSec; t < horizon; t += -Math.log(1 - r2()) * 1000 / perSec) into.push([t, len()])
    }
    for (let c = 0; c < cpuFree.length; c++) {
      const raw: Array<[number, number]> = []
      if (stalling) poisson(p.stallsPerSec, () => p.stallMs[Math.floor(r2() * p.stallMs.length)], raw)
      if (chunks) poisson(p.sharedBusy * 1000 / p.bgChunkMs, () => p.bgChunkMs, raw)
      raw.sort((a, b) => a[0] - b[0])
      const xs: number[] = []
      for (const [t, len] of raw) {
        const from = Math.max(t, xs.length > 0 ? xs[xs.length - 1] : 0)
        xs.push(from, from + len)
      }
      stalls.push(Float64Array.from(xs))
    }
  }
  /** When CPU `c` finishes `cost` ms of work that arrives at `t`: after its queue and any stall. */
  const serve = (c: number, t: number, cost: number): number => {
    let start = Math.max(t, cpuFree[c])
    let end = start + cost
    const st = stalls[c]
    if (st !== undefined) {
      let i = stallAt[c]
      while (i < st.length && st[i + 1] <= start) i += 2
      // A stall under way delays the start; one that begins during the work lengthens it.
      if (i < st.length && st[i] <= start) { start = st[i + 1]; end = start + cost; i += 2 }
      while (i < st.length && st[i] < end) { end += st[i + 1] - st[i]; i += 2 }
      stallAt[c] = i
    }
    cpuFree[c] = end
    return end
  }

  // Schedule writes (Poisson) and heartbeats (random phase).
  let tw = 0
  let nw = 0
  for (;;) {
    tw += -Math.log(1 - rnd()) * 1000 / p.rate
    if (tw >= end) break
    heap.push(tw, { k: 'write', node: Math.floor(rnd() * N) })
    nw++
  }
  for (let i = 0; i < N; i++) heap.push(rnd() * p.heartbeatMs, { k: 'heartbeat', node: i })

  while (heap.size > 0) {
    const [t, ev] = heap.pop()
    if (t > horizon) break
    events++
    switch (ev.k) {
      case 'write': {
        const w = writeT0.length
        writeT0.push(t)
        const arr = new Float64Array(N).fill(NaN)
        arr[ev.node] = t
        writeArr.push(arr)
        batch[ev.node].push(w)
        if (batch[ev.node].length >= p.batchSize) publish(t, ev.node)
        else if (batchTimer[ev.node] === 0) {
          batchTimer[ev.node] = 1
          heap.push(t + p.batchDelayMs, { k: 'flush', node: ev.node })
        }
        break
      }
      case 'flush':
        batchTimer[ev.node] = 0
        publish(t, ev.node)
        break
      case 'arrive': {
        // Duplicates are dropped by the seen-cache before any real work: a tenth of a message's cost.
        const dup = has[ev.msg][ev.to] === 1
        // gossipsub does not forward to peers that delivered the message while it was being validated.
        const key = ev.msg * N + ev.to
        const seenFrom = pendingFrom.get(key)
        if (!dup && seenFrom !== undefined) { seenFrom.push(ev.from); break }
        if (!dup) pendingFrom.set(key, [ev.from])
        const cost = dup ? cpuCost * 0.1 : cpuCost
        const at = serve(p.cpu === 'shared' ? ev.to % cpus : ev.to, t, cost)
        if (!dup) heap.push(at, { k: 'process', to: ev.to, from: ev.from, msg: ev.msg })
        break
      }
      case 'process': {
        const m = ev.msg
        if (has[m][ev.to] === 1) break
        has[m][ev.to] = 1
        msgs[m].holders++
        const origins = pendingFrom.get(m * N + ev.to) ?? []
        pendingFrom.delete(m * N + ev.to)
        for (const w of msgs[m].writes) writeArr[w][ev.to] = t
        recent[ev.to].push([t, m])
        const ms = mesh[ev.to]
        // Forwarded to mesh peers except the one it came from and its author.
        for (let i = 0; i < ms.length; i++) if (ms[i] !== msgs[m].author && !origins.includes(ms[i])) send(t, ev.to, ms[i], m)
        break
      }
      case 'heartbeat': {
        const n = ev.node
        if (t < horizon - p.heartbeatMs) heap.push(t + p.heartbeatMs, { k: 'heartbeat', node: n })
        const r = recent[n]
        const cutoff = t - p.historyGossip * p.heartbeatMs
        while (r.length > 0 && r[0][0] < cutoff) r.shift()
        if (r.length === 0) break
        const pl = peerList(n)
        const nonMesh = pl.length - mesh[n].length
        const k = Math.min(nonMesh, Math.max(p.Dlazy, Math.floor(p.gossipFactor * nonMesh)))
        ihave += r.length * k
        gossipBytes += r.length * k * p.msgIdBytes
        // Only messages still missing somewhere can trigger IWANT: simulate those.
        const open = r.filter(([, m]) => msgs[m].holders < N)
        if (open.length === 0) break
        const meshSet = meshSets[n]
        for (let x = 0; x < k; x++) {
          let j = pl[Math.floor(rnd() * pl.length)]
          if (meshSet.has(j) || j === n) j = pl[Math.floor(rnd() * pl.length)]
          if (j === n) continue
          for (const [, m] of open) {
            if (has[m][j] === 1) continue
            iwant++
            gossipBytes += p.msgIdBytes
            // IHAVE reaches j, j sends IWANT, n answers with the message.
            send(t + lat(n, j) + lat(j, n), n, j, m)
          }
        }
        break
      }
    }
  }

  const reach: number[] = []
  const deliveries: number[] = []
  let undelivered = 0
  for (let w = 0; w < writeT0.length; w++) {
    const arr = writeArr[w]
    let max = 0
    let all = true
    for (let i = 0; i < N; i++) {
      const a = arr[i]
      if (Number.isNaN(a)) { all = false; continue }
      const d = a - writeT0[w]
      if (deliveries.length < 2_000_000) deliveries.push(d)
      if (d > max) max = d
    }
    if (all) reach.push(max)
    else undelivered++
  }
  const writes = writeT0.length
  const durS = p.duration
  const writeBytesPerSecPerNode = gossipBytes / durS / N
  // Background, per node: announces (each announce is a small message flooded like a write),
  // pings (N-1 peers per interval, each exchange counted once per side), sync rounds.
  const announceMsgBytes = p.msgOverheadBytes + 20 + 40 // addresses
  const txPerMsg = writes > 0 ? tx / Math.max(1, msgs.length) : (peersOf + N * (meshDeg - 1)) / 1
  const announceBytesPerSec = announcesPerNodePerSec(p.announceMs, p.rate / N) * txPerMsg * announceMsgBytes
  const pingBytesPerSec = peersOf / (p.pingIntervalMs / 1000) * p.pingBytes
  // A round differs when some write is in flight between the two: P = 1 - e^(-rate × p99 reach).
  const inflight = p.rate * (quantileOf(reach, 0.99) / 1000 + p.batchDelayMs / 1000)
  const pDiff = 1 - Math.exp(-inflight)
  const syncBytesPerSec = p.syncIntervalMs > 0 ? (p.syncRoundBytes + pDiff * p.syncDiffBytes) / (p.syncIntervalMs / 1000) * 2 : 0
  const total = writeBytesPerSecPerNode + announceBytesPerSec + pingBytesPerSec + syncBytesPerSec
  return {
    params: p,
    reach,
    deliveries,
    writes,
    undelivered,
    messagesPerWrite: tx / Math.max(1, writes),
    ihavePerWrite: ihave / Math.max(1, writes),
    iwantPerWrite: iwant / Math.max(1, writes),
    bytesPerWrite: gossipBytes / Math.max(1, writes),
    perNode: { writeBytesPerSec: writeBytesPerSecPerNode, announceBytesPerSec, pingBytesPerSec, syncBytesPerSec, totalBytesPerSec: total },
    payloadBytesPerSec: p.rate * (p.keyBytes + p.valueBytes),
    maxUplinkWaitMs: maxUplinkWait,
    events
  }
}

function quantileOf (xs: number[], q: number): number {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
}

const allCache = new Map<number, Int32Array>()
/** Every node but `i` (full connectivity), without allocating per call. */
function allBut (N: number, i: number): ArrayLike<number> {
  let a = allCache.get(N)
  if (a === undefined) { a = Int32Array.from({ length: N }, (_, k) => k); allCache.set(N, a) }
  // Callers skip `i` themselves.
  return a
}

/**
 * Announces per node per second: a node announces after a quiet wait W (the jittered
 * interval, mean (1 − ANNOUNCE_JITTER/2) × `announceMs`) unless it gossips a write first.
 * With its own writes a Poisson process of rate λ per second, each cycle ends in an
 * announce with probability e^(−λW) and lasts (1 − e^(−λW))/λ on average.
 */
export function announcesPerNodePerSec (announceMs: number, writesPerNodePerSec: number): number {
  const w = announceMs * (1 - ANNOUNCE_JITTER / 2) / 1000
  const l = writesPerNodePerSec
  if (l <= 0) return 1 / w
  const q = Math.exp(-l * w)
  return l * q / (1 - q)
}
