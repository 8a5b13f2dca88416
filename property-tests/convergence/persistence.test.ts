/**
 * Persistence under random schedules: replicas of a counter and a flow table, each id with its
 * own store, on a simulated network with loss, duplication, reordering and partitions, while
 * writes, flushes, crashes, restarts from the store, joins and graceful leaves interleave.
 * At the end every departed id is restarted from its store, the network heals, and then:
 * every replica agrees, and no counter lost a write that `flush()` confirmed or counted one
 * twice (confirmed ≤ global ≤ written, per counter and per flow).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { counter, defineState, flowTable, memoryPersistence, type MemoryPersistence, type Replica } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import { checkAsyncProperty, convergenceRuns } from './check-async.js'
import { fastGossip } from './full-state.js'
import { networkSetup } from './schedule.js'

const Durable = defineState({
  packets: counter(),
  flows: flowTable({ fields: { packets: counter() } }),
})
type DurableReplica = Replica<typeof Durable.fields>

type Op =
  | { kind: 'write'; at: number; amount: number; flow: number }
  | { kind: 'flush'; at: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'crash'; at: number }
  | { kind: 'restart'; at: number }
  | { kind: 'spawn' }
  | { kind: 'leave'; at: number }
  | { kind: 'partition'; sides: number[] }
  | { kind: 'heal' }

const position = fc.nat(15)
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('write' as const), at: position, amount: fc.integer({ min: 1, max: 50 }), flow: fc.nat(7) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flush' as const), at: position }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 120 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), at: position }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restart' as const), at: position }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'spawn' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), at: position }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), sides: fc.array(fc.nat(1), { minLength: 1, maxLength: 6 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'heal' as const }) },
)

/** Writes of one incarnation not yet confirmed by a flush, and the totals. */
interface Ledger {
  written: number[]
  confirmed: number[]
  pending: Map<DurableReplica, number[]>
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve))
const FLOWS = 8

describe('replicas with persistence under random schedules', () => {
  it('never lose a confirmed write nor count one twice, and converge', async () => {
    await checkAsyncProperty(fc.asyncProperty(networkSetup, fc.integer({ min: 2, max: 4 }), fc.array(op, { minLength: 1, maxLength: 60 }), async (setup, size, ops) => {
      const sim = createSimulation({ ...setup, leaveStepMs: 10 })
      const stores = new Map<string, MemoryPersistence>()
      const ids: string[] = []
      // Index FLOWS holds the global packet counter; 0..FLOWS-1 the flows.
      const ledger: Ledger = { written: new Array(FLOWS + 1).fill(0), confirmed: new Array(FLOWS + 1).fill(0), pending: new Map() }
      const log: string[] = []
      const spawn = () => {
        const id = `r${ids.length + 1}`
        const store = memoryPersistence()
        stores.set(id, store)
        ids.push(id)
        return sim.spawn(Durable, { id, gossip: fastGossip, persistence: store })
      }
      const confirm = (replica: DurableReplica) => {
        const pending = ledger.pending.get(replica)
        if (!pending) return
        pending.forEach((amount, index) => { ledger.confirmed[index]! += amount })
        ledger.pending.delete(replica)
      }
      for (let i = 0; i < size; i++) spawn()
      await settle()
      for (const step of ops) {
        const live = sim.replicas() as DurableReplica[]
        const dead = ids.filter((id) => sim.replica(id) === undefined)
        const at = (index: number) => live[index % live.length]!
        switch (step.kind) {
          case 'write': {
            const replica = at(step.at)
            replica.state.packets.increment(step.amount)
            replica.state.flows.entry(step.flow).packets.increment(step.amount)
            const pending = ledger.pending.get(replica) ?? new Array(FLOWS + 1).fill(0)
            pending[FLOWS] += step.amount
            pending[step.flow] += step.amount
            ledger.pending.set(replica, pending)
            ledger.written[FLOWS]! += step.amount
            ledger.written[step.flow]! += step.amount
            log.push(`write ${step.amount} flow ${step.flow} at ${replica.id}`)
            break
          }
          case 'flush': {
            const replica = at(step.at)
            await replica.flush()
            confirm(replica)
            log.push(`flush ${replica.id}`)
            break
          }
          case 'advance':
            sim.advance(step.ms)
            log.push(`advance ${step.ms}`)
            break
          case 'crash': {
            if (live.length < 2) break
            const replica = at(step.at)
            sim.crash(replica.id)
            ledger.pending.delete(replica)
            log.push(`crash ${replica.id}`)
            break
          }
          case 'restart': {
            if (dead.length === 0) break
            const id = dead[step.at % dead.length]!
            sim.restart(id)
            await settle()
            log.push(`restart ${id}`)
            break
          }
          case 'spawn':
            if (live.length >= 6) break
            log.push(`spawn ${spawn().id}`)
            await settle()
            break
          case 'leave': {
            if (live.length < 2) break
            const replica = at(step.at)
            await replica.leave()
            // leave() persisted its writes before the handoff: they are confirmed either way.
            confirm(replica)
            log.push(`leave ${replica.id}`)
            break
          }
          case 'partition': {
            const sides: string[][] = [[], []]
            live.forEach((replica, index) => sides[step.sides[index % step.sides.length]!]!.push(replica.id))
            sim.partition(...sides.filter((side) => side.length > 0))
            log.push(`partition ${JSON.stringify(sides)}`)
            break
          }
          case 'heal':
            sim.heal()
            log.push('heal')
            break
        }
      }
      // Bring every departed id back from its store, heal, and let the group settle.
      for (const id of ids) if (sim.replica(id) === undefined) sim.restart(id)
      await settle()
      sim.heal()
      for (const replica of sim.replicas()) await replica.flush()
      sim.runUntilConverged({ maxMs: 20_000 })
      sim.advance(fastGossip.failureTimeoutMs * 3)
      sim.runUntilConverged({ maxMs: 20_000 })

      const trace = log.join('; ')
      for (const replica of sim.replicas() as DurableReplica[]) {
        const global = replica.state.packets.global
        expect(global, `packets at ${replica.id} after ${trace}`).toBeGreaterThanOrEqual(ledger.confirmed[FLOWS]!)
        expect(global, `packets at ${replica.id} after ${trace}`).toBeLessThanOrEqual(ledger.written[FLOWS]!)
        for (let flow = 0; flow < FLOWS; flow++) {
          const count = replica.state.flows.get(flow)?.packets.global ?? 0
          expect(count, `flow ${flow} at ${replica.id} after ${trace}`).toBeGreaterThanOrEqual(ledger.confirmed[flow]!)
          expect(count, `flow ${flow} at ${replica.id} after ${trace}`).toBeLessThanOrEqual(ledger.written[flow]!)
        }
      }
      expect(sim.network.stats().handlerErrors + sim.network.stats().timerErrors).toBe(0)
    }), { numRuns: convergenceRuns(2) })
  })
})
