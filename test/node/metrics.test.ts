/** Prometheus metrics of a replica, scraped over HTTP. */
import { describe, expect, it } from 'vitest'
import { createMetrics, serveMetrics } from 'elastic-state/node'
import { address, startNode, until } from './helpers.js'

function value(text: string, metric: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(metric))
  if (!line) throw new Error(`no ${metric} in:\n${text}`)
  return Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('metrics', () => {
  it('serves frames, bytes, rejections, members, rounds and per-peer lag at /metrics', async () => {
    const a = await startNode('a', [])
    const b = await startNode('b', [address(a)])
    const server = await serveMetrics(a, { transport: a.transport })
    try {
      b.state.packets.increment(3)
      await until(() => a.state.packets.global === 3 && a.members().length === 2, 3000)
      a.receive(new Uint8Array([1, 2, 3]))
      const response = await fetch(server.url)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toContain('text/plain')
      const text = await response.text()
      expect(value(text, 'elastic_state_members{replica="a"}')).toBe(2)
      expect(value(text, 'elastic_state_frames_received_total{replica="a"}')).toBeGreaterThan(0)
      expect(value(text, 'elastic_state_bytes_received_total{replica="a"}')).toBeGreaterThan(0)
      expect(value(text, 'elastic_state_rounds_total{replica="a"}')).toBeGreaterThan(0)
      expect(value(text, 'elastic_state_frames_rejected_total{replica="a",reason="decode"}')).toBe(1)
      expect(value(text, 'elastic_state_peer_gossip_lag_seconds{replica="a",peer="b"}')).toBeGreaterThanOrEqual(0)
      expect(value(text, 'elastic_state_transport_connections{replica="a"}')).toBeGreaterThan(0)
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404)
    } finally {
      await server.close()
      await Promise.all([a.stop(), b.stop()])
    }
  })

  it('reports a peer that stopped confirming as lagging', async () => {
    const a = await startNode('a', [], { gossip: { intervalMs: 30, failureTimeoutMs: 5000 } })
    const b = await startNode('b', [address(a)], { gossip: { intervalMs: 30, failureTimeoutMs: 5000 } })
    const metrics = createMetrics(a)
    try {
      await until(() => a.members().length === 2, 3000)
      b.transport.block([address(a)])
      a.transport.block([address(b)])
      a.state.packets.increment()
      await a.flush()
      await new Promise((resolve) => setTimeout(resolve, 300))
      const text = await metrics.text()
      expect(value(text, 'elastic_state_peer_gossip_lag_seconds{replica="a",peer="b"}')).toBeGreaterThanOrEqual(0.25)
      expect(value(text, 'elastic_state_gossip_lag_seconds{replica="a"}')).toBeGreaterThanOrEqual(0.25)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  it('rejects a bad prefix or port with RangeError', async () => {
    const a = await startNode('a', [])
    try {
      expect(() => createMetrics(a, { prefix: 'bad prefix' })).toThrow(RangeError)
      await expect(serveMetrics(a, { port: -1 })).rejects.toThrow(RangeError)
    } finally {
      await a.stop()
    }
  })
})
