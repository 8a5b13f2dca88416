import { describe, expect, it } from 'vitest'
import { createRegister, globalValue, localValue, registerOps, set } from '../../crdts/register.js'
import { joinInto } from '../../crdts/join.js'
import { advance, createTestContext, createWorld } from '../../property-tests/harness/context.js'
import { registerAdapter } from '../../property-tests/harness/types/register.js'
import { decodeSuite, recordingSink } from './helpers.js'

function setup() {
  const world = createWorld(2, { ids: ['b-node', 'a-node'] })
  const a = createRegister<unknown>('init', createTestContext(world, 0))
  const b = createRegister<unknown>('init', createTestContext(world, 1))
  return { world, a, b }
}

describe('register', () => {
  it('shows the initial value until written', () => {
    const { a } = setup()
    expect(globalValue(a)).toBe('init')
    expect(localValue(a, 0)).toBe('init')
    expect(localValue(a, 5)).toBe('init')
  })

  it('a local write wins locally at once and marks the slot dirty once', () => {
    const world = createWorld(1)
    const sink = recordingSink()
    const state = createRegister<unknown>(0, createTestContext(world), 4, sink)
    set(state, 0, { limit: 3 })
    set(state, 0, [1, 'two'])
    expect(globalValue(state)).toEqual([1, 'two'])
    expect(localValue(state, 0)).toEqual([1, 'two'])
    expect(sink.calls).toEqual([[4, 0]])
  })

  it('the later write wins; at the same clock reading the higher instance id wins', () => {
    const { world, a, b } = setup()
    set(a, 0, 'from a') // id b-node
    set(b, 1, 'from b') // id a-node, same ms, same logical counter
    registerOps.stamp(a, 0, 1)
    registerOps.stamp(b, 1, 1)
    joinInto(registerOps, a, b)
    joinInto(registerOps, b, a)
    expect(globalValue(a)).toBe('from a')
    expect(globalValue(b)).toBe('from a')
    advance(world, 5)
    set(b, 1, 'later b')
    registerOps.stamp(b, 1, 2)
    joinInto(registerOps, a, b)
    expect(globalValue(a)).toBe('later b')
    expect(localValue(a, 0)).toBe('from a')
  })

  it('a write after receiving a newer timestamp orders after it, even with a slow clock', () => {
    const world = createWorld(2, { skewMs: [0, -500] })
    const fast = createRegister<unknown>('init', createTestContext(world, 0))
    const slowContext = createTestContext(world, 1)
    const slow = createRegister<unknown>('init', slowContext)
    set(fast, 0, 'fast')
    registerOps.stamp(fast, 0, 1)
    joinInto(registerOps, slow, fast)
    expect(slowContext.clock.wallMs).toBe(world.nowMs)
    set(slow, 1, 'slow, but causally later')
    registerOps.stamp(slow, 1, 1)
    joinInto(registerOps, fast, slow)
    expect(globalValue(fast)).toBe('slow, but causally later')
    expect(globalValue(slow)).toBe('slow, but causally later')
  })

  it('timestamps are whole milliseconds even on a fractional clock', () => {
    const world = createWorld(1, { startMs: 10.75 })
    const context = createTestContext(world)
    const state = createRegister<unknown>(0, context)
    set(state, 0, 1)
    expect(state.wallMs[0]).toBe(10)
  })
})

decodeSuite(registerAdapter)
