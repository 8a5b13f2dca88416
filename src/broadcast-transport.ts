/**
 * A transport over BroadcastChannel (through lib0, which falls back to localStorage where
 * BroadcastChannel is missing): replicas in tabs and workers of one origin, or in one Node
 * process, that use the same room find each other and exchange frames without a server.
 *
 * Every replica of a room hears every message and keeps those addressed to it. A hello on
 * open, answered by every replica that has not yet heard of the newcomer, makes the members
 * of the room each other's seeds.
 */
import * as bc from 'lib0/broadcastchannel'
import { LifecycleError } from './errors.js'
import type { FrameHandler, Transport } from './transport.js'

export interface BroadcastChannelTransportOptions {
  /** Channel name shared by the replicas that should find each other (default 'elastic-state'). */
  room?: string
}

export interface BroadcastChannelTransport extends Transport {
  /** Addresses of the other replicas heard in the room. */
  peers(): string[]
}

type RoomMessage = { hello: string } | { to: string; frame: Uint8Array }

function isRoomMessage(data: unknown): data is RoomMessage {
  if (typeof data !== 'object' || data === null) return false
  const message = data as Record<string, unknown>
  if (typeof message.hello === 'string') return true
  return typeof message.to === 'string' && message.frame instanceof Uint8Array
}

/**
 * Creates a BroadcastChannel transport.
 * @example
 * ```ts
 * const replica = createReplica(Monitor, { transport: broadcastChannelTransport({ room: 'demo' }) })
 * await replica.start()
 * ```
 */
export function broadcastChannelTransport(options: BroadcastChannelTransportOptions = {}): BroadcastChannelTransport {
  const room = `elastic-state:${options.room ?? 'elastic-state'}`
  const known = new Set<string>()
  let address = ''
  let state: 'new' | 'open' | 'closed' = 'new'
  let listener: ((data: unknown) => void) | null = null
  return {
    open(localId: string, onFrame: FrameHandler): string {
      if (state !== 'new') throw new LifecycleError(`a BroadcastChannel transport opens once (it is ${state})`)
      state = 'open'
      address = `bc:${localId}:${Math.floor(Math.random() * 2 ** 32).toString(36)}`
      listener = (data) => {
        if (state !== 'open' || !isRoomMessage(data)) return
        if ('hello' in data) {
          if (data.hello === address || known.has(data.hello)) return
          known.add(data.hello)
          bc.publish(room, { hello: address })
          return
        }
        if (data.to !== address) return
        // Same-context subscribers are called inside publish: deliver later, never re-entrantly.
        const frame = data.frame
        queueMicrotask(() => {
          if (state === 'open') onFrame(frame)
        })
      }
      bc.subscribe(room, listener)
      bc.publish(room, { hello: address })
      return address
    },
    seeds: () => [...known],
    peers: () => [...known],
    send(target, frame) {
      if (state === 'open' && target !== address) bc.publish(room, { to: target, frame })
    },
    close() {
      if (listener) bc.unsubscribe(room, listener)
      listener = null
      state = 'closed'
      return Promise.resolve()
    },
  }
}
