/** Replicas over wss:// with a certificate made for the test by openssl. */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { address, startNode, until } from './helpers.js'

let dir = ''
let key: Buffer
let cert: Buffer

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'es-tls-'))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
  key = readFileSync(join(dir, 'key.pem'))
  cert = readFileSync(join(dir, 'cert.pem'))
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('webSocketTransport with TLS', () => {
  it('replicates over wss:// between replicas that trust the certificate', async () => {
    const tls = { key, cert, ca: cert }
    const a = await startNode('a', [], { ws: { tls } })
    const b = await startNode('b', [address(a)], { ws: { tls } })
    try {
      expect(address(a)).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/)
      a.state.packets.increment(4)
      b.state.packets.increment(6)
      await until(() => a.state.packets.global === 10 && b.state.packets.global === 10, 5000)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  it('does not replicate to a peer whose certificate it does not trust', async () => {
    const a = await startNode('a', [], { ws: { tls: { key, cert } } })
    // b verifies certificates against the system's authorities, which do not include a's.
    const b = await startNode('b', [address(a)], { ws: { tls: { key, cert } } })
    try {
      b.state.packets.increment(6)
      await new Promise((resolve) => setTimeout(resolve, 400))
      expect(a.state.packets.global).toBe(0)
      expect(a.members()).toEqual(['a'])
      // Every failed handshake is followed by a redial after back-off.
      expect(b.transport.stats().dials).toBeGreaterThan(1)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })
})
