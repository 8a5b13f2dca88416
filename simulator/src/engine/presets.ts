/**
 * Preset scenarios: settings to start from and a script of actions at virtual times. A preset
 * run is a pure function of its seed: the actions happen at fixed virtual times, whatever the
 * speed of the machine.
 */
import type { PresetId, RunSettings, TrafficSettings } from '../protocol.js'

export type PresetAction =
  | { atMs: number; note: string; do: 'scale-out' | 'scale-in' | 'partition' | 'heal' | 'crash' | 'restart' }
  | { atMs: number; note: string; do: 'traffic'; traffic: Partial<TrafficSettings> }

export interface Preset {
  title: string
  description: string
  /** Overrides of the default settings (the seed stays the user's). */
  settings: Partial<Omit<RunSettings, 'seed' | 'traffic'>> & { traffic?: Partial<TrafficSettings> }
  /** In increasing `atMs` order. */
  actions: PresetAction[]
}

export const DEFAULT_SETTINGS: RunSettings = {
  seed: 1,
  instances: 4,
  latencyMinMs: 2,
  latencyMaxMs: 30,
  loss: 0.05,
  duplicate: 0.01,
  intervalMs: 100,
  fanout: 3,
  traffic: { rate: 2000, flows: 200, skew: 1, enabled: true },
}

const repeat = (count: number, startMs: number, everyMs: number, make: (atMs: number, index: number) => PresetAction) =>
  Array.from({ length: count }, (_, index) => make(startMs + index * everyMs, index))

export const PRESETS: Record<PresetId, Preset> = {
  'free-play': {
    title: 'Free play',
    description: 'Four instances and steady traffic. Scale, crash, partition and change the traffic yourself.',
    settings: {},
    actions: [],
  },
  'estate-scale-down': {
    title: 'E-State scale-out / scale-down (4 → 8 → 3)',
    description:
      'The E-State experiment: a traffic monitor on 4 instances under 10 % loss scales out to 8, then ' +
      'gracefully in to 3 while traffic flows. When traffic stops, every survivor\'s global packet ' +
      'count equals the packets sent: scale-in loses no count.',
    settings: {
      instances: 4, latencyMinMs: 1, latencyMaxMs: 20, loss: 0.1, duplicate: 0.02,
      traffic: { rate: 10_000, flows: 1000, skew: 1, enabled: true },
    },
    actions: [
      ...repeat(4, 2000, 100, (atMs, index) => ({ atMs, do: 'scale-out', note: `scale out (${5 + index} instances)` })),
      ...repeat(5, 4000, 500, (atMs, index) => ({ atMs, do: 'scale-in', note: `graceful scale-in (${7 - index} instances)` })),
      { atMs: 8000, do: 'traffic', traffic: { enabled: false }, note: 'traffic stops; the survivors converge' },
    ],
  },
  'partition-burst': {
    title: 'Partition during a traffic burst',
    description:
      'Six instances. The network splits in two halves, then a burst of ten times the traffic hits ' +
      'both sides. Each side keeps counting on its own; after the heal the global views merge ' +
      'and every instance ends with the true count.',
    settings: { instances: 6, traffic: { rate: 2000, flows: 300, skew: 1, enabled: true } },
    actions: [
      { atMs: 2000, do: 'partition', note: 'the network splits in two halves' },
      { atMs: 2500, do: 'traffic', traffic: { rate: 20_000 }, note: 'traffic burst: 20,000 packets/s' },
      { atMs: 4500, do: 'traffic', traffic: { rate: 2000 }, note: 'burst over: 2,000 packets/s' },
      { atMs: 6000, do: 'heal', note: 'the partition heals' },
      { atMs: 8000, do: 'traffic', traffic: { enabled: false }, note: 'traffic stops; all instances converge' },
    ],
  },
  'sixty-four': {
    title: '64 instances',
    description:
      'Sixty-four instances gossiping with fanout 3 under steady traffic; the network splits in two ' +
      'halves at 3 s and heals at 5 s; traffic stops at 7 s. Shows how gossip spreads in a large ' +
      'deployment, and loads the page: the frame rate and the achieved speed are in the header.',
    settings: {
      instances: 64, latencyMinMs: 1, latencyMaxMs: 20, loss: 0.02, duplicate: 0,
      traffic: { rate: 1000, flows: 128, skew: 1, enabled: true },
    },
    actions: [
      { atMs: 3000, do: 'partition', note: 'the network splits in two halves' },
      { atMs: 5000, do: 'heal', note: 'the partition heals' },
      { atMs: 7000, do: 'traffic', traffic: { enabled: false }, note: 'traffic stops; all instances converge' },
    ],
  },
}

export const PRESET_IDS = Object.keys(PRESETS) as PresetId[]

export function isPresetId(value: string): value is PresetId {
  return (PRESET_IDS as string[]).includes(value)
}

/** The settings a preset starts from, with the given seed. */
export function presetSettings(id: PresetId, seed: number): RunSettings {
  const overrides = PRESETS[id].settings
  return {
    ...DEFAULT_SETTINGS,
    ...overrides,
    seed,
    traffic: { ...DEFAULT_SETTINGS.traffic, ...overrides.traffic },
  }
}
