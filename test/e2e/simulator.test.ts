/**
 * The browser simulator end to end: build the static site (`npm run build:simulator`), serve it
 * on a loopback port, and drive it in headless Chromium. Writes a screenshot and the measured
 * frame rate with 64 instances to test-results/; with SIMULATOR_DOCS_SCREENSHOT=1 the screenshot
 * also replaces docs/images/simulator.png.
 */
import { execFile } from 'node:child_process'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium } from './browser.js'
import { count, failure, globalCounts, measureFrames, openSimulator, text, virtualSeconds, type SimulatorPage } from './page.js'
import { serveStatic, type StaticServer } from './static-server.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const resultsDir = join(root, 'test-results')
const screenshotPath = join(resultsDir, 'simulator.png')

let server: StaticServer
let browser: Browser
let open: SimulatorPage | undefined

beforeAll(async () => {
  await promisify(execFile)('npm', ['run', 'build:simulator'], { cwd: root, maxBuffer: 16 << 20 })
  server = await serveStatic(join(root, 'simulator', 'dist'))
  browser = await launchChromium()
  await mkdir(resultsDir, { recursive: true })
}, 180_000)

afterAll(async () => {
  await open?.close()
  await browser?.close()
  await server?.close()
})

/** Open the page for one test; the previous test's page is closed first. */
async function simulator(hash = ''): Promise<SimulatorPage> {
  await open?.close()
  open = await openSimulator(browser, server.url, hash)
  return open
}

/** The page is healthy: no console error, no page error, no failure banner. */
async function expectHealthy({ page, errors }: SimulatorPage): Promise<void> {
  expect(await failure(page)).toBe('')
  expect(errors).toEqual([])
}

/** Every live instance's global count is the true count. */
async function expectExactCounts({ page }: SimulatorPage): Promise<void> {
  const trueCount = await text(page, 'true-count')
  const counts = await globalCounts(page)
  expect(counts.size).toBe(await count(page, 'instance-count'))
  expect(await count(page, 'true-count')).toBeGreaterThan(0)
  for (const [id, global] of counts) expect({ id, global }).toEqual({ id, global: trueCount })
}

/**
 * Step (10 virtual ms at a time, at most 30 times) until frames are in flight for two steps in a
 * row, so that some are drawn on their way rather than just leaving their sender: for the picture.
 */
async function stepUntilFramesInFlight(page: Page): Promise<void> {
  let inFlightSteps = 0
  for (let attempt = 0; attempt < 30 && inFlightSteps < 2; attempt++) {
    const before = await text(page, 'virtual-time')
    await page.getByTestId('step').click()
    await expect.poll(() => text(page, 'virtual-time'), { timeout: 5000 }).not.toBe(before)
    inFlightSteps = (await count(page, 'network-in-flight')) > 0 ? inFlightSteps + 1 : 0
  }
}

