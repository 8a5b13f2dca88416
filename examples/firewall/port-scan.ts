/**
 * A port-scan detector's state, as a custom type: for every source address, which destination
 * ports it tried, as a 256-bucket bitmap (each port sets one bucket, chosen by hashing it). The
 * distinct-port count is estimated from the empty buckets by linear counting (Whang,
 * Vander-Zanden & Taylor, "A linear-time probabilistic counting algorithm for database
 * applications", 1990): accurate to a few ports up to about a hundred, which is all a scan
 * threshold needs, in 32 bytes per source.
 *
 * Bitmaps only gain bits, and the join is a bitwise OR per source: commutative, associative and
 * idempotent, so every instance reaches the same estimate whatever instance saw which packet.
 */
import { DecodeError, custom } from 'elastic-state'
import { fnv1a32String } from '../../crdts/hash.js'

/** Buckets per source. */
export const BUCKETS = 256
const BYTES = BUCKETS / 8

/** Source address -> bitmap of the buckets its destination ports fell in. */
export type PortBitmaps = Map<string, Uint8Array>

function bucketOf(port: number): number {
  return fnv1a32String(String(port)) % BUCKETS
}

function popcount(bitmap: Uint8Array): number {
  let bits = 0
  for (let byte of bitmap) {
    for (; byte !== 0; byte &= byte - 1) bits++
  }
  return bits
}

/** Estimated number of distinct ports in one bitmap. */
export function estimate(bitmap: Uint8Array | undefined): number {
  if (bitmap === undefined) return 0
  const empty = BUCKETS - popcount(bitmap)
  // All buckets full: the estimate is unbounded; report the last finite one.
  if (empty === 0) return Math.round(BUCKETS * Math.log(BUCKETS))
  return Math.round(-BUCKETS * Math.log(empty / BUCKETS))
}

/** The global view: estimates per source, computed when asked. */
export class PortScanView {
  constructor(private readonly bitmaps: PortBitmaps) {}

  /** Estimated distinct destination ports `source` tried, at any instance. */
  distinctPorts(source: string): number {
    return estimate(this.bitmaps.get(source))
  }

  get sources(): number {
    return this.bitmaps.size
  }
}

export const portScans = custom({
  name: 'examples/port-scans',
  empty: (): PortBitmaps => new Map(),
  join(a, b) {
    const joined = new Map(a)
    for (const [source, bitmap] of b) {
      const mine = joined.get(source)
      if (mine === undefined) {
        joined.set(source, bitmap)
        continue
      }
      const union = new Uint8Array(BYTES)
      for (let i = 0; i < BYTES; i++) union[i] = mine[i]! | bitmap[i]!
      joined.set(source, union)
    }
    return joined
  },
  writes: {
    /** Records that `source` tried `port`; returns false (nothing to send) when its bucket was already set. */
    tried({ own }, source: string, port: number) {
      if (typeof source !== 'string' || source.length === 0) throw new RangeError(`tried takes a source address, got ${String(source)}`)
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`tried takes a port from 0 to 65535, got ${port}`)
      const bucket = bucketOf(port)
      let bitmap = own.get(source)
      const mask = 1 << (bucket & 7)
      if (bitmap !== undefined && (bitmap[bucket >> 3]! & mask) !== 0) return false
      // A stored bitmap is never changed, only replaced: the join shares bitmaps between states.
      bitmap = bitmap === undefined ? new Uint8Array(BYTES) : bitmap.slice()
      bitmap[bucket >> 3]! |= mask
      own.set(source, bitmap)
    },
  },
  global: (bitmaps) => new PortScanView(bitmaps),
  snapshot: (bitmaps) => [...bitmaps].map(([source, bitmap]) => [source, estimate(bitmap)]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
  encode(writer, bitmaps) {
    writer.varUint(bitmaps.size)
    for (const [source, bitmap] of bitmaps) {
      writer.string(source)
      writer.varBytes(bitmap)
    }
  },
  decode(reader) {
    const bitmaps: PortBitmaps = new Map()
    const count = reader.count(reader.remaining, 'source count')
    for (let i = 0; i < count; i++) {
      const source = reader.string('source', 256)
      if (source.length === 0 || bitmaps.has(source)) throw new DecodeError(`port scans: bad or repeated source ${JSON.stringify(source)}`)
      const bitmap = reader.varBytes('bitmap')
      if (bitmap.length !== BYTES) throw new DecodeError(`port scans: a bitmap of ${bitmap.length} bytes, expected ${BYTES}`)
      bitmaps.set(source, bitmap)
    }
    return bitmaps
  },
})
