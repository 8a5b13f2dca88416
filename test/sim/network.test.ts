import { describe, expect, it } from 'vitest'
import { LifecycleError } from '../../src/errors.js'
import { SimNetwork, type SimNetworkStats } from '../../src/sim/network.js'
import type { SimNetworkOptions } from '../../src/sim/network-options.js'

/** Seeds every randomized test runs with; a failure message names the seed. */
const SEEDS = [1, 7, 42, 1234, 2 ** 31]

/** A frame whose bytes are `[senderIndex, sequence >> 8, sequence & 255]`. */
function frame(senderIndex: number, sequence: number): Uint8Array {
  return Uint8Array.of(senderIndex, sequence >> 8, sequence & 255)
}

function sequenceOf(bytes: Uint8Array): number {
  return (bytes[1]! << 8) | bytes[2]!
}

/** Attach and open nodes whose handlers append `time receiver bytes` to `trace`. */
function openNodes(network: SimNetwork, ids: readonly string[], trace: string[] = []) {
  return Object.fromEntries(
    ids.map((id) => {
      const transport = network.attach(id)
      transport.open(id, (bytes) => trace.push(`${network.now()} ${id} ${bytes.join(',')}`))
      return [id, transport]
    }),
  )
}

function expectBalanced(stats: SimNetworkStats): void {
  expect(stats.sent + stats.duplicated).toBe(stats.delivered + stats.dropped + stats.inFlight)
}

/** Three nodes exchanging frames from timers and from handlers; returns the delivery trace. */
function runWorkload(options: SimNetworkOptions): string[] {
  const network = new SimNetwork(options)
  const ids = ['a', 'b', 'c']
  const trace: string[] = []
  const transports = ids.map((id) => network.attach(id))
  transports.forEach((transport, index) => {
    const id = ids[index]!
    transport.open(id, (bytes) => {
      trace.push(`${network.now()} ${id} ${bytes.join(',')}`)
      // Answer some frames, so that delivery order feeds back into what is sent.
      if (sequenceOf(bytes) % 3 === 0) transport.send(ids[bytes[0]!]!, frame(index, sequenceOf(bytes) + 1))
    })
    const scheduler = network.scheduler(id)
    for (let sequence = 0; sequence < 60; sequence++) {
      scheduler.schedule(sequence * 2, () => transport.send(ids[(index + 1 + (sequence % 2)) % 3]!, frame(index, sequence)))
    }
  })
  network.advance(500)
  return trace
}

describe('SimNetwork determinism', () => {
  it.each(SEEDS)('replays the same delivery trace from seed %i', (seed) => {
    const options = { seed, latencyMs: [1, 30], loss: 0.1, duplicate: 0.1, reorder: true } as const
    const first = runWorkload(options)
    expect(first.length).toBeGreaterThan(100)
    expect(runWorkload(options)).toEqual(first)
  })

  it.each(SEEDS)('gives a different trace for seed %i and the next seed', (seed) => {
    const options = { latencyMs: [1, 30], loss: 0.1, duplicate: 0.1 } as const
    expect(runWorkload({ ...options, seed })).not.toEqual(runWorkload({ ...options, seed: seed + 1 }))
  })
})

