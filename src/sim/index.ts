/** `elastic-state/sim`: the deterministic simulated network and simulations of replicas on it. */

export { createSimulation } from './simulation.js'
export type { RunUntilConvergedOptions, Simulation, SimulationOptions, SpawnOptions } from './simulation.js'
export { SimNetwork } from './network.js'
export type { InFlightFrame, SimCallbackError, SimNetworkStats, SimTransport } from './network.js'
export type { SimNetworkOptions } from './network-options.js'
