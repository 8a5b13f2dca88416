import { describe, expect, it } from 'vitest'
import {
  type FlowKey, type FlowTableState, LINKS, LINK_NEXT, LINK_ORIGIN, createFlowTable, entryFor, fieldGlobal, fieldLocal,
  addRemovalCount, clearRemovalCount, incrementField, keys, lastSeen, lookup, raiseField, removalCountOf, setField, size, sweepExpired,
} from '../../crdts/flow-table.js'
import { flowTableOps } from '../../crdts/flow-table-slots.js'
import { Reader, createEncoder, toBytes } from '../../crdts/codec.js'
import { identityOrigins, joinInto } from '../../crdts/join.js'
import { advance, createTestContext, createWorld } from '../../property-tests/harness/context.js'
import { type Step, runHistory } from '../../property-tests/harness/replica-sim.js'
import {
  type FlowOp, plainFlowConfig, plainFlowTableAdapter, timedFlowConfig, timedFlowTableAdapter,
} from '../../property-tests/harness/types/flow-table.js'
import { badCounts, decodeSuite, dump, recordingSink } from './helpers.js'

function field(state: FlowTableState, name: string) {
  return state.fieldByName.get(name)!
}

function global(state: FlowTableState, key: FlowKey, name: string): unknown {
  const entry = lookup(state, key)
  return entry < 0 ? 'absent' : fieldGlobal(state, entry, field(state, name))
}

const inc = (origin: number, key: FlowKey, n: number): Step<FlowOp> => ({ kind: 'write', origin, op: { kind: 'increment', key, field: 'packets', n } })
const del = (origin: number, key: FlowKey): Step<FlowOp> => ({ kind: 'write', origin, op: { kind: 'delete', key } })
const sync = (from: number, to: number): Step<FlowOp> => ({ kind: 'sync', from, to, stampFirst: true })
const wait = (ms: number): Step<FlowOp> => ({ kind: 'advance', ms })
const sweep = (origin: number): Step<FlowOp> => ({ kind: 'write', origin, op: { kind: 'sweep', budget: 100 } })
const two = { ids: ['a', 'b'], skewMs: [0, 0] }