describe('SimNetwork faults', () => {
  it.each(SEEDS)('loses frames at about the configured rate (seed %i)', (seed) => {
    const network = new SimNetwork({ seed, loss: 0.3 })
    const { a } = openNodes(network, ['a', 'b'])
    for (let sequence = 0; sequence < 10_000; sequence++) a!.send('b', frame(0, sequence))
    network.advance(100)
    const stats = network.stats()
    expect(stats.sent).toBe(10_000)
    expect(stats.dropped / stats.sent).toBeGreaterThan(0.27)
    expect(stats.dropped / stats.sent).toBeLessThan(0.33)
    expect(stats.inFlight).toBe(0)
    expectBalanced(stats)
  })

  it.each(SEEDS)('duplicates frames at about the configured rate, each copy its own buffer (seed %i)', (seed) => {
    const network = new SimNetwork({ seed, duplicate: 0.5 })
    const received: Uint8Array[] = []
    const a = network.attach('a')
    a.open('a', () => {})
    network.attach('b').open('b', (bytes) => received.push(bytes))
    for (let sequence = 0; sequence < 10_000; sequence++) a.send('b', frame(0, sequence))
    network.advance(100)
    const stats = network.stats()
    expect(stats.duplicated / stats.sent).toBeGreaterThan(0.47)
    expect(stats.duplicated / stats.sent).toBeLessThan(0.53)
    expect(stats.delivered).toBe(stats.sent + stats.duplicated)
    expectBalanced(stats)
    const copiesBySequence = new Map<number, Uint8Array[]>()
    for (const bytes of received) copiesBySequence.set(sequenceOf(bytes), [...(copiesBySequence.get(sequenceOf(bytes)) ?? []), bytes])
    expect(copiesBySequence.size).toBe(10_000)
    const twice = [...copiesBySequence.values()].find((copies) => copies.length === 2)!
    expect(twice[0]).not.toBe(twice[1])
  })

  it.each(SEEDS)('keeps each directed link FIFO when reorder is false (seed %i)', (seed) => {
    const network = new SimNetwork({ seed, latencyMs: [1, 50], duplicate: 0.2, reorder: false })
    const received: number[] = []
    const a = network.attach('a')
    a.open('a', () => {})
    network.attach('b').open('b', (bytes) => received.push(sequenceOf(bytes)))
    for (let sequence = 0; sequence < 1_000; sequence++) {
      a.send('b', frame(0, sequence))
      if (sequence % 10 === 0) network.advance(3)
    }
    network.advance(100)
    expect(received.length).toBeGreaterThanOrEqual(1_000)
    for (let index = 1; index < received.length; index++) {
      expect(received[index]!, `seed ${seed}, delivery ${index}`).toBeGreaterThanOrEqual(received[index - 1]!)
    }
  })

  it('does reorder frames on a link when reorder is true', () => {
    const network = new SimNetwork({ seed: 3, latencyMs: [1, 50] })
    const received: number[] = []
    const a = network.attach('a')
    a.open('a', () => {})
    network.attach('b').open('b', (bytes) => received.push(sequenceOf(bytes)))
    for (let sequence = 0; sequence < 100; sequence++) a.send('b', frame(0, sequence))
    network.advance(100)
    expect(received).not.toEqual([...received].sort((x, y) => x - y))
  })

  it('hands every receiver a copy, never the sender buffer', () => {
    const network = new SimNetwork({ seed: 1 })
    const received: Uint8Array[] = []
    const a = network.attach('a')
    a.open('a', () => {})
    network.attach('b').open('b', (bytes) => received.push(bytes))
    const buffer = Uint8Array.of(1, 2, 3)
    a.send('b', buffer)
    buffer[0] = 99
    network.advance(20)
    expect(received).toEqual([Uint8Array.of(1, 2, 3)])
    received[0]![1] = 77
    expect(buffer).toEqual(Uint8Array.of(99, 2, 3))
  })
})

describe('SimNetwork partitions', () => {
  it('drops frames between groups; unnamed nodes form one more group; heal reconnects', () => {
    const network = new SimNetwork({ seed: 1, latencyMs: [5, 5] })
    const trace: string[] = []
    const nodes = openNodes(network, ['a', 'b', 'c', 'd'], trace)
    network.partition(['a'], ['b'])
    nodes.a!.send('b', frame(0, 1))
    nodes.a!.send('c', frame(0, 2))
    nodes.c!.send('d', frame(2, 3))
    network.advance(10)
    expect(trace).toEqual(['5 d 2,0,3'])
    network.heal()
    nodes.a!.send('b', frame(0, 4))
    network.advance(10)
    expect(trace).toEqual(['5 d 2,0,3', '15 b 0,0,4'])
  })

  it('drops a frame whose ends are split when it is sent or when it is due', () => {
    const network = new SimNetwork({ seed: 1, latencyMs: [5, 5] })
    const trace: string[] = []
    const nodes = openNodes(network, ['a', 'b'], trace)
    nodes.a!.send('b', frame(0, 1))
    network.partition(['a'], ['b'])
    nodes.a!.send('b', frame(0, 2))
    network.heal()
    network.advance(10)
    // Frame 1 was sent and is due while connected; frame 2 was sent across the split.
    expect(trace).toEqual(['5 b 0,0,1'])
    expect(network.stats().dropped).toBe(1)
    nodes.a!.send('b', frame(0, 3))
    network.partition(['a'], ['b'])
    network.advance(10)
    expect(trace).toEqual(['5 b 0,0,1'])
    expect(network.stats().dropped).toBe(2)
    expectBalanced(network.stats())
  })

  it('rejects an id named in two groups and keeps the previous partition', () => {
    const network = new SimNetwork({ seed: 1 })
    network.partition(['a'], ['b'])
    expect(() => network.partition(['a', 'b'], ['b'])).toThrow(/"b" is named in group 0 and group 1/)
    const trace: string[] = []
    const nodes = openNodes(network, ['a', 'b'], trace)
    nodes.a!.send('b', frame(0, 1))
    network.advance(20)
    expect(trace).toEqual([])
  })
})

