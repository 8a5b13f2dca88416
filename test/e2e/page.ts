/** Reading the simulator page in the browser tests: its read-outs by `data-testid`, and waiting on them. */
import { expect } from 'vitest'
import type { Browser, Page } from 'playwright-core'

export interface SimulatorPage {
  readonly page: Page
  /** Console errors and uncaught exceptions of the page and its worker. */
  readonly errors: string[]
  close(): Promise<void>
}

export const VIEWPORT = { width: 1440, height: 900 }

/** Open the simulator at `hash` (e.g. `#preset=sixty-four&seed=1`) and wait for its first view. */
export async function openSimulator(browser: Browser, baseUrl: string, hash = ''): Promise<SimulatorPage> {
  const context = await browser.newContext({ viewport: VIEWPORT, acceptDownloads: true })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`))
  await page.goto(`${baseUrl}${hash}`)
  await expect.poll(() => text(page, 'instance-count'), { timeout: 15_000 }).not.toBe('0')
  return { page, errors, close: () => context.close() }
}

export async function text(page: Page, testId: string): Promise<string> {
  return ((await page.getByTestId(testId).textContent()) ?? '').trim()
}

/** A count as the page prints it (`12,345`). */
export async function count(page: Page, testId: string): Promise<number> {
  return Number((await text(page, testId)).replace(/,/g, ''))
}

/** Virtual seconds shown in the header (`12.3 s`). */
export async function virtualSeconds(page: Page): Promise<number> {
  return Number.parseFloat(await text(page, 'virtual-time'))
}

/** Every live instance's global packet count, by instance id. */
export async function globalCounts(page: Page): Promise<Map<string, string>> {
  const cells = page.locator('[data-testid^="global-count-"]')
  const entries: [string, string][] = []
  for (const cell of await cells.all()) {
    const testId = (await cell.getAttribute('data-testid')) ?? ''
    entries.push([testId.slice('global-count-'.length), ((await cell.textContent()) ?? '').trim()])
  }
  return new Map(entries)
}

/** The failure banner's text, or '' while the simulation runs fine. */
export async function failure(page: Page): Promise<string> {
  const banner = page.getByTestId('failure')
  return (await banner.isVisible()) ? ((await banner.textContent()) ?? '') : ''
}

export interface FrameTimes {
  frames: number
  seconds: number
  framesPerSecond: number
  medianFrameMs: number
  p95FrameMs: number
  longestFrameMs: number
}

/**
 * Count animation frames in the page for `seconds`. Passed as source text so the test runner's
 * transforms never touch what runs in the browser.
 */
export async function measureFrames(page: Page, seconds: number): Promise<FrameTimes> {
  const intervals = await page.evaluate<number[]>(`new Promise((resolve) => {
    const intervals = []
    let last = performance.now()
    const end = last + ${seconds * 1000}
    const frame = (time) => {
      intervals.push(time - last)
      last = time
      if (time < end) requestAnimationFrame(frame)
      else resolve(intervals)
    }
    requestAnimationFrame(frame)
  })`)
  const sorted = [...intervals].sort((a, b) => a - b)
  const at = (share: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))]!.toFixed(1))
  const total = intervals.reduce((sum, interval) => sum + interval, 0) / 1000
  return {
    frames: intervals.length,
    seconds: Number(total.toFixed(2)),
    framesPerSecond: Number((intervals.length / total).toFixed(1)),
    medianFrameMs: at(0.5),
    p95FrameMs: at(0.95),
    longestFrameMs: at(1),
  }
}
