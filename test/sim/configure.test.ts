/**
 * Changing the simulated network during a run: `SimNetwork.configure` and `Simulation.configure`.
 * A change is validated as the constructor's options are, applies to frames sent afterwards only,
 * and keeps runs replayable: the same seed and the same calls at the same virtual times give the
 * same run.
 */
import { describe, expect, it } from 'vitest'
import { counter, defineState, set } from '../../src/schema.js'
import { createSimulation } from '../../src/sim/index.js'
import { SimNetwork, type SimTransport } from '../../src/sim/network.js'
import type { SimNetworkOptions } from '../../src/sim/network-options.js'

/** Seeds every randomized test runs with; a failure message names the seed. */
const SEEDS = [1, 7, 42, 1234]

const Monitor = defineState({ packets: counter(), blocked: set<string>() })

/** Nodes `a` and `b`; `b` records `time:firstByte` for every frame it receives. */
function twoNodes(options: SimNetworkOptions): { network: SimNetwork; a: SimTransport; received: string[] } {
  const network = new SimNetwork(options)
  const received: string[] = []
  const a = network.attach('a')
  a.open('a', () => {})
  network.attach('b').open('b', (bytes) => received.push(`${network.now()}:${bytes[0]}`))
  return { network, a, received }
}

describe('SimNetwork.configure validation', () => {
  it.each([
    [{ latencyMs: [5, 1] }, /latencyMs .* got \[5, 1\]/],
    [{ latencyMs: [-1, 2] }, /latencyMs .* got \[-1, 2\]/],
    [{ latencyMs: [0.5, 2] }, /latencyMs .* got \[0.5, 2\]/],
    [{ latencyMs: [1] as unknown as [number, number] }, /latencyMs .* got \[1\]/],
    [{ loss: 1.5 }, /loss must be a probability in \[0, 1\], got 1.5/],
    [{ loss: Number.NaN }, /loss .* got NaN/],
    [{ loss: '0.5' as unknown as number }, /loss .* got "0.5"/],
    [{ duplicate: -0.1 }, /duplicate .* got -0.1/],
    [{ reorder: 'no' as unknown as boolean }, /reorder must be a boolean, got "no"/],
    [{ seed: 2 }, /seed is fixed when the network is created \(1\), got 2/],
    [{ seed: 1.5 }, /seed is fixed .* got 1.5/],
    // A valid option next to an invalid one is not applied either.
    [{ loss: 1, duplicate: 2 }, /duplicate .* got 2/],
  ] as Array<[Partial<SimNetworkOptions>, RegExp]>)('rejects %o and changes nothing', (changes, message) => {
    const { network, a, received } = twoNodes({ seed: 1, latencyMs: [5, 5] })
    expect(() => network.configure(changes)).toThrow(RangeError)
    expect(() => network.configure(changes)).toThrow(message)
    a.send('b', Uint8Array.of(1))
    network.advance(20)
    expect(received).toEqual(['5:1'])
    expect(network.stats()).toMatchObject({ sent: 1, delivered: 1, dropped: 0, duplicated: 0 })
  })

  it.each([null, undefined, 'loss', 3])('rejects %o as options', (changes) => {
    const network = new SimNetwork({ seed: 1 })
    expect(() => network.configure(changes as unknown as Partial<SimNetworkOptions>)).toThrow(/SimNetworkOptions must be an object/)
  })

  it('accepts the edges of every range, the current seed, and nothing at all', () => {
    const network = new SimNetwork({ seed: 9 })
    expect(() => network.configure({ latencyMs: [0, 0], loss: 1, duplicate: 1, reorder: false })).not.toThrow()
    expect(() => network.configure({ latencyMs: [3, 3], loss: 0, duplicate: 0, reorder: true })).not.toThrow()
    expect(() => network.configure({ seed: 9 })).not.toThrow()
    expect(() => network.configure({})).not.toThrow()
    expect(() => network.configure({ loss: undefined })).not.toThrow()
  })

  it('Simulation.configure validates the same way', () => {
    const sim = createSimulation({ seed: 1 })
    expect(() => sim.configure({ loss: 2 })).toThrow(RangeError)
    expect(() => sim.configure({ loss: 2 })).toThrow(/loss .* got 2/)
    expect(() => sim.configure({ latencyMs: [2, 1] })).toThrow(/latencyMs .* got \[2, 1\]/)
  })
})

