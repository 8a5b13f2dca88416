/**
 * A replica on a simulation's network through a transport that lets the fuzzer see both ends:
 * every frame the replica sends, and the frame handler the replica registered, which the fuzzer
 * calls directly with hostile bytes. That handler is the replica's real receive path, what a
 * WebSocket or the simulated network calls when a frame arrives; calling it directly (not
 * through `SimNetwork.inject`, which catches what a handler throws) lets a throw reach the
 * fuzzer as a crash.
 */
import * as prng from 'lib0/prng'
import { createReplica, type FrameHandler, type Transport } from '../../src/index.js'
import type { Simulation } from '../../src/sim/index.js'
import { FuzzState, type FuzzReplica } from './fuzz-state.js'

/** Gossip settings: short rounds and time-outs keep virtual time, and so runtime, small. */
export const fuzzGossip = { intervalMs: 20, fanout: 3, failureTimeoutMs: 200, leaveTimeoutMs: 600 } as const

export interface SimNode {
  readonly replica: FuzzReplica
  /** Delivers bytes as if they had arrived from the network. */
  deliver: FrameHandler
  /** Every frame the replica handed its transport, when `recordSent` is on. */
  readonly sent: Uint8Array[]
  /** Frames handed to the transport so far. */
  sentCount: number
}

export interface SimNodeOptions {
  secret?: string
  incarnation?: number
  /** Keep a copy of every frame sent (for capturing a corpus). */
  recordSent?: boolean
}

/** Attaches `id` to the simulation's network and starts a replica of `FuzzState` on it. */
export function startSimNode(sim: Simulation, id: string, seed: number, options: SimNodeOptions = {}): SimNode {
  const endpoint = sim.network.attach(id)
  const node: SimNode = {
    replica: undefined as unknown as FuzzReplica,
    deliver: () => { throw new Error(`${id}: transport not open`) },
    sent: [],
    sentCount: 0,
  }
  const transport: Transport = {
    open: (localId, onFrame) => {
      node.deliver = onFrame
      return endpoint.open(localId, onFrame)
    },
    seeds: () => endpoint.seeds(),
    send: (address, frame) => {
      node.sentCount++
      if (options.recordSent) node.sent.push(frame.slice())
      endpoint.send(address, frame)
    },
    close: () => endpoint.close(),
  }
  const random = prng.create(seed)
  const replica = createReplica(FuzzState, {
    id,
    incarnation: options.incarnation ?? 1,
    transport,
    gossip: fuzzGossip,
    scheduler: sim.network.scheduler(id),
    random: () => random.next(),
    ...(options.secret === undefined ? {} : { secret: options.secret }),
  })
  void replica.start()
  ;(node as { replica: FuzzReplica }).replica = replica
  return node
}
