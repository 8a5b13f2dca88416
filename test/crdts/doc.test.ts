import fc from 'fast-check'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import {
  type DocState, applyMessage, createDocState, digest, docView, parseMessage, peerMayLack, step2For, takePending,
} from '../../crdts/doc.js'
import { DecodeError } from '../../src/errors.js'
import { checkProperty } from '../../property-tests/harness/runs.js'
import { untrustedBytes } from './helpers.js'

/** A sync step 1 message carrying `state`'s state vector (what a digest carries). */
function step1Of(state: DocState): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarUint8Array(encoder, digest(state).stateVector)
  return encoding.toUint8Array(encoder)
}

/** Delivers message bytes the way the runtime does: parse (validate) first, then apply. */
function deliver(to: DocState, bytes: Uint8Array | null): void {
  if (bytes) applyMessage(to, parseMessage(bytes))
}

/** A digest exchange in both directions: each side answers the other's state vector with step 2. */
function exchange(a: DocState, b: DocState): void {
  const stepFromB = step2For(b, parseMessage(step1Of(a)).payload)
  const stepFromA = step2For(a, parseMessage(step1Of(b)).payload)
  deliver(a, stepFromB)
  deliver(b, stepFromA)
}

type Edit =
  | { kind: 'insertText'; at: number; text: string }
  | { kind: 'deleteText'; at: number; length: number }
  | { kind: 'setKey'; key: string; value: number }
  | { kind: 'deleteKey'; key: string }
  | { kind: 'push'; value: string }
  | { kind: 'deleteItem'; at: number }

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insertText' as const), at: fc.nat(20), text: fc.string({ minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('deleteText' as const), at: fc.nat(20), length: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('setKey' as const), key: fc.constantFrom('a', 'b', 'c'), value: fc.integer() }),
  fc.record({ kind: fc.constant('deleteKey' as const), key: fc.constantFrom('a', 'b', 'c') }),
  fc.record({ kind: fc.constant('push' as const), value: fc.string({ maxLength: 2 }) }),
  fc.record({ kind: fc.constant('deleteItem' as const), at: fc.nat(10) }),
)

function applyEdit(state: DocState, change: Edit): void {
  const text = state.doc.getText('text')
  const map = state.doc.getMap<number>('map')
  const list = state.doc.getArray<string>('list')
  switch (change.kind) {
    case 'insertText': text.insert(Math.min(change.at, text.length), change.text); break
    case 'deleteText': if (text.length > 0) text.delete(change.at % text.length, Math.min(change.length, text.length - change.at % text.length)); break
    case 'setKey': map.set(change.key, change.value); break
    case 'deleteKey': map.delete(change.key); break
    case 'push': list.push([change.value]); break
    case 'deleteItem': if (list.length > 0) list.delete(change.at % list.length, 1); break
  }
}

type Action = { kind: 'edit'; side: 0 | 1; edit: Edit } | { kind: 'push'; from: 0 | 1; drop: boolean } | { kind: 'exchange' }

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('edit' as const), side: fc.constantFrom(0 as const, 1 as const), edit }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('push' as const), from: fc.constantFrom(0 as const, 1 as const), drop: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('exchange' as const) }) },
)

describe('doc', () => {
  it('two documents converge through step 1, step 2 and update messages', () => {
    const changes: boolean[] = []
    const a = createDocState((local) => changes.push(local))
    const b = createDocState(() => {})
    a.doc.getText('text').insert(0, 'allow 10.0.0.0/8')
    b.doc.getArray<string>('rules').push(['deny all'])
    expect(changes).toEqual([true])
    exchange(a, b)
    expect(changes).toEqual([true, false])
    expect(docView(a)).toEqual(docView(b))
    expect(docView(a)).toEqual({ rules: ['deny all'], text: 'allow 10.0.0.0/8' })
    takePending(a)
    takePending(b)
    a.doc.getText('text').delete(0, 6)
    deliver(b, takePending(a))
    expect(takePending(a)).toBeNull()
    expect(docView(b)).toEqual({ rules: ['deny all'], text: '10.0.0.0/8' })
  })

  it('a difference in deletions alone changes the digest', () => {
    const a = createDocState(() => {})
    const b = createDocState(() => {})
    a.doc.getText('text').insert(0, 'abc')
    exchange(a, b)
    expect(peerMayLack(a, digest(b))).toBe(false)
    a.doc.getText('text').delete(1, 1)
    expect(digest(a).stateVector).toEqual(digest(b).stateVector)
    expect(peerMayLack(a, digest(b))).toBe(true)
    exchange(a, b)
    expect(peerMayLack(a, digest(b))).toBe(false)
  })

  it('random edits, lost and delivered updates: one exchange at the end converges', () => {
    checkProperty(fc.property(fc.array(action, { maxLength: 30 }), (actions) => {
      const sides = [createDocState(() => {}), createDocState(() => {})] as const
      for (const step of actions) {
        if (step.kind === 'edit') applyEdit(sides[step.side], step.edit)
        else if (step.kind === 'push') {
          const message = takePending(sides[step.from])
          if (!step.drop) deliver(sides[1 - step.from]!, message)
        } else exchange(sides[0], sides[1])
      }
      exchange(sides[0], sides[1])
      expect(docView(sides[0])).toEqual(docView(sides[1]))
      expect(peerMayLack(sides[0], digest(sides[1]))).toBe(false)
    }))
  })

  it('parseMessage rejects garbage with DecodeError only', () => {
    checkProperty(fc.property(untrustedBytes, (bytes) => {
      try {
        parseMessage(bytes)
      } catch (error) {
        expect(error).toBeInstanceOf(DecodeError)
      }
    }))
  })

  it('rejects an unknown message type and trailing bytes', () => {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 7)
    encoding.writeVarUint8Array(encoder, new Uint8Array([0]))
    expect(() => parseMessage(encoding.toUint8Array(encoder))).toThrow(DecodeError)
    const state = createDocState(() => {})
    state.doc.getText('t').insert(0, 'x')
    const update = takePending(state)!
    expect(() => parseMessage(new Uint8Array([...update, 0]))).toThrow(DecodeError)
  })

  it('altered messages: parse and apply throw nothing but DecodeError, and a fresh document takes any that parses', () => {
    /** Two rounds of edits on one document: the first round's update, then the second's. */
    const rounds = fc.tuple(fc.array(edit, { minLength: 1, maxLength: 5 }), fc.array(edit, { minLength: 1, maxLength: 5 })).map(([first, second]) => {
      const state = createDocState(() => {})
      for (const change of first) applyEdit(state, change)
      const base = takePending(state)
      for (const change of second) applyEdit(state, change)
      return { base, next: takePending(state) }
    }).filter((pair): pair is { base: Uint8Array; next: Uint8Array } => pair.base !== null && pair.next !== null)
    checkProperty(fc.property(rounds, fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 255 }), ({ base, next }, alterBase, at, byte) => {
      const bytes = (alterBase ? base : next).slice()
      bytes[at % bytes.length] = byte
      let parsed
      try {
        parsed = parseMessage(bytes)
      } catch (error) {
        expect(error).toBeInstanceOf(DecodeError)
        return
      }
      applyMessage(createDocState(() => {}), parsed)
      const holder = createDocState(() => {})
      deliver(holder, alterBase ? next : base)
      try {
        applyMessage(holder, parsed)
      } catch (error) {
        expect(error).toBeInstanceOf(DecodeError)
      }
    }))
  })
})