describe('browser simulator', () => {
  test('loads and runs with no console errors', async () => {
    const run = await simulator()
    const { page } = run
    expect(await text(page, 'instance-count')).toBe('4')
    await expect.poll(() => virtualSeconds(page), { timeout: 20_000 }).toBeGreaterThan(1)
    expect(await count(page, 'true-count')).toBeGreaterThan(0)
    expect(['yes', 'no']).toContain(await text(page, 'converged'))
    expect((await globalCounts(page)).size).toBe(4)
    await expectHealthy(run)
  })

  test('scaling out adds instances', async () => {
    const run = await simulator()
    const { page } = run
    const before = await count(page, 'instance-count')
    await page.getByTestId('scale-out').click()
    await page.getByTestId('scale-out').click()
    await expect.poll(() => count(page, 'instance-count'), { timeout: 10_000 }).toBe(before + 2)
    await expect.poll(async () => [...(await globalCounts(page)).keys()].sort(), { timeout: 10_000 })
      .toEqual(['nf-1', 'nf-2', 'nf-3', 'nf-4', 'nf-5', 'nf-6'])
    await expectHealthy(run)
  })

  test('crash and restart: the instance goes, comes back with a new incarnation and catches up', async () => {
    const run = await simulator()
    const { page } = run
    await page.getByTestId('instance-nf-2').click()
    await expect.poll(() => text(page, 'selected-id'), { timeout: 5000 }).toBe('nf-2')
    await page.getByTestId('crash').click()
    await expect.poll(() => text(page, 'status-nf-2'), { timeout: 5000 }).toBe('crashed')
    expect(await text(page, 'instance-count')).toBe('3')
    expect((await globalCounts(page)).has('nf-2')).toBe(false)
    await page.getByTestId('restart').click()
    await expect.poll(() => text(page, 'status-nf-2'), { timeout: 5000 }).toBe('running')
    expect(await text(page, 'instance-count')).toBe('4')
    // Restarted empty, it learns the others' counts from gossip.
    await expect.poll(async () => count(page, 'global-count-nf-2'), { timeout: 20_000 }).toBeGreaterThan(await count(page, 'local-count-nf-1'))
    await expectHealthy(run)
  })

  test('a partition makes converged say no; healing brings yes with every global count = true count', async () => {
    const run = await simulator()
    const { page } = run
    await page.getByTestId('speed').selectOption('4')
    await page.getByTestId('partition').click()
    await expect.poll(() => text(page, 'partition-state'), { timeout: 10_000 }).toContain('partitioned')
    const partitionedAt = await virtualSeconds(page)
    await expect.poll(() => text(page, 'converged'), { timeout: 20_000 }).toBe('no')
    // Let both sides count on their own for a while, then stop the traffic and heal.
    await expect.poll(() => virtualSeconds(page), { timeout: 20_000 }).toBeGreaterThan(partitionedAt + 1.5)
    await page.getByTestId('traffic').uncheck()
    expect(await text(page, 'converged')).toBe('no')
    await page.getByTestId('heal').click()
    await expect.poll(() => text(page, 'converged'), { timeout: 30_000 }).toBe('yes')
    expect(await text(page, 'converged-since')).toMatch(/^since \d+\.\d s$/)
    await expectExactCounts(run)
    await expectHealthy(run)
  })

  test('the partition-during-a-burst preset runs to the end and converges exactly', async () => {
    const run = await simulator('#preset=partition-burst&seed=3')
    const { page } = run
    expect(await text(page, 'instance-count')).toBe('6')
    await page.getByTestId('speed').selectOption('2')
    // Mid-run, after the heal and before the traffic stops: what the docs show.
    await expect.poll(() => virtualSeconds(page), { timeout: 30_000 }).toBeGreaterThan(6.8)
    await page.getByTestId('pause').click()
    await expect.poll(() => text(page, 'achieved-speed'), { timeout: 5000 }).toBe('paused')
    await stepUntilFramesInFlight(page)
    await page.screenshot({ path: screenshotPath })
    if (process.env.SIMULATOR_DOCS_SCREENSHOT === '1') {
      await copyFile(screenshotPath, join(root, 'docs', 'images', 'simulator.png'))
    }
    await page.getByTestId('speed').selectOption('10')
    await page.getByTestId('play').click()
    await expect.poll(() => text(page, 'preset-status'), { timeout: 30_000 }).toContain('done')
    await expect.poll(() => text(page, 'converged'), { timeout: 30_000 }).toBe('yes')
    await expectExactCounts(run)
    await expectHealthy(run)
  })

  test('the E-State scale-down preset ends with 3 instances and no count lost', async () => {
    const run = await simulator('#preset=estate-scale-down&seed=1')
    const { page } = run
    await page.getByTestId('speed').selectOption('10')
    await expect.poll(() => text(page, 'preset-status'), { timeout: 45_000, interval: 250 }).toContain('done')
    await expect.poll(() => text(page, 'instance-count'), { timeout: 20_000 }).toBe('3')
    await expect.poll(() => text(page, 'converged'), { timeout: 30_000 }).toBe('yes')
    await expectExactCounts(run)
    await expectHealthy(run)
  })

  test('loss changes live, in the event log; the timeline exports as JSON with the change', async () => {
    const run = await simulator('#seed=42')
    const { page } = run
    await expect.poll(() => virtualSeconds(page), { timeout: 20_000 }).toBeGreaterThan(0.5)
    // Committed with Enter, the new loss applies to the running simulation: no new run starts.
    await page.getByTestId('loss').fill('0.5')
    await page.getByTestId('loss').press('Enter')
    await expect.poll(() => text(page, 'event-log'), { timeout: 5000 }).toContain('network: loss 0.05 → 0.5')
    expect(await virtualSeconds(page)).toBeGreaterThan(0.5)
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()])
    expect(download.suggestedFilename()).toMatch(/^elastic-state-free-play-seed-42-\d+ms\.json$/)
    const timeline = JSON.parse(await readFile(await download.path(), 'utf8'))
    expect(timeline).toMatchObject({ format: 'elastic-state-simulator-timeline', version: 1, preset: 'free-play', settings: { seed: 42 } })
    expect(timeline.samples.length).toBeGreaterThan(3)
    expect(timeline.samples[0].instances).toHaveLength(4)
    expect(timeline.events[0].text).toContain('run starts')
    expect(timeline.events.filter((event: { kind: string }) => event.kind === 'run')).toHaveLength(1)
    // The settings the run started from, then the change at the virtual time it arrived.
    expect(timeline.settings.loss).toBe(0.05)
    const change = timeline.events.find((event: { kind: string }) => event.kind === 'network')
    expect(change).toMatchObject({ network: { loss: 0.5, latencyMinMs: 2, latencyMaxMs: 30, duplicate: 0.01 } })
    expect(change.atMs).toBeGreaterThan(500)
    await expectHealthy(run)
  })

  test('frame rate with 64 instances (measured and reported, not asserted)', async () => {
    const run = await simulator('#preset=sixty-four&seed=1')
    const { page } = run
    expect(await text(page, 'instance-count')).toBe('64')
    await page.waitForTimeout(1500)
    const running = await measureFrames(page, 5)
    const achievedSimulationSpeed = await text(page, 'achieved-speed')
    const virtualTime = await text(page, 'virtual-time')
    // The same page with the worker idle: what drawing alone costs, without the simulation's CPU.
    await page.getByTestId('pause').click()
    await expect.poll(() => text(page, 'achieved-speed'), { timeout: 5000 }).toBe('paused')
    const paused = await measureFrames(page, 3)
    const report = { instances: 64, running, paused, achievedSimulationSpeed, virtualTime }
    console.log(`simulator frame rate with 64 instances: ${JSON.stringify(report)}`)
    await writeFile(join(resultsDir, 'simulator-frame-rate.json'), `${JSON.stringify(report, null, 2)}\n`)
    expect(running.frames).toBeGreaterThan(0)
    await expectHealthy(run)
  })
})
