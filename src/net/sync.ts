/**
 * `/repram/sync/1.0.0`: anti-entropy rounds and read-through (DESIGN §4).
 *
 * A round is one stream opened by the client. Digests are XORs of a 64-bit hash of
 * `(key, writeId, expiresAt)` over live records (see `actors/anti-entropy/digest.ts`):
 * 1. the client sends its root; equal roots end the round (tens of bytes);
 * 2. else the server answers with its 64 group digests; the client asks for the bucket
 *    digests of the groups that differ and are not empty on either side;
 * 3. buckets the client lacks entirely are pulled whole; buckets the server lacks
 *    entirely are left to the server's own rounds; other differing buckets are listed
 *    (no values) and compared by last-writer-wins, then the client fetches what the
 *    server wins and pushes what it wins.
 * Every message is bounded (records and entries are sent in frames with `more`), the
 * round has a deadline (`syncTimeoutMs`), expired records are never sent (checked with
 * the sender's clock) nor kept (checked with the receiver's, through the same validation
 * as gossip), and values above `gossipInlineBytes` are announced and pulled over
 * `/repram/blob/1.0.0` with their sha256 checked. Received records go through the
 * inbound-writes actor (`apply`), the one path into the store.
 *
 * Read-through uses the same protocol with a `get` request, answered from local state only.
 *
 * Jurisdictions (docs/compliance.md "Jurisdictions"): each side holds only records it may
 * hold, so a round compares, on both sides, only what both may hold. The client states
 * its jurisdiction in every request and computes its digests for the server's (as its
 * view knows it); the server computes its own for the client's, leaves records the client
 * may not hold out of every listing and answer (read-through included), and states its
 * jurisdiction on the answer to a root: when that differs from what the client assumed,
 * the client starts the round again with it. So digests never differ forever over records
 * one side must never take, and nothing restricted is pushed to or pulled by a node
 * outside. Both statements are each node's own word on its own connection; they reach
 * membership (`declared`).
 *
 * @example
 * const engine = new SyncEngine({ store, open, blobs, apply, metrics, log })
 * const result = await engine.round(peerId, AbortSignal.timeout(10_000))
 */
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import type { LocalStore } from '../node/store.js'
import type { RepramConfig } from '../config.js'
import type { Logger } from '../logger.js'
import { compareWrites, type RepramRecord } from '../record.js'
import { SYNC_BUCKETS, SYNC_GROUPS, GROUP_SIZE, digestBytes, digestWords, inScope, type PeerScope } from '../../actors/anti-entropy/digest.js'
import { isJurisdictionCode } from '../wire/jurisdiction.js'
import { SyncRequest, SyncResponse, WriteResult, type Fetch, type SyncEntry, type Write } from '../wire/pb/repram.js'
import { checkWrite, fromWire, proofBytes, toWire } from '../wire/write.js'
import type { BlobClient } from './blob.js'
import { BudgetExceededError, framedBytes, meterStream, type BudgetAccount } from './budget.js'
import { Counter, type Registry } from 'prom-client'

/** Target bytes of records per frame. */
export const SYNC_FRAME_BYTES = 1024 * 1024
/** Most records or entries per frame. */
export const SYNC_FRAME_ITEMS = 2048
/** Most buckets named in one request, and per local shard query (bounds memory per step). */
export const SYNC_BUCKETS_PER_REQUEST = 256
/** Most keys fetched per request. */
export const SYNC_FETCH_PER_REQUEST = 1024
/** Protobuf fields and framing around the records of one frame. */
const FRAME_SLACK_BYTES = 64 * 1024
/** Read-throughs in flight at once; more misses answer 404 without asking (bounded load). */
export const READ_THROUGH_MAX_INFLIGHT = 256
/** Inbound sync streams per connection (rounds and read-throughs). */
export const SYNC_MAX_STREAMS = 32

/** Metrics of anti-entropy and read-through. Labels are small enums. */
export interface SyncMetrics {
  rounds: Counter<'result'>
  records: Counter<'direction' | 'result'>
  bytes: Counter<'direction'>
  readThrough: Counter<'result'>
  readThroughServed: Counter<'result'>
}

