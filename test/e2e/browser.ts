/**
 * Headless Chromium for the browser tests: Debian's `chromium` (CI installs it), driven by
 * playwright-core, with everything that would reach the internet turned off.
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

const CHROMIUM_PATHS = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
  (path): path is string => path !== undefined && path !== '',
)

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** @throws Error naming the paths tried when no Chromium is installed. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = CHROMIUM_PATHS.find((path) => existsSync(path))
  if (executablePath === undefined) {
    throw new Error(`no Chromium found (tried ${CHROMIUM_PATHS.join(', ')}); install Debian's chromium or set CHROMIUM_PATH`)
  }
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS })
}
