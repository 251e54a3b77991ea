/**
 * The node facade: the library API of DESIGN §3 on top of the storage shards and the
 * TTL reaper. It owns no records itself; every read and write is a message to the
 * shard that owns the key.
 *
 * @example
 * import { createRepramNode } from 'repram'
 * const node = await createRepramNode({ config: { profile: 'test' } })
 * const put = await node.put('app/session/42', new TextEncoder().encode('hi'), { ttl: 60 })
 * const rec = await node.get('app/session/42')
 * await node.stop()
 */
import { EventEmitter } from 'node:events'
import { getHeapStatistics } from 'node:v8'
import { randomBytes, randomUUID } from 'node:crypto'
import { dispatch, start, stop as stopSystem, type Ref } from 'nact'
import { Asker, Coalescer } from '../../actors/runtime/ask.js'
import type { CrashReport, CrashReporter } from '../../actors/runtime/supervise.js'
import { xorInto } from '../../actors/anti-entropy/digest.js'
import { systemClock, type Clock } from '../clock.js'
import { capacityBytes, profileDefaults, validateConfig, type RepramConfig, type RepramConfigInput } from '../config.js'
import { BadRequestError, CapacityExceededError, InvalidJurisdictionError, InvalidKeyError, NoJurisdictionMemberError, NodeStoppedError, NotInJurisdictionError } from '../errors.js'
import { admits, formatJurisdictions, parseJurisdictions } from '../wire/jurisdiction.js'
import { silentLogger, createLogger, type Logger } from '../logger.js'
import { compareUtf8, newWriteId, resolveTtl, validateKey, validateValue, type RepramRecord } from '../record.js'
import { Entry, shardOf, spawnStorageShard, type ShardStats, type StorageShardMsg, type WriteOutcome } from '../../actors/storage-shard/index.js'
import { spawnTtlReaper, type TtlReaperMsg } from '../../actors/ttl-reaper/index.js'
import { formatEventId, parseEventId, spawnWatchHub, type ResumePoint, type WatchHubMsg, type WatchSink } from '../../actors/watch-hub/index.js'
import { VERSION } from '../version.js'
import { Registry } from 'prom-client'
import { createNodeMetrics, type NodeMetrics } from './metrics.js'
import type { LocalStore, NetworkInfo, PeerEvent, Replicator, TopologyPeer } from './store.js'
import { AttestationService } from '../attest/service.js'
import { ClockSkewError, OwnerSignatureError, StaleWriteError } from '../errors.js'
import type { OwnerProof } from '../record.js'
import { isReservedKey, ownedKeyError, verifyOwnedWrite } from '../wire/owner.js'
import { nativeEd25519Verify, valueHash, WRITE_ID } from '../wire/write.js'
import type { AttestationSigner } from '../attest/signer.js'

/** How long the facade waits for a shard before giving up. */
const SHARD_TIMEOUT_MS = 10_000

/** A record as returned by {@link RepramNode.get}. */
export interface RecordView extends RepramRecord {
  /** The TTL applied at write time, in seconds. */
  readonly ttl: number
}

/** The outcome of {@link RepramNode.put}. */
export interface PutResult {
  key: string
  /** Applied TTL in seconds (after clamping). */
  ttl: number
  createdAt: number
  expiresAt: number
  writeId: string
  /** Copies confirmed, including this node's. */
  replicas: number
  /** True when the quorum confirmed the write (HTTP 201); false means stored locally only so far (202). */
  quorum: boolean
  /** The jurisdictions the write may live in (canonical), when it named some. */
  jurisdictions?: readonly string[]
}

/** Options of {@link RepramNode.put}. */
export interface PutOptions {
  /** TTL in seconds; the default TTL when absent. Strings are parsed strictly. */
  ttl?: number | string
  /** A write to an owned key: the createdAt and writeId its owner signed, and the proof (docs/owned-keys.md). */
  signed?: SignedPut
  /**
   * The jurisdictions the write may live in (codes, or an `X-Jurisdiction` value such as
   * `"eu,ch"`): only nodes in one of them store or replicate it. This node must be in one
   * (else 421 `not_in_jurisdiction`, or 422 `no_jurisdiction_member` when no member is
   * either). Absent: anywhere in the enclave.
   */
  jurisdictions?: readonly string[] | string
}

