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

/**
 * Options of `broadcastChannelTransport`.
 * @example
 * ```ts
 * import { broadcastChannelTransport, type BroadcastChannelTransportOptions } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const options: BroadcastChannelTransportOptions = { room: 'firewall-demo' }
 * const transport = broadcastChannelTransport(options)
 * assert.deepEqual(transport.peers(), [])
 * ```
 */
export interface BroadcastChannelTransportOptions {
  /** Channel name shared by the replicas that should find each other (default 'elastic-state'). */
  room?: string
}

/**
 * A transport over BroadcastChannel (`broadcastChannelTransport()`), which also lists the peers heard in its room.
 * @example
 * ```ts
 * import { counter, defineState, createReplica, broadcastChannelTransport, type BroadcastChannelTransport } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const room = `peers-${Math.random()}`
 * const transport: BroadcastChannelTransport = broadcastChannelTransport({ room })
 * const a = createReplica(defineState({ packets: counter() }), { id: 'a', transport })
 * const b = createReplica(defineState({ packets: counter() }), { id: 'b', transport: broadcastChannelTransport({ room }) })
 * await a.start()
 * await b.start()
 * for (let tries = 0; transport.peers().length === 0 && tries < 400; tries++) await new Promise((resolve) => setTimeout(resolve, 5))
 * assert.equal(transport.peers().length, 1)   // b's address in the room
 * await a.stop()
 * await b.stop()
 * ```
 */
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
 * import { counter, defineState, createReplica, broadcastChannelTransport } from 'elastic-state'
 * import assert from 'node:assert/strict'
 *
 * const Monitor = defineState({ packets: counter() })
 * const room = `demo-${Math.random()}`
 * const gossip = { intervalMs: 10 }
 * const a = createReplica(Monitor, { id: 'a', transport: broadcastChannelTransport({ room }), gossip })
 * const b = createReplica(Monitor, { id: 'b', transport: broadcastChannelTransport({ room }), gossip })
 * await a.start()
 * await b.start()
 * a.state.packets.increment()
 * for (let tries = 0; b.state.packets.global !== 1 && tries < 400; tries++) await new Promise((resolve) => setTimeout(resolve, 5))
 * assert.equal(b.state.packets.global, 1)
 * await a.stop()
 * await b.stop()
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
