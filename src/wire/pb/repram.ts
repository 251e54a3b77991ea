import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Write {
  key: string
  value: Uint8Array<ArrayBuffer>
  createdAt: number
  expiresAt: number
  writeId: string
  origin: Uint8Array<ArrayBuffer>
  size?: number
  hash?: Uint8Array<ArrayBuffer>
  jurisdictions?: JurisdictionSet
  owner?: OwnerProof
}

export namespace Write {
  let _codec: Codec<Write>

  export const codec = (): Codec<Write> => {
    if (_codec == null) {
      _codec = message<Write>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.key != null && obj.key !== '')) {
          w.uint32(10)
          w.string(obj.key)
        }

        if ((obj.value != null && obj.value.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.value)
        }

        if ((obj.createdAt != null && obj.createdAt !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.createdAt)
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.expiresAt)
        }

        if ((obj.writeId != null && obj.writeId !== '')) {
          w.uint32(42)
          w.string(obj.writeId)
        }

        if ((obj.origin != null && obj.origin.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.origin)
        }

        if (obj.size != null) {
          w.uint32(56)
          w.uint32(obj.size)
        }

        if (obj.hash != null) {
          w.uint32(66)
          w.bytes(obj.hash)
        }

        if (obj.jurisdictions != null) {
          w.uint32(74)
          JurisdictionSet.codec().encode(obj.jurisdictions, w)
        }

        if (obj.owner != null) {
          w.uint32(82)
          OwnerProof.codec().encode(obj.owner, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          key: '',
          value: uint8ArrayAlloc(0),
          createdAt: 0,
          expiresAt: 0,
          writeId: '',
          origin: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.key = reader.string()
              break
            }
            case 2: {
              obj.value = reader.bytes()
              break
            }
            case 3: {
              obj.createdAt = reader.uint64Number()
              break
            }
            case 4: {
              obj.expiresAt = reader.uint64Number()
              break
            }
            case 5: {
              obj.writeId = reader.string()
              break
            }
            case 6: {
              obj.origin = reader.bytes()
              break
            }
            case 7: {
              obj.size = reader.uint32()
              break
            }
            case 8: {
              obj.hash = reader.bytes()
              break
            }
            case 9: {
              obj.jurisdictions = JurisdictionSet.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.jurisdictions
              })
              break
            }
            case 10: {
              obj.owner = OwnerProof.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.owner
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.key`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.value`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.createdAt`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.expiresAt`,
                value: reader.uint64Number()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.writeId`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.origin`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.size`,
                value: reader.uint32()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.hash`,
                value: reader.bytes()
              }
              break
            }
            case 9: {
              yield * JurisdictionSet.codec().stream(reader, reader.uint32(), `${prefix}.jurisdictions`, {
                limits: opts.limits?.jurisdictions
              })

              break
            }
            case 10: {
              yield * OwnerProof.codec().stream(reader, reader.uint32(), `${prefix}.owner`, {
                limits: opts.limits?.owner
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface WriteKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface WriteValueFieldEvent {
    field: '$.value'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WriteCreatedAtFieldEvent {
    field: '$.createdAt'
    value: number
  }

  export interface WriteExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: number
  }

  export interface WriteWriteIdFieldEvent {
    field: '$.writeId'
    value: string
  }

  export interface WriteOriginFieldEvent {
    field: '$.origin'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WriteSizeFieldEvent {
    field: '$.size'
    value: number
  }

  export interface WriteHashFieldEvent {
    field: '$.hash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WriteJurisdictionsCodesFieldEvent {
    field: '$.jurisdictions.codes[]'
    index: number
    value: string
  }

  export interface WriteOwnerSigFieldEvent {
    field: '$.owner.sig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WriteOwnerDelegationFieldEvent {
    field: '$.owner.delegation'
    value: string
  }

  export interface WriteOwnerDelegationSigFieldEvent {
    field: '$.owner.delegationSig'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Write>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Write.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Write>): Write {
    return decodeMessage(buf, Write.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Write>): Generator<WriteKeyFieldEvent | WriteValueFieldEvent | WriteCreatedAtFieldEvent | WriteExpiresAtFieldEvent | WriteWriteIdFieldEvent | WriteOriginFieldEvent | WriteSizeFieldEvent | WriteHashFieldEvent | WriteJurisdictionsCodesFieldEvent | WriteOwnerSigFieldEvent | WriteOwnerDelegationFieldEvent | WriteOwnerDelegationSigFieldEvent> {
    return streamMessage(buf, Write.codec(), opts)
  }
}

export interface OwnerProof {
  sig: Uint8Array<ArrayBuffer>
  delegation?: string
  delegationSig?: Uint8Array<ArrayBuffer>
}

export namespace OwnerProof {
  let _codec: Codec<OwnerProof>

  export const codec = (): Codec<OwnerProof> => {
    if (_codec == null) {
      _codec = message<OwnerProof>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.sig != null && obj.sig.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.sig)
        }

        if (obj.delegation != null) {
          w.uint32(18)
          w.string(obj.delegation)
        }

        if (obj.delegationSig != null) {
          w.uint32(26)
          w.bytes(obj.delegationSig)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          sig: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.sig = reader.bytes()
              break
            }
            case 2: {
              obj.delegation = reader.string()
              break
            }
            case 3: {
              obj.delegationSig = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.sig`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.delegation`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.delegationSig`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface OwnerProofSigFieldEvent {
    field: '$.sig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface OwnerProofDelegationFieldEvent {
    field: '$.delegation'
    value: string
  }

  export interface OwnerProofDelegationSigFieldEvent {
    field: '$.delegationSig'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<OwnerProof>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, OwnerProof.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<OwnerProof>): OwnerProof {
    return decodeMessage(buf, OwnerProof.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<OwnerProof>): Generator<OwnerProofSigFieldEvent | OwnerProofDelegationFieldEvent | OwnerProofDelegationSigFieldEvent> {
    return streamMessage(buf, OwnerProof.codec(), opts)
  }
}

export interface Announce {
  addrs: Uint8Array<ArrayBuffer>[]
  jurisdiction?: string
}

export namespace Announce {
  let _codec: Codec<Announce>

  export const codec = (): Codec<Announce> => {
    if (_codec == null) {
      _codec = message<Announce>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(10)
            w.bytes(value)
          }
        }

        if (obj.jurisdiction != null) {
          w.uint32(18)
          w.string(obj.jurisdiction)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          addrs: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.bytes())
              break
            }
            case 2: {
              obj.jurisdiction = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          addrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.bytes()
              }

              obj.addrs++

              break
            }
            case 2: {
              yield {
                field: `${prefix}.jurisdiction`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface AnnounceAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface AnnounceJurisdictionFieldEvent {
    field: '$.jurisdiction'
    value: string
  }

  export function encode (obj: Partial<Announce>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Announce.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Announce>): Announce {
    return decodeMessage(buf, Announce.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Announce>): Generator<AnnounceAddrsFieldEvent | AnnounceJurisdictionFieldEvent> {
    return streamMessage(buf, Announce.codec(), opts)
  }
}

export interface JurisdictionSet {
  codes: string[]
}

export namespace JurisdictionSet {
  let _codec: Codec<JurisdictionSet>

  export const codec = (): Codec<JurisdictionSet> => {
    if (_codec == null) {
      _codec = message<JurisdictionSet>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.codes != null && obj.codes.length > 0) {
          for (const value of obj.codes) {
            w.uint32(10)
            w.string(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          codes: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.codes != null && obj.codes.length === opts.limits.codes) {
                throw new MaxLengthError('Decode error - repeated field "codes" had too many elements')
              }

              obj.codes.push(reader.string())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          codes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.codes != null && obj.codes === opts.limits.codes) {
                throw new MaxLengthError('Streaming decode error - repeated field "codes" had too many elements')
              }

              yield {
                field: `${prefix}.codes[]`,
                index: obj.codes,
                value: reader.string()
              }

              obj.codes++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface JurisdictionSetCodesFieldEvent {
    field: '$.codes[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<JurisdictionSet>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, JurisdictionSet.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<JurisdictionSet>): JurisdictionSet {
    return decodeMessage(buf, JurisdictionSet.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<JurisdictionSet>): Generator<JurisdictionSetCodesFieldEvent> {
    return streamMessage(buf, JurisdictionSet.codec(), opts)
  }
}

export interface GossipMessage {
  network: string
  enclave: string
  writes: Write[]
  announce?: Announce
  leave?: boolean
}

export namespace GossipMessage {
  let _codec: Codec<GossipMessage>

  export const codec = (): Codec<GossipMessage> => {
    if (_codec == null) {
      _codec = message<GossipMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.network != null && obj.network !== '')) {
          w.uint32(10)
          w.string(obj.network)
        }

        if ((obj.enclave != null && obj.enclave !== '')) {
          w.uint32(18)
          w.string(obj.enclave)
        }

        if (obj.writes != null && obj.writes.length > 0) {
          for (const value of obj.writes) {
            w.uint32(26)
            Write.codec().encode(value, w)
          }
        }

        if (obj.announce != null) {
          w.uint32(34)
          Announce.codec().encode(obj.announce, w)
        }

        if (obj.leave != null) {
          w.uint32(40)
          w.bool(obj.leave)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          network: '',
          enclave: '',
          writes: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.network = reader.string()
              break
            }
            case 2: {
              obj.enclave = reader.string()
              break
            }
            case 3: {
              if (opts.limits?.writes != null && obj.writes.length === opts.limits.writes) {
                throw new MaxLengthError('Decode error - repeated field "writes" had too many elements')
              }

              obj.writes.push(Write.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.writes$
              }))
              break
            }
            case 4: {
              obj.announce = Announce.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.announce
              })
              break
            }
            case 5: {
              obj.leave = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          writes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.network`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.enclave`,
                value: reader.string()
              }
              break
            }
            case 3: {
              if (opts.limits?.writes != null && obj.writes === opts.limits.writes) {
                throw new MaxLengthError('Streaming decode error - repeated field "writes" had too many elements')
              }

              for (const evt of Write.codec().stream(reader, reader.uint32(), `${prefix}.writes[]`, {
                limits: opts.limits?.writes$
              })) {
                yield {
                  ...evt,
                  index: obj.writes
                }
              }

              obj.writes++

              break
            }
            case 4: {
              yield * Announce.codec().stream(reader, reader.uint32(), `${prefix}.announce`, {
                limits: opts.limits?.announce
              })

              break
            }
            case 5: {
              yield {
                field: `${prefix}.leave`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface GossipMessageNetworkFieldEvent {
    field: '$.network'
    value: string
  }

  export interface GossipMessageEnclaveFieldEvent {
    field: '$.enclave'
    value: string
  }

  export interface GossipMessageWritesKeyFieldEvent {
    field: '$.writes[].key'
    value: string
    index: number
  }

  export interface GossipMessageWritesValueFieldEvent {
    field: '$.writes[].value'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GossipMessageWritesCreatedAtFieldEvent {
    field: '$.writes[].createdAt'
    value: number
    index: number
  }

  export interface GossipMessageWritesExpiresAtFieldEvent {
    field: '$.writes[].expiresAt'
    value: number
    index: number
  }

  export interface GossipMessageWritesWriteIdFieldEvent {
    field: '$.writes[].writeId'
    value: string
    index: number
  }

  export interface GossipMessageWritesOriginFieldEvent {
    field: '$.writes[].origin'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GossipMessageWritesSizeFieldEvent {
    field: '$.writes[].size'
    value: number
    index: number
  }

  export interface GossipMessageWritesHashFieldEvent {
    field: '$.writes[].hash'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GossipMessageWritesJurisdictionsCodesFieldEvent {
    field: '$.writes[].jurisdictions.codes[]'
    index: number
    value: string
  }

  export interface GossipMessageWritesOwnerSigFieldEvent {
    field: '$.writes[].owner.sig'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GossipMessageWritesOwnerDelegationFieldEvent {
    field: '$.writes[].owner.delegation'
    value: string
    index: number
  }

  export interface GossipMessageWritesOwnerDelegationSigFieldEvent {
    field: '$.writes[].owner.delegationSig'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GossipMessageAnnounceAddrsFieldEvent {
    field: '$.announce.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface GossipMessageAnnounceJurisdictionFieldEvent {
    field: '$.announce.jurisdiction'
    value: string
  }

  export interface GossipMessageLeaveFieldEvent {
    field: '$.leave'
    value: boolean
  }

  export function encode (obj: Partial<GossipMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, GossipMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GossipMessage>): GossipMessage {
    return decodeMessage(buf, GossipMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GossipMessage>): Generator<GossipMessageNetworkFieldEvent | GossipMessageEnclaveFieldEvent | GossipMessageWritesKeyFieldEvent | GossipMessageWritesValueFieldEvent | GossipMessageWritesCreatedAtFieldEvent | GossipMessageWritesExpiresAtFieldEvent | GossipMessageWritesWriteIdFieldEvent | GossipMessageWritesOriginFieldEvent | GossipMessageWritesSizeFieldEvent | GossipMessageWritesHashFieldEvent | GossipMessageWritesJurisdictionsCodesFieldEvent | GossipMessageWritesOwnerSigFieldEvent | GossipMessageWritesOwnerDelegationFieldEvent | GossipMessageWritesOwnerDelegationSigFieldEvent | GossipMessageAnnounceAddrsFieldEvent | GossipMessageAnnounceJurisdictionFieldEvent | GossipMessageLeaveFieldEvent> {
    return streamMessage(buf, GossipMessage.codec(), opts)
  }
}

export interface Fetch {
  key: string
  writeId: string
}

export namespace Fetch {
  let _codec: Codec<Fetch>

  export const codec = (): Codec<Fetch> => {
    if (_codec == null) {
      _codec = message<Fetch>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.key != null && obj.key !== '')) {
          w.uint32(10)
          w.string(obj.key)
        }

        if ((obj.writeId != null && obj.writeId !== '')) {
          w.uint32(18)
          w.string(obj.writeId)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          key: '',
          writeId: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.key = reader.string()
              break
            }
            case 2: {
              obj.writeId = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.key`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.writeId`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface FetchKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface FetchWriteIdFieldEvent {
    field: '$.writeId'
    value: string
  }

  export function encode (obj: Partial<Fetch>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Fetch.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Fetch>): Fetch {
    return decodeMessage(buf, Fetch.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Fetch>): Generator<FetchKeyFieldEvent | FetchWriteIdFieldEvent> {
    return streamMessage(buf, Fetch.codec(), opts)
  }
}

export interface ReplicateRequest {
  id: number
  network: string
  enclave: string
  writes: Write[]
  fetch?: Fetch
  leave?: boolean
  members?: boolean
}

export namespace ReplicateRequest {
  let _codec: Codec<ReplicateRequest>

  export const codec = (): Codec<ReplicateRequest> => {
    if (_codec == null) {
      _codec = message<ReplicateRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id !== 0)) {
          w.uint32(8)
          w.uint64Number(obj.id)
        }

        if ((obj.network != null && obj.network !== '')) {
          w.uint32(18)
          w.string(obj.network)
        }

        if ((obj.enclave != null && obj.enclave !== '')) {
          w.uint32(26)
          w.string(obj.enclave)
        }

        if (obj.writes != null && obj.writes.length > 0) {
          for (const value of obj.writes) {
            w.uint32(34)
            Write.codec().encode(value, w)
          }
        }

        if (obj.fetch != null) {
          w.uint32(42)
          Fetch.codec().encode(obj.fetch, w)
        }

        if (obj.leave != null) {
          w.uint32(48)
          w.bool(obj.leave)
        }

        if (obj.members != null) {
          w.uint32(56)
          w.bool(obj.members)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: 0,
          network: '',
          enclave: '',
          writes: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.uint64Number()
              break
            }
            case 2: {
              obj.network = reader.string()
              break
            }
            case 3: {
              obj.enclave = reader.string()
              break
            }
            case 4: {
              if (opts.limits?.writes != null && obj.writes.length === opts.limits.writes) {
                throw new MaxLengthError('Decode error - repeated field "writes" had too many elements')
              }

              obj.writes.push(Write.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.writes$
              }))
              break
            }
            case 5: {
              obj.fetch = Fetch.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.fetch
              })
              break
            }
            case 6: {
              obj.leave = reader.bool()
              break
            }
            case 7: {
              obj.members = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          writes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.id`,
                value: reader.uint64Number()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.network`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.enclave`,
                value: reader.string()
              }
              break
            }
            case 4: {
              if (opts.limits?.writes != null && obj.writes === opts.limits.writes) {
                throw new MaxLengthError('Streaming decode error - repeated field "writes" had too many elements')
              }

              for (const evt of Write.codec().stream(reader, reader.uint32(), `${prefix}.writes[]`, {
                limits: opts.limits?.writes$
              })) {
                yield {
                  ...evt,
                  index: obj.writes
                }
              }

              obj.writes++

              break
            }
            case 5: {
              yield * Fetch.codec().stream(reader, reader.uint32(), `${prefix}.fetch`, {
                limits: opts.limits?.fetch
              })

              break
            }
            case 6: {
              yield {
                field: `${prefix}.leave`,
                value: reader.bool()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.members`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ReplicateRequestIdFieldEvent {
    field: '$.id'
    value: number
  }

  export interface ReplicateRequestNetworkFieldEvent {
    field: '$.network'
    value: string
  }

  export interface ReplicateRequestEnclaveFieldEvent {
    field: '$.enclave'
    value: string
  }

  export interface ReplicateRequestWritesKeyFieldEvent {
    field: '$.writes[].key'
    value: string
    index: number
  }

  export interface ReplicateRequestWritesValueFieldEvent {
    field: '$.writes[].value'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ReplicateRequestWritesCreatedAtFieldEvent {
    field: '$.writes[].createdAt'
    value: number
    index: number
  }

  export interface ReplicateRequestWritesExpiresAtFieldEvent {
    field: '$.writes[].expiresAt'
    value: number
    index: number
  }

  export interface ReplicateRequestWritesWriteIdFieldEvent {
    field: '$.writes[].writeId'
    value: string
    index: number
  }

  export interface ReplicateRequestWritesOriginFieldEvent {
    field: '$.writes[].origin'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ReplicateRequestWritesSizeFieldEvent {
    field: '$.writes[].size'
    value: number
    index: number
  }

  export interface ReplicateRequestWritesHashFieldEvent {
    field: '$.writes[].hash'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ReplicateRequestWritesJurisdictionsCodesFieldEvent {
    field: '$.writes[].jurisdictions.codes[]'
    index: number
    value: string
  }

  export interface ReplicateRequestWritesOwnerSigFieldEvent {
    field: '$.writes[].owner.sig'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ReplicateRequestWritesOwnerDelegationFieldEvent {
    field: '$.writes[].owner.delegation'
    value: string
    index: number
  }

  export interface ReplicateRequestWritesOwnerDelegationSigFieldEvent {
    field: '$.writes[].owner.delegationSig'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ReplicateRequestFetchKeyFieldEvent {
    field: '$.fetch.key'
    value: string
  }

  export interface ReplicateRequestFetchWriteIdFieldEvent {
    field: '$.fetch.writeId'
    value: string
  }

  export interface ReplicateRequestLeaveFieldEvent {
    field: '$.leave'
    value: boolean
  }

  export interface ReplicateRequestMembersFieldEvent {
    field: '$.members'
    value: boolean
  }

  export function encode (obj: Partial<ReplicateRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReplicateRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReplicateRequest>): ReplicateRequest {
    return decodeMessage(buf, ReplicateRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReplicateRequest>): Generator<ReplicateRequestIdFieldEvent | ReplicateRequestNetworkFieldEvent | ReplicateRequestEnclaveFieldEvent | ReplicateRequestWritesKeyFieldEvent | ReplicateRequestWritesValueFieldEvent | ReplicateRequestWritesCreatedAtFieldEvent | ReplicateRequestWritesExpiresAtFieldEvent | ReplicateRequestWritesWriteIdFieldEvent | ReplicateRequestWritesOriginFieldEvent | ReplicateRequestWritesSizeFieldEvent | ReplicateRequestWritesHashFieldEvent | ReplicateRequestWritesJurisdictionsCodesFieldEvent | ReplicateRequestWritesOwnerSigFieldEvent | ReplicateRequestWritesOwnerDelegationFieldEvent | ReplicateRequestWritesOwnerDelegationSigFieldEvent | ReplicateRequestFetchKeyFieldEvent | ReplicateRequestFetchWriteIdFieldEvent | ReplicateRequestLeaveFieldEvent | ReplicateRequestMembersFieldEvent> {
    return streamMessage(buf, ReplicateRequest.codec(), opts)
  }
}

export interface PeerInfo {
  id: Uint8Array<ArrayBuffer>
  addrs: Uint8Array<ArrayBuffer>[]
}

export namespace PeerInfo {
  let _codec: Codec<PeerInfo>

  export const codec = (): Codec<PeerInfo> => {
    if (_codec == null) {
      _codec = message<PeerInfo>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.id)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: uint8ArrayAlloc(0),
          addrs: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.bytes()
              break
            }
            case 2: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.bytes())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          addrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.id`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.bytes()
              }

              obj.addrs++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PeerInfoIdFieldEvent {
    field: '$.id'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PeerInfoAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<PeerInfo>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PeerInfo.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PeerInfo>): PeerInfo {
    return decodeMessage(buf, PeerInfo.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PeerInfo>): Generator<PeerInfoIdFieldEvent | PeerInfoAddrsFieldEvent> {
    return streamMessage(buf, PeerInfo.codec(), opts)
  }
}

export enum WriteResult {
  HELD = 'HELD',
  INVALID = 'INVALID',
  CAPACITY = 'CAPACITY',
  EXPIRED = 'EXPIRED',
  FAILED = 'FAILED'
}

enum __WriteResultValues {
  HELD = 0,
  INVALID = 1,
  CAPACITY = 2,
  EXPIRED = 3,
  FAILED = 4
}

export namespace WriteResult {
  export const codec = (): Codec<WriteResult> => {
    return enumeration<WriteResult>(__WriteResultValues)
  }
}

export interface ReplicateResponse {
  id: number
  results: WriteResult[]
  record?: Write
  error?: string
  members: PeerInfo[]
}

export namespace ReplicateResponse {
  let _codec: Codec<ReplicateResponse>

  export const codec = (): Codec<ReplicateResponse> => {
    if (_codec == null) {
      _codec = message<ReplicateResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id !== 0)) {
          w.uint32(8)
          w.uint64Number(obj.id)
        }

        if (obj.results != null && obj.results.length > 0) {
          for (const value of obj.results) {
            w.uint32(16)
            WriteResult.codec().encode(value, w)
          }
        }

        if (obj.record != null) {
          w.uint32(26)
          Write.codec().encode(obj.record, w)
        }

        if (obj.error != null) {
          w.uint32(34)
          w.string(obj.error)
        }

        if (obj.members != null && obj.members.length > 0) {
          for (const value of obj.members) {
            w.uint32(42)
            PeerInfo.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: 0,
          results: [],
          members: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.uint64Number()
              break
            }
            case 2: {
              if (opts.limits?.results != null && obj.results.length === opts.limits.results) {
                throw new MaxLengthError('Decode error - repeated field "results" had too many elements')
              }

              obj.results.push(WriteResult.codec().decode(reader))
              break
            }
            case 3: {
              obj.record = Write.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.record
              })
              break
            }
            case 4: {
              obj.error = reader.string()
              break
            }
            case 5: {
              if (opts.limits?.members != null && obj.members.length === opts.limits.members) {
                throw new MaxLengthError('Decode error - repeated field "members" had too many elements')
              }

              obj.members.push(PeerInfo.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.members$
              }))
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          results: 0,
          members: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.id`,
                value: reader.uint64Number()
              }
              break
            }
            case 2: {
              if (opts.limits?.results != null && obj.results === opts.limits.results) {
                throw new MaxLengthError('Streaming decode error - repeated field "results" had too many elements')
              }

              WriteResult.codec().decode(reader)

              obj.results++

              break
            }
            case 3: {
              yield * Write.codec().stream(reader, reader.uint32(), `${prefix}.record`, {
                limits: opts.limits?.record
              })

              break
            }
            case 4: {
              yield {
                field: `${prefix}.error`,
                value: reader.string()
              }
              break
            }
            case 5: {
              if (opts.limits?.members != null && obj.members === opts.limits.members) {
                throw new MaxLengthError('Streaming decode error - repeated field "members" had too many elements')
              }

              for (const evt of PeerInfo.codec().stream(reader, reader.uint32(), `${prefix}.members[]`, {
                limits: opts.limits?.members$
              })) {
                yield {
                  ...evt,
                  index: obj.members
                }
              }

              obj.members++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ReplicateResponseIdFieldEvent {
    field: '$.id'
    value: number
  }

  export interface ReplicateResponseResultsFieldEvent {
    field: '$.results[]'
    index: number
    value: WriteResult
  }

  export interface ReplicateResponseRecordKeyFieldEvent {
    field: '$.record.key'
    value: string
  }

  export interface ReplicateResponseRecordValueFieldEvent {
    field: '$.record.value'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReplicateResponseRecordCreatedAtFieldEvent {
    field: '$.record.createdAt'
    value: number
  }

  export interface ReplicateResponseRecordExpiresAtFieldEvent {
    field: '$.record.expiresAt'
    value: number
  }

  export interface ReplicateResponseRecordWriteIdFieldEvent {
    field: '$.record.writeId'
    value: string
  }

  export interface ReplicateResponseRecordOriginFieldEvent {
    field: '$.record.origin'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReplicateResponseRecordSizeFieldEvent {
    field: '$.record.size'
    value: number
  }

  export interface ReplicateResponseRecordHashFieldEvent {
    field: '$.record.hash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReplicateResponseRecordJurisdictionsCodesFieldEvent {
    field: '$.record.jurisdictions.codes[]'
    index: number
    value: string
  }

  export interface ReplicateResponseRecordOwnerSigFieldEvent {
    field: '$.record.owner.sig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReplicateResponseRecordOwnerDelegationFieldEvent {
    field: '$.record.owner.delegation'
    value: string
  }

  export interface ReplicateResponseRecordOwnerDelegationSigFieldEvent {
    field: '$.record.owner.delegationSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReplicateResponseErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export interface ReplicateResponseMembersIdFieldEvent {
    field: '$.members[].id'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ReplicateResponseMembersAddrsFieldEvent {
    field: '$.members[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ReplicateResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReplicateResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReplicateResponse>): ReplicateResponse {
    return decodeMessage(buf, ReplicateResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReplicateResponse>): Generator<ReplicateResponseIdFieldEvent | ReplicateResponseResultsFieldEvent | ReplicateResponseRecordKeyFieldEvent | ReplicateResponseRecordValueFieldEvent | ReplicateResponseRecordCreatedAtFieldEvent | ReplicateResponseRecordExpiresAtFieldEvent | ReplicateResponseRecordWriteIdFieldEvent | ReplicateResponseRecordOriginFieldEvent | ReplicateResponseRecordSizeFieldEvent | ReplicateResponseRecordHashFieldEvent | ReplicateResponseRecordJurisdictionsCodesFieldEvent | ReplicateResponseRecordOwnerSigFieldEvent | ReplicateResponseRecordOwnerDelegationFieldEvent | ReplicateResponseRecordOwnerDelegationSigFieldEvent | ReplicateResponseErrorFieldEvent | ReplicateResponseMembersIdFieldEvent | ReplicateResponseMembersAddrsFieldEvent> {
    return streamMessage(buf, ReplicateResponse.codec(), opts)
  }
}

export interface SyncEntry {
  key: string
  createdAt: number
  writeId: string
  expiresAt: number
}

export namespace SyncEntry {
  let _codec: Codec<SyncEntry>

  export const codec = (): Codec<SyncEntry> => {
    if (_codec == null) {
      _codec = message<SyncEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.key != null && obj.key !== '')) {
          w.uint32(10)
          w.string(obj.key)
        }

        if ((obj.createdAt != null && obj.createdAt !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.createdAt)
        }

        if ((obj.writeId != null && obj.writeId !== '')) {
          w.uint32(26)
          w.string(obj.writeId)
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.expiresAt)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          key: '',
          createdAt: 0,
          writeId: '',
          expiresAt: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.key = reader.string()
              break
            }
            case 2: {
              obj.createdAt = reader.uint64Number()
              break
            }
            case 3: {
              obj.writeId = reader.string()
              break
            }
            case 4: {
              obj.expiresAt = reader.uint64Number()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.key`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.createdAt`,
                value: reader.uint64Number()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.writeId`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.expiresAt`,
                value: reader.uint64Number()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SyncEntryKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface SyncEntryCreatedAtFieldEvent {
    field: '$.createdAt'
    value: number
  }

  export interface SyncEntryWriteIdFieldEvent {
    field: '$.writeId'
    value: string
  }

  export interface SyncEntryExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: number
  }

  export function encode (obj: Partial<SyncEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncEntry>): SyncEntry {
    return decodeMessage(buf, SyncEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncEntry>): Generator<SyncEntryKeyFieldEvent | SyncEntryCreatedAtFieldEvent | SyncEntryWriteIdFieldEvent | SyncEntryExpiresAtFieldEvent> {
    return streamMessage(buf, SyncEntry.codec(), opts)
  }
}

export interface SyncRequest {
  network: string
  enclave: string
  buckets: number
  root?: Uint8Array<ArrayBuffer>
  groups: number[]
  entries: number[]
  records: number[]
  fetch: Fetch[]
  push: Write[]
  get?: string
  jurisdiction?: string
}

export namespace SyncRequest {
  let _codec: Codec<SyncRequest>

  export const codec = (): Codec<SyncRequest> => {
    if (_codec == null) {
      _codec = message<SyncRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.network != null && obj.network !== '')) {
          w.uint32(10)
          w.string(obj.network)
        }

        if ((obj.enclave != null && obj.enclave !== '')) {
          w.uint32(18)
          w.string(obj.enclave)
        }

        if ((obj.buckets != null && obj.buckets !== 0)) {
          w.uint32(24)
          w.uint32(obj.buckets)
        }

        if (obj.root != null) {
          w.uint32(34)
          w.bytes(obj.root)
        }

        if (obj.groups != null && obj.groups.length > 0) {
          for (const value of obj.groups) {
            w.uint32(40)
            w.uint32(value)
          }
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(48)
            w.uint32(value)
          }
        }

        if (obj.records != null && obj.records.length > 0) {
          for (const value of obj.records) {
            w.uint32(56)
            w.uint32(value)
          }
        }

        if (obj.fetch != null && obj.fetch.length > 0) {
          for (const value of obj.fetch) {
            w.uint32(66)
            Fetch.codec().encode(value, w)
          }
        }

        if (obj.push != null && obj.push.length > 0) {
          for (const value of obj.push) {
            w.uint32(74)
            Write.codec().encode(value, w)
          }
        }

        if (obj.get != null) {
          w.uint32(82)
          w.string(obj.get)
        }

        if (obj.jurisdiction != null) {
          w.uint32(90)
          w.string(obj.jurisdiction)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          network: '',
          enclave: '',
          buckets: 0,
          groups: [],
          entries: [],
          records: [],
          fetch: [],
          push: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.network = reader.string()
              break
            }
            case 2: {
              obj.enclave = reader.string()
              break
            }
            case 3: {
              obj.buckets = reader.uint32()
              break
            }
            case 4: {
              obj.root = reader.bytes()
              break
            }
            case 5: {
              if (opts.limits?.groups != null && obj.groups.length === opts.limits.groups) {
                throw new MaxLengthError('Decode error - repeated field "groups" had too many elements')
              }

              obj.groups.push(reader.uint32())
              break
            }
            case 6: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(reader.uint32())
              break
            }
            case 7: {
              if (opts.limits?.records != null && obj.records.length === opts.limits.records) {
                throw new MaxLengthError('Decode error - repeated field "records" had too many elements')
              }

              obj.records.push(reader.uint32())
              break
            }
            case 8: {
              if (opts.limits?.fetch != null && obj.fetch.length === opts.limits.fetch) {
                throw new MaxLengthError('Decode error - repeated field "fetch" had too many elements')
              }

              obj.fetch.push(Fetch.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.fetch$
              }))
              break
            }
            case 9: {
              if (opts.limits?.push != null && obj.push.length === opts.limits.push) {
                throw new MaxLengthError('Decode error - repeated field "push" had too many elements')
              }

              obj.push.push(Write.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.push$
              }))
              break
            }
            case 10: {
              obj.get = reader.string()
              break
            }
            case 11: {
              obj.jurisdiction = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          groups: 0,
          entries: 0,
          records: 0,
          fetch: 0,
          push: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.network`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.enclave`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.buckets`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.root`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              if (opts.limits?.groups != null && obj.groups === opts.limits.groups) {
                throw new MaxLengthError('Streaming decode error - repeated field "groups" had too many elements')
              }

              yield {
                field: `${prefix}.groups[]`,
                index: obj.groups,
                value: reader.uint32()
              }

              obj.groups++

              break
            }
            case 6: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              yield {
                field: `${prefix}.entries[]`,
                index: obj.entries,
                value: reader.uint32()
              }

              obj.entries++

              break
            }
            case 7: {
              if (opts.limits?.records != null && obj.records === opts.limits.records) {
                throw new MaxLengthError('Streaming decode error - repeated field "records" had too many elements')
              }

              yield {
                field: `${prefix}.records[]`,
                index: obj.records,
                value: reader.uint32()
              }

              obj.records++

              break
            }
            case 8: {
              if (opts.limits?.fetch != null && obj.fetch === opts.limits.fetch) {
                throw new MaxLengthError('Streaming decode error - repeated field "fetch" had too many elements')
              }

              for (const evt of Fetch.codec().stream(reader, reader.uint32(), `${prefix}.fetch[]`, {
                limits: opts.limits?.fetch$
              })) {
                yield {
                  ...evt,
                  index: obj.fetch
                }
              }

              obj.fetch++

              break
            }
            case 9: {
              if (opts.limits?.push != null && obj.push === opts.limits.push) {
                throw new MaxLengthError('Streaming decode error - repeated field "push" had too many elements')
              }

              for (const evt of Write.codec().stream(reader, reader.uint32(), `${prefix}.push[]`, {
                limits: opts.limits?.push$
              })) {
                yield {
                  ...evt,
                  index: obj.push
                }
              }

              obj.push++

              break
            }
            case 10: {
              yield {
                field: `${prefix}.get`,
                value: reader.string()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.jurisdiction`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SyncRequestNetworkFieldEvent {
    field: '$.network'
    value: string
  }

  export interface SyncRequestEnclaveFieldEvent {
    field: '$.enclave'
    value: string
  }

  export interface SyncRequestBucketsFieldEvent {
    field: '$.buckets'
    value: number
  }

  export interface SyncRequestRootFieldEvent {
    field: '$.root'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncRequestGroupsFieldEvent {
    field: '$.groups[]'
    index: number
    value: number
  }

  export interface SyncRequestEntriesFieldEvent {
    field: '$.entries[]'
    index: number
    value: number
  }

  export interface SyncRequestRecordsFieldEvent {
    field: '$.records[]'
    index: number
    value: number
  }

  export interface SyncRequestFetchKeyFieldEvent {
    field: '$.fetch[].key'
    value: string
    index: number
  }

  export interface SyncRequestFetchWriteIdFieldEvent {
    field: '$.fetch[].writeId'
    value: string
    index: number
  }

  export interface SyncRequestPushKeyFieldEvent {
    field: '$.push[].key'
    value: string
    index: number
  }

  export interface SyncRequestPushValueFieldEvent {
    field: '$.push[].value'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncRequestPushCreatedAtFieldEvent {
    field: '$.push[].createdAt'
    value: number
    index: number
  }

  export interface SyncRequestPushExpiresAtFieldEvent {
    field: '$.push[].expiresAt'
    value: number
    index: number
  }

  export interface SyncRequestPushWriteIdFieldEvent {
    field: '$.push[].writeId'
    value: string
    index: number
  }

  export interface SyncRequestPushOriginFieldEvent {
    field: '$.push[].origin'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncRequestPushSizeFieldEvent {
    field: '$.push[].size'
    value: number
    index: number
  }

  export interface SyncRequestPushHashFieldEvent {
    field: '$.push[].hash'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncRequestPushJurisdictionsCodesFieldEvent {
    field: '$.push[].jurisdictions.codes[]'
    index: number
    value: string
  }

  export interface SyncRequestPushOwnerSigFieldEvent {
    field: '$.push[].owner.sig'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncRequestPushOwnerDelegationFieldEvent {
    field: '$.push[].owner.delegation'
    value: string
    index: number
  }

  export interface SyncRequestPushOwnerDelegationSigFieldEvent {
    field: '$.push[].owner.delegationSig'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncRequestGetFieldEvent {
    field: '$.get'
    value: string
  }

  export interface SyncRequestJurisdictionFieldEvent {
    field: '$.jurisdiction'
    value: string
  }

  export function encode (obj: Partial<SyncRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncRequest>): SyncRequest {
    return decodeMessage(buf, SyncRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncRequest>): Generator<SyncRequestNetworkFieldEvent | SyncRequestEnclaveFieldEvent | SyncRequestBucketsFieldEvent | SyncRequestRootFieldEvent | SyncRequestGroupsFieldEvent | SyncRequestEntriesFieldEvent | SyncRequestRecordsFieldEvent | SyncRequestFetchKeyFieldEvent | SyncRequestFetchWriteIdFieldEvent | SyncRequestPushKeyFieldEvent | SyncRequestPushValueFieldEvent | SyncRequestPushCreatedAtFieldEvent | SyncRequestPushExpiresAtFieldEvent | SyncRequestPushWriteIdFieldEvent | SyncRequestPushOriginFieldEvent | SyncRequestPushSizeFieldEvent | SyncRequestPushHashFieldEvent | SyncRequestPushJurisdictionsCodesFieldEvent | SyncRequestPushOwnerSigFieldEvent | SyncRequestPushOwnerDelegationFieldEvent | SyncRequestPushOwnerDelegationSigFieldEvent | SyncRequestGetFieldEvent | SyncRequestJurisdictionFieldEvent> {
    return streamMessage(buf, SyncRequest.codec(), opts)
  }
}

export interface SyncResponse {
  error?: string
  inSync?: boolean
  digests: Uint8Array<ArrayBuffer>
  entries: SyncEntry[]
  records: Write[]
  results: WriteResult[]
  more?: boolean
  jurisdiction?: string
}

export namespace SyncResponse {
  let _codec: Codec<SyncResponse>

  export const codec = (): Codec<SyncResponse> => {
    if (_codec == null) {
      _codec = message<SyncResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.error != null) {
          w.uint32(10)
          w.string(obj.error)
        }

        if (obj.inSync != null) {
          w.uint32(16)
          w.bool(obj.inSync)
        }

        if ((obj.digests != null && obj.digests.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.digests)
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(34)
            SyncEntry.codec().encode(value, w)
          }
        }

        if (obj.records != null && obj.records.length > 0) {
          for (const value of obj.records) {
            w.uint32(42)
            Write.codec().encode(value, w)
          }
        }

        if (obj.results != null && obj.results.length > 0) {
          for (const value of obj.results) {
            w.uint32(48)
            WriteResult.codec().encode(value, w)
          }
        }

        if (obj.more != null) {
          w.uint32(56)
          w.bool(obj.more)
        }

        if (obj.jurisdiction != null) {
          w.uint32(66)
          w.string(obj.jurisdiction)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          digests: uint8ArrayAlloc(0),
          entries: [],
          records: [],
          results: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.error = reader.string()
              break
            }
            case 2: {
              obj.inSync = reader.bool()
              break
            }
            case 3: {
              obj.digests = reader.bytes()
              break
            }
            case 4: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(SyncEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.entries$
              }))
              break
            }
            case 5: {
              if (opts.limits?.records != null && obj.records.length === opts.limits.records) {
                throw new MaxLengthError('Decode error - repeated field "records" had too many elements')
              }

              obj.records.push(Write.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.records$
              }))
              break
            }
            case 6: {
              if (opts.limits?.results != null && obj.results.length === opts.limits.results) {
                throw new MaxLengthError('Decode error - repeated field "results" had too many elements')
              }

              obj.results.push(WriteResult.codec().decode(reader))
              break
            }
            case 7: {
              obj.more = reader.bool()
              break
            }
            case 8: {
              obj.jurisdiction = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          entries: 0,
          records: 0,
          results: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.error`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.inSync`,
                value: reader.bool()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.digests`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              for (const evt of SyncEntry.codec().stream(reader, reader.uint32(), `${prefix}.entries[]`, {
                limits: opts.limits?.entries$
              })) {
                yield {
                  ...evt,
                  index: obj.entries
                }
              }

              obj.entries++

              break
            }
            case 5: {
              if (opts.limits?.records != null && obj.records === opts.limits.records) {
                throw new MaxLengthError('Streaming decode error - repeated field "records" had too many elements')
              }

              for (const evt of Write.codec().stream(reader, reader.uint32(), `${prefix}.records[]`, {
                limits: opts.limits?.records$
              })) {
                yield {
                  ...evt,
                  index: obj.records
                }
              }

              obj.records++

              break
            }
            case 6: {
              if (opts.limits?.results != null && obj.results === opts.limits.results) {
                throw new MaxLengthError('Streaming decode error - repeated field "results" had too many elements')
              }

              WriteResult.codec().decode(reader)

              obj.results++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.more`,
                value: reader.bool()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.jurisdiction`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SyncResponseErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export interface SyncResponseInSyncFieldEvent {
    field: '$.inSync'
    value: boolean
  }

  export interface SyncResponseDigestsFieldEvent {
    field: '$.digests'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncResponseEntriesKeyFieldEvent {
    field: '$.entries[].key'
    value: string
    index: number
  }

  export interface SyncResponseEntriesCreatedAtFieldEvent {
    field: '$.entries[].createdAt'
    value: number
    index: number
  }

  export interface SyncResponseEntriesWriteIdFieldEvent {
    field: '$.entries[].writeId'
    value: string
    index: number
  }

  export interface SyncResponseEntriesExpiresAtFieldEvent {
    field: '$.entries[].expiresAt'
    value: number
    index: number
  }

  export interface SyncResponseRecordsKeyFieldEvent {
    field: '$.records[].key'
    value: string
    index: number
  }

  export interface SyncResponseRecordsValueFieldEvent {
    field: '$.records[].value'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncResponseRecordsCreatedAtFieldEvent {
    field: '$.records[].createdAt'
    value: number
    index: number
  }

  export interface SyncResponseRecordsExpiresAtFieldEvent {
    field: '$.records[].expiresAt'
    value: number
    index: number
  }

  export interface SyncResponseRecordsWriteIdFieldEvent {
    field: '$.records[].writeId'
    value: string
    index: number
  }

  export interface SyncResponseRecordsOriginFieldEvent {
    field: '$.records[].origin'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncResponseRecordsSizeFieldEvent {
    field: '$.records[].size'
    value: number
    index: number
  }

  export interface SyncResponseRecordsHashFieldEvent {
    field: '$.records[].hash'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncResponseRecordsJurisdictionsCodesFieldEvent {
    field: '$.records[].jurisdictions.codes[]'
    index: number
    value: string
  }

  export interface SyncResponseRecordsOwnerSigFieldEvent {
    field: '$.records[].owner.sig'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncResponseRecordsOwnerDelegationFieldEvent {
    field: '$.records[].owner.delegation'
    value: string
    index: number
  }

  export interface SyncResponseRecordsOwnerDelegationSigFieldEvent {
    field: '$.records[].owner.delegationSig'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncResponseResultsFieldEvent {
    field: '$.results[]'
    index: number
    value: WriteResult
  }

  export interface SyncResponseMoreFieldEvent {
    field: '$.more'
    value: boolean
  }

  export interface SyncResponseJurisdictionFieldEvent {
    field: '$.jurisdiction'
    value: string
  }

  export function encode (obj: Partial<SyncResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncResponse>): SyncResponse {
    return decodeMessage(buf, SyncResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncResponse>): Generator<SyncResponseErrorFieldEvent | SyncResponseInSyncFieldEvent | SyncResponseDigestsFieldEvent | SyncResponseEntriesKeyFieldEvent | SyncResponseEntriesCreatedAtFieldEvent | SyncResponseEntriesWriteIdFieldEvent | SyncResponseEntriesExpiresAtFieldEvent | SyncResponseRecordsKeyFieldEvent | SyncResponseRecordsValueFieldEvent | SyncResponseRecordsCreatedAtFieldEvent | SyncResponseRecordsExpiresAtFieldEvent | SyncResponseRecordsWriteIdFieldEvent | SyncResponseRecordsOriginFieldEvent | SyncResponseRecordsSizeFieldEvent | SyncResponseRecordsHashFieldEvent | SyncResponseRecordsJurisdictionsCodesFieldEvent | SyncResponseRecordsOwnerSigFieldEvent | SyncResponseRecordsOwnerDelegationFieldEvent | SyncResponseRecordsOwnerDelegationSigFieldEvent | SyncResponseResultsFieldEvent | SyncResponseMoreFieldEvent | SyncResponseJurisdictionFieldEvent> {
    return streamMessage(buf, SyncResponse.codec(), opts)
  }
}

export interface BlobRequest {
  network: string
  enclave: string
  key: string
  writeId: string
}

export namespace BlobRequest {
  let _codec: Codec<BlobRequest>

  export const codec = (): Codec<BlobRequest> => {
    if (_codec == null) {
      _codec = message<BlobRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.network != null && obj.network !== '')) {
          w.uint32(10)
          w.string(obj.network)
        }

        if ((obj.enclave != null && obj.enclave !== '')) {
          w.uint32(18)
          w.string(obj.enclave)
        }

        if ((obj.key != null && obj.key !== '')) {
          w.uint32(26)
          w.string(obj.key)
        }

        if ((obj.writeId != null && obj.writeId !== '')) {
          w.uint32(34)
          w.string(obj.writeId)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          network: '',
          enclave: '',
          key: '',
          writeId: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.network = reader.string()
              break
            }
            case 2: {
              obj.enclave = reader.string()
              break
            }
            case 3: {
              obj.key = reader.string()
              break
            }
            case 4: {
              obj.writeId = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.network`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.enclave`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.key`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.writeId`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface BlobRequestNetworkFieldEvent {
    field: '$.network'
    value: string
  }

  export interface BlobRequestEnclaveFieldEvent {
    field: '$.enclave'
    value: string
  }

  export interface BlobRequestKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface BlobRequestWriteIdFieldEvent {
    field: '$.writeId'
    value: string
  }

  export function encode (obj: Partial<BlobRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, BlobRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlobRequest>): BlobRequest {
    return decodeMessage(buf, BlobRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlobRequest>): Generator<BlobRequestNetworkFieldEvent | BlobRequestEnclaveFieldEvent | BlobRequestKeyFieldEvent | BlobRequestWriteIdFieldEvent> {
    return streamMessage(buf, BlobRequest.codec(), opts)
  }
}

export interface BlobResponse {
  record?: Write
  chunk: Uint8Array<ArrayBuffer>
  error?: string
}

export namespace BlobResponse {
  let _codec: Codec<BlobResponse>

  export const codec = (): Codec<BlobResponse> => {
    if (_codec == null) {
      _codec = message<BlobResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.record != null) {
          w.uint32(10)
          Write.codec().encode(obj.record, w)
        }

        if ((obj.chunk != null && obj.chunk.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.chunk)
        }

        if (obj.error != null) {
          w.uint32(26)
          w.string(obj.error)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          chunk: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.record = Write.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.record
              })
              break
            }
            case 2: {
              obj.chunk = reader.bytes()
              break
            }
            case 3: {
              obj.error = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * Write.codec().stream(reader, reader.uint32(), `${prefix}.record`, {
                limits: opts.limits?.record
              })

              break
            }
            case 2: {
              yield {
                field: `${prefix}.chunk`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.error`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface BlobResponseRecordKeyFieldEvent {
    field: '$.record.key'
    value: string
  }

  export interface BlobResponseRecordValueFieldEvent {
    field: '$.record.value'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlobResponseRecordCreatedAtFieldEvent {
    field: '$.record.createdAt'
    value: number
  }

  export interface BlobResponseRecordExpiresAtFieldEvent {
    field: '$.record.expiresAt'
    value: number
  }

  export interface BlobResponseRecordWriteIdFieldEvent {
    field: '$.record.writeId'
    value: string
  }

  export interface BlobResponseRecordOriginFieldEvent {
    field: '$.record.origin'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlobResponseRecordSizeFieldEvent {
    field: '$.record.size'
    value: number
  }

  export interface BlobResponseRecordHashFieldEvent {
    field: '$.record.hash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlobResponseRecordJurisdictionsCodesFieldEvent {
    field: '$.record.jurisdictions.codes[]'
    index: number
    value: string
  }

  export interface BlobResponseRecordOwnerSigFieldEvent {
    field: '$.record.owner.sig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlobResponseRecordOwnerDelegationFieldEvent {
    field: '$.record.owner.delegation'
    value: string
  }

  export interface BlobResponseRecordOwnerDelegationSigFieldEvent {
    field: '$.record.owner.delegationSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlobResponseChunkFieldEvent {
    field: '$.chunk'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlobResponseErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export function encode (obj: Partial<BlobResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, BlobResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlobResponse>): BlobResponse {
    return decodeMessage(buf, BlobResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlobResponse>): Generator<BlobResponseRecordKeyFieldEvent | BlobResponseRecordValueFieldEvent | BlobResponseRecordCreatedAtFieldEvent | BlobResponseRecordExpiresAtFieldEvent | BlobResponseRecordWriteIdFieldEvent | BlobResponseRecordOriginFieldEvent | BlobResponseRecordSizeFieldEvent | BlobResponseRecordHashFieldEvent | BlobResponseRecordJurisdictionsCodesFieldEvent | BlobResponseRecordOwnerSigFieldEvent | BlobResponseRecordOwnerDelegationFieldEvent | BlobResponseRecordOwnerDelegationSigFieldEvent | BlobResponseChunkFieldEvent | BlobResponseErrorFieldEvent> {
    return streamMessage(buf, BlobResponse.codec(), opts)
  }
}
