/** How numbers read on the page. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/** `1,234,567`. */
export function formatCount(value: number): string {
  return integer.format(value)
}

/** Virtual time as `12.3 s`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

/** `950 B`, `12.3 kB`, `4.56 MB` (decimal units). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)} B`
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(2)} MB`
  return `${(bytes / 1e9).toFixed(2)} GB`
}

/** Compact axis labels: `950`, `12k`, `4.6M`. */
export function formatCompact(value: number): string {
  const magnitude = Math.abs(value)
  if (magnitude >= 1e9) return `${trim(value / 1e9)}G`
  if (magnitude >= 1e6) return `${trim(value / 1e6)}M`
  if (magnitude >= 1e3) return `${trim(value / 1e3)}k`
  return trim(value)
}

function trim(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 1 : 0).replace(/\.0$/, '')
}
