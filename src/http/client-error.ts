/**
 * Requests Node's HTTP parser refuses before hono sees them (raw non-ASCII bytes or
 * spaces in the URL, a bad header line, headers past the size limit, a request that did
 * not arrive in time) get the API's JSON error `{error, message}` with the right status
 * instead of Node's bare `400 Bad Request` (issue 16 §5). Nothing of the request is echoed.
 *
 * @example
 * import { createServer } from 'node:http'
 * const server = createServer(handler)
 * server.on('clientError', answerClientError)
 */
import type { Duplex } from 'node:stream'

/** What the parser's error codes answer: status, error code, message. */
const ANSWERS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'the request headers are too large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [400, 'bad_request', 'malformed request: the chunk extensions are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'the request did not arrive in time'],
  HPE_INVALID_URL: [400, 'bad_request', 'malformed request line: the URL has a character that must be percent-encoded (raw bytes above 0x7F, spaces, control characters)'],
  HPE_INVALID_METHOD: [400, 'bad_request', 'malformed request line: unknown or invalid method'],
  HPE_INVALID_CONSTANT: [400, 'bad_request', 'malformed request line: expected HTTP/1.x'],
  HPE_INVALID_VERSION: [400, 'bad_request', 'malformed request line: unsupported HTTP version']
}
const HEADER_PROBLEM: [number, string, string] = [400, 'bad_request', 'malformed request: a header line could not be parsed']
const OTHER: [number, string, string] = [400, 'bad_request', 'malformed HTTP request']
const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }

/** The status, error code and message for a parser error code. */
export function clientErrorAnswer (code: string | undefined): { status: number, error: string, message: string } {
  const a = (code !== undefined ? ANSWERS[code] : undefined) ?? (code?.startsWith('HPE_INVALID_HEADER') === true || code === 'HPE_INVALID_TRANSFER_ENCODING' || code === 'HPE_UNEXPECTED_CONTENT_LENGTH' || code === 'HPE_INVALID_CONTENT_LENGTH' ? HEADER_PROBLEM : OTHER)
  return { status: a[0], error: a[1], message: a[2] }
}

/**
 * A `clientError` listener: answers JSON where the socket is still writable and no reply
 * has started on it, else closes it (as Node's default does).
 */
export function answerClientError (err: Error & { code?: string }, socket: Duplex): void {
  // A reply already started on this keep-alive socket cannot be followed by another.
  const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true
  if (err.code === 'ECONNRESET' || !socket.writable || started) {
    socket.destroy()
    return
  }
  const { status, error, message } = clientErrorAnswer(err.code)
  const body = JSON.stringify({ error, message })
  socket.end(`HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`)
}
