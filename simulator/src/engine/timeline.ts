/**
 * The run's timeline: every sample and event, kept for the JSON export. To stay bounded over
 * long runs it keeps at most `MAX_SAMPLES` samples: when full, it drops every other one, so the
 * whole run stays covered at a coarser resolution (`sampleEveryMs` says which).
 */
import type { PresetId, RunEvent, RunSettings, Sample } from '../protocol.js'

export const SAMPLE_MS = 100
const MAX_SAMPLES = 1200
const MAX_EVENTS = 5000

export interface TimelineExport {
  format: 'elastic-state-simulator-timeline'
  version: 1
  preset: PresetId
  settings: RunSettings
  /** Virtual ms between two kept samples. */
  sampleEveryMs: number
  /** Events dropped from the start because the log was full. */
  eventsDropped: number
  endMs: number
  events: RunEvent[]
  samples: Sample[]
}

export class Timeline {
  private samples: Sample[] = []
  private readonly events: RunEvent[] = []
  private keepEvery = 1
  private sampleCount = 0
  private eventsDropped = 0

  constructor(private readonly preset: PresetId, private readonly settings: RunSettings) {}

  addSample(sample: Sample): void {
    if (this.sampleCount++ % this.keepEvery !== 0) return
    this.samples.push(sample)
    if (this.samples.length >= MAX_SAMPLES) {
      this.samples = this.samples.filter((_, index) => index % 2 === 0)
      this.keepEvery *= 2
    }
  }

  addEvent(event: RunEvent): void {
    this.events.push(event)
    if (this.events.length > MAX_EVENTS) {
      this.events.shift()
      this.eventsDropped++
    }
  }

  toJSON(endMs: number): TimelineExport {
    return {
      format: 'elastic-state-simulator-timeline',
      version: 1,
      preset: this.preset,
      settings: this.settings,
      sampleEveryMs: SAMPLE_MS * this.keepEvery,
      eventsDropped: this.eventsDropped,
      endMs,
      events: this.events,
      samples: this.samples,
    }
  }
}