/** What a client signed for an owned key's write (its value and TTL come with the put). */
export interface SignedPut {
  /** ms since epoch, on the client's clock: within `signedWriteSkewMs` of the node's. */
  createdAt: number
  /** 1..64 printable ASCII characters, unique per write. */
  writeId: string
  proof: OwnerProof
}

/** Options of {@link RepramNode.keys}. */
export interface KeysOptions {
  prefix?: string
  /** Page size. @default 100 */
  limit?: number
  /** Exclusive: list keys after this one. */
  cursor?: string
}

/** One page of keys. */
export interface KeysPage { keys: string[], nextCursor?: string }

/** Payload of `record:stored` and `record:expired`. Holds the key: never log it. */
export interface RecordEvent {
  key: string
  createdAt: number
  expiresAt: number
  writeId: string
  size: number
  /** The first bit of the value: the compliance flag of SDK envelopes (DESIGN §6). */
  flagged: boolean
  /** `local` for writes made on this node, `remote` for replicated ones. */
  origin?: 'local' | 'remote'
}

/** Options of {@link RepramNode.watch}. */
export interface WatchOptions {
  /** Only keys starting with this. @default '' (every key) */
  prefix?: string
  /** Carry values (up to `watchValueMaxBytes`) in `stored` events. @default false */
  values?: boolean
  /** Resume after this event id (an SSE `Last-Event-ID`): buffered events after it are replayed first. */
  lastEventId?: string
}

/** A running watch: where it started, and how to end it. */
export interface WatchSubscription {
  /** The id of the newest event at subscription: resuming from it misses nothing. */
  lastEventId: string
  /** True when `lastEventId` was asked for but could not be resumed from: events were missed. */
  gap: boolean
  /** Ends the watch (the sink gets no more events; `end` is not called). */
  close(): void
}

export type { WatchSink, WatchDelivery } from '../../actors/watch-hub/index.js'
export { formatEventId } from '../../actors/watch-hub/index.js'

/** Events of a node. */
export interface RepramNodeEvents {
  'record:stored': [RecordEvent]
  'record:expired': [RecordEvent]
  'peer:joined': [PeerEvent]
  'peer:left': [PeerEvent]
}

/** Lifecycle of a node. */
export type NodeState = 'starting' | 'started' | 'stopping' | 'stopped'

export type { LocalStore, PeerEvent, Replicator, TopologyPeer } from './store.js'

/** What {@link createRepramNode} takes. */
export interface RepramNodeInit {
  /** Config fields over the profile's defaults (`config.profile`, default `default`). Env is not read here; the CLI does that. */
  config?: RepramConfig | RepramConfigInput
  /** Time source. @default systemClock */
  clock?: Clock
  /** Logger. @default a pino logger at `config.logLevel` */
  logger?: Logger
  /** Replication layer (cluster). Without one the node is local: it confirms every write alone. */
  replicator?: Replicator
  /** Signs deletion attestations. @default the libp2p identity in `dataDir` when networked, else an ephemeral Ed25519 identity */
  attestationSigner?: AttestationSigner
}

/** Counts for status and metrics. */
/** `arenaBytes`: memory of the shards' value arenas (off the V8 heap; at most twice the small values' bytes plus 256 KiB per shard). */
export interface NodeStats { records: number, bytes: number, capacityBytes: number, arenaBytes: number }

/** A running REPRAM node. Create with {@link createRepramNode}. */
export class RepramNode extends EventEmitter<RepramNodeEvents> {
  readonly config: RepramConfig
  readonly clock: Clock
  readonly logger: Logger
  readonly version = VERSION
  readonly startedAt: number
  /** Prometheus registry of this node: every component registers its metrics here. */
  readonly registry = new Registry()
  /** Signed proofs of deletion of flagged records (DESIGN §6). */
  readonly attestations: AttestationService
  /** The node's one actor system: storage, reaper, attestor and the network's actors live under it. */
  readonly system: ReturnType<typeof start>
  /** Reports an actor crash: logged (never with the message) and counted by actor. */
  readonly crashes: CrashReporter
  private status: NodeState = 'starting'
  private readonly metrics: NodeMetrics
  private readonly shards: Array<Coalescer<StorageShardMsg>>
  private readonly reaper: Ref<TtlReaperMsg>
  private readonly watchHub: Coalescer<WatchHubMsg>
  private watchIds = 0
  private watched = false
  private readonly asker = new Asker()
  private readonly replicator: Replicator | undefined
  private readonly localId = randomUUID()
  private stopping: Promise<void> | undefined

