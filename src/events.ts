/** Replica events and a minimal synchronous emitter (no Node built-ins, so it runs in browsers). */
import type { ElasticStateError } from './errors.js'

export interface ChangeEvent {
  /** `local`: own writes stamped this round; `remote`: a frame from a peer changed state. */
  source: 'local' | 'remote'
  /** Names of the fields that changed. */
  fields: string[]
}

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
