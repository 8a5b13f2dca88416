/**
 * The simulator's engine without a browser: what the worker runs, driven directly. A preset run
 * ends with every instance's global view exact, and a run is a pure function of its seed,
 * settings and actions at virtual times (what makes the seed field worth having).
 */
import { describe, expect, test } from 'vitest'
import { Engine, STEP_MS } from '../../simulator/src/engine/engine.js'
import { presetSettings } from '../../simulator/src/engine/presets.js'
import type { PresetId, View } from '../../simulator/src/protocol.js'

const SEEDS = [1, 2, 3]

/** Run until the preset's script is done and all live instances agree, within `maxMs` virtual ms. */
function runToEnd(engine: Engine, maxMs: number): View {
  let view = engine.view(1)
  while (!(view.presetStatus.startsWith('done') && view.converged)) {
    if (view.nowMs >= maxMs) throw new Error(`seed ${engine.settings.seed}: not done and converged after ${maxMs} virtual ms (${view.presetStatus})`)
    engine.runFor(500, Number.POSITIVE_INFINITY)
    view = engine.view(1)
  }
  return view
}

/** A run with user actions at fixed virtual times; returns its exported timeline. */
function scriptedRun(preset: PresetId, seed: number): string {
  const engine = new Engine(1, preset, presetSettings(preset, seed))
  engine.runFor(1000, Number.POSITIVE_INFINITY)
  engine.scaleOut()
  engine.partition(null)
  engine.runFor(700, Number.POSITIVE_INFINITY)
  engine.crash('nf-2')
  engine.heal()
  engine.scaleIn(null)
  engine.runFor(600, Number.POSITIVE_INFINITY)
  engine.restart(null)
  engine.runFor(500, Number.POSITIVE_INFINITY)
  return engine.exportTimeline()
}

describe('simulator engine', () => {
  test.each(SEEDS)('seed %i: the partition-during-a-burst preset ends with every global count equal to the true count', (seed) => {
    const view = runToEnd(new Engine(1, 'partition-burst', presetSettings('partition-burst', seed)), 60_000)
    expect(view.instances).toHaveLength(6)
    expect(view.trueCount).toBeGreaterThan(40_000)
    for (const instance of view.instances) {
      expect({ id: instance.id, global: instance.packetsGlobal }, `seed ${seed}`).toEqual({ id: instance.id, global: view.trueCount })
    }
    // Every flow shown for the selected instance is exact too.
    for (const flow of view.selected!.flows) expect(flow.globalPackets, `seed ${seed} ${flow.key}`).toBe(flow.truePackets)
  })

  test('the same seed and actions give the same timeline; another seed gives another', () => {
    const first = scriptedRun('free-play', 7)
    expect(JSON.parse(first).samples.length).toBeGreaterThan(20)
    expect(scriptedRun('free-play', 7)).toBe(first)
    expect(scriptedRun('free-play', 8)).not.toBe(first)
  })

  test('virtual time moves in whole steps, and what is left of a budget-cut run is dropped', () => {
    const engine = new Engine(1, 'free-play', presetSettings('free-play', 1))
    expect(engine.runFor(STEP_MS * 2.5, Number.POSITIVE_INFINITY)).toBe(STEP_MS * 2)
    expect(engine.now()).toBe(STEP_MS * 2)
    // A zero budget runs one step, then keeps at most one step of the backlog.
    expect(engine.runFor(10_000, 0)).toBe(STEP_MS)
    expect(engine.runFor(0, Number.POSITIVE_INFINITY)).toBe(STEP_MS)
  })

  test('scale-in is graceful: the leaving instance gets no more traffic, hands over, and its counts stay', () => {
    const engine = new Engine(1, 'free-play', presetSettings('free-play', 5))
    engine.runFor(1000, Number.POSITIVE_INFINITY)
    engine.scaleIn('nf-2')
    expect(engine.view(1).instances.find((instance) => instance.id === 'nf-2')?.status).toBe('leaving')
    engine.runFor(1500, Number.POSITIVE_INFINITY)
    engine.setTraffic({ ...engine.trafficSettings(), enabled: false })
    engine.runFor(3000, Number.POSITIVE_INFINITY)
    const view = engine.view(1)
    expect(view.instances.map((instance) => instance.id)).toEqual(['nf-1', 'nf-3', 'nf-4'])
    expect(view.converged).toBe(true)
    for (const instance of view.instances) expect(instance.packetsGlobal).toBe(view.trueCount)
    expect(view.events.some((event) => event.text === 'scale-in: nf-2 left')).toBe(true)
  })
})
