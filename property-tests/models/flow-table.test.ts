/**
 * The flow table against a reference written from the definitions:
 * - every field write is an event; a delete records the write events of the key its replica has
 *   seen (observed-remove), so a write concurrent with a delete keeps the entry, and a counter
 *   shows exactly the increments no seen delete observed;
 * - an entry whose last write (by anyone the replica heard of) is at least `idleTimeoutMs` old is
 *   hidden, and a write to it first deletes everything its replica has seen of it.
 * Syncs stamp the sender first, so knowledge after a sync is the union of both replicas'. The
 * grace before expired cells are dropped is longer than any history: dropping (GC) is covered by
 * the bounds property at the end.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type FlowKey, type FlowTableState, fieldGlobal, fieldLocal, keys, lookup } from '../../crdts/flow-table.js'
import { type Step, compareKeys, historyArbitrary, runHistory } from '../harness/replica-sim.js'
import { EventLog } from '../harness/event-log.js'
import { checkProperty } from '../harness/runs.js'
import { type FlowOp, flowAdapter, flowKeys, timedFlowConfig } from '../harness/types/flow-table.js'

const IDLE_MS = 100
const modelAdapter = flowAdapter('flowTable(model)', { ...timedFlowConfig, idleTimeoutMs: IDLE_MS, gcGraceMs: 1e12 })
/** With GC on (cells dropped 50 ms after expiry), and two keys so sweeps meet writes and deletes. */
const sweepingAdapter = flowAdapter('flowTable(sweeping)', timedFlowConfig, [1, 'x'])

type Counters = { packets: number; bytes: number; increments: number; decrements: number }
type Event =
  | { kind: 'write'; origin: number; key: FlowKey; timeMs: number; counters: Counters }
  | { kind: 'delete'; key: FlowKey; observed: ReadonlySet<number> }

const noCounters: Counters = { packets: 0, bytes: 0, increments: 0, decrements: 0 }

function countersOf(op: FlowOp): Counters {
  if (op.kind === 'increment') return { ...noCounters, [op.field]: op.n }
  if (op.kind === 'pn') return { ...noCounters, [op.column === 0 ? 'increments' : 'decrements']: op.n }
  return noCounters
}

class FlowReference {
  private readonly log: EventLog<Event>

  constructor(replicaCount: number) {
    this.log = new EventLog(replicaCount)
  }

  private seen(replica: number, key: FlowKey): number[] {
    return this.log.seen(replica).filter((id) => this.log.event(id).key === key)
  }

  private seenWrites(replica: number, key: FlowKey): number[] {
    return this.seen(replica, key).filter((id) => this.log.event(id).kind === 'write')
  }

  private lastWriteMs(replica: number, key: FlowKey): number {
    let last = -Infinity
    for (const id of this.seenWrites(replica, key)) last = Math.max(last, (this.log.event(id) as Extract<Event, { kind: 'write' }>).timeMs)
    return last
  }

  private expired(replica: number, key: FlowKey, nowMs: number): boolean {
    return nowMs - this.lastWriteMs(replica, key) >= IDLE_MS
  }

  /** Seen writes of `key` that no seen delete observed. */
  liveWrites(replica: number, key: FlowKey): Extract<Event, { kind: 'write' }>[] {
    const ids = this.seen(replica, key)
    const observed = new Set<number>()
    for (const id of ids) {
      const event = this.log.event(id)
      if (event.kind === 'delete') for (const write of event.observed) observed.add(write)
    }
    return ids.filter((id) => this.log.event(id).kind === 'write' && !observed.has(id)).map((id) => this.log.event(id) as Extract<Event, { kind: 'write' }>)
  }

  visible(replica: number, key: FlowKey, nowMs: number): boolean {
    return this.liveWrites(replica, key).length > 0 && !this.expired(replica, key, nowMs)
  }

  private deleteSeen(replica: number, key: FlowKey): void {
    this.log.record(replica, { kind: 'delete', key, observed: new Set(this.seenWrites(replica, key)) })
  }