describe('SimNetwork node lifecycle', () => {
  it('a detached node receives nothing, its in-flight frames are dropped and its timers never fire', () => {
    const network = new SimNetwork({ seed: 1, latencyMs: [5, 5] })
    const trace: string[] = []
    const nodes = openNodes(network, ['a', 'b', 'c'], trace)
    const fired: string[] = []
    const schedulerOfB = network.scheduler('b')
    schedulerOfB.schedule(3, () => fired.push('b early'))
    schedulerOfB.schedule(50, () => fired.push('b late'))
    nodes.a!.send('b', frame(0, 1))
    nodes.b!.send('c', frame(1, 2))
    network.advance(4)
    expect(fired).toEqual(['b early'])
    expect(network.detach('b')).toBe(true)
    expect(network.detach('b')).toBe(false)
    schedulerOfB.schedule(1, () => fired.push('b after crash'))
    nodes.a!.send('b', frame(0, 3))
    expect(nodes.a!.seeds()).toEqual(['c'])
    network.advance(100)
    expect(fired).toEqual(['b early'])
    expect(trace).toEqual([])
    expectBalanced(network.stats())
    // The same id attached again is a new node: old timers stay dead, new frames arrive.
    network.attach('b').open('b', (bytes) => trace.push(`${network.now()} b ${bytes.join(',')}`))
    nodes.a!.send('b', frame(0, 4))
    network.advance(10)
    expect(trace).toEqual(['109 b 0,0,4'])
    expect(fired).toEqual(['b early'])
  })

  it('a closed node receives nothing but frames it sent before closing still arrive', async () => {
    const network = new SimNetwork({ seed: 1, latencyMs: [5, 5] })
    const trace: string[] = []
    const nodes = openNodes(network, ['a', 'b'], trace)
    nodes.a!.send('b', frame(0, 1))
    nodes.b!.send('a', frame(1, 2))
    await nodes.b!.close()
    nodes.b!.send('a', frame(1, 3))
    network.advance(10)
    expect(trace).toEqual(['5 a 1,0,2'])
    expect(nodes.a!.seeds()).toEqual([])
    expect(() => network.attach('a')).toThrow(/"a" is already attached/)
    expect(() => network.attach('b')).not.toThrow()
  })

  it('lists as seeds the other listening nodes, sorted', () => {
    const network = new SimNetwork({ seed: 1 })
    const nodes = openNodes(network, ['m', 'c', 'x', 'a'])
    network.attach('not-open-yet')
    expect(nodes.m!.seeds()).toEqual(['a', 'c', 'x'])
    expect(nodes.a!.seeds()).toEqual(['c', 'm', 'x'])
  })

  it('opens synchronously with the attached id and only once', async () => {
    const network = new SimNetwork({ seed: 1 })
    const transport = network.attach('a')
    expect(() => transport.open('b', () => {})).toThrow(RangeError)
    expect(transport.open('a', () => {})).toBe('a')
    expect(() => transport.open('a', () => {})).toThrow(LifecycleError)
    await transport.close()
    expect(() => transport.open('a', () => {})).toThrow(LifecycleError)
    expect(() => network.attach('')).toThrow(RangeError)
    expect(() => network.scheduler('nobody')).toThrow(/"nobody" is not attached/)
  })

  it('never throws on send to an unknown address, and counts the drop', () => {
    const network = new SimNetwork({ seed: 1 })
    const { a } = openNodes(network, ['a'])
    expect(() => a!.send('nowhere', frame(0, 1))).not.toThrow()
    expect(network.stats()).toMatchObject({ sent: 1, dropped: 1, bytes: 3 })
  })
})

describe('SimNetwork virtual time', () => {
  it('runs events in time order, ties in scheduling order, each at its own time', () => {
    const network = new SimNetwork({ seed: 1 })
    network.attach('a')
    const scheduler = network.scheduler('a')
    const log: string[] = []
    scheduler.schedule(10, () => log.push(`x@${scheduler.now()}`))
    scheduler.schedule(5, () => {
      log.push(`y@${scheduler.now()}`)
      scheduler.schedule(5, () => log.push(`z@${scheduler.now()}`))
      scheduler.schedule(6, () => log.push(`late@${scheduler.now()}`))
    })
    scheduler.schedule(-3, () => log.push(`negative@${scheduler.now()}`))
    const cancelled = scheduler.schedule(7, () => log.push('cancelled'))
    scheduler.cancel(cancelled)
    network.advance(10)
    expect(log).toEqual(['negative@0', 'y@5', 'x@10', 'z@10'])
    expect(network.now()).toBe(10)
    network.advance(0.5)
    expect(network.now()).toBe(10.5)
    network.advance(1)
    expect(log.at(-1)).toBe('late@11')
    expect(network.now()).toBe(11.5)
  })

  it('rejects bad durations and re-entrant advance', () => {
    const network = new SimNetwork({ seed: 1 })
    network.attach('a')
    const scheduler = network.scheduler('a')
    expect(() => network.advance(-1)).toThrow(/got -1/)
    expect(() => network.advance(Number.NaN)).toThrow(RangeError)
    expect(() => scheduler.schedule(Number.POSITIVE_INFINITY, () => {})).toThrow(RangeError)
    let advancingInside: boolean | undefined
    scheduler.schedule(1, () => {
      advancingInside = network.advancing
      network.advance(1)
    })
    network.advance(5)
    expect(advancingInside).toBe(true)
    expect(network.advancing).toBe(false)
    expect(network.stats().timerErrors).toBe(1)
    expect(String((network.lastError?.error as Error).message)).toMatch(/not re-entrant/)
  })

  it('fails with an explanation instead of hanging on a zero-delay timer loop', () => {
    const network = new SimNetwork({ seed: 1 })
    network.attach('a')
    const scheduler = network.scheduler('a')
    const again = (): void => void scheduler.schedule(0, again)
    again()
    expect(() => network.advance(1)).toThrow(/re-schedules itself with zero delay/)
  })
})

