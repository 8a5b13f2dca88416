/** What the harness (run.ts) asks a child process (child.ts) to do, and what the child answers. */
import type { ConvergenceFigures } from './convergence.js'
import type { RunFigures } from './driver.js'
import type { HotPathFigures } from './hot-path.js'
import type { ConvergenceParameters, MicroParameters } from './options.js'
import type { WorkloadParameters } from './packets.js'
import type { RedisEndpoints } from './system.js'

export type Job =
  | { kind: 'system'; system: string; run: number; workload: WorkloadParameters; redis: RedisEndpoints | null }
  | { kind: 'convergence'; parameters: ConvergenceParameters }
  | { kind: 'micro'; parameters: MicroParameters }

export type JobFigures = RunFigures | ConvergenceFigures | HotPathFigures

export type ChildMessage =
  | { type: 'progress'; fraction: number; phase: string }
  | { type: 'result'; figures: JobFigures }
  /** `checkFailed`: the system ran but failed the end-of-run check (it has no result). */
  | { type: 'failed'; reason: string; checkFailed: boolean }