/** Creates and registers the sync metrics. */
export function createSyncMetrics (registry: Registry): SyncMetrics {
  const registers = [registry]
  return {
    rounds: new Counter({ name: 'repram_sync_rounds_total', help: 'Anti-entropy rounds run as client (result: in_sync, repaired, failed)', labelNames: ['result'], registers }),
    records: new Counter({ name: 'repram_sync_records_total', help: 'Records moved by anti-entropy (direction: pulled, pushed, served, received; result: stored, stale, expired, invalid, failed)', labelNames: ['direction', 'result'], registers }),
    bytes: new Counter({ name: 'repram_sync_bytes_total', help: 'Bytes of /repram/sync/1.0.0 frames (direction: in, out), length prefixes included', labelNames: ['direction'], registers }),
    readThrough: new Counter({ name: 'repram_read_through_total', help: 'Local GET misses that read through to peers (result: hit, miss, skipped)', labelNames: ['result'], registers }),
    readThroughServed: new Counter({ name: 'repram_read_through_served_total', help: 'Read-through requests answered for peers (result: hit, miss)', labelNames: ['result'], registers })
  }
}

/** What a round did. */
export interface RoundResult {
  inSync: boolean
  pulled: number
  pushed: number
  bytesIn: number
  bytesOut: number
}

/** Where a batch of received records came from. */
export type SyncDirection = 'pulled' | 'received'

/** What the engine is built from. */
export interface SyncEngineInit {
  store: LocalStore
  /** Opens a stream to a peer on the sync protocol. */
  open: (peerId: string, signal: AbortSignal) => Promise<Stream>
  /** Pulls announced values of read-through answers. */
  blobs: BlobClient
  /** Applies received records (validation, pulls of announced values, merge): the inbound-writes actor. */
  apply: (writes: Write[], from: string, direction: SyncDirection, signal: AbortSignal) => Promise<WriteResult[]>
  metrics: SyncMetrics
  log: Logger
  /** What this node knows of a peer's jurisdiction (null: none; undefined: not known). @default unknown */
  peerJurisdiction?: (peer: string) => string | null | undefined
  /** A peer stated its jurisdiction on its own sync stream (membership keeps it). */
  declared?: (peer: string, jurisdiction: string | null) => void
  /** Told of a peer whose read-through answer no honest node sends (reputation: an `invalid_write` penalty). */
  penalise?: (peer: string) => void
}

type Lp = LengthPrefixedStream<Stream>

/** A framed stream that counts its bytes. */
class Framed {
  bytesIn = 0
  bytesOut = 0
  readonly lp: Lp
  /** @param account when set, each frame sent is charged to it until written (the server: the asking peer's budget). */
  constructor (readonly stream: Stream, maxFrame: number, private readonly metrics: SyncMetrics, private readonly account?: BudgetAccount) {
    this.lp = lpStream(stream, { maxDataLength: maxFrame, maxBufferSize: maxFrame * 2 } as Parameters<typeof lpStream>[1])
  }

  async send (m: SyncRequest | SyncResponse, enc: (m: any) => Uint8Array, signal: AbortSignal): Promise<void> {
    const buf = enc(m)
    const n = buf.byteLength + varintLength(buf.byteLength)
    if (this.account !== undefined && !this.account.charge(n)) throw new BudgetExceededError('sync')
    this.bytesOut += n
    this.metrics.bytes.inc({ direction: 'out' }, n)
    try {
      await this.lp.write(buf, { signal })
    } finally {
      this.account?.release(n)
    }
  }

  async read (signal: AbortSignal): Promise<Uint8Array> {
    const list = await this.lp.read({ signal })
    const n = list.byteLength + varintLength(list.byteLength)
    this.bytesIn += n
    this.metrics.bytes.inc({ direction: 'in' }, n)
    return list.subarray()
  }
}

function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) { n = Math.floor(n / 128); len++ }
  return len
}

/** The anti-entropy and read-through protocol of one node. */
export class SyncEngine {
  private readonly store: LocalStore
  private readonly config: RepramConfig
  private readThroughs = 0

  constructor (private readonly init: SyncEngineInit) {
    this.store = init.store
    this.config = init.store.config
  }

  /** Largest frame either side accepts. */
  get maxFrameBytes (): number {
    return SYNC_FRAME_BYTES + this.config.gossipInlineBytes + this.config.maxKeyBytes * 4 + FRAME_SLACK_BYTES
  }

  // ---- local state ----------------------------------------------------------------------

  /** This node's jurisdiction as stated on the wire (absent: none). */
  private get ownJurisdiction (): string | undefined {
    return this.config.jurisdiction
  }

