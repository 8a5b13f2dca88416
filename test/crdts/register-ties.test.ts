/** Two incarnations of one instance id never tie in last-writer-wins: every replica picks the same winner. */
import { expect, it } from 'vitest'
import { createRegister, globalValue, registerOps } from '../../crdts/register.js'
import type { TypeContext } from '../../crdts/slot-type.js'

function context(): TypeContext {
  const ids = ['nf-1', 'nf-1']
  return {
    originId: (origin) => ids[origin]!,
    originRank: (origin) => `${ids[origin]!}\u0000${origin + 1}`,
    now: () => 0,
    isLive: () => true,
    observeTimestamp: () => {},
    nextTimestamp: () => ({ wallMs: 0, logical: 0 }),
  }
}

it('equal timestamps from two incarnations of one id resolve the same way in either arrival order', () => {
  const writes = [
    { origin: 0, delta: { value: 'old incarnation', wallMs: 1000, logical: 0 } },
    { origin: 1, delta: { value: 'new incarnation', wallMs: 1000, logical: 0 } },
  ]
  const forward = createRegister<unknown>('initial', context())
  const backward = createRegister<unknown>('initial', context())
  for (const write of writes) registerOps.applySlot(forward, write.origin, 1, write.delta, { size: 2, toWire: (o) => o, toLocal: (r) => r })
  for (const write of [...writes].reverse()) registerOps.applySlot(backward, write.origin, 1, write.delta, { size: 2, toWire: (o) => o, toLocal: (r) => r })
  expect(globalValue(forward)).toBe('new incarnation')
  expect(globalValue(backward)).toBe('new incarnation')
})
