/** Replica events and a minimal synchronous emitter (no Node built-ins, so it runs in browsers). */
import type { ElasticStateError } from './errors.js'

/**
 * What a `'change'` event says: which fields changed, by own writes (at the round that versioned them) or by a peer's frame.
 * @example
 * ```ts
 * import { counter, defineState, type ChangeEvent } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const sim = createSimulation({ seed: 5 })
 * const a = sim.spawn(defineState({ packets: counter() }), { id: 'a' })
 * const b = sim.spawn(defineState({ packets: counter() }), { id: 'b' })
 * const seen: ChangeEvent[] = []
 * b.on('change', (event) => seen.push(event))
 * a.state.packets.increment()
 * sim.runUntilConverged()
 * assert.deepEqual(seen, [{ source: 'remote', fields: ['packets'] }])
 * ```
 */
export interface ChangeEvent {
  /** `local`: own writes stamped this round; `remote`: a frame from a peer changed state. */
  source: 'local' | 'remote'
  /** Names of the fields that changed. */
  fields: string[]
}

/**
 * The events of a replica, with their listeners' signatures: `replica.on(event, listener)`.
 * @example
 * ```ts
 * import { counter, defineState, type ReplicaEvents } from 'elastic-state'
 * import { createSimulation } from 'elastic-state/sim'
 * import assert from 'node:assert/strict'
 * const sim = createSimulation({ seed: 6 })
 * const a = sim.spawn(defineState({ packets: counter() }), { id: 'a' })
 * const joined: string[] = []
 * const onJoin: ReplicaEvents['member-join'] = (event) => joined.push(event.id)
 * a.on('member-join', onJoin)
 * sim.spawn(defineState({ packets: counter() }), { id: 'b' })
 * sim.advance(500)
 * assert.deepEqual(joined, ['b'])
 * a.off('member-join', onJoin)
 * ```
 */
export interface ReplicaEvents {
  change: (event: ChangeEvent) => void
  'member-join': (event: { id: string }) => void
  'member-leave': (event: { id: string; reason: 'left' | 'failed' }) => void
  /** A rejected frame (DecodeError, AuthError, SchemaMismatchError, ...) or a failed handoff. */
  error: (error: ElasticStateError) => void
}

export interface Emitter {
  on<E extends keyof ReplicaEvents>(event: E, listener: ReplicaEvents[E]): void
  off<E extends keyof ReplicaEvents>(event: E, listener: ReplicaEvents[E]): void
  emit<E extends keyof ReplicaEvents>(event: E, payload: Parameters<ReplicaEvents[E]>[0]): void
}

export function createEmitter(): Emitter {
  const listeners = new Map<string, Set<(payload: never) => void>>()
  return {
    on(event, listener) {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      set.add(listener as (payload: never) => void)
    },
    off(event, listener) {
      listeners.get(event)?.delete(listener as (payload: never) => void)
    },
    emit(event, payload) {
      const set = listeners.get(event)
      if (!set) return
      for (const listener of [...set]) {
        // A throwing listener must not break gossip; it is reported through 'error' (once).
        try {
          ;(listener as (payload: unknown) => void)(payload)
        } catch (error) {
          if (event === 'error') throw error
          queueMicrotask(() => { throw error })
        }
      }
    },
  }
}
