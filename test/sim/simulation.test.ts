import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createSimulation, type Simulation, type SimulationOptions } from '../../src/sim/simulation.js'
import { createdReplicas, type FakeReplica, type FakeSchema } from './fake-replica.js'

// The simulation is tested against a toy replica that keeps the runtime's contract, so that
// these tests pin the simulation's own behaviour whatever the real replica does.
vi.mock('../../src/replica.js', async () => await import('./fake-replica.js'))

type SpawnSchema = Parameters<Simulation['spawn']>[0]
const schema = (flags: FakeSchema = {}): SpawnSchema => flags as unknown as SpawnSchema
const fake = (replica: unknown): FakeReplica => replica as FakeReplica

const SEEDS = [1, 7, 42]

function spawnCounting(sim: Simulation, count: number): FakeReplica[] {
  return Array.from({ length: count }, (_, index) => {
    const replica = fake(sim.spawn(schema()))
    replica.increment(index + 1)
    return replica
  })
}

beforeEach(() => {
  createdReplicas.length = 0
})

describe('createSimulation', () => {
  it('names replicas r1, r2, ... and refuses a live id', () => {
    const sim = createSimulation({ seed: 1 })
    const [first, second] = [sim.spawn(schema()), sim.spawn(schema())]
    expect([first.id, second.id]).toEqual(['r1', 'r2'])
    expect(sim.spawn(schema(), { id: 'r3' }).id).toBe('r3')
    expect(sim.spawn(schema()).id).toBe('r4')
    expect(() => sim.spawn(schema(), { id: 'r1' })).toThrow(/"r1" is already live/)
    expect(sim.replicas().map((replica) => replica.id)).toEqual(['r1', 'r2', 'r3', 'r4'])
    expect(sim.replica('r2')).toBe(second)
    expect(first.status).toBe('running')
    expect(createdReplicas[0]!.options).toMatchObject({ id: 'r1', incarnation: 1 })
  })

  it('validates its own options and the network options', () => {
    expect(() => createSimulation({ seed: 1, leaveStepMs: 0 })).toThrow(/leaveStepMs .* got 0/)
    expect(() => createSimulation({ seed: 1, loss: 2 })).toThrow(/loss .* got 2/)
    expect(() => createSimulation(undefined as unknown as SimulationOptions)).toThrow(/seed/)
  })

  it.each(SEEDS)('converges and replays the same run from seed %i', (seed) => {
    const run = () => {
      const sim = createSimulation({ seed, latencyMs: [1, 15], loss: 0.2, duplicate: 0.1 })
      spawnCounting(sim, 6)
      const tookMs = sim.runUntilConverged({ stepMs: 5 })
      return { tookMs, stats: sim.network.stats(), snapshots: sim.replicas().map((replica) => replica.snapshot()) }
    }
    const first = run()
    expect(first.tookMs).toBeGreaterThan(0)
    expect(first.snapshots[0]).toEqual({ total: 21, origins: ['r1#1', 'r2#1', 'r3#1', 'r4#1', 'r5#1', 'r6#1'] })
    expect(run()).toEqual(first)
  })

  it('gives each replica its own deterministic random source per incarnation', () => {
    const draws = (seed: number) => {
      const sim = createSimulation({ seed })
      sim.spawn(schema(), { id: 'a' })
      sim.spawn(schema(), { id: 'b' })
      sim.crash('a')
      sim.restart('a')
      return createdReplicas.splice(0).map(({ options }) => [options.random(), options.random()])
    }
    const first = draws(5)
    expect(draws(5)).toEqual(first)
    expect(new Set(first.map((pair) => pair[0])).size).toBe(3)
    expect(draws(6)).not.toEqual(first)
  })

  it('explains which replicas disagree when it does not converge, and converges after heal', () => {
    const sim = createSimulation({ seed: 3 })
    spawnCounting(sim, 3)
    sim.partition(['r1', 'r3'], ['r2'])
    expect(() => sim.runUntilConverged({ maxMs: 500 })).toThrow(
      /did not converge within 500 virtual ms .* 2 different snapshots among 3 live replicas; \[r1, r3\] vs \[r2\]: \$\.total: 4 vs 2/,
    )
    expect(sim.converged()).toBe(false)
    sim.heal()
    sim.runUntilConverged()
    expect(sim.converged()).toBe(true)
    expect(sim.runUntilConverged()).toBe(0)
  })

  it('crash detaches before stopping; restart brings the same id back with the next incarnation', () => {
    const sim = createSimulation({ seed: 4, latencyMs: [5, 5] })
    const [a, b] = spawnCounting(sim, 2)
    b!.increment(10)
    sim.crash('r2')
    expect(b!.status).toBe('stopped')
    expect(sim.replicas()).toEqual([a])
    expect(sim.replica('r2')).toBeUndefined()
    expect(() => sim.crash('r2')).toThrow(RangeError)
    sim.advance(200)
    expect(a!.snapshot().total).toBe(1)
    expect(() => sim.restart('r1')).toThrow(/"r1" is already live/)
    expect(() => sim.restart('nobody')).toThrow(/never spawned/)
    const restarted = fake(sim.restart('r2'))
    expect(restarted).not.toBe(b)
    expect(createdReplicas.at(-1)!.options).toMatchObject({ id: 'r2', incarnation: 2 })
    expect(restarted.snapshot().total).toBe(0)
    sim.runUntilConverged()
    expect(restarted.snapshot()).toEqual({ total: 1, origins: ['r1#1'] })
  })

  it('runs virtual time forward while a leave() is awaited; the replica is then no longer live', async () => {
    const sim = createSimulation({ seed: 5 })
    const [, leaving] = spawnCounting(sim, 3)
    const before = sim.now()
    await leaving!.leave()
    expect(sim.now()).toBeGreaterThan(before)
    expect(leaving!.status).toBe('stopped')
    expect(sim.replicas().map((replica) => replica.id)).toEqual(['r1', 'r3'])
    sim.runUntilConverged()
    expect(sim.replica('r1')!.snapshot()).toMatchObject({ total: 6 })
  })

  it('only starts a leave() called from inside a simulated event; the running advance finishes it', async () => {
    const sim = createSimulation({ seed: 5 })
    const [leaving] = spawnCounting(sim, 2)
    sim.network.attach('driver')
    let leavePromise: Promise<void> | undefined
    sim.network.scheduler('driver').schedule(10, () => {
      leavePromise = leaving!.leave()
    })
    sim.advance(200)
    expect(sim.network.stats().timerErrors).toBe(0)
    expect(leaving!.status).toBe('stopped')
    await expect(leavePromise).resolves.toBeUndefined()
    expect(sim.now()).toBe(200)
  })

  it('fails a leave() that does not finish within leaveMaxMs, with an explanation', async () => {
    const sim = createSimulation({ seed: 6, leaveMaxMs: 100 })
    const stuck = sim.spawn(schema({ hangOnLeave: true }))
    sim.spawn(schema())
    await expect(stuck.leave()).rejects.toThrow(/"r1" did not finish leave\(\) within 100 virtual ms \(status "leaving"/)
    expect(sim.now()).toBe(100)
  })

  it('refuses a replica whose start() does not complete synchronously, and frees its id', () => {
    const sim = createSimulation({ seed: 7 })
    expect(() => sim.spawn(schema({ asyncStart: true }), { id: 'slow' })).toThrow(/"slow" is "created" right after start\(\)/)
    expect(() => sim.spawn(schema(), { id: 'slow' })).not.toThrow()
  })

  it('injects bytes into a live replica only', () => {
    const sim = createSimulation({ seed: 8 })
    const replica = fake(sim.spawn(schema(), { id: 'a' }))
    sim.inject('a', new TextEncoder().encode('{"x#1":5}'))
    expect(replica.snapshot()).toEqual({ total: 5, origins: ['x#1'] })
    sim.crash('a')
    expect(() => sim.inject('a', new Uint8Array(1))).toThrow(/no live replica "a"/)
  })
})