describe('SimNetwork.configure semantics', () => {
  it('keeps the delivery time of frames in flight; new frames use the new latency', () => {
    const { network, a, received } = twoNodes({ seed: 1, latencyMs: [50, 50] })
    a.send('b', Uint8Array.of(1))
    network.advance(10)
    network.configure({ latencyMs: [5, 5] })
    a.send('b', Uint8Array.of(2))
    expect(network.framesInFlight().map((frame) => frame.dueMs)).toEqual([50, 15])
    network.advance(100)
    expect(received).toEqual(['15:2', '50:1'])
  })

  it('decides loss and duplication when a frame is sent, not when it is due', () => {
    const { network, a, received } = twoNodes({ seed: 1, latencyMs: [10, 10] })
    a.send('b', Uint8Array.of(1))
    network.configure({ loss: 1 })
    a.send('b', Uint8Array.of(2))
    network.advance(5)
    network.configure({ loss: 0, duplicate: 1 })
    a.send('b', Uint8Array.of(3))
    network.advance(50)
    expect(received).toEqual(['10:1', '15:3', '15:3'])
    const stats = network.stats()
    expect(stats).toMatchObject({ sent: 3, delivered: 3, dropped: 1, duplicated: 1, inFlight: 0 })
    expect(stats.sent + stats.duplicated).toBe(stats.delivered + stats.dropped + stats.inFlight)
  })

  it.each(SEEDS)('switched to FIFO, holds new frames behind those already on the link (seed %i)', (seed) => {
    const { network, a, received } = twoNodes({ seed, latencyMs: [1, 80], reorder: true })
    for (let sequence = 0; sequence < 50; sequence++) a.send('b', Uint8Array.of(sequence))
    network.advance(2)
    network.configure({ reorder: false, latencyMs: [1, 1] })
    for (let sequence = 50; sequence < 100; sequence++) a.send('b', Uint8Array.of(sequence))
    network.advance(200)
    const order = received.map((entry) => Number(entry.split(':')[1]))
    expect(order, `seed ${seed}`).toHaveLength(100)
    // Those sent before the switch may have overtaken each other; none sent after overtakes any.
    expect(order.slice(0, 50).sort((x, y) => x - y), `seed ${seed}`).toEqual([...Array(50).keys()])
    expect(order.slice(50), `seed ${seed}`).toEqual([...Array(50).keys()].map((index) => index + 50))
  })

  it('switched back to reorder, lets new frames overtake again', () => {
    const { network, a, received } = twoNodes({ seed: 3, latencyMs: [30, 30], reorder: false })
    a.send('b', Uint8Array.of(1))
    network.configure({ reorder: true, latencyMs: [1, 1] })
    a.send('b', Uint8Array.of(2))
    network.advance(50)
    expect(received).toEqual(['1:2', '30:1'])
  })

  it('may be called from inside a simulated callback', () => {
    const { network, a, received } = twoNodes({ seed: 1, latencyMs: [5, 5] })
    network.scheduler('a').schedule(10, () => {
      network.configure({ latencyMs: [1, 1] })
      a.send('b', Uint8Array.of(7))
    })
    network.advance(20)
    expect(received).toEqual(['11:7'])
  })
})

/** Three nodes sending to each other from timers, with configure calls at fixed virtual times. */
function networkRun(seed: number, changeAtMs: number): string[] {
  const network = new SimNetwork({ seed, latencyMs: [1, 30], loss: 0.1 })
  const ids = ['a', 'b', 'c']
  const trace: string[] = []
  ids.forEach((id, index) => {
    const transport = network.attach(id)
    transport.open(id, (bytes) => trace.push(`${network.now()} ${id} ${bytes.join(',')}`))
    const scheduler = network.scheduler(id)
    for (let sequence = 0; sequence < 80; sequence++) {
      scheduler.schedule(sequence * 3, () => transport.send(ids[(index + 1 + (sequence % 2)) % 3]!, Uint8Array.of(index, sequence)))
    }
  })
  network.advance(changeAtMs)
  network.configure({ loss: 0.4, duplicate: 0.3, latencyMs: [5, 60] })
  network.advance(60)
  network.configure({ loss: 0, reorder: false })
  network.advance(400)
  return trace
}

