/**
 * The traffic monitor converges under every fault and scale event, and its global views equal a
 * sequential count of the packets: globally, per flow (packets, bytes, matches), and the load
 * reduced over the live instances.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkConvergence, op } from 'elastic-state/testing'
import { TrafficMonitor, countPacket, type MonitorState } from '../../examples/traffic-monitor.js'

interface Totals { packets: number; bytes: number; matches: number }

class MonitorModel {
  packets = 0
  matches = 0
  readonly flows = new Map<string, Totals>()
  readonly load = new Map<string, number>()
}

const packet = fc.record({
  flow: fc.constantFrom('10.0.0.1:1024>10.1.0.1:443/6', '10.0.0.2:2048>10.1.0.1:443/6', '10.0.0.3:53>10.1.0.2:53/17'),
  sizeBytes: fc.constantFrom(64, 576, 1500),
  matches: fc.boolean(),
})

const operations = [
  op('packet', packet, (state: MonitorState, value) => countPacket(state, value), (model: MonitorModel, value) => {
    model.packets++
    if (value.matches) model.matches++
    const flow = model.flows.get(value.flow) ?? { packets: 0, bytes: 0, matches: 0 }
    model.flows.set(value.flow, { packets: flow.packets + 1, bytes: flow.bytes + value.sizeBytes, matches: flow.matches + (value.matches ? 1 : 0) })
  }),
  op('load', fc.integer({ min: 0, max: 100 }), (state: MonitorState, load) => state.load.set(load), (model: MonitorModel, load, id) => {
    model.load.set(id, load)
  }),
]

describe('traffic monitor example', () => {
  it('converges to the sequential count of every packet, per flow too, under loss, partitions, crashes and scaling', async () => {
    const seed = Math.floor(Math.random() * 2 ** 31)
    const property = checkConvergence(TrafficMonitor, operations, {
      seed,
      numRuns: 50,
      model: {
        initial: () => new MonitorModel(),
        expected: (model, live) => ({
          packets: model.packets,
          matches: model.matches,
          flows: Object.fromEntries(model.flows),
          load: live.reduce((sum, id) => sum + (model.load.get(id) ?? 0), 0),
        }),
        departed: (model, id) => { model.load.delete(id) },
      },
    })
    await expect(property.assert(), `seed ${seed}`).resolves.toBeUndefined()
  })
})