describe('flowTable', () => {
  it('counts an entry\'s cells that hold deletions exactly past what its byte holds', () => {
    const world = createWorld(1)
    const state = createFlowTable({ fields: { packets: { kind: 'counter' } } }, createTestContext(world, 0))
    const [a, b] = [entryFor(state, 'a'), entryFor(state, 'b')]
    for (let i = 0; i < 300; i++) addRemovalCount(state, a, 1)
    addRemovalCount(state, b, 1)
    expect([removalCountOf(state, a), removalCountOf(state, b)]).toEqual([300, 1])
    for (let i = 300; i > 0; i--) {
      expect(removalCountOf(state, a)).toBe(i)
      addRemovalCount(state, a, -1)
    }
    expect(removalCountOf(state, a)).toBe(0)
    expect(state.removalCounts.size).toBe(0)
    for (let i = 0; i < 256; i++) addRemovalCount(state, a, 1)
    expect(state.removalCounts.size).toBe(1)
    clearRemovalCount(state, a)
    expect([removalCountOf(state, a), state.removalCounts.size, removalCountOf(state, b)]).toEqual([0, 0, 1])
  })

  it('writes every field kind and shows local and global views', () => {
    // One state per origin (a flow table has one own origin: its replica's).
    const world = createWorld(2)
    const [a, b] = [0, 1].map((origin) => createFlowTable(timedFlowConfig, createTestContext(world, origin))) as [FlowTableState, FlowTableState]
    const entryA = entryFor(a, 'flow')
    expect(lookup(a, 'flow')).toBe(-1) // created by the first write, not by entryFor
    incrementField(a, entryA, 0, field(a, 'packets'), 3)
    incrementField(a, entryA, 0, field(a, 'active'), 5, 0)
    incrementField(a, entryA, 0, field(a, 'active'), 7, 1)
    raiseField(a, entryA, 0, field(a, 'peak'), 2.5)
    const entryB = entryFor(b, 'flow')
    incrementField(b, entryB, 1, field(b, 'packets'), 4)
    raiseField(b, entryB, 1, field(b, 'peak'), -1)
    setField(b, entryB, 1, field(b, 'label'), { rule: 9 })
    for (const [state, origin] of [[a, 0], [b, 1]] as const) {
      for (const slot of [...Array(state.cellCount).keys()]) if (flowTableOps.owner(state, slot) === origin) flowTableOps.stamp(state, slot, 1)
    }
    joinInto(flowTableOps, a, b)
    const entry = lookup(a, 'flow')
    expect([...keys(a)]).toEqual(['flow'])
    expect(size(a)).toBe(1)
    expect(fieldGlobal(a, entry, field(a, 'packets'))).toBe(7)
    expect(fieldLocal(a, entry, 1, field(a, 'packets'))).toBe(4)
    expect(fieldGlobal(a, entry, field(a, 'active'))).toBe(-2)
    expect(fieldGlobal(a, entry, field(a, 'peak'))).toBe(2.5)
    expect(fieldLocal(a, entry, 1, field(a, 'peak'))).toBe(-1)
    expect(fieldGlobal(a, entry, field(a, 'label'))).toEqual({ rule: 9 })
    expect(fieldLocal(a, entry, 0, field(a, 'label'))).toBe('none')
    expect(fieldGlobal(a, entry, field(a, 'lastSeen'))).toBe(world.nowMs)
    expect(lastSeen(a, entry)).toBe(world.nowMs)
  })

  it.each(badCounts)('rejects an increment of %s with a RangeError and changes nothing', (bad) => {
    const sink = recordingSink()
    const state = createFlowTable(plainFlowConfig, createTestContext(createWorld(1)), 0, sink)
    const entry = entryFor(state, 1)
    incrementField(state, entry, 0, field(state, 'packets'), 1)
    const before = JSON.stringify(dump(state))
    expect(() => incrementField(state, entry, 0, field(state, 'packets'), bad as number)).toThrow(RangeError)
    expect(() => incrementField(state, entry, 0, field(state, 'active'), bad as number, 1)).toThrow(RangeError)
    expect(() => incrementField(state, entryFor(state, 1), 3, field(state, 'bytes'), bad as number)).toThrow(RangeError)
    expect(JSON.stringify(dump(state))).toBe(before)
    expect(sink.calls.length).toBe(1)
  })

  it.each([Number.NaN, Infinity, -Infinity, '1', null])('rejects raising a max register to %s and changes nothing', (bad) => {
    const state = createFlowTable(timedFlowConfig, createTestContext(createWorld(1)))
    const entry = entryFor(state, 'k')
    raiseField(state, entry, 0, field(state, 'peak'), 1)
    const before = JSON.stringify(dump(state))
    expect(() => raiseField(state, entry, 0, field(state, 'peak'), bad as number)).toThrow(RangeError)
    expect(() => raiseField(state, entry, 0, field(state, 'lastSeen'), bad as number)).toThrow(RangeError)
    expect(JSON.stringify(dump(state))).toBe(before)
  })

  it('delete is observed-remove: a concurrent write keeps the entry, counting only what the delete missed', () => {
    const system = runHistory(plainFlowTableAdapter, { ...two, steps: [
      inc(0, 'k', 5), sync(0, 1),
      del(1, 'k'),
      inc(0, 'k', 2), // concurrent with the delete
      sync(1, 0), sync(0, 1),
    ] })
    for (const replica of system.replicas) {
      expect(global(replica.state, 'k', 'packets')).toBe(2)
      expect(fieldLocal(replica.state, lookup(replica.state, 'k'), 0, field(replica.state, 'packets'))).toBe(2)
    }
  })

  it('a delete also clears the decrements of the deleting origin', () => {
    const system = runHistory(plainFlowTableAdapter, { ...two, steps: [
      { kind: 'write', origin: 0, op: { kind: 'pn', key: 'k', column: 1, n: 3 } },
      del(0, 'k'),
      inc(0, 'k', 0),
    ] })
    expect(global(system.replicas[0]!.state, 'k', 'active')).toBe(0)
  })

  it('an entry idle for idleTimeoutMs disappears everywhere; a later write starts from zero', () => {
    const system = runHistory(timedFlowTableAdapter, { ...two, steps: [inc(0, 'k', 5), sync(0, 1), wait(99)] })
    for (const replica of system.replicas) expect(global(replica.state, 'k', 'packets')).toBe(5)
    advance(system.world, 1)
    for (const replica of system.replicas) expect(global(replica.state, 'k', 'packets')).toBe('absent')
    const state = system.replicas[1]!.state
    incrementField(state, entryFor(state, 'k'), 1, field(state, 'packets'), 1)
    expect(global(state, 'k', 'packets')).toBe(1)
  })

  it('only a table that records times keeps a time per entry; both grow their columns by a quarter', () => {
    const plain = createFlowTable({ fields: { packets: { kind: 'counter' } } }, createTestContext(createWorld(1)))
    const timed = createFlowTable({ fields: { packets: { kind: 'counter' } }, idleTimeoutMs: 100 }, createTestContext(createWorld(1)))
    for (const state of [plain, timed]) {
      for (let flow = 0; flow < 1_100; flow++) incrementField(state, entryFor(state, `f${flow}`), 0, field(state, 'packets'), flow + 1)
      expect(global(state, 'f1099', 'packets')).toBe(1_100)
      // 16 more at a time up to 64, then a quarter as much again: ..., 921, 1,151 (by half: 1,228;
      // doubling: 2,048).
      expect(state.entryHead.length).toBeGreaterThanOrEqual(1_100)
      expect(state.entryHead.length).toBeLessThanOrEqual(1_200)
      expect(state.links.length / LINKS).toBeLessThanOrEqual(1_200)
    }
    expect(plain.entryLast.length).toBe(0)
    expect(timed.entryLast.length).toBe(timed.entryHead.length)
  })

  it('a table that records no times keeps no last-write time per cell, and takes none from a peer', () => {
    const world = createWorld(2)
    const config = { fields: { packets: { kind: 'counter' as const } } }
    const plain = createFlowTable(config, createTestContext(world, 0))
    const timed = createFlowTable({ ...config, idleTimeoutMs: 100 }, createTestContext(world, 1))
    // One counter column (and the time, when recorded): versions and lives sit apart.
    expect([plain.stride, timed.stride]).toEqual([1, 2])
    advance(world, 50)
    incrementField(timed, entryFor(timed, 'f'), 1, field(timed, 'packets'), 4)
    const cell = timed.entryHead[lookup(timed, 'f')]!
    flowTableOps.stamp(timed, cell, 1)
    // A cell carrying a write time (only a peer with another schema, or a forged frame, sends one to `plain`).
    const encoder = createEncoder()
    flowTableOps.encodeSlot(encoder, timed, cell, identityOrigins)
    const delta = flowTableOps.decodeSlot(new Reader(toBytes(encoder)), identityOrigins, plain)
    expect(delta.lastMs).toBeGreaterThan(0)
    const applied = flowTableOps.applySlot(plain, 1, 1, delta, identityOrigins)
    expect(global(plain, 'f', 'packets')).toBe(4)
    expect(lastSeen(plain, lookup(plain, 'f'))).toBeUndefined()
    // Its row is the plain one: the next cell's columns start right after it, untouched.
    expect(plain.numbers[applied * plain.stride + plain.stride]).toBe(0)
    const again = createEncoder()
    flowTableOps.encodeSlot(again, plain, applied, identityOrigins)
    expect(flowTableOps.decodeSlot(new Reader(toBytes(again)), identityOrigins, plain).lastMs).toBe(0)
  })

  it('sweeping drops entries idle for idleTimeoutMs + gcGraceMs, but not one with an unstamped write', () => {
    const world = createWorld(1)
    const sink = recordingSink()
    const state = createFlowTable(timedFlowConfig, createTestContext(world), 0, sink)
    incrementField(state, entryFor(state, 'stamped'), 0, field(state, 'packets'), 1)
    flowTableOps.stamp(state, sink.calls[0]![1], 1)
    incrementField(state, entryFor(state, 'dirty'), 0, field(state, 'packets'), 1)
    advance(world, 149)
    expect(sweepExpired(state)).toBe(0)
    advance(world, 1)
    expect(sweepExpired(state)).toBe(1)
    expect(state.keyIndex.has('stamped')).toBe(false)
    expect(state.keyIndex.has('dirty')).toBe(true)
    flowTableOps.stamp(state, sink.calls[1]![1], 2)
    expect(sweepExpired(state)).toBe(1)
    expect(state.keyIndex.size).toBe(0)
  })

  it('a cell re-created after a sweep never matches a deletion of the dropped one', () => {
    const system = runHistory(timedFlowTableAdapter, { ...two, steps: [
      inc(0, 'k', 5), sync(0, 1),
      del(1, 'k'), { kind: 'stamp', origin: 1 },
      wait(150), sweep(0),
      inc(0, 'k', 1), // a new cell of origin 0 for 'k'
      sync(0, 1), sync(1, 0),
    ] })
    for (const replica of system.replicas) expect(global(replica.state, 'k', 'packets')).toBe(1)
  })

  it('an own cell received back after a sweep is continued, not duplicated', () => {
    const system = runHistory(timedFlowTableAdapter, { ids: ['a', 'b', 'c'], skewMs: [0, 0, 0], steps: [
      inc(2, 2, 1), wait(150), sync(2, 0), sweep(2),
      inc(0, 2, 1), sync(0, 2),
      inc(2, 2, 1),
    ] })
    const state = system.replicas[2]!.state
    const entry = lookup(state, 2)
    let ownCells = 0
    for (let cell = state.entryHead[entry]!; cell >= 0; cell = state.links[cell * LINKS + LINK_NEXT]!) if (state.links[cell * LINKS + LINK_ORIGIN] === 2) ownCells++
    expect(ownCells).toBe(1)
  })

  it('reserve grows every column once to the room asked for, and a join into the reserved table reads the same', () => {
    const config = { fields: { packets: { kind: 'counter' as const } }, idleTimeoutMs: 100 }
    const source = createFlowTable(config, createTestContext(createWorld(1)))
    for (let flow = 0; flow < 600; flow++) incrementField(source, entryFor(source, `10.0.${flow >> 8}.${flow & 255}:1>10.1.0.2:443/6`), 0, field(source, 'packets'), flow + 1)
    for (let flow = 0; flow < 50; flow++) incrementField(source, entryFor(source, `f${flow}`), 0, field(source, 'packets'), 1)
    for (let cell = 0; cell < source.cellCount; cell++) flowTableOps.stamp(source, cell, cell + 1)
    const plain = createFlowTable(config, createTestContext(createWorld(1)))
    const reserved = createFlowTable(config, createTestContext(createWorld(1)))
    flowTableOps.reserve!(reserved, 0, 650, 0)
    const columns = { entryHead: reserved.entryHead, links: reserved.links, numbers: reserved.numbers, cellMeta: reserved.cellMeta, entryLast: reserved.entryLast }
    expect(reserved.entryHead.length).toBe(650)
    expect(reserved.links.length / LINKS).toBe(650)
    expect(joinInto(flowTableOps, plain, source)).toBe(650)
    expect(joinInto(flowTableOps, reserved, source)).toBe(650)
    // No column was grown again while the 650 cells arrived.
    for (const name of Object.keys(columns) as (keyof typeof columns)[]) expect(reserved[name], name).toBe(columns[name])
    expect(size(reserved)).toBe(650)
    expect([...keys(reserved)].sort()).toEqual([...keys(plain)].sort())
    for (const key of keys(plain)) expect(global(reserved, key, 'packets'), String(key)).toBe(global(plain, key, 'packets'))
    expect(global(reserved, '10.0.2.87:1>10.1.0.2:443/6', 'packets')).toBe(600)
    expect(global(reserved, 'f49', 'packets')).toBe(1)
  })

  it('joining does not depend on the order of an entry\'s cells, old ones included', () => {
    // 'k' at replica 0: a's cell (written 160 ms ago, older than idle + grace) and b's (20 ms ago).
    const system = runHistory(timedFlowTableAdapter, { ...two, steps: [inc(0, 'k', 5), wait(140), inc(1, 'k', 1), sync(1, 0), wait(20)] })
    const holder = system.replicas[0]!.state
    const slots = [...flowTableOps.slots(holder)]
    for (const order of [slots, [...slots].reverse()]) {
      const copy = createFlowTable(timedFlowConfig, createTestContext(system.world))
      for (const slot of order) {
        const encoder = createEncoder()
        flowTableOps.encodeSlot(encoder, holder, slot, identityOrigins)
        const delta = flowTableOps.decodeSlot(new Reader(toBytes(encoder)), identityOrigins, copy)
        flowTableOps.applySlot(copy, flowTableOps.owner(holder, slot), flowTableOps.version(holder, slot), delta, identityOrigins)
      }
      expect(global(copy, 'k', 'packets'), `slots in order ${order.join(',')}`).toBe(6)
    }
  })
})

