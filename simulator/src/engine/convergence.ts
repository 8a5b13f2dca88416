/**
 * The convergence indicator: whether all live instances agree (their `snapshot()`s are equal, as
 * `Simulation.converged()` checks) and since when. It re-checks only after some replica reported
 * a change, and compares the global packet counts first, which settles most checks while
 * traffic flows without building any snapshot.
 */
import type { Simulation } from 'elastic-state/sim'
import type { MonitorReplica } from './monitor.js'

export class ConvergenceTracker {
  converged = true
  /** Virtual time since which `converged` has held its value. */
  sinceMs = 0
  private dirty = true
  private lastChangeMs = 0
  /** The first change after the last agreement: when the instances stopped agreeing. */
  private firstChangeMs: number | undefined

  /** A live replica's state or membership changed at `nowMs`. */
  noteChange(nowMs: number): void {
    this.dirty = true
    this.lastChangeMs = nowMs
    if (this.firstChangeMs === undefined) this.firstChangeMs = nowMs
  }

  /** Re-check agreement when something changed since the last check; returns `converged`. */
  evaluate(sim: Simulation, live: readonly MonitorReplica[]): boolean {
    if (!this.dirty) return this.converged
    this.dirty = false
    const agreed = this.cheapAgreement(live) && sim.converged()
    if (agreed) {
      // Nothing has changed since the last change: they have agreed since then.
      this.sinceMs = this.lastChangeMs
      this.firstChangeMs = undefined
    } else if (this.converged) {
      this.sinceMs = this.firstChangeMs ?? this.lastChangeMs
    }
    this.converged = agreed
    return agreed
  }

  private cheapAgreement(live: readonly MonitorReplica[]): boolean {
    if (live.length < 2) return true
    const packets = live[0]!.state.packets.global
    const flows = live[0]!.state.flows.size
    return live.every((replica) => replica.state.packets.global === packets && replica.state.flows.size === flows)
  }
}
