import { describe, expect, it } from 'vitest'
import { SimNetwork } from '../../src/sim/network.js'

/** Seeds every randomized test runs with; a failure message names the seed. */
const SEEDS = [1, 7, 42, 1234]

function openNodes(network: SimNetwork, ids: readonly string[]) {
  return Object.fromEntries(
    ids.map((id) => {
      const transport = network.attach(id)
      transport.open(id, () => {})
      return [id, transport] as const
    }),
  )
}

describe('SimNetwork.framesInFlight', () => {
  it('lists a sent frame with its ends, times and size until it is delivered', () => {
    const network = new SimNetwork({ seed: 1, latencyMs: [5, 5] })
    const nodes = openNodes(network, ['a', 'b'])
    network.advance(3)
    nodes.a!.send('b', new Uint8Array(7))
    expect(network.framesInFlight()).toEqual([{ from: 'a', to: 'b', sentMs: 3, dueMs: 8, sizeBytes: 7 }])
    network.advance(4)
    expect(network.framesInFlight()).toHaveLength(1)
    network.advance(1)
    expect(network.framesInFlight()).toEqual([])
  })

  it('drops a frame from the list when it is dropped at its due time (crashed receiver)', () => {
    const network = new SimNetwork({ seed: 1, latencyMs: [5, 5] })
    const nodes = openNodes(network, ['a', 'b'])
    nodes.a!.send('b', new Uint8Array(1))
    network.detach('b')
    expect(network.framesInFlight()).toHaveLength(1)
    network.advance(5)
    expect(network.framesInFlight()).toEqual([])
    expect(network.stats().dropped).toBe(1)
  })

  it('never lists frames that were never scheduled (loss, partition)', () => {
    const network = new SimNetwork({ seed: 1, loss: 1 })
    const nodes = openNodes(network, ['a', 'b', 'c'])
    nodes.a!.send('b', new Uint8Array(1))
    const partitioned = new SimNetwork({ seed: 1 })
    const others = openNodes(partitioned, ['a', 'b'])
    partitioned.partition(['a'], ['b'])
    others.a!.send('b', new Uint8Array(1))
    expect(network.framesInFlight()).toEqual([])
    expect(partitioned.framesInFlight()).toEqual([])
  })

  it.each(SEEDS)('always lists as many frames as stats().inFlight, and reading changes nothing (seed %i)', (seed) => {
    const run = (read: boolean) => {
      const network = new SimNetwork({ seed, latencyMs: [1, 30], loss: 0.1, duplicate: 0.2 })
      const ids = ['a', 'b', 'c']
      const nodes = openNodes(network, ids)
      const trace: number[] = []
      for (let step = 0; step < 200; step++) {
        const from = ids[step % 3]!
        nodes[from]!.send(ids[(step + 1 + (step % 2)) % 3]!, new Uint8Array(1 + (step % 5)))
        network.advance(step % 4)
        if (read) {
          const listed = network.framesInFlight()
          expect(listed.length, `seed ${seed} step ${step}`).toBe(network.stats().inFlight)
          expect(listed.every((frame) => frame.dueMs >= network.now() && frame.sentMs <= network.now())).toBe(true)
        }
        trace.push(network.stats().delivered)
      }
      return trace
    }
    expect(run(true), `seed ${seed}`).toEqual(run(false))
  })
})
