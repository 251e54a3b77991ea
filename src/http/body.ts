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
  if (incoming?.[Symbol.asyncIterator] !== undefined && incoming.readableDidRead !== true) {
    // On a Node server, read the socket directly: cheaper than the web-stream bridge.
    for await (const chunk of incoming as AsyncIterable<Uint8Array>) add(chunk)
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
