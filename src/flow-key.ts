/** Canonical string keys for flows. */

/**
 * A flow's addresses, ports and protocol, for `flowKey`.
 * @example
 * ```ts
 * import { flowKey, type FiveTuple } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const tuple: FiveTuple = { src: '10.0.3.7', sport: 51234, dst: '10.1.0.2', dport: 53, proto: 17 }
 * assert.equal(flowKey(tuple), '10.0.3.7:51234>10.1.0.2:53/17')
 * ```
 */
export interface FiveTuple {
  src: string
  sport: number
  dst: string
  dport: number
  /** IP protocol number (6 = TCP, 17 = UDP) or name. */
  proto: number | string
}

function assertPort(port: unknown, what: string): void {
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535) {
    throw new RangeError(`flowKey ${what} must be an integer port 0-65535, got ${String(port)}`)
  }
}

/**
 * The canonical key of a 5-tuple, `src:sport>dst:dport/proto`, e.g. `10.0.3.7:51234>10.1.0.2:443/6`.
 * @throws RangeError for a missing address, a port outside 0-65535 or a missing protocol.
 * @example
 * ```ts
 * import { counter, flowTable, defineState, createReplica, flowKey } from 'elastic-state'
 * import assert from 'node:assert/strict'
 * const key = flowKey({ src: '10.0.3.7', sport: 51234, dst: '10.1.0.2', dport: 443, proto: 'tcp' })
 * assert.equal(key, '10.0.3.7:51234>10.1.0.2:443/tcp')
 * const replica = createReplica(defineState({ flows: flowTable({ fields: { packets: counter() } }) }), { id: 'solo' })
 * replica.state.flows.entry(key).packets.increment()
 * assert.throws(() => flowKey({ src: '10.0.3.7', sport: 70000, dst: '10.1.0.2', dport: 443, proto: 6 }), RangeError)
 * ```
 */
export function flowKey(tuple: FiveTuple): string {
  if (!tuple || typeof tuple.src !== 'string' || tuple.src === '' || typeof tuple.dst !== 'string' || tuple.dst === '') {
    throw new RangeError('flowKey needs string src and dst addresses')
  }
  assertPort(tuple.sport, 'sport')
  assertPort(tuple.dport, 'dport')
  if (!(typeof tuple.proto === 'number' && Number.isInteger(tuple.proto) && tuple.proto >= 0 && tuple.proto <= 255) && !(typeof tuple.proto === 'string' && tuple.proto !== '')) {
    throw new RangeError(`flowKey proto must be a protocol number 0-255 or a name, got ${String(tuple.proto)}`)
  }
  return `${tuple.src}:${tuple.sport}>${tuple.dst}:${tuple.dport}/${tuple.proto}`
}