decodeSuite(plainFlowTableAdapter)
decodeSuite(timedFlowTableAdapter)

describe('flowTable decodeSlot into a delta decoded before', () => {
  it('overwrites every part of the delta: the result equals a fresh decode, whatever the delta held', () => {
    const world = createWorld(3)
    const config = {
      fields: {
        packets: { kind: 'counter' as const },
        balance: { kind: 'pnCounter' as const },
        peak: { kind: 'maxRegister' as const },
        lastSeen: { kind: 'maxRegister' as const },
        label: { kind: 'register' as const },
      },
      idleTimeoutMs: 1000,
    }
    const state = createFlowTable(config, createTestContext(world, 0))
    const receiver = createFlowTable(config, createTestContext(world, 1))
    advance(world, 10)
    // One cell with every field written, one with none but a count.
    const full = entryFor(state, 'full')
    incrementField(state, full, 0, field(state, 'packets'), 7)
    incrementField(state, full, 0, field(state, 'balance'), 3, 1)
    raiseField(state, full, 0, field(state, 'peak'), 2.5)
    raiseField(state, full, 0, field(state, 'lastSeen'), 10)
    setField(state, full, 0, field(state, 'label'), { tag: 'x' })
    const bare = entryFor(state, 'bare')
    incrementField(state, bare, 0, field(state, 'packets'), 1)
    const payloads = ['full', 'bare'].map((key, i) => {
      const cell = state.entryHead[lookup(state, key)]!
      flowTableOps.stamp(state, cell, i + 1)
      const encoder = createEncoder()
      flowTableOps.encodeSlot(encoder, state, cell, identityOrigins)
      return toBytes(encoder)
    })
    const decode = (bytes: Uint8Array, into?: ReturnType<typeof flowTableOps.decodeSlot>) => flowTableOps.decodeSlot(new Reader(bytes), identityOrigins, receiver, into)
    const plain = (delta: ReturnType<typeof flowTableOps.decodeSlot>) => ({ ...delta, keyBytes: null, numbers: [...delta.numbers], objects: [...delta.objects] })
    for (const [first, second] of [[0, 1], [1, 0], [0, 0]] as const) {
      const reused = decode(payloads[first]!)
      const again = decode(payloads[second]!, reused)
      expect(again).toBe(reused)
      expect(plain(again)).toEqual(plain(decode(payloads[second]!)))
    }
  })
})
