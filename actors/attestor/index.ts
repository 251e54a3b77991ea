/**
 * The Attestor actor (DESIGN §6): on the expiry of a flagged record it signs a deletion
 * attestation `{keyHash, writeId, createdAt, expiredAt, deletedAt, nodeId, cycle}` (plus the
 * node's `jurisdiction` when it declares one: version 2) with the node's key and files it in the open cycle. One timer on the injected clock closes each
 * cycle at its end; closed cycles are handed to `onClosed` (the WebSocket stream) and kept
 * in a ring buffer of `retained` cycles.
 *
 * The key of an expired record passes through the mailbox only to be hashed; it is never
 * stored, logged or published.
 */
import { createHash } from 'node:crypto'
import { dispatch, spawn, type Ref } from 'nact'
import type { Clock, TimerHandle } from '../../src/clock.js'
import { assertNever, type ReplyTo } from '../runtime/ask.js'
import { supervise, type CrashReporter } from '../runtime/supervise.js'
import { canonicalAttestationBytes, type Attestation, type AttestationBody, type CycleSummary } from '../../src/wire/attestation.js'
import { AttestationLedger, summarize, type CycleState } from './ledger.js'
import { MAX_TIMER_MS } from './constants.js'

export { AttestationLedger, cycleOf, summarize, type CycleState, type LedgerInit } from './ledger.js'
export * from './constants.js'

/** What signs attestations: the node's libp2p identity (`src/attest/signer.ts` builds one). */
export interface AttestationSigner {
  /** The signer's libp2p peer id (base58btc): the `nodeId` of its attestations. */
  readonly nodeId: string
  /** Hex of the libp2p protobuf public key, published next to the attestations. */
  readonly publicKey: string
  /** `Ed25519`, `secp256k1`, … */
  readonly keyType: string
  /** True for an identity made at start that no one else knows. */
  readonly ephemeral: boolean
  sign(bytes: Uint8Array): Promise<Uint8Array> | Uint8Array
}

/** What an expired flagged record contributes (a subset of the node's `RecordEvent`). */
export interface ExpiredRecord {
  key: string
  writeId: string
  createdAt: number
  expiresAt: number
}

/** A listing reply: summaries oldest first (open cycle last), and the proofs for a key hash when asked. */
export interface ListReply { cycles: CycleSummary[], attestations?: Attestation[] }

/** A cycle reply: its summary and its (optionally filtered) proofs. */
export interface CycleReply { cycle: CycleSummary, attestations: Attestation[] }

/** Every message the attestor understands. */
export type AttestorMsg =
  | { type: 'expired', record: ExpiredRecord }
  | { type: 'tick' }
  | { type: 'list', keyHash?: string, replyTo: ReplyTo<ListReply> }
  | { type: 'cycle', cycle: number | 'latest', keyHash?: string, replyTo: ReplyTo<CycleReply | undefined> }
  | { type: 'halt' }

/** Counters the actor moves. Labels come from small enums only, never from keys. */
export interface AttestorCounters {
  signed(): void
  dropped(reason: 'overflow' | 'invalid'): void
  /** `n` cycles closed (after a long gap some empty ones are counted but never materialized). */
  cyclesClosed(n: number): void
  retained(n: number): void
}

/** What an attestor is built from. */
export interface AttestorInit {
  clock: Clock
  signer: AttestationSigner
  /** The node's declared jurisdiction: set, its attestations carry it (version 2). @default none (version 1) */
  jurisdiction?: string
  cycleMs: number
  retained: number
  maxPerCycle: number
  counters: AttestorCounters
  /** Called once per closed cycle, in order, with its frozen proofs. */
  onClosed: (cycle: CycleReply) => void
  /** Called when an attestation cannot be built or signed (never with the key). */
  onError?: (err: Error) => void
  /** Where crashes are reported (the node logs and counts them). */
  crashed: CrashReporter
}

interface AttestorState {
  ledger: AttestationLedger
  timer: { code: 'armed', handle: TimerHandle } | { code: 'idle' } | { code: 'halted' }
}

