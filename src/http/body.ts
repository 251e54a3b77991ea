import type { Context } from 'hono'
import { BadRequestError, ValueTooLargeError } from '../errors.js'

/**
 * How much of an oversized body is read and thrown away before the 413 is sent, beyond
 * the value limit: a client that sends its whole body before reading the reply (Node's
 * `fetch`) then sees the 413 instead of a broken pipe. A bigger body, or one that takes
 * longer than {@link DRAIN_TIMEOUT_MS}, gets the 413 and the connection closed at once.
 */
export const DRAIN_EXTRA_BYTES = 16 * 1024 * 1024

/** Longest time spent discarding the rest of an oversized body. */
export const DRAIN_TIMEOUT_MS = 5_000

type Incoming = Partial<NodeJS.ReadableStream> & { readableDidRead?: boolean, readableEnded?: boolean }

/**
 * Reads a request body, enforcing `limit` while streaming: a declared Content-Length
 * above the limit is refused before reading, and a chunked body is refused the moment
 * it passes the limit, without buffering the rest. Before the refusal, the rest of the
 * body is read and discarded, within `limit` + {@link DRAIN_EXTRA_BYTES} and
 * {@link DRAIN_TIMEOUT_MS}, so every client sees the 413.
 */
export async function readBodyLimited (c: Context, limit: number): Promise<Uint8Array> {
  const incoming = (c.env as { incoming?: Incoming } | undefined)?.incoming
  const declared = c.req.header('content-length')
  // On a Node server, read the request stream directly with listeners: cheaper than the
  // web-stream bridge or an async iterator.
  if (incoming?.on !== undefined && incoming.readableDidRead !== true) return await readIncomingLimited(incoming as NodeJS.ReadableStream, declared, limit)
  if (checkDeclared(declared, limit)) throw new ValueTooLargeError(`value is ${Number(declared)} bytes; the limit is ${limit}`)
  const collected = collector(limit)
  const body = c.req.raw.body
  if (body === null) return new Uint8Array(0)
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      collected.add(value)
    }
  } finally {
    reader.releaseLock()
  }
  return collected.bytes()
}

/**
 * {@link readBodyLimited} on a Node request stream (`declared` = its Content-Length
 * header): the same limits, the same drain before a 413.
 */
export async function readIncomingLimited (incoming: NodeJS.ReadableStream, declared: string | undefined, limit: number): Promise<Uint8Array> {
  if (checkDeclared(declared, limit)) {
    const n = Number(declared)
    if (n <= limit + DRAIN_EXTRA_BYTES) await discard(incoming, limit + DRAIN_EXTRA_BYTES)
    throw new ValueTooLargeError(`value is ${n} bytes; the limit is ${limit}`)
  }
  const collected = collector(limit)
  try {
    await readNodeStream(incoming, collected.add)
  } catch (err) {
    if (err instanceof ValueTooLargeError) await discard(incoming, limit + DRAIN_EXTRA_BYTES - collected.total())
    throw err
  }
  return collected.bytes()
}

/** Checks a Content-Length header: true when it declares more than `limit`; throws when it is not a length. */
function checkDeclared (declared: string | undefined, limit: number): boolean {
  if (declared === undefined) return false
  const n = Number(declared)
  if (!Number.isSafeInteger(n) || n < 0) throw new BadRequestError('Content-Length is not a valid length')
  return n > limit
}

/** Gathers chunks up to `limit` bytes (ValueTooLargeError past it). */
function collector (limit: number): { add: (chunk: Uint8Array) => void, total: () => number, bytes: () => Uint8Array } {
  const chunks: Uint8Array[] = []
  let total = 0
  return {
    add: (chunk) => {
      total += chunk.byteLength
      if (total > limit) throw new ValueTooLargeError(`value exceeds the limit of ${limit} bytes`)
      chunks.push(chunk)
    },
    total: () => total,
    bytes: () => {
      // Storage copies what it keeps, so a single chunk is returned as it is.
      if (chunks.length === 1) return chunks[0]
      const out = new Uint8Array(total)
      let off = 0
      for (const ch of chunks) { out.set(ch, off); off += ch.byteLength }
      return out
    }
  }
}

function readNodeStream (stream: NodeJS.ReadableStream, add: (chunk: Uint8Array) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown): void => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      stream.off('close', onClose)
      if (err === undefined) resolve()
      else reject(err)
    }
    const onData = (chunk: Uint8Array): void => {
      try {
        add(chunk)
      } catch (err) {
        // Over the limit: stop reading; the 413 reply closes the connection.
        stream.pause()
        done(err)
      }
    }
    const onEnd = (): void => done()
    const onError = (err: Error): void => done(err)
    const onClose = (): void => done(new BadRequestError('the request body ended early', 'incomplete_body'))
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('close', onClose)
  })
}

/**
 * Reads and drops the rest of a request body: resolves at its end, or once `maxBytes`
 * more were read or {@link DRAIN_TIMEOUT_MS} passed (the 413 then closes the connection).
 */
function discard (stream: NodeJS.ReadableStream, maxBytes: number): Promise<void> {
  if ((stream as Incoming).readableEnded === true) return Promise.resolve()
  return new Promise(resolve => {
    let read = 0
    const done = (): void => {
      clearTimeout(timer)
      stream.off('data', onData)
      stream.off('end', done)
      stream.off('error', done)
      stream.off('close', done)
      stream.pause()
      resolve()
    }
    const onData = (chunk: Uint8Array): void => {
      read += chunk.byteLength
      if (read > maxBytes) done()
    }
    const timer = setTimeout(done, DRAIN_TIMEOUT_MS)
    stream.on('data', onData)
    stream.on('end', done)
    stream.on('error', done)
    stream.on('close', done)
    stream.resume()
  })
}
