/**
 * Answers between rounds (docs/protocol.md, "An exchange: at most three frames"): a push is
 * answered when its sender lacks changes the receiver holds, or has some the receiver lacks. A
 * replica's own writes made since its last round wait for its next round: an answer to a peer
 * that holds every change the replica has versioned versions none of them. Versioning them in
 * answers gave the one asker changes that every other peer then lacked, so in a group whose
 * replicas write between rounds more than every push came to be answered.
 */
import { describe, expect, it } from 'vitest'
import { counter, defineState, flowTable, type Replica } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import { FrameKind, parseFrame } from '../../src/frame.js'
import { recordedReplica, type RecordedReplica } from './support.js'

const State = defineState({ packets: counter(), flows: flowTable({ fields: { packets: counter() } }) })
type StateFields = typeof State.fields

function kindOf(frame: Uint8Array, receiver: Replica<StateFields>): number {
  const decoder = (receiver as unknown as { gossip: never }).gossip
  return parseFrame(frame, State.fingerprint, null, { maxFrameBytes: Number.MAX_SAFE_INTEGER }, decoder).kind
}

/**
 * Four replicas whose rounds (every 50 virtual ms) are 7 ms apart and that each write every
 * virtual ms from the start, on a network of 1 to 2 ms: the frames they send in `steps` ms,
 * after the first 150 (the group forms then: pushes from replicas not yet known are answered).
 */
function busyGroup(seed: number, steps: number): { replicas: RecordedReplica<StateFields>[]; pushes: number; answers: number; settle: () => void } {
  const sim = createSimulation({ seed, latencyMs: [1, 2] })
  const replicas = [0, 1, 2, 3].map((i) => {
    sim.advance(7)
    return recordedReplica(sim, State, { id: `r${i}`, gossip: { intervalMs: 50, fanout: 3 } })
  })
  for (let step = 0; step < steps; step++) {
    if (step === 150) for (const { sent } of replicas) sent.length = 0
    replicas.forEach(({ replica }, i) => {
      replica.state.packets.increment()
      replica.state.flows.entry(`flow-${i}-${step % 37}`).packets.increment()
    })
    sim.advance(1)
  }
  let pushes = 0
  let answers = 0
  for (const { sent } of replicas) {
    for (const frame of sent) {
      if (kindOf(frame, replicas[0]!.replica) === FrameKind.Push) pushes++
      else answers++
    }
  }
  return { replicas, pushes, answers, settle: () => sim.advance(500) }
}

describe('answers between rounds', () => {
  it('a group whose replicas write between rounds answers few of its pushes, and converges', () => {
    const { replicas, pushes, answers, settle } = busyGroup(7, 1000)
    // 17 rounds per replica, three pushes each.
    expect(pushes).toBeGreaterThan(180)
    // Before, the answers to the first pushes (while the group formed) versioned the answerers'
    // newest writes, and from then on more than every push was answered.
    expect(answers).toBeLessThanOrEqual(pushes / 10)
    settle()
    for (const { replica } of replicas) {
      expect(replica.state.packets.global).toBe(4 * 1000)
      expect(replica.state.flows.size).toBe(4 * 37)
      expect(replica.snapshot()).toEqual(replicas[0]!.replica.snapshot())
    }
  })

  it('holds for other schedules too', () => {
    for (const seed of [1, 2, 3]) {
      const { replicas, pushes, answers, settle } = busyGroup(seed, 400)
      expect(answers).toBeLessThanOrEqual(pushes / 10)
      settle()
      for (const { replica } of replicas) expect(replica.snapshot()).toEqual(replicas[0]!.replica.snapshot())
    }
  })
})
