/** The page's colours for instances, partition sides and statuses (they match styles.css). */

/** A distinct hue per instance number (golden-angle steps), stable across the run. */
export function instanceColor(number: number, alpha = 1): string {
  const hue = (number * 137.508 + 190) % 360
  return `hsla(${hue.toFixed(1)}, 70%, 62%, ${alpha})`
}

/** Partition sides: side 0, side 1, more sides. */
const GROUP_COLORS = ['#4fa3ff', '#ff9f43', '#c56cf0', '#2ed573']

export function groupColor(group: number): string {
  return GROUP_COLORS[group % GROUP_COLORS.length]!
}

export const COLORS = {
  background: '#10151c',
  panel: '#161d27',
  grid: '#263140',
  text: '#c9d4e0',
  muted: '#7d8b9c',
  truth: '#ffffff',
  ok: '#2ed573',
  bad: '#ff6b6b',
  leaving: '#feca57',
  crashed: '#59636f',
  frame: '#7bed9f',
  link: '#5dade2',
  traffic: '#a29bfe',
}
