import { describe, expect, it } from 'vitest'
import { deepEqual, firstDifference, renderValue } from '../../src/sim/deep-equal.js'

describe('deepEqual', () => {
  it.each([
    [1, 1],
    [Number.NaN, Number.NaN],
    [0, -0],
    ['x', 'x'],
    [null, null],
    [undefined, undefined],
    [{ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 }],
    [Uint8Array.of(1, 2), Uint8Array.of(1, 2)],
    [{ bytes: new Uint8Array(0) }, { bytes: new Uint8Array(0) }],
    [Object.create(null) as object, {}],
  ])('treats %o and %o as equal', (left, right) => {
    expect(deepEqual(left, right)).toBe(true)
  })

  it.each([
    [1, 2, '$: 1 vs 2'],
    [Number.NaN, null, '$: NaN vs null'],
    [undefined, null, '$: undefined vs null'],
    [{ a: undefined }, {}, '$.a: undefined vs missing'],
    [{}, { 'x-y': 1 }, '$["x-y"]: missing vs 1'],
    [[1, 2], [1, 2, 3], '$.length: 2 vs 3'],
    [{ a: [1, { b: true }] }, { a: [1, { b: false }] }, '$.a[1].b: true vs false'],
    [Uint8Array.of(1, 2), Uint8Array.of(1, 3), '$[1]: 2 vs 3'],
    [[1], { 0: 1 }, '$: Array vs Object'],
    [Uint8Array.of(1), [1], '$: Uint8Array vs Array'],
    [new Map(), new Map(), '$: Map is not plain data and compares by identity'],
  ])('finds the first difference between %o and %o', (left, right, difference) => {
    expect(deepEqual(left, right)).toBe(false)
    expect(firstDifference(left, right)).toBe(difference)
  })

  it('renders values shortly and keeps NaN, undefined and bytes apart from null', () => {
    expect(renderValue({ a: Number.NaN, b: undefined, c: Uint8Array.of(1) })).toBe('{"a":NaN,"b":undefined,"c":Uint8Array[1]}')
    expect(renderValue('x'.repeat(100))).toHaveLength(60)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(renderValue(cyclic)).toBe('{"self":{"self":{"self":…}}}')
  })
})
