import { describe, expect, it } from 'vitest'
import { cloneStructure, structuralDifference } from '../../src/testing/structure.js'

class Window {
  constructor(public start: number, public counts: Map<string, number>) {}
}

describe('structural comparison of states', () => {
  it('compares Maps and Sets as collections, whatever their insertion order', () => {
    expect(structuralDifference(new Map([['a', 1], ['b', 2]]), new Map([['b', 2], ['a', 1]]))).toBeUndefined()
    expect(structuralDifference(new Set([1, 2]), new Set([2, 1]))).toBeUndefined()
    expect(structuralDifference(new Set([[1], [2]]), new Set([[2], [1]]))).toBeUndefined()
    expect(structuralDifference(new Map([[{ k: 1 }, 'x']]), new Map([[{ k: 1 }, 'x']]))).toBeUndefined()
  })

  it('names the first difference with its path', () => {
    expect(structuralDifference(new Map([['a', 1]]), new Map([['a', 2]]))).toBe('$.get("a"): 1 vs 2')
    expect(structuralDifference(new Map([['a', 1]]), new Map())).toBe('$.get("a"): 1 vs missing')
    expect(structuralDifference(new Set([1]), new Set([2]))).toBe('$: holds 1 vs not')
    expect(structuralDifference({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] })).toBe('$.a[1].b: 2 vs 3')
    expect(structuralDifference({ a: 1 }, { a: 1, b: undefined })).toBe('$.b: missing vs undefined')
    expect(structuralDifference(new Uint8Array([1, 2]), new Uint8Array([1]))).toBe('$.length: 2 vs 1')
    expect(structuralDifference(new Map(), new Set())).toBe('$: Map vs Set')
    expect(structuralDifference(new Window(1, new Map()), { start: 1, counts: new Map() })).toBe('$: Window vs Object')
  })

  it('treats NaN as NaN and -0 as 0', () => {
    expect(structuralDifference(Number.NaN, Number.NaN)).toBeUndefined()
    expect(structuralDifference({ x: -0 }, { x: 0 })).toBeUndefined()
  })

  it('copies deeply, keeping prototypes, so later changes do not reach the copy', () => {
    const original = new Window(5, new Map([['r0', 1]]))
    const copy = cloneStructure(original)
    expect(copy).toBeInstanceOf(Window)
    original.counts.set('r0', 2)
    original.start = 6
    expect(structuralDifference(copy, new Window(5, new Map([['r0', 1]])))).toBeUndefined()
    const bytes = new Uint8Array([1, 2])
    const bytesCopy = cloneStructure(bytes)
    bytes[0] = 9
    expect(bytesCopy[0]).toBe(1)
  })
})
