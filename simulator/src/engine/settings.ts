/** Validation of run and network settings: whatever the form holds, the run gets sane values. */
import type { NetworkSettings, RunSettings } from '../protocol.js'
import { clampTraffic } from './traffic.js'

/** Instances on screen at most (running, leaving and crashed). */
export const MAX_INSTANCES = 96

function clamp(value: number, min: number, max: number, fallback: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback
}

/** Network settings the simulated network accepts: a maximum below the minimum is raised to it. */
export function clampNetwork(settings: NetworkSettings): NetworkSettings {
  const latencyMinMs = Math.round(clamp(settings.latencyMinMs, 0, 2000, 2))
  return {
    latencyMinMs,
    latencyMaxMs: Math.round(clamp(settings.latencyMaxMs, latencyMinMs, 2000, latencyMinMs)),
    loss: clamp(settings.loss, 0, 0.9, 0),
    duplicate: clamp(settings.duplicate, 0, 0.9, 0),
  }
}

export function clampSettings(settings: RunSettings): RunSettings {
  return {
    seed: Number.isSafeInteger(settings.seed) ? settings.seed : 1,
    instances: Math.round(clamp(settings.instances, 1, 64, 4)),
    ...clampNetwork(settings),
    intervalMs: Math.round(clamp(settings.intervalMs, 10, 5000, 100)),
    fanout: Math.round(clamp(settings.fanout, 1, 16, 3)),
    traffic: clampTraffic(settings.traffic),
  }
}