  /** Use {@link createRepramNode}. */
  constructor (init: RepramNodeInit = {}) {
    super()
    const input = init.config ?? {}
    const profile = (input.profile ?? 'default') as RepramConfig['profile']
    this.config = validateConfig({ ...profileDefaults(profile), ...input })
    this.clock = init.clock ?? systemClock
    this.logger = (init.logger ?? (this.config.logLevel === 'silent' ? silentLogger() : createLogger(this.config.logLevel))).child({ component: 'repram:node' })
    this.replicator = init.replicator
    this.startedAt = this.clock.now()
    this.metrics = createNodeMetrics(this, this.registry)
    const crashLog = this.logger.child({ component: 'repram:actors' })
    this.crashes = (r: CrashReport) => {
      this.metrics.actorCrashes.inc({ actor: actorLabel(r.actor) })
      // The actor and the message type only: messages carry keys and values.
      crashLog.error({ actor: r.actor, message: r.message, policy: r.policy, err: { name: r.error.name, stack: stackFrames(r.error) } }, 'actor crashed')
    }
    this.system = start()
    this.reaper = spawnTtlReaper(this.system, { clock: this.clock, crashed: this.crashes })
    const perShard = Math.floor(capacityBytes(this.config) / this.config.shards)
    const shardRefs = Array.from({ length: this.config.shards }, (_, index) => spawnStorageShard(this.system, {
      index,
      capacityBytes: perShard,
      maxAheadMs: this.config.maxTtl * 1000 + this.config.maxClockSkewMs,
      clock: this.clock,
      reaper: this.reaper,
      onRemove: (rec) => this.changed('record:expired', rec),
      crashed: this.crashes
    }))
    dispatch(this.reaper, { type: 'attach', shards: shardRefs })
    const hub = spawnWatchHub(this.system, { boot: randomBytes(4).toString('hex'), bufferEvents: this.config.watchBufferEvents, valueMaxBytes: this.config.watchValueMaxBytes, crashed: this.crashes })
    this.watchHub = new Coalescer<WatchHubMsg>(hub, batch => ({ type: 'batch', batch }))
    this.shards = shardRefs.map(ref => new Coalescer<StorageShardMsg>(ref, batch => ({ type: 'batch', batch })))
    this.attestations = new AttestationService(this, { signer: init.attestationSigner })
    const heapLimit = getHeapStatistics().heap_size_limit
    if (capacityBytes(this.config) * 1.5 > heapLimit) {
      this.logger.warn({ capacityMb: this.config.maxStorageMb, heapLimitMb: Math.floor(heapLimit / 1048576) }, 'the V8 heap may not hold a full node (each record keeps its key and about 300 B on the heap; small records cost more heap than their bytes): lower REPRAM_MAX_STORAGE_MB or raise --max-old-space-size (docs/deployment.md, Sizing memory)')
    }
  }

  /** Lifecycle state. */
  get state (): NodeState { return this.status }

  /** The node id: the libp2p peer id when networked, else a random id for this process. */
  get nodeId (): string { return this.replicator?.info().nodeId ?? this.localId }