  apply(replica: number, op: FlowOp, nowMs: number): void {
    if (op.kind === 'sweep') return
    if (op.kind === 'delete') {
      if (this.visible(replica, op.key, nowMs)) this.deleteSeen(replica, op.key)
      return
    }
    // A write to an idle entry first removes everything seen of it.
    if (this.seen(replica, op.key).length > 0 && this.expired(replica, op.key, nowMs)) this.deleteSeen(replica, op.key)
    const timeMs = Math.max(Math.floor(nowMs), op.kind === 'raise' && op.field === 'lastSeen' ? Math.floor(op.n) : -Infinity)
    this.log.record(replica, { kind: 'write', origin: replica, key: op.key, timeMs, counters: countersOf(op) })
  }

  sync(from: number, to: number): void {
    this.log.sync(from, to)
  }
}

function sum(writes: Extract<Event, { kind: 'write' }>[], pick: (counters: Counters) => number): number {
  return writes.reduce((total, write) => total + pick(write.counters), 0)
}

function field(state: FlowTableState, name: string) {
  return state.fieldByName.get(name)!
}

describe('flowTable against an observed-remove, idle-expiring reference', () => {
  it('keys and counters of every replica match the reference after every step', () => {
    const histories = historyArbitrary(modelAdapter, { syncMode: 'stampFirst', maxSteps: 50 })
    checkProperty(fc.property(histories, (history) => {
      const reference = new FlowReference(history.ids.length)
      let stepIndex = 0
      runHistory(modelAdapter, history, {
        observer: {
          before(system, step: Step<FlowOp>) {
            if (step.kind === 'write') reference.apply(step.origin, step.op, system.world.nowMs)
            else if (step.kind === 'sync') reference.sync(step.from, step.to)
          },
          after(system) {
            stepIndex++
            const nowMs = system.world.nowMs
            for (const replica of system.replicas) {
              const state = replica.state
              const where = `replica ${replica.origin} after step ${stepIndex}`
              const expectedKeys = flowKeys.filter((key) => reference.visible(replica.origin, key, nowMs))
              expect([...keys(state)].sort(compareKeys), `${where}: visible keys`).toStrictEqual([...expectedKeys].sort(compareKeys))
              for (const key of expectedKeys) {
                const entry = lookup(state, key)
                const live = reference.liveWrites(replica.origin, key)
                const at = `${where}, key ${JSON.stringify(key)}`
                expect(fieldGlobal(state, entry, field(state, 'packets')), `${at}: packets`).toBe(sum(live, (c) => c.packets))
                expect(fieldGlobal(state, entry, field(state, 'bytes')), `${at}: bytes`).toBe(sum(live, (c) => c.bytes))
                expect(fieldGlobal(state, entry, field(state, 'active')), `${at}: active`).toBe(sum(live, (c) => c.increments - c.decrements))
                for (const origin of system.origins) {
                  const own = live.filter((write) => write.origin === origin)
                  expect(fieldLocal(state, entry, origin, field(state, 'packets')), `${at}: packets of ${origin}`).toBe(sum(own, (c) => c.packets))
                  expect(fieldLocal(state, entry, origin, field(state, 'active')), `${at}: active of ${origin}`)
                    .toBe(sum(own, (c) => c.increments - c.decrements))
                }
              }
            }
          },
        },
      })
    }))
  })

  it('with expired cells dropped (GC), counters stay within [0, all increments ever made to the key]', () => {
    const histories = historyArbitrary(sweepingAdapter, { maxSteps: 60 })
    checkProperty(fc.property(histories, (history) => {
      const made = new Map<FlowKey, number>()
      runHistory(sweepingAdapter, history, {
        observer: {
          before(_system, step: Step<FlowOp>) {
            if (step.kind === 'write' && step.op.kind === 'increment' && step.op.field === 'packets') {
              made.set(step.op.key, (made.get(step.op.key) ?? 0) + step.op.n)
            }
          },
          after(system) {
            for (const replica of system.replicas) {
              for (const key of keys(replica.state)) {
                const packets = fieldGlobal(replica.state, lookup(replica.state, key), field(replica.state, 'packets')) as number
                expect(packets, `packets of ${JSON.stringify(key)} at replica ${replica.origin}`).toBeGreaterThanOrEqual(0)
                expect(packets, `packets of ${JSON.stringify(key)} at replica ${replica.origin}`).toBeLessThanOrEqual(made.get(key) ?? 0)
              }
            }
          },
        },
      })
    }))
  })
})