/** Replicas writing while the network changes under them; configure at the given virtual times. */
function simulationRun(seed: number, configureAtMs: readonly number[]) {
  const sim = createSimulation({ seed, latencyMs: [1, 20], loss: 0.05 })
  const replicas = [sim.spawn(Monitor), sim.spawn(Monitor), sim.spawn(Monitor), sim.spawn(Monitor)]
  const settings: Array<Partial<SimNetworkOptions>> = [
    { loss: 0.5, duplicate: 0.2 },
    { latencyMs: [30, 120], reorder: false },
    { loss: 0, duplicate: 0, latencyMs: [1, 5], reorder: true },
  ]
  replicas.forEach((replica, index) => replica.state.packets.increment(index + 1))
  configureAtMs.forEach((atMs, index) => {
    sim.advance(atMs - sim.now())
    sim.configure(settings[index]!)
    replicas[index]!.state.packets.increment(10)
    replicas[index]!.state.blocked.add(`10.0.0.${index}`)
  })
  const convergedAfterMs = sim.runUntilConverged()
  return {
    convergedAfterMs,
    nowMs: sim.now(),
    stats: sim.network.stats(),
    snapshots: sim.replicas().map((replica) => [replica.id, replica.snapshot()]),
  }
}

describe('configure keeps runs replayable', () => {
  it.each(SEEDS)('SimNetwork: the same seed and configure calls give the same trace (seed %i)', (seed) => {
    const first = networkRun(seed, 100)
    expect(first.length).toBeGreaterThan(150)
    expect(networkRun(seed, 100), `seed ${seed}`).toEqual(first)
    // Moving one configure call to another virtual time changes the run.
    expect(networkRun(seed, 130), `seed ${seed}`).not.toEqual(first)
  })

  it.each(SEEDS)('Simulation: the same seed and configure calls give the same run (seed %i)', (seed) => {
    const first = simulationRun(seed, [100, 300, 700])
    expect(first.snapshots).toHaveLength(4)
    expect(first.snapshots[0]![1]).toEqual({ blocked: ['10.0.0.0', '10.0.0.1', '10.0.0.2'], packets: 40 })
    expect(simulationRun(seed, [100, 300, 700]), `seed ${seed}`).toEqual(first)
    expect(simulationRun(seed, [100, 300, 710]), `seed ${seed}`).not.toEqual(first)
  })
})

describe('Simulation.configure', () => {
  it.each(SEEDS)('loss 1 between two groups\' writes stops delivery; lowering it lets them converge (seed %i)', (seed) => {
    const sim = createSimulation({ seed, latencyMs: [1, 20], loss: 0.1 })
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => sim.spawn(Monitor, { id }))
    a!.state.packets.increment(1)
    b!.state.packets.increment(2)
    sim.runUntilConverged()
    expect(d!.state.packets.global, `seed ${seed}`).toBe(3)

    sim.configure({ loss: 1 })
    c!.state.packets.increment(30)
    d!.state.packets.increment(40)
    // Frames sent before the change are still delivered, within the 20 ms latency bound.
    sim.advance(20)
    const deliveredBefore = sim.network.stats().delivered
    const droppedBefore = sim.network.stats().dropped
    sim.advance(3000)
    const stats = sim.network.stats()
    expect(stats.delivered, `seed ${seed}`).toBe(deliveredBefore)
    expect(stats.dropped, `seed ${seed}`).toBeGreaterThan(droppedBefore)
    expect([a, b, c, d].map((replica) => replica!.state.packets.global), `seed ${seed}`).toEqual([3, 3, 33, 43])
    expect(sim.converged()).toBe(false)

    sim.configure({ loss: 0.1 })
    sim.runUntilConverged({ maxMs: 30_000 })
    expect([a, b, c, d].map((replica) => replica!.state.packets.global), `seed ${seed}`).toEqual([73, 73, 73, 73])
    expect(a!.members(), `seed ${seed}`).toEqual(['a', 'b', 'c', 'd'])
  })
})
