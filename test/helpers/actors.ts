/**
 * An actor system and an Asker for tests that spawn actors alone, stopped after each test.
 *
 * @example
 * const fresh = actorHarness()   // at the top of a describe (or the file): registers afterEach
 * const { system, asker } = fresh()
 */
import { afterEach } from 'vitest'
import { start, stop } from 'nact'
import { Asker } from '../../actors/runtime/ask.js'

/** What {@link actorHarness} hands each test. */
export interface ActorHarness { system: ReturnType<typeof start>, asker: Asker }

/** Registers the cleanup and returns the function that starts a test's system and asker. */
export function actorHarness (): () => ActorHarness {
  let current: ActorHarness | undefined
  afterEach(() => {
    current?.asker.close()
    if (current !== undefined) stop(current.system)
    current = undefined
  })
  return () => {
    current = { system: start(), asker: new Asker() }
    return current
  }
}