  /** @internal Called by {@link createRepramNode}. */
  async start (): Promise<void> {
    if (this.status !== 'starting') return
    try {
      await this.replicator?.start(this.store())
      await this.attestations.start()
      this.status = 'started'
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  /**
   * Stores `value` under `key` for `ttl` seconds and replicates it. Rejects with a typed
   * error (InvalidKeyError, ValueTooLargeError, InvalidTtlError, CapacityExceededError,
   * NodeStoppedError) and stores nothing on bad input.
   */
  async put (key: string, value: Uint8Array, opts: PutOptions = {}): Promise<PutResult> {
    this.assertRunning()
    const c = this.config
    validateKey(key, c.maxKeyBytes)
    validateValue(value, c.maxValueBytes)
    if (key.charCodeAt(0) === 0x7e && isReservedKey(key)) return await this.putOwned(key, value, opts)
    const ttl = resolveTtl(opts.ttl, c)
    const jurisdictions = opts.jurisdictions === undefined ? undefined : this.writableIn(opts.jurisdictions)
    const now = this.clock.now()
    const rec: RepramRecord = jurisdictions === undefined
      ? { key, value, createdAt: now, expiresAt: now + ttl * 1000, writeId: newWriteId() }
      : { key, value, createdAt: now, expiresAt: now + ttl * 1000, writeId: newWriteId(), jurisdictions }
    const out = await this.write(rec, true)
    if (out.status !== 'stored') {
      if (out.status === 'capacity') throw new CapacityExceededError(`node capacity exceeded: ${out.needed} bytes needed, ${out.free} free in the key's shard`)
      throw new Error(`local write was not stored (${out.status})`)
    }
    this.changed('record:stored', out.record, 'local')
    const rep = this.replicator === undefined ? { replicas: 1, quorum: true } : await this.replicator.replicate(out.record)
    const result: PutResult = { key, ttl, createdAt: out.record.createdAt, expiresAt: out.record.expiresAt, writeId: out.record.writeId, replicas: rep.replicas, quorum: rep.quorum }
    if (jurisdictions !== undefined) result.jurisdictions = jurisdictions
    return result
  }

  /** This node's declared jurisdiction (`REPRAM_JURISDICTION`), or null. */
  get jurisdiction (): string | null {
    return this.config.jurisdiction ?? null
  }

  /**
   * The canonical set a write names, once it is sure this node may hold it: a bad list is
   * a 400; a set this node is not in is a 421 when a healthy, verified member is in it
   * (send the write there), else a 422 (no node may store it). Nothing is stored either way.
   */
  private writableIn (named: readonly string[] | string): readonly string[] {
    let set: string[]
    try {
      set = parseJurisdictions(named)
    } catch (err) {
      throw new InvalidJurisdictionError((err as Error).message)
    }
    if (admits(set, this.jurisdiction)) return Object.freeze(set)
    this.metrics.jurisdictionRefused.inc({ path: 'http' })
    const members = this.replicator?.jurisdictionMembers?.(set) ?? 0
    const here = this.jurisdiction === null ? 'declares no jurisdiction' : `is in jurisdiction ${this.jurisdiction}`
    if (members > 0) throw new NotInJurisdictionError(`this node ${here} and must not hold a write restricted to ${formatJurisdictions(set)}: send it to a node in ${formatJurisdictions(set)} (${members} known; /v1/topology shows each peer's jurisdiction)`)
    throw new NoJurisdictionMemberError(`no healthy, verified node of this enclave is in ${formatJurisdictions(set)}: nobody may store this write`)
  }

  /**
   * A write to an owned key (docs/owned-keys.md): the client chose and signed createdAt
   * and writeId (`opts.signed`), the TTL is applied as asked (a clamped TTL would break the
   * signature: out of range is a 400), createdAt must be within `signedWriteSkewMs` of this
   * node's clock, and the proof must verify. Stored as a peer's write is (last-writer-wins,
   * never re-stamped): a write that loses to the one held is a {@link StaleWriteError}.
   */
  private async putOwned (key: string, value: Uint8Array, opts: PutOptions): Promise<PutResult> {
    const c = this.config
    const bad = ownedKeyError(key)
    if (bad !== undefined) throw new InvalidKeyError(bad)
    const s = opts.signed
    if (s === undefined) throw new OwnerSignatureError('unsigned', 'this key is owned: a write needs its owner\'s signature (X-Repram-Signature and the signed X-Repram-Created-At and X-Repram-Write-Id; docs/owned-keys.md)')
    const ttl = resolveTtl(opts.ttl, { ...c, ttlPolicy: 'reject' })
    if (typeof s.writeId !== 'string' || !WRITE_ID.test(s.writeId)) throw new BadRequestError('a signed write\'s writeId is 1 to 64 printable ASCII characters', 'invalid_write_id')
    const now = this.clock.now()
    if (!Number.isSafeInteger(s.createdAt) || Math.abs(s.createdAt - now) > c.signedWriteSkewMs) {
      throw new ClockSkewError(`a signed write's createdAt must be within ${c.signedWriteSkewMs} ms of this node's clock (now ${now})`)
    }
    // Jurisdictions are not part of the owner's signed bytes: the node that takes the write applies them, as for any key.
    const jurisdictions = opts.jurisdictions === undefined ? undefined : this.writableIn(opts.jurisdictions)
    const rec: RepramRecord = jurisdictions === undefined
      ? { key, value, createdAt: s.createdAt, expiresAt: s.createdAt + ttl * 1000, writeId: s.writeId, owner: s.proof }
      : { key, value, createdAt: s.createdAt, expiresAt: s.createdAt + ttl * 1000, writeId: s.writeId, owner: s.proof, jurisdictions }
    if (rec.expiresAt <= now) throw new ClockSkewError(`the write expires at ${rec.expiresAt}, already past on this node's clock (now ${now})`)
    const refusal = verifyOwnedWrite(rec, valueHash(rec), s.proof, nativeEd25519Verify)
    if (refusal !== undefined) throw new OwnerSignatureError(refusal.reason, refusal.message)
    const out = await this.write(rec, false)
    if (out.status !== 'stored') {
      if (out.status === 'capacity') throw new CapacityExceededError(`node capacity exceeded: ${out.needed} bytes needed, ${out.free} free in the key's shard`)
      if (out.status === 'stale') throw new StaleWriteError('this node holds a newer write of this key (a later createdAt, or the same and a greater writeId)')
      throw new ClockSkewError('the write had expired when it was stored')
    }
    this.changed('record:stored', out.record, 'local')
    const rep = this.replicator === undefined ? { replicas: 1, quorum: true } : await this.replicator.replicate(out.record)
    const result: PutResult = { key, ttl, createdAt: out.record.createdAt, expiresAt: out.record.expiresAt, writeId: out.record.writeId, replicas: rep.replicas, quorum: rep.quorum }
    if (jurisdictions !== undefined) result.jurisdictions = jurisdictions
    return result
  }

  /**
   * Merges a record that came from a peer, by last-writer-wins. Expired and losing
   * records are dropped. Callers (the cluster layer) validate limits before this.
   */
  async merge (rec: RepramRecord): Promise<WriteOutcome> {
    this.assertRunning()
    // The last line of defence: every path checks (and counts) this before it gets here.
    if (!admits(rec.jurisdictions, this.jurisdiction)) throw new NotInJurisdictionError('this node is outside the jurisdictions of this record')
    const out = await this.write(rec, false)
    if (out.status === 'stored') this.changed('record:stored', out.record, 'remote')
    return out
  }

  /**
   * The live record under `key`, or undefined. Never returns an expired record. A local
   * miss reads through to peers when the cluster layer offers it (`readThroughPeers`);
   * `local: true` answers from this node's state only (what peers are asked for).
   */
  async get (key: string, opts: { local?: boolean } = {}): Promise<RecordView | undefined> {
    this.assertRunning()
    validateKey(key, this.config.maxKeyBytes)
    let rec = await this.asker.ask<RepramRecord | undefined, StorageShardMsg>(this.shardFor(key), replyTo => ({ type: 'get', key, replyTo }), SHARD_TIMEOUT_MS, 'storage shard')
    if (rec === undefined && opts.local !== true && this.replicator?.readThrough !== undefined) {
      const found = await this.replicator.readThrough(key).catch(() => undefined)
      // A record this node may not hold is neither stored nor served here (the cluster layer counts it).
      if (found !== undefined && this.status === 'started' && admits(found.jurisdictions, this.jurisdiction)) {
        // Stored with its original expiresAt; a concurrent newer write wins as usual.
        const out = await this.merge(found)
        rec = out.status === 'stored' ? out.record : out.status === 'stale' ? await this.asker.ask<RepramRecord | undefined, StorageShardMsg>(this.shardFor(key), replyTo => ({ type: 'get', key, replyTo }), SHARD_TIMEOUT_MS, 'storage shard') : undefined
      }
    }
    if (rec === undefined) return undefined
    const view: RecordView = { key: rec.key, value: rec.value, createdAt: rec.createdAt, expiresAt: rec.expiresAt, writeId: rec.writeId, ttl: Math.round((rec.expiresAt - rec.createdAt) / 1000) }
    const out = rec.jurisdictions === undefined ? view : { ...view, jurisdictions: rec.jurisdictions }
    // An owned key's proof goes with the record: peers' lookups (sync, read-through, blob) serve it.
    return rec.owner === undefined ? out : { ...out, owner: rec.owner }
  }

  /** Whether a live record exists under `key`. */
  async has (key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined
  }

  /** Lists live keys in UTF-8 byte order, a page at a time. */
  async keys (opts: KeysOptions = {}): Promise<KeysPage> {
    this.assertRunning()
    const prefix = opts.prefix ?? ''
    const limit = opts.limit ?? 100
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > this.config.keysLimitMax) {
      throw new BadRequestError(`limit must be an integer in [1, ${this.config.keysLimitMax}]`, 'invalid_limit')
    }
    const after = opts.cursor === undefined || opts.cursor === '' ? undefined : opts.cursor
    const parts = await Promise.all(this.shards.map(ref => this.asker.ask<string[], StorageShardMsg>(ref, replyTo => ({ type: 'keys', prefix, after, limit: limit + 1, replyTo }), SHARD_TIMEOUT_MS, 'storage shard')))
    const all = parts.flat().sort(compareUtf8)
    const more = all.length > limit
    const keys = more ? all.slice(0, limit) : all
    return more ? { keys, nextCursor: keys[keys.length - 1] } : { keys }
  }

  /** Every live record, shard by shard (anti-entropy, tests). */
  async snapshot (): Promise<RepramRecord[]> {
    this.assertRunning()
    const parts = await Promise.all(this.shards.map(ref => this.asker.ask<RepramRecord[], StorageShardMsg>(ref, replyTo => ({ type: 'snapshot', replyTo }), SHARD_TIMEOUT_MS, 'storage shard')))
    return parts.flat()
  }

  /** Asks every shard the same question (anti-entropy): one reply per shard. */
  private async askShards<T> (build: (replyTo: (reply: T) => void) => StorageShardMsg): Promise<T[]> {
    this.assertRunning()
    return await Promise.all(this.shards.map(ref => this.asker.ask<T, StorageShardMsg>(ref, build, SHARD_TIMEOUT_MS, 'storage shard')))
  }

  /** The narrow view of this node its network layer gets (see `store.ts`). */
  private store (): LocalStore {
    return {
      config: this.config,
      clock: this.clock,
      logger: this.logger,
      registry: this.registry,
      system: this.system,
      crashes: this.crashes,
      merge: async (rec) => await this.merge(rec),
      lookup: async (key) => await this.get(key, { local: true }),
      digest: async (groups, scope) => combine(await this.askShards<Uint32Array>(replyTo => ({ type: 'digest', groups, scope, replyTo }))),
      buckets: async (buckets, scope) => (await this.askShards<RepramRecord[]>(replyTo => ({ type: 'buckets', buckets, scope, replyTo }))).flat(),
      outOfJurisdiction: (kind, path, n = 1) => (kind === 'refused' ? this.metrics.jurisdictionRefused : this.metrics.jurisdictionWithheld).inc({ path }, n),
      peerEvent: (type, e) => this.emit(type, e)
    }
  }

  /**
   * Follows every store and expiry of keys under `prefix` on this node (writes made here
   * and replicated ones). With `lastEventId`, the buffered events after it are delivered
   * first; `gap` says when that point is no longer buffered. The sink is called inside the
   * watch actor's turn and must not block; it is ended with `overflow` when it refuses an
   * event and with `halt` when the node stops.
   *
   * @throws InvalidKeyError when the prefix is longer than a key may be
   * @throws BadRequestError (`invalid_event_id`) when `lastEventId` is not an event id
   */
  async watch (opts: WatchOptions, sink: WatchSink): Promise<WatchSubscription> {
    this.assertRunning()
    const prefix = opts.prefix ?? ''
    if (Buffer.byteLength(prefix) > this.config.maxKeyBytes) throw new InvalidKeyError(`prefix exceeds ${this.config.maxKeyBytes} bytes`)
    let after: ResumePoint | undefined
    if (opts.lastEventId !== undefined && opts.lastEventId !== '') {
      after = parseEventId(opts.lastEventId)
      if (after === undefined) throw new BadRequestError('Last-Event-ID is not an event id of this API (<boot>-<n>)', 'invalid_event_id')
    }
    // From the first watch on, every change is fed to the hub (its ring serves resumes). Before
    // it, no client can hold an event id of this run, so there is nothing to record.
    this.watched = true
    const id = ++this.watchIds
    const start = await this.asker.ask<{ boot: string, lastSeq: number, gap: boolean }, WatchHubMsg>(this.watchHub, replyTo => ({ type: 'subscribe', id, prefix, values: opts.values === true, after, sink, replyTo }), SHARD_TIMEOUT_MS, 'watch hub')
    return {
      lastEventId: formatEventId(start.boot, start.lastSeq),
      gap: start.gap,
      close: () => this.watchHub.send({ type: 'unsubscribe', id })
    }
  }

  /** Record and byte counts over all shards. */
  async stats (): Promise<NodeStats> {
    if (this.status === 'stopped') return { records: 0, bytes: 0, capacityBytes: capacityBytes(this.config), arenaBytes: 0 }
    const parts = await Promise.all(this.shards.map(ref => this.asker.ask<ShardStats, StorageShardMsg>(ref, replyTo => ({ type: 'stats', replyTo }), SHARD_TIMEOUT_MS, 'storage shard')))
    return {
      records: parts.reduce((n, p) => n + p.records, 0),
      bytes: parts.reduce((n, p) => n + p.bytes, 0),
      capacityBytes: parts.reduce((n, p) => n + p.capacityBytes, 0),
      arenaBytes: parts.reduce((n, p) => n + p.arenaBytes, 0)
    }
  }

  /** Network facts for status: node id, full listen multiaddrs, peer count. */
  networkInfo (): NetworkInfo {
    return this.replicator?.info() ?? { nodeId: this.localId, addresses: [], peers: 0 }
  }

  /** Known peers with health, for `/v1/topology`. */
  topology (): TopologyPeer[] {
    return this.replicator?.topology() ?? []
  }

  /** Stops networking, then the actors. Safe to call twice; the second call waits for the first. */
  async stop (): Promise<void> {
    if (this.stopping !== undefined) return await this.stopping
    this.stopping = (async () => {
      this.status = 'stopping'
      try {
        await this.replicator?.stop()
      } catch (err) {
        this.logger.warn({ err }, 'replicator stop failed')
      }
      await this.attestations.stop()
      this.watchHub.send({ type: 'halt' })
      dispatch(this.reaper, { type: 'halt' })
      this.asker.close()
      stopSystem(this.system)
      this.status = 'stopped'
    })()
    return await this.stopping
  }

  /** A record was stored or expired: the node's event, and the watch feed (with a thunk over the stored value). */
  private changed (type: 'record:stored' | 'record:expired', rec: RepramRecord, origin?: 'local' | 'remote'): void {
    // Every write passes here: nothing is built for nobody (no listener, no watch yet).
    if (this.listenerCount(type) > 0) this.emit(type, recordEvent(rec, origin))
    if (!this.watched) return
    this.watchHub.send({
      type: 'change',
      entry: { type: type === 'record:stored' ? 'stored' : 'expired', key: rec.key, writeId: rec.writeId, createdAt: rec.createdAt, expiresAt: rec.expiresAt, size: rec instanceof Entry ? rec.size : rec.value.byteLength },
      readValue: type === 'record:stored' ? () => rec.value : undefined
    })
  }

  private write (rec: RepramRecord, local: boolean): Promise<WriteOutcome> {
    return this.asker.ask<WriteOutcome, StorageShardMsg>(this.shardFor(rec.key), replyTo => ({ type: 'write', record: rec, local, replyTo }), SHARD_TIMEOUT_MS, 'storage shard')
  }

  private shardFor (key: string): Coalescer<StorageShardMsg> {
    return this.shards[shardOf(key, this.shards.length)]
  }

  private assertRunning (): void {
    if (this.status === 'stopping' || this.status === 'stopped') throw new NodeStoppedError()
  }
}

function recordEvent (rec: RepramRecord, origin?: 'local' | 'remote'): RecordEvent {
  // Stored entries answer size and first byte without copying the value out.
  const size = rec instanceof Entry ? rec.size : rec.value.byteLength
  const first = rec instanceof Entry ? rec.firstByte : (size > 0 ? rec.value[0] : -1)
  return {
    key: rec.key,
    createdAt: rec.createdAt,
    expiresAt: rec.expiresAt,
    writeId: rec.writeId,
    size,
    flagged: first >= 0 && (first & 0x80) !== 0,
    origin
  }
}

/** Creates and starts a node with the replicator given (or none: a local node). The entry point's `createRepramNode` chooses the network. */
export async function startRepramNode (init: RepramNodeInit = {}): Promise<RepramNode> {
  const node = new RepramNode(init)
  await node.start()
  return node
}

function combine (parts: Uint32Array[]): Uint32Array {
  const out = parts[0].slice()
  for (let i = 1; i < parts.length; i++) xorInto(out, parts[i])
  return out
}

/** Actor names as metric labels: the shards share one label, so the set stays small. */
function actorLabel (actor: string): string {
  return actor.startsWith('shard-') ? 'storage-shard' : actor
}

/** The frames of a stack (its `at …` lines): the message before them, on however many lines, is left out. */
function stackFrames (err: Error): string | undefined {
  return err.stack?.split('\n').filter(l => /^\s+at /.test(l)).slice(0, 7).join('\n')
}
