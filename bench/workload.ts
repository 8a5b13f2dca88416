/** Shared pieces of the benchmark workload (../shared/WORKLOAD.md): seeded PRNG, Zipf flows, 5-tuple keys. */
import * as prng from 'lib0/prng'

export type Random = prng.PRNG

export function createRandom(seed: number): Random {
  return prng.create(seed)
}

/** Cumulative Zipf(s) distribution over ranks 1..n, for sampling by binary search. */
export function zipfTable(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n)
  let total = 0
  for (let rank = 1; rank <= n; rank++) total += 1 / rank ** s
  let running = 0
  for (let rank = 1; rank <= n; rank++) {
    running += 1 / rank ** s / total
    cdf[rank - 1] = running
  }
  cdf[n - 1] = 1
  return cdf
}

export function sampleZipf(cdf: Float64Array, random: Random): number {
  const u = random.next()
  let low = 0
  let high = cdf.length - 1
  while (low < high) {
    const mid = (low + high) >>> 1
    if (cdf[mid]! < u) low = mid + 1
    else high = mid
  }
  return low
}

/** Deterministic 5-tuple key of flow number `flow`, e.g. `10.0.3.7:51234>10.1.0.2:443/6`. */
export function flowKeyOf(flow: number): string {
  const src = `10.${(flow >>> 16) & 255}.${(flow >>> 8) & 255}.${flow & 255}`
  const sport = 1024 + (flow * 7919) % 60000
  const dst = `10.1.${(flow * 31) & 255}.${(flow * 17) & 255}`
  const dport = [443, 80, 53, 22][flow & 3]!
  return `${src}:${sport}>${dst}:${dport}/${flow % 5 === 0 ? 17 : 6}`
}

/** Packet sizes drawn from {64, 576, 1500} with weights 0.5, 0.2, 0.3. */
export function packetSize(random: Random): number {
  const u = random.next()
  return u < 0.5 ? 64 : u < 0.7 ? 576 : 1500
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >>> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
