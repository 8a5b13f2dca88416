/**
 * The simulator's engine without a browser: what the worker runs, driven directly. A preset run
 * ends with every instance's global view exact, a run is a pure function of its seed, settings
 * and actions at virtual times (what makes the seed field worth having), and the network's loss,
 * latency and duplication change during a run without restarting it.
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
  engine.setNetwork({ ...engine.networkSettings(), loss: 0.3, latencyMaxMs: 80 })
  engine.runFor(600, Number.POSITIVE_INFINITY)
  engine.restart(null)
  engine.setNetwork({ ...engine.networkSettings(), duplicate: 0.2 })
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

  test('loss, latency and duplication change live: logged, exported, and the run goes on', () => {
    const engine = new Engine(1, 'free-play', presetSettings('free-play', 4))
    const started = engine.view(1)
    expect(started.settings).toMatchObject({ loss: 0.05, duplicate: 0.01, latencyMinMs: 2, latencyMaxMs: 30 })
    engine.runFor(1000, Number.POSITIVE_INFINITY)
    const before = engine.view(1).network

    engine.setNetwork({ loss: 0.9, duplicate: 0, latencyMinMs: 40, latencyMaxMs: 20 })
    let view = engine.view(1)
    expect(view.runId).toBe(started.runId)
    expect(view.nowMs).toBe(1000)
    // The worker clamps what the form holds: a maximum below the minimum is raised to it.
    expect(engine.networkSettings()).toEqual({ loss: 0.9, duplicate: 0, latencyMinMs: 40, latencyMaxMs: 40 })
    expect(view.settings).toMatchObject({ loss: 0.9, duplicate: 0, latencyMinMs: 40, latencyMaxMs: 40, intervalMs: 100 })
    expect(view.events).toEqual([{
      atMs: 1000, kind: 'network', text: 'network: loss 0.05 → 0.9, latency 2–30 ms → 40–40 ms, duplication 0.01 → 0',
      network: { loss: 0.9, duplicate: 0, latencyMinMs: 40, latencyMaxMs: 40 },
    }])
    // Frames already in flight keep the delivery time they were sent with; new ones take 40 ms.
    expect(view.frames.every((frame) => frame.dueMs - frame.sentMs <= 30)).toBe(true)
    // Sampled every 10 ms step for a second: the frames sent after the change all take 40 ms.
    const sentAfter: { sentMs: number; dueMs: number }[] = []
    for (let step = 0; step < 100; step++) {
      engine.runFor(10, Number.POSITIVE_INFINITY)
      sentAfter.push(...engine.view(1).frames.filter((frame) => frame.sentMs > 1000))
    }
    view = engine.view(1)
    expect(sentAfter.length).toBeGreaterThan(0)
    expect(sentAfter.filter((frame) => frame.dueMs - frame.sentMs !== 40)).toEqual([])
    const sent = view.network.sent - before.sent
    expect((view.network.dropped - before.dropped) / sent).toBeGreaterThan(0.8)
    expect(view.network.duplicated).toBe(before.duplicated)
    // The same settings again change nothing and log nothing.
    engine.setNetwork(engine.networkSettings())
    expect(engine.view(1).events).toEqual([])

    engine.setNetwork({ loss: 0, duplicate: 0, latencyMinMs: 1, latencyMaxMs: 5 })
    engine.setTraffic({ ...engine.trafficSettings(), enabled: false })
    engine.runFor(2000, Number.POSITIVE_INFINITY)
    view = engine.view(1)
    expect(view.converged).toBe(true)
    for (const instance of view.instances) expect(instance.packetsGlobal).toBe(view.trueCount)

    const timeline = JSON.parse(engine.exportTimeline())
    // The timeline keeps the settings the run started from, and each change as an event.
    expect(timeline.settings).toMatchObject({ loss: 0.05, latencyMinMs: 2, latencyMaxMs: 30 })
    expect(timeline.events.filter((event: { kind: string }) => event.kind === 'run')).toHaveLength(1)
    expect(timeline.events.filter((event: { network?: unknown }) => event.network !== undefined).map((event: { atMs: number; network: unknown }) => [event.atMs, event.network])).toEqual([
      [1000, { loss: 0.9, duplicate: 0, latencyMinMs: 40, latencyMaxMs: 40 }],
      [2000, { loss: 0, duplicate: 0, latencyMinMs: 1, latencyMaxMs: 5 }],
    ])
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
