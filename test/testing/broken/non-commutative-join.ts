/**
 * Broken on purpose: a last-writer-wins register whose join keeps its first argument when the
 * timestamps tie, instead of breaking the tie by origin. Two writes made at the same time at two
 * replicas then merge to different winners depending on arrival order.
 */
import { custom } from 'elastic-state'
import { lwwRegister } from '../types/lww-register.js'

export const nonCommutativeRegister = custom({
  ...lwwRegister.definition,
  name: 'broken/non-commutative-register',
  join: (a, b) => (b.timestampMs > a.timestampMs ? b : a),
})