function sha256Hex (key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

function reply (c: CycleState, keyHash: string | undefined): CycleReply {
  const list = keyHash === undefined ? (c.closed ? c.attestations : c.attestations.slice()) : c.attestations.filter(a => a.keyHash === keyHash)
  return { cycle: summarize(c), attestations: list }
}

/** Spawns the attestor under `parent` and arms its cycle timer. */
export function spawnAttestor (parent: Parameters<typeof spawn>[0], init: AttestorInit): Ref<AttestorMsg> {
  const { clock, signer, counters } = init
  let self: Ref<AttestorMsg> | undefined

  const arm = (s: AttestorState): void => {
    if (s.timer.code === 'halted') return
    if (s.timer.code === 'armed') clock.clearTimeout(s.timer.handle)
    const wait = Math.min(MAX_TIMER_MS, s.ledger.open.end - clock.now())
    s.timer = { code: 'armed', handle: clock.setTimeout(() => { if (self !== undefined) dispatch(self, { type: 'tick' }) }, wait) }
  }

  /** Moves the cycles to `now`, publishing what closed. */
  const advance = (s: AttestorState, now: number): void => {
    const before = s.ledger.open.cycle
    const closed = s.ledger.roll(now)
    if (closed.length === 0) return
    counters.cyclesClosed(s.ledger.open.cycle - before)
    for (const c of closed) {
      try {
        init.onClosed(reply(c, undefined))
      } catch (err) {
        init.onError?.(err as Error)
      }
    }
    counters.retained(s.ledger.size)
    arm(s)
  }

  const file = (s: AttestorState, body: AttestationBody, signature: Uint8Array): void => {
    // The cycle may have closed while an asynchronous signature was pending: file in the open one only if it still is.
    if (s.ledger.open.cycle !== body.cycle || s.ledger.full) {
      s.ledger.drop()
      counters.dropped('overflow')
      return
    }
    const att: Attestation = { ...body, signature: Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString('hex') }
    s.ledger.add(att)
    counters.signed()
  }

  const attest = (s: AttestorState, rec: ExpiredRecord): AttestorState | Promise<AttestorState> => {
    const now = clock.now()
    advance(s, now)
    if (s.ledger.full) {
      // Over the cap: count it, and spend neither a hash nor a signature.
      s.ledger.drop()
      counters.dropped('overflow')
      return s
    }
    const body: AttestationBody = {
      keyHash: sha256Hex(rec.key),
      writeId: rec.writeId,
      createdAt: rec.createdAt,
      expiredAt: rec.expiresAt,
      deletedAt: now,
      nodeId: signer.nodeId,
      cycle: s.ledger.open.cycle
    }
    if (init.jurisdiction !== undefined) body.jurisdiction = init.jurisdiction
    let sig: Uint8Array | Promise<Uint8Array>
    try {
      sig = signer.sign(canonicalAttestationBytes(body))
    } catch (err) {
      counters.dropped('invalid')
      init.onError?.(err as Error)
      return s
    }
    if (!(sig instanceof Promise)) {
      file(s, body, sig)
      return s
    }
    return sig.then(bytes => { file(s, body, bytes); return s }, (err: Error) => { counters.dropped('invalid'); init.onError?.(err); return s })
  }

  self = spawn(parent, (s: AttestorState, msg: AttestorMsg): AttestorState | Promise<AttestorState> => {
    switch (msg.type) {
      case 'expired':
        return attest(s, msg.record)
      case 'tick':
        if (s.timer.code === 'halted') return s
        s.timer = { code: 'idle' }
        advance(s, clock.now())
        arm(s)
        return s
      case 'list': {
        advance(s, clock.now())
        const cycles = s.ledger.cycles().map(summarize)
        msg.replyTo(msg.keyHash === undefined ? { cycles } : { cycles, attestations: s.ledger.find(msg.keyHash) })
        return s
      }
      case 'cycle': {
        advance(s, clock.now())
        const c = msg.cycle === 'latest' ? s.ledger.latestClosed() : s.ledger.get(msg.cycle)
        msg.replyTo(c === undefined ? undefined : reply(c, msg.keyHash))
        return s
      }
      case 'halt':
        if (s.timer.code === 'armed') clock.clearTimeout(s.timer.handle)
        s.timer = { code: 'halted' }
        return s
      default:
        return assertNever(msg)
    }
  }, 'attestor', {
    initialState: { ledger: new AttestationLedger({ cycleMs: init.cycleMs, retained: init.retained, maxPerCycle: init.maxPerCycle }, clock.now()), timer: { code: 'idle' } },
    // Each step leaves the ledger consistent: after a crash, go on with the next message.
    onCrash: supervise('attestor', 'resume', init.crashed)
  })
  dispatch(self, { type: 'tick' })
  return self
}
