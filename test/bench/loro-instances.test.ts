/**
 * The Loro system of the benchmark gives each replica its own instance of Loro's WebAssembly
 * module, as a process of its own would have: with one shared instance, the four replicas'
 * documents outgrew its 32-bit memory at the full workload and Loro had no result. Updates
 * exported by one instance are imported by the others, and a joiner catches up from a snapshot.
 */
import { describe, expect, it } from 'vitest'
import { generatePackets } from '../../bench/packets.js'
import { loro } from '../../bench/systems/loro.js'

describe('benchmark: Loro replicas', () => {
  it('each replica has its own module instance, and the replicas converge through exported updates', async () => {
    const sequence = generatePackets({ flows: 200, packets: 4_000, replicas: 3, syncEvery: 100, seed: 5 })
    const system = await loro.create(sequence, { variant: {} })
    const since = new Int32Array(3)
    for (let i = 0; i < sequence.parameters.packets; i++) {
      const flow = sequence.flowOf[i]!
      const replica = sequence.replicaOfFlow[flow]!
      system.packet(replica, flow, sequence.sizeOf[i]!, sequence.matchOf[i] === 1)
      if (++since[replica] === 100) { since[replica] = 0; system.sync(replica) }
    }
    for (let replica = 0; replica < 3; replica++) system.sync(replica)
    const joiner = await system.join(1)

    const docs = (system as unknown as { replicas: { doc: object }[] }).replicas.map((replica) => replica.doc)
    expect(new Set(docs.map((doc) => doc.constructor)).size).toBe(4)
    for (const replica of [0, 1, 2, joiner]) expect(await system.globalPackets(replica), `replica ${replica}`).toBe(4_000)
    const flow = sequence.flowOf[0]!
    const counts = await system.flowCounts(0, flow)
    expect(counts.packets).toBeGreaterThan(0)
    for (const replica of [1, 2, joiner]) expect(await system.flowCounts(replica, flow)).toEqual(counts)
    await system.close()
  })
})
