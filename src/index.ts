/**
 * REPRAM: a replicated, ephemeral key-value network. Library entry point.
 *
 * @example
 * import { createRepramNode, startHttpServer } from 'repram'
 * const node = await createRepramNode({ config: { profile: 'test' } })
 * const server = await startHttpServer(node, { port: 0, host: '127.0.0.1' })
 * await fetch(`${server.url}/v1/data/hello?ttl=60`, { method: 'PUT', body: 'world' })
 * await server.close()
 * await node.stop()
 */
import './polyfill.js'

export * from './node/index.js'
export { createRepramNode, type CreateRepramNodeInit } from './create.js'
export * from './http/index.js'
export * from './errors.js'
export { loadConfig, validateConfig, profileDefaults, parseDuration, CONFIG_FIELDS, configSchema, type RepramConfig, type RepramConfigInput, type ConfigProfile, type ConfigField, type LoadConfigOptions } from './config.js'
export { systemClock, ManualClock, type Clock } from './clock.js'
export { compareUtf8, compareWrites, resolveTtl, validateKey, type RepramRecord, type RecordLimits } from './record.js'
export { VERSION } from './version.js'
export { parseJurisdictions, isJurisdictionCode, formatJurisdictions, jurisdictionSetError, admits, JURISDICTION_CODE, MAX_JURISDICTIONS } from './wire/jurisdiction.js'
export * from './net/index.js'
export * from './attest/index.js'
