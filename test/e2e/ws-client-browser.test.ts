/**
 * The WebSocket client transport in a real Chromium against a Node replica: the page's bundle
 * (built here with Vite) dials the Node replica, and both see each other's writes.
 */
import { createServer, type Server } from 'node:http'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { build } from 'vite'
import type { Browser } from 'playwright-core'
import { counter, createReplica, defineState } from 'elastic-state'
import { webSocketTransport } from 'elastic-state/node'
import { launchChromium } from './browser.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
let outDir = ''
let server: Server
let pageUrl = ''
let browser: Browser

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'es-ws-page-'))
  await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { alias: { 'elastic-state': join(root, 'src', 'index.ts') } },
    build: {
      outDir, emptyOutDir: true, minify: false, target: 'es2022',
      lib: { entry: join(root, 'test', 'e2e', 'fixtures', 'ws-client-page.ts'), formats: ['es'], fileName: () => 'page.js' },
    },
  })
  writeFileSync(join(outDir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>')
  server = createServer((request, response) => {
    const name = (request.url ?? '/').split('?')[0] === '/page.js' ? 'page.js' : 'index.html'
    response.writeHead(200, { 'content-type': name.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(readFileSync(join(outDir, name)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  rmSync(outDir, { recursive: true, force: true })
})

describe('webSocketClientTransport in Chromium', () => {
  it('a tab and a Node replica replicate over the socket the tab opened', async () => {
    const Shared = defineState({ packets: counter() })
    const transport = webSocketTransport({ port: 0 })
    const node = createReplica(Shared, { id: 'node', transport, gossip: { intervalMs: 30 }, secret: 'browser-test' })
    await node.start()
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()) })
    try {
      node.state.packets.increment(5)
      await page.goto(`${pageUrl}?peer=${encodeURIComponent(transport.address!)}`)
      await page.waitForFunction(() => {
        const read = (window as unknown as { replicaView?: () => { packets: number } }).replicaView
        return read !== undefined && read().packets === 12
      }, undefined, { timeout: 10_000 })
      const deadline = Date.now() + 5000
      while (node.state.packets.global !== 12 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(node.state.packets.global).toBe(12)
      expect(node.members()).toEqual(['node', 'tab'])
      const view = await page.evaluate(() => (window as unknown as { replicaView: () => { members: string[] } }).replicaView())
      expect(view.members).toEqual(['node', 'tab'])
      expect(errors).toEqual([])
    } finally {
      await page.close()
      await node.stop()
    }
  })
})
