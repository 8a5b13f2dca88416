/**
 * What the page and the simulation worker tell each other: the page sends commands, the worker
 * answers with views of the run (at most a few dozen a second) and with exported timelines.
 * Everything here is plain data, so it crosses `postMessage` as it is.
 */

export type PresetId = 'free-play' | 'estate-scale-down' | 'partition-burst' | 'sixty-four'

/** The traffic source; changes apply at once, without restarting the run. */
export interface TrafficSettings {
  /** Packets per virtual second. */
  rate: number
  /** Distinct flows (5-tuples) the source draws from. */
  flows: number
  /** Zipf exponent of flow popularity: 0 is uniform, 1 is classic Zipf, larger is more skewed. */
  skew: number
  enabled: boolean
}

/**
 * The simulated network's faults; changes apply at once, without restarting the run (frames
 * already in flight keep their delivery time, see `Simulation.configure`).
 */
export interface NetworkSettings {
  latencyMinMs: number
  latencyMaxMs: number
  /** Probability that a frame is lost. */
  loss: number
  /** Probability that a frame is delivered twice. */
  duplicate: number
}

/**
 * Everything a run starts from. The network settings and the traffic can change during the run;
 * a replica fixes its gossip interval and fanout when it is created, so changing those starts a
 * new run.
 */
export interface RunSettings extends NetworkSettings {
  seed: number
  /** Instances spawned at the start. */
  instances: number
  intervalMs: number
  fanout: number
  traffic: TrafficSettings
}

export type Command =
  | { type: 'start'; preset: PresetId; settings: RunSettings }
  | { type: 'play' }
  | { type: 'pause' }
  /** Advance one simulation step (10 virtual ms) and pause. */
  | { type: 'step' }
  | { type: 'speed'; speed: number }
  | { type: 'scale-out' }
  /** Graceful scale-in of `id`, or of the newest running instance. */
  | { type: 'scale-in'; id: string | null }
  | { type: 'crash'; id: string | null }
  | { type: 'restart'; id: string | null }
  /** Split the live instances in two halves, or cut `isolate` off from the rest. */
  | { type: 'partition'; isolate: string | null }
  | { type: 'heal' }
  | { type: 'traffic'; traffic: TrafficSettings }
  | { type: 'network'; network: NetworkSettings }
  | { type: 'select'; id: string | null }
  | { type: 'export' }

export type InstanceStatus = 'running' | 'leaving' | 'crashed'

export interface InstanceView {
  id: string
  /** Position in spawn order (1 for nf-1): fixes the instance's colour and place. */
  number: number
  incarnation: number
  status: InstanceStatus
  /** Index of its partition group, or -1 when the network is whole. */
  group: number
  packetsLocal: number
  packetsGlobal: number
  matchesLocal: number
  matchesGlobal: number
  /** Flow-table entries with a count written by this instance (its local view). */
  flowsLocal: number
  /** Flow-table entries in the global view. */
  flowsGlobal: number
  /** Sum of the packet rates the live instances published (perInstance, reduce sum). */
  rateGlobal: number
  members: number
  lagMs: number
  bytesSentPerSec: number
  /** Packets per virtual second the load balancer sent here over the last second. */
  routedPerSec: number
}

/** One frame copy on its way between two instances (see SimNetwork.framesInFlight). */
export interface FrameView {
  from: string
  to: string
  sentMs: number
  dueMs: number
  sizeBytes: number
}

/** A pair of instances and how busy gossip between them was recently (decayed frame count). */
export interface LinkView {
  a: string
  b: string
  weight: number
}

export interface FlowRow {
  key: string
  truePackets: number
  localPackets: number
  globalPackets: number
  globalBytes: number
  globalMatches: number
}

export interface SampleInstance {
  id: string
  local: number
  global: number
  lagMs: number
  bytesSentPerSec: number
  status: InstanceStatus
}

/** The state of the run every 100 virtual ms: what the charts draw and the timeline keeps. */
export interface Sample {
  atMs: number
  trueCount: number
  converged: boolean
  /** Bytes per virtual second handed to the network by all instances. */
  bytesPerSec: number
  instances: SampleInstance[]
}

export type RunEventKind = 'run' | 'scale' | 'failure' | 'network' | 'traffic' | 'preset' | 'convergence' | 'error'

export interface RunEvent {
  atMs: number
  kind: RunEventKind
  text: string
  /** On a change of the network settings: all of them, as they are from `atMs` on. */
  network?: NetworkSettings
}

export interface NetworkView {
  sent: number
  delivered: number
  dropped: number
  duplicated: number
  inFlight: number
}

export interface View {
  /** Changes when a new run starts: the page then forgets the old run's charts and log. */
  runId: number
  preset: PresetId
  presetTitle: string
  /** What the preset does next, or that it is done (contains `done` then). */
  presetStatus: string
  /** The run's settings as they are now (network and traffic may have changed since the start). */
  settings: RunSettings
  nowMs: number
  playing: boolean
  speed: number
  /** Virtual ms per wall ms actually achieved over the last second. */
  achievedSpeed: number
  trueCount: number
  converged: boolean
  /** Virtual time since which the indicator has said what it says. */
  convergedSinceMs: number
  partition: string[][] | null
  instances: InstanceView[]
  frames: FrameView[]
  links: LinkView[]
  /** Samples and events new since the previous view. */
  samples: Sample[]
  events: RunEvent[]
  network: NetworkView
  selected: { id: string; flows: FlowRow[] } | null
}

export type WorkerMessage =
  | { type: 'view'; view: View }
  | { type: 'timeline'; fileName: string; json: string }
  | { type: 'failure'; message: string }
