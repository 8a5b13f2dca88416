/**
 * Fold records in a cycle: a forged frame says origin x folded y into itself, and y folded x.
 * No honest replica makes such records (an heir never departs before it folds), but a frame may
 * carry them. Applying the first record drops y and moves y's records to x, which would make a
 * record folding x into x: x dropped with everything it carries, and that self-record listed in
 * the replica's own frames, which honest peers refuse ("origin folds itself"). The replica
 * discards such a record instead, and x stays and carries both (src/gossip.ts, `applyFolds`).
 */
import { describe, expect, it } from 'vitest'
import { counter, createReplica, defineState, type Scheduler } from '../../src/index.js'
import { beginFrame, FrameKind, sealFrame, writeMembers, writeOrigins, type FrameFold } from '../../src/frame.js'
import { createEncoder, toBytes, writeString, writeU8, writeVarUint } from '../../crdts/codec.js'

const Tally = defineState({ packets: counter() })

const frozen: Scheduler = { now: () => 1_000, schedule: () => null, cancel: () => {} }

/** A frame from `x` listing x and y (each at version 2, folding the other) and their counter slots. */
function cyclicFrame(): Uint8Array {
  const encoder = beginFrame(Tally.fingerprint, null)
  writeU8(encoder, FrameKind.Push)
  writeString(encoder, 'x')
  writeVarUint(encoder, 1)
  writeString(encoder, 'x')
  writeMembers(encoder, [])
  const folds: FrameFold[][] = [[{ id: 'y', incarnation: 1, from: 1, to: 2 }], [{ id: 'x', incarnation: 1, from: 1, to: 2 }]]
  writeOrigins(encoder, { listed: [0, 1], ids: ['x', 'y'], incarnations: [1, 1], known: [2, 2] }, (origin) => folds[origin]!)
  // Per origin a group from 0 to 2: the counter's value at versions 1 and 2 (field 0, gap 1).
  const counts = [[3, 5], [4, 7]]
  writeVarUint(encoder, 2)
  for (const origin of [0, 1]) {
    const slots = createEncoder()
    for (const count of counts[origin]!) {
      writeVarUint(slots, 0)
      writeVarUint(slots, 1)
      writeVarUint(slots, count)
    }
    writeVarUint(encoder, origin)
    writeVarUint(encoder, 0)
    writeVarUint(encoder, 2)
    writeVarUint(encoder, 2)
    for (const byte of toBytes(slots)) writeU8(encoder, byte)
  }
  writeVarUint(encoder, 0)
  return sealFrame(encoder, null)
}

/** Two replicas whose frames reach each other only when `deliver` is called. */
function pair() {
  const queues = new Map<string, Uint8Array[]>()
  const handlers = new Map<string, (frame: Uint8Array) => void>()
  const transport = (seeds: string[]) => ({
    open: (id: string, onFrame: (frame: Uint8Array) => void) => {
      handlers.set(id, onFrame)
      return id
    },
    seeds: () => seeds,
    send: (to: string, frame: Uint8Array) => {
      if (!queues.has(to)) queues.set(to, [])
      queues.get(to)!.push(frame)
    },
    close: async () => {},
  })
  const target = createReplica(Tally, { id: 'target', transport: transport(['honest']), scheduler: frozen, random: () => 0.5 })
  const honest = createReplica(Tally, { id: 'honest', transport: transport(['target']), scheduler: frozen, random: () => 0.5 })
  const deliver = () => {
    for (let round = 0; round < 10 && [...queues.values()].some((queue) => queue.length > 0); round++) {
      for (const [to, queue] of queues) {
        const frames = queue.splice(0)
        for (const frame of frames) handlers.get(to)?.(frame)
      }
    }
  }
  return { target, honest, deliver }
}

describe('fold records in a cycle', () => {
  it('keep the heir that carries both origins, and the replica\'s frames stay acceptable to honest peers', async () => {
    const { target, honest, deliver } = pair()
    await target.start()
    await honest.start()
    const targetErrors: Error[] = []
    const honestErrors: Error[] = []
    target.on('error', (error) => targetErrors.push(error))
    honest.on('error', (error) => honestErrors.push(error))

    target.receive(cyclicFrame())
    expect(targetErrors).toEqual([])
    // y was folded into x; x stays, carrying what the records say it carries (its own count).
    expect(target.state.packets.global).toBe(5)
    const folds = [...(target as unknown as { gossip: { folds: { all(): Iterable<{ id: string; heir: number }> } } }).gossip.folds.all()]
    const origins = (target as unknown as { origins: { ids: string[] } }).origins
    expect(folds.filter((record) => origins.ids[record.heir] === record.id)).toEqual([])

    // Its frames, with the records it kept, are accepted by an honest peer, which converges on them.
    for (let round = 0; round < 4; round++) {
      void target.flush()
      void honest.flush()
      deliver()
    }
    expect(honestErrors.map((error) => error.message)).toEqual([])
    expect(honest.state.packets.global).toBe(5)
    expect(target.state.packets.global).toBe(5)
    await target.stop()
    await honest.stop()
  })
})
