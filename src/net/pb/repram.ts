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

  export function encode (obj: Partial<Write>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Write.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Write>): Write {
    return decodeMessage(buf, Write.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Write>): Generator<WriteKeyFieldEvent | WriteValueFieldEvent | WriteCreatedAtFieldEvent | WriteExpiresAtFieldEvent | WriteWriteIdFieldEvent | WriteOriginFieldEvent | WriteSizeFieldEvent> {
    return streamMessage(buf, Write.codec(), opts)
  }
}

export interface Announce {
  addrs: Uint8Array<ArrayBuffer>[]
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

  export function encode (obj: Partial<Announce>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Announce.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Announce>): Announce {
    return decodeMessage(buf, Announce.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Announce>): Generator<AnnounceAddrsFieldEvent> {
    return streamMessage(buf, Announce.codec(), opts)
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

  export interface GossipMessageAnnounceAddrsFieldEvent {
    field: '$.announce.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
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

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GossipMessage>): Generator<GossipMessageNetworkFieldEvent | GossipMessageEnclaveFieldEvent | GossipMessageWritesKeyFieldEvent | GossipMessageWritesValueFieldEvent | GossipMessageWritesCreatedAtFieldEvent | GossipMessageWritesExpiresAtFieldEvent | GossipMessageWritesWriteIdFieldEvent | GossipMessageWritesOriginFieldEvent | GossipMessageWritesSizeFieldEvent | GossipMessageAnnounceAddrsFieldEvent | GossipMessageLeaveFieldEvent> {
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

  export function encode (obj: Partial<ReplicateRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReplicateRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReplicateRequest>): ReplicateRequest {
    return decodeMessage(buf, ReplicateRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReplicateRequest>): Generator<ReplicateRequestIdFieldEvent | ReplicateRequestNetworkFieldEvent | ReplicateRequestEnclaveFieldEvent | ReplicateRequestWritesKeyFieldEvent | ReplicateRequestWritesValueFieldEvent | ReplicateRequestWritesCreatedAtFieldEvent | ReplicateRequestWritesExpiresAtFieldEvent | ReplicateRequestWritesWriteIdFieldEvent | ReplicateRequestWritesOriginFieldEvent | ReplicateRequestWritesSizeFieldEvent | ReplicateRequestFetchKeyFieldEvent | ReplicateRequestFetchWriteIdFieldEvent | ReplicateRequestLeaveFieldEvent> {
    return streamMessage(buf, ReplicateRequest.codec(), opts)
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

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: 0,
          results: []
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
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          results: 0
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

  export interface ReplicateResponseErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export function encode (obj: Partial<ReplicateResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReplicateResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReplicateResponse>): ReplicateResponse {
    return decodeMessage(buf, ReplicateResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReplicateResponse>): Generator<ReplicateResponseIdFieldEvent | ReplicateResponseResultsFieldEvent | ReplicateResponseRecordKeyFieldEvent | ReplicateResponseRecordValueFieldEvent | ReplicateResponseRecordCreatedAtFieldEvent | ReplicateResponseRecordExpiresAtFieldEvent | ReplicateResponseRecordWriteIdFieldEvent | ReplicateResponseRecordOriginFieldEvent | ReplicateResponseRecordSizeFieldEvent | ReplicateResponseErrorFieldEvent> {
    return streamMessage(buf, ReplicateResponse.codec(), opts)
  }
}