  private async localGroups (scope: PeerScope): Promise<Uint32Array> {
    return await this.store.digest(undefined, scope)
  }

  private async localBuckets (groups: number[], scope: PeerScope): Promise<Uint32Array> {
    return await this.store.digest(groups, scope)
  }

  private async localRecords (buckets: number[], scope: PeerScope): Promise<RepramRecord[]> {
    return await this.store.buckets(buckets, scope)
  }

  /** Wire form for sending: inline, or announced above the threshold. Undefined when expired by our clock. */
  private outbound (rec: RepramRecord, now: number): Write | undefined {
    if (rec.expiresAt <= now) return undefined
    const w = toWire(rec, EMPTY, rec.value.byteLength <= this.config.gossipInlineBytes)
    return w
  }

  /** Applies records received from `from` (pulled or pushed) through the inbound-writes actor. */
  private async apply (writes: Write[], from: string, direction: SyncDirection, signal: AbortSignal): Promise<WriteResult[]> {
    if (writes.length === 0) return []
    return await this.init.apply(writes, from, direction, signal)
  }

  // ---- client ---------------------------------------------------------------------------

  /** Runs one round with `peerId`: both sides end with the union of their live records (LWW per key). */
  async round (peerId: string, signal: AbortSignal): Promise<RoundResult> {
    const c = this.config
    const stream = await this.init.open(peerId, signal)
    const f = new Framed(stream, this.maxFrameBytes, this.init.metrics)
    const base = { network: c.network, enclave: c.enclave, buckets: SYNC_BUCKETS, groups: [], entries: [], records: [], fetch: [], push: [], jurisdiction: this.ownJurisdiction }
    const ask = async (req: Partial<SyncRequest>): Promise<void> => { await f.send({ ...base, ...req }, SyncRequest.encode, signal) }
    const answer = async (): Promise<SyncResponse> => {
      const res = SyncResponse.decode(await f.read(signal), { limits: { entries: SYNC_FRAME_ITEMS, records: SYNC_FRAME_ITEMS } } as any)
      if (res.error !== undefined) throw new Error(`sync refused: ${res.error}`)
      return res
    }
    const result: RoundResult = { inSync: false, pulled: 0, pushed: 0, bytesIn: 0, bytesOut: 0 }
    try {
      // Digests for the jurisdiction the server is in, as far as we know (none until it says).
      const known = this.init.peerJurisdiction?.(peerId)
      let scope: PeerScope = { jurisdiction: known ?? null }
      let mine = await this.localGroups(scope)
      await ask({ root: digestBytes(mine.subarray(0, 2)) })
      let first = await answer()
      const theirJurisdiction = stated(first.jurisdiction)
      if (theirJurisdiction !== null && !isJurisdictionCode(theirJurisdiction)) throw new Error('the peer states no jurisdiction code')
      if (theirJurisdiction !== known) this.init.declared?.(peerId, theirJurisdiction)
      if (theirJurisdiction !== scope.jurisdiction) {
        // We compared the wrong sets: once more, for the jurisdiction it states.
        scope = { jurisdiction: theirJurisdiction }
        mine = await this.localGroups(scope)
        await ask({ root: digestBytes(mine.subarray(0, 2)) })
        first = await answer()
      }
      if (first.inSync === true) {
        result.inSync = true
        return result
      }
      const theirs = digestWords(first.digests)
      if (theirs.length !== SYNC_GROUPS * 2) throw new Error('bad group digests')
      // Buckets the server lacks entirely are left to the server's own rounds (it pulls):
      // pushing them too would send everything twice when both sides sync on a join.
      const pullWhole: number[] = []
      const compare: number[] = []
      const descend: number[] = []
      for (let g = 0; g < SYNC_GROUPS; g++) {
        const [ml, mh, tl, th] = [mine[2 + g * 2], mine[3 + g * 2], theirs[g * 2], theirs[g * 2 + 1]]
        if (ml === tl && mh === th) continue
        const groupBuckets = Array.from({ length: GROUP_SIZE }, (_, i) => g * GROUP_SIZE + i)
        if (ml === 0 && mh === 0) pullWhole.push(...groupBuckets)
        else if (tl !== 0 || th !== 0) descend.push(g)
      }
      if (descend.length > 0) {
        await ask({ groups: descend })
        const tb = digestWords((await answer()).digests)
        const mb = await this.localBuckets(descend, scope)
        if (tb.length !== mb.length) throw new Error('bad bucket digests')
        descend.forEach((g, i) => {
          for (let j = 0; j < GROUP_SIZE; j++) {
            const k = (i * GROUP_SIZE + j) * 2
            if (mb[k] === tb[k] && mb[k + 1] === tb[k + 1]) continue
            const b = g * GROUP_SIZE + j
            if (mb[k] === 0 && mb[k + 1] === 0) pullWhole.push(b)
            else if (tb[k] !== 0 || tb[k + 1] !== 0) compare.push(b)
          }
        })
      }
      // Whole buckets we lack: the server streams their records.
      for (const chunk of chunks(pullWhole, SYNC_BUCKETS_PER_REQUEST)) {
        await ask({ records: chunk })
        result.pulled += await this.receiveRecords(answer, peerId, signal)
      }
      // Buckets both hold, differently: compare entries, fetch what they win, push what we win.
      const toPush: RepramRecord[] = []
      for (const chunk of chunks(compare, SYNC_BUCKETS_PER_REQUEST)) {
        await ask({ entries: chunk })
        const remote = new Map<string, SyncEntry>()
        for (;;) {
          const res = await answer()
          for (const e of res.entries) remote.set(e.key, e)
          if (res.more !== true) break
        }
        const local = await this.localRecords(chunk, scope)
        const fetch: Fetch[] = []
        const held = new Map<string, RepramRecord>()
        for (const r of local) {
          held.set(r.key, r)
          const e = remote.get(r.key)
          if (e === undefined || compareWrites(r, e) > 0) toPush.push(r)
        }
        for (const e of remote.values()) {
          const r = held.get(e.key)
          if (r === undefined || compareWrites(e, r) > 0) fetch.push({ key: e.key, writeId: e.writeId })
        }
        for (const part of chunks(fetch, SYNC_FETCH_PER_REQUEST)) {
          await ask({ fetch: part })
          result.pulled += await this.receiveRecords(answer, peerId, signal)
        }
      }
      result.pushed += await this.push(toPush, ask, answer)
      this.init.metrics.rounds.inc({ result: 'repaired' })
      return result
    } finally {
      result.bytesIn = f.bytesIn
      result.bytesOut = f.bytesOut
      if (result.inSync) this.init.metrics.rounds.inc({ result: 'in_sync' })
      await stream.close({ signal }).catch(() => stream.abort(new Error('sync round ended')))
    }
  }

