export { createHttpApp, keyFromUrl, TTL_HEADERS, type HttpAppOptions, type HttpAppState } from './app.js'
export { startHttpServer, type HttpServerOptions, type RepramHttpServer } from './server.js'
export { TokenBuckets, RateLimitedError, clientIp } from './middleware/rate-limit.js'
export { SECURITY_HEADERS } from './middleware/security-headers.js'
