/**
 * Broken on purpose: traffic statistics (packets per writer and the largest packet seen) whose
 * encoding forgets the largest packet, so peers see it as 0.
 */
import { custom } from 'elastic-state'

export interface TrafficStats {
  packets: Map<string, number>
  largestBytes: number
}

export const lossyStats = custom({
  name: 'broken/lossy-stats',
  empty: (): TrafficStats => ({ packets: new Map(), largestBytes: 0 }),
  join(a, b) {
    const packets = new Map(a.packets)
    for (const [writer, count] of b.packets) packets.set(writer, Math.max(count, packets.get(writer) ?? 0))
    return { packets, largestBytes: Math.max(a.largestBytes, b.largestBytes) }
  },
  writes: {
    packet({ own, origin }, sizeBytes: number) {
      own.packets.set(origin, (own.packets.get(origin) ?? 0) + 1)
      own.largestBytes = Math.max(own.largestBytes, sizeBytes)
    },
  },
  global: (stats) => ({ packets: [...stats.packets.values()].reduce((sum, count) => sum + count, 0), largestBytes: stats.largestBytes }),
  encode(writer, stats) {
    writer.varUint(stats.packets.size)
    for (const [origin, count] of stats.packets) {
      writer.string(origin)
      writer.varUint(count)
    }
  },
  decode(reader) {
    const packets = new Map<string, number>()
    const count = reader.count(reader.remaining, 'writer count')
    for (let i = 0; i < count; i++) packets.set(reader.string('writer'), reader.varUint('packets'))
    return { packets, largestBytes: 0 }
  },
})
