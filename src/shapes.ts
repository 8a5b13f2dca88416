/**
 * Instances held for their hidden class.
 *
 * V8's optimized code checks the objects it handles against their hidden class (their "map")
 * and refers to those maps weakly. The map of a short-lived class instance (a frame's `Reader`,
 * an encoder, a flow entry's handle) is reachable only through its instances: a full GC at a
 * quiet moment, when none is alive, frees it, and every function optimized for it is thrown
 * away ("weak objects") and compiled anew the next time it runs. After a forced GC that cost a
 * joiner's first catch-up about 50 ms of recompiling (the whole sync path). One small instance
 * of each such class, held here, keeps its map alive and the optimized code with it.
 *
 * Hold only small instances that reference nothing large: they live as long as the process.
 */
const held: object[] = []

/** Holds `instance` for the life of the process and returns it. */
export function holdShape<T extends object>(instance: T): T {
  held.push(instance)
  return instance
}
