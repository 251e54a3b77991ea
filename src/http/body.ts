import type { Context } from 'hono'
import { BadRequestError, ValueTooLargeError } from '../errors.js'

/**
 * Reads a request body, enforcing `limit` while streaming: a declared Content-Length
 * above the limit is refused before reading, and a chunked body is refused the moment
 * it passes the limit, without buffering the rest.
 */
export async function readBodyLimited (c: Context, limit: number): Promise<Uint8Array> {
  const declared = c.req.header('content-length')
  if (declared !== undefined) {
    const n = Number(declared)
    if (!Number.isSafeInteger(n) || n < 0) throw new BadRequestError('Content-Length is not a valid length')
    if (n > limit) throw new ValueTooLargeError(`value is ${n} bytes; the limit is ${limit}`)
  }
  const incoming = (c.env as { incoming?: Partial<NodeJS.ReadableStream> & { readableDidRead?: boolean } } | undefined)?.incoming
  const chunks: Uint8Array[] = []
  let total = 0
  const add = (chunk: Uint8Array): void => {
    total += chunk.byteLength
    if (total > limit) throw new ValueTooLargeError(`value exceeds the limit of ${limit} bytes`)
    chunks.push(chunk)
  }
  if (incoming?.on !== undefined && incoming.readableDidRead !== true) {
    // On a Node server, read the request stream directly with listeners: cheaper than
    // the web-stream bridge or an async iterator.
    await readNodeStream(incoming as NodeJS.ReadableStream, add)
  } else {
    const body = c.req.raw.body
    if (body === null) return new Uint8Array(0)
    const reader = body.getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        add(value)
      }
    } finally {
      reader.releaseLock()
    }
  }
  // Storage copies what it keeps, so a single chunk is returned as it is.
  if (chunks.length === 1) return chunks[0]
  const out = new Uint8Array(total)
  let off = 0
  for (const ch of chunks) { out.set(ch, off); off += ch.byteLength }
  return out
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