describe('SimNetwork handlers and inject', () => {
  it('injects a copy synchronously, bypassing partitions', () => {
    const network = new SimNetwork({ seed: 1 })
    const trace: string[] = []
    openNodes(network, ['a', 'b'], trace)
    network.partition(['a'], ['b'])
    const bytes = Uint8Array.of(9, 9)
    network.inject('a', bytes)
    expect(trace).toEqual(['0 a 9,9'])
    expect(network.stats()).toMatchObject({ injected: 1, sent: 0, delivered: 0 })
    expect(() => network.inject('nobody', bytes)).toThrow(/"nobody" is not attached and listening/)
  })

  it('catches, counts and keeps errors thrown by handlers and timers; the simulation goes on', () => {
    const network = new SimNetwork({ seed: 1, latencyMs: [1, 1] })
    const received: number[] = []
    const a = network.attach('a')
    a.open('a', () => {})
    network.attach('b').open('b', (bytes) => {
      if (bytes[0] === 0) throw new Error(`bad frame ${bytes[2]}`)
      received.push(bytes[0]!)
    })
    a.send('b', frame(0, 1))
    a.send('b', frame(1, 2))
    network.advance(5)
    expect(received).toEqual([1])
    expect(network.stats()).toMatchObject({ delivered: 2, handlerErrors: 1 })
    expect(network.lastError).toMatchObject({ kind: 'frame-handler', nodeId: 'b', timeMs: 1 })
    network.inject('b', frame(0, 3))
    expect(network.stats().handlerErrors).toBe(2)
    expect((network.lastError?.error as Error).message).toBe('bad frame 3')
    network.scheduler('a').schedule(1, () => {
      throw new Error('timer failed')
    })
    network.advance(5)
    expect(network.stats().timerErrors).toBe(1)
    expect(network.lastError).toMatchObject({ kind: 'timer', nodeId: 'a', timeMs: 6 })
  })
})

describe('SimNetwork options', () => {
  it.each([
    [{ seed: 1.5 }, /seed must be a safe integer, got 1.5/],
    [{ seed: Number.NaN }, /seed .* got NaN/],
    [{ seed: undefined as unknown as number }, /seed .* got undefined/],
    [{ seed: 1, latencyMs: [5, 1] }, /latencyMs .* got \[5, 1\]/],
    [{ seed: 1, latencyMs: [-1, 2] }, /latencyMs .* got \[-1, 2\]/],
    [{ seed: 1, latencyMs: [0.5, 2] }, /latencyMs .* got \[0.5, 2\]/],
    [{ seed: 1, latencyMs: [1] as unknown as [number, number] }, /latencyMs .* got \[1\]/],
    [{ seed: 1, loss: 1.5 }, /loss must be a probability in \[0, 1\], got 1.5/],
    [{ seed: 1, loss: Number.NaN }, /loss .* got NaN/],
    [{ seed: 1, duplicate: -0.1 }, /duplicate .* got -0.1/],
    [{ seed: 1, reorder: 'no' as unknown as boolean }, /reorder must be a boolean, got "no"/],
  ] as Array<[SimNetworkOptions, RegExp]>)('rejects %o', (options, message) => {
    expect(() => new SimNetwork(options)).toThrow(RangeError)
    expect(() => new SimNetwork(options)).toThrow(message)
  })

  it('accepts the edges of every range', () => {
    expect(() => new SimNetwork({ seed: 0, latencyMs: [0, 0], loss: 1, duplicate: 1, reorder: false })).not.toThrow()
    expect(() => new SimNetwork({ seed: -5, latencyMs: [3, 3], loss: 0, duplicate: 0 })).not.toThrow()
  })
})