  /** Reads record frames until the last one; merges each frame while the next is read. */
  private async receiveRecords (answer: () => Promise<SyncResponse>, from: string, signal: AbortSignal): Promise<number> {
    let stored = 0
    let prev: Promise<void> = Promise.resolve()
    for (;;) {
      const res = await answer()
      await prev
      prev = this.apply(res.records, from, 'pulled', signal).then(rs => { for (const r of rs) if (r === WriteResult.HELD) stored++ })
      if (res.more !== true) break
    }
    await prev
    return stored
  }

  private async push (records: RepramRecord[], ask: (r: Partial<SyncRequest>) => Promise<void>, answer: () => Promise<SyncResponse>): Promise<number> {
    let pushed = 0
    let batch: Write[] = []
    let bytes = 0
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return
      const sent = batch
      batch = []
      bytes = 0
      await ask({ push: sent })
      const res = await answer()
      res.results.forEach(r => { if (r === WriteResult.HELD) pushed++ })
      this.init.metrics.records.inc({ direction: 'pushed', result: 'sent' }, sent.length)
    }
    for (const r of records) {
      const w = this.outbound(r, this.store.clock.now())
      if (w === undefined) continue
      const size = w.key.length * 3 + w.value.byteLength + 64 + proofBytes(w)
      if (batch.length > 0 && (bytes + size > SYNC_FRAME_BYTES || batch.length >= SYNC_FRAME_ITEMS)) await flush()
      batch.push(w)
      bytes += size
    }
    await flush()
    return pushed
  }

  // ---- read-through -----------------------------------------------------------------------

  /**
   * Asks each of `peers` (already chosen and bounded by the caller) for `key` from its
   * local state, within `readThroughTimeoutMs`; resolves with the last-writer-wins winner
   * among valid, live answers.
   */
  async readThrough (key: string, peers: string[]): Promise<RepramRecord | undefined> {
    if (peers.length === 0) return undefined
    if (this.readThroughs >= READ_THROUGH_MAX_INFLIGHT) {
      this.init.metrics.readThrough.inc({ result: 'skipped' })
      return undefined
    }
    this.readThroughs++
    const signal = AbortSignal.timeout(this.config.readThroughTimeoutMs)
    try {
      const found = await Promise.all(peers.map(async peer => await this.getFrom(peer, key, signal).catch(() => undefined)))
      let best: RepramRecord | undefined
      for (const r of found) if (r !== undefined && (best === undefined || compareWrites(r, best) > 0)) best = r
      this.init.metrics.readThrough.inc({ result: best === undefined ? 'miss' : 'hit' })
      return best
    } finally {
      this.readThroughs--
    }
  }

  private async getFrom (peer: string, key: string, signal: AbortSignal): Promise<RepramRecord | undefined> {
    const c = this.config
    const stream = await this.init.open(peer, signal)
    const f = new Framed(stream, this.maxFrameBytes, this.init.metrics)
    try {
      await f.send({ network: c.network, enclave: c.enclave, buckets: SYNC_BUCKETS, groups: [], entries: [], records: [], fetch: [], push: [], get: key, jurisdiction: this.ownJurisdiction }, SyncRequest.encode, signal)
      const res = SyncResponse.decode(await f.read(signal), { limits: { records: 1, entries: 0 } } as any)
      const w = res.records[0]
      if (res.error !== undefined) return undefined
      const theirs = stated(res.jurisdiction)
      if (theirs !== null && !isJurisdictionCode(theirs)) return undefined
      if (theirs !== this.init.peerJurisdiction?.(peer)) this.init.declared?.(peer, theirs)
      if (w === undefined || w.key !== key) return undefined
      // Same checks as gossip: limits, maxTtl + skew, and expiry by our clock.
      const why = checkWrite(w, this.store.clock.now(), c)
      if (why !== undefined) {
        if (why !== 'expired') this.init.penalise?.(peer)
        return undefined
      }
      return w.size === undefined ? fromWire(w) : await this.init.blobs.pull(peer, w, signal)
    } finally {
      await stream.close({ signal }).catch(() => stream.abort(new Error('read-through ended')))
    }
  }

  // ---- server -----------------------------------------------------------------------------

  /**
   * Serves one inbound sync stream until the client closes it or the deadline passes. Never
   * throws. With `account` (the asking peer's budget), every byte read is charged as it
   * arrives and released once its request is answered, and each answer frame while it is
   * written; past the cap the stream is reset. Requests are served one at a time.
   */
  async serve (stream: Stream, from: string, account?: BudgetAccount): Promise<void> {
    const c = this.config
    const signal = AbortSignal.timeout(c.syncTimeoutMs)
    const stopMetering = account === undefined ? () => {} : meterStream(stream, account)
    const f = new Framed(stream, this.maxFrameBytes, this.init.metrics, account)
    const reply = async (res: Partial<SyncResponse>): Promise<void> => {
      await f.send({ digests: new Uint8Array(0), entries: [], records: [], results: [], ...res }, SyncResponse.encode, signal)
    }
    try {
      let client: PeerScope | undefined
      for (;;) {
        let buf: Uint8Array
        try {
          buf = await f.read(signal)
        } catch {
          break
        }
        const req = SyncRequest.decode(buf, { limits: { groups: SYNC_GROUPS, entries: SYNC_BUCKETS_PER_REQUEST, records: SYNC_BUCKETS_PER_REQUEST, fetch: SYNC_FETCH_PER_REQUEST, push: SYNC_FRAME_ITEMS } } as any)
        if (req.network !== c.network || req.enclave !== c.enclave || req.buckets !== SYNC_BUCKETS) {
          await reply({ error: 'wrong network, enclave or bucket count' })
          break
        }
        const j = stated(req.jurisdiction)
        if (j !== null && !isJurisdictionCode(j)) {
          await reply({ error: 'bad jurisdiction' })
          break
        }
        // The client's own word on its own connection: what we leave out for it, and what membership learns.
        if (client === undefined || client.jurisdiction !== j) {
          client = { jurisdiction: j }
          this.init.declared?.(from, j)
        }
        await this.answer(req, from, client, reply, signal)
        account?.release(framedBytes(buf.byteLength))
      }
      await stream.close({ signal }).catch(() => {})
    } catch (err) {
      this.init.log.debug({ err: (err as Error)?.name }, 'sync stream ended with an error')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      stopMetering()
      account?.close()
    }
  }

  private async answer (req: SyncRequest, from: string, client: PeerScope, reply: (r: Partial<SyncResponse>) => Promise<void>, signal: AbortSignal): Promise<void> {
    if (req.get !== undefined) {
      // Local state only: a read-through never reads through again. A record the asker may
      // not hold is not served: not stored there, not proxied through it either.
      let rec = await this.store.lookup(req.get).catch(() => undefined)
      if (rec !== undefined && !inScope(rec.jurisdictions, client)) {
        this.store.outOfJurisdiction('withheld', 'read_through')
        rec = undefined
      }
      const w = rec === undefined ? undefined : this.outbound(rec, this.store.clock.now())
      this.init.metrics.readThroughServed.inc({ result: w === undefined ? 'miss' : 'hit' })
      await reply({ records: w === undefined ? [] : [w], jurisdiction: this.ownJurisdiction })
      return
    }
    if (req.root !== undefined) {
      const mine = await this.localGroups(client)
      const root = digestBytes(mine.subarray(0, 2))
      if (equalBytes(root, req.root)) await reply({ inSync: true, jurisdiction: this.ownJurisdiction })
      else await reply({ digests: digestBytes(mine.subarray(2)), jurisdiction: this.ownJurisdiction })
      return
    }
    if (req.groups.length > 0) {
      await reply({ digests: digestBytes(await this.localBuckets(req.groups.filter(g => g < SYNC_GROUPS), client)) })
      return
    }
    if (req.records.length > 0) {
      await this.sendRecords(await this.localRecords(req.records.filter(b => b < SYNC_BUCKETS), client), reply)
      return
    }
    if (req.entries.length > 0) {
      const recs = await this.localRecords(req.entries.filter(b => b < SYNC_BUCKETS), client)
      const now = this.store.clock.now()
      const live = recs.filter(r => r.expiresAt > now)
      for (let i = 0; i < live.length || i === 0; i += SYNC_FRAME_ITEMS) {
        const part = live.slice(i, i + SYNC_FRAME_ITEMS)
        await reply({ entries: part.map(r => ({ key: r.key, createdAt: r.createdAt, writeId: r.writeId, expiresAt: r.expiresAt })), more: i + SYNC_FRAME_ITEMS < live.length ? true : undefined })
      }
      return
    }
    if (req.fetch.length > 0) {
      const recs = await Promise.all(req.fetch.map(async x => await this.store.lookup(x.key).catch(() => undefined)))
      const held = recs.filter((r): r is NonNullable<typeof r> => r !== undefined)
      const allowed = held.filter(r => inScope(r.jurisdictions, client))
      if (allowed.length < held.length) this.store.outOfJurisdiction('withheld', 'sync', held.length - allowed.length)
      await this.sendRecords(allowed, reply)
      return
    }
    if (req.push.length > 0) {
      const results = await this.apply(req.push, from, 'received', signal)
      await reply({ results })
      return
    }
    await reply({})
  }

  /** Sends records in bounded frames; never an expired one (our clock, at send time). */
  private async sendRecords (recs: RepramRecord[], reply: (r: Partial<SyncResponse>) => Promise<void>): Promise<void> {
    let batch: Write[] = []
    let bytes = 0
    for (const r of recs) {
      const w = this.outbound(r, this.store.clock.now())
      if (w === undefined) continue
      const size = w.key.length * 3 + w.value.byteLength + 64 + proofBytes(w)
      if (batch.length > 0 && (bytes + size > SYNC_FRAME_BYTES || batch.length >= SYNC_FRAME_ITEMS)) {
        await reply({ records: batch, more: true })
        this.init.metrics.records.inc({ direction: 'served', result: 'sent' }, batch.length)
        batch = []
        bytes = 0
      }
      batch.push(w)
      bytes += size
    }
    await reply({ records: batch })
    this.init.metrics.records.inc({ direction: 'served', result: 'sent' }, batch.length)
  }
}

const EMPTY = new Uint8Array(0)

/** A jurisdiction as stated on the wire: absent or empty is none (null). */
function stated (j: string | undefined): string | null {
  return j === undefined || j === '' ? null : j
}

function * chunks<T> (a: T[], n: number): Generator<T[]> {
  for (let i = 0; i < a.length; i += n) yield a.slice(i, i + n)
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
