/** Replicas in this process over real loopback WebSockets. */
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { AuthError, DecodeError, SchemaMismatchError, counter, createReplica, defineState, type ElasticStateError } from 'elastic-state'
import { webSocketTransport } from 'elastic-state/node'
import { type NetReplica, address, sleep, startNode, until } from './helpers.js'
import { PROTOCOL_VERSION } from '../../src/frame.js'

const running: NetReplica[] = []
async function node(id: string, peers: string[], options: Parameters<typeof startNode>[2] = {}): Promise<NetReplica> {
  const replica = await startNode(id, peers, options)
  running.push(replica)
  return replica
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((replica) => replica.stop()))
})

describe('webSocketTransport', () => {
  it('joins through one seed, learns the rest by gossip and converges', async () => {
    const a = await node('a', [])
    const b = await node('b', [address(a)])
    const c = await node('c', [address(a)])
    a.state.packets.increment(1)
    b.state.packets.increment(20)
    c.state.packets.increment(300)
    for (let i = 0; i < 500; i++) c.state.flows.entry(i).packets.increment(i)
    const nodes = [a, b, c]
    await until(() => nodes.every((n) => n.state.packets.global === 321 && n.state.flows.size === 500), 5000, () => JSON.stringify(nodes.map((n) => n.snapshot().packets)))
    await until(() => nodes.every((n) => n.members().length === 3), 5000)
    expect(b.snapshot()).toEqual(c.snapshot())
    expect(a.snapshot()).toEqual(c.snapshot())
    // b knew only a, yet it reached c directly once gossip told it c's address.
    expect(b.transport.stats().dials).toBeGreaterThanOrEqual(2)
  })

  it('refuses frames with the wrong secret, counts and reports them, and keeps running', async () => {
    const a = await node('a', [], { secret: 'right' })
    const errors: ElasticStateError[] = []
    a.on('error', (error) => errors.push(error))
    const b = await node('b', [address(a)], { secret: 'wrong' })
    b.state.packets.increment(5)
    await until(() => a.stats().rejectedByReason.auth > 0, 3000)
    expect(errors.some((error) => error instanceof AuthError)).toBe(true)
    expect(a.state.packets.global).toBe(0)
    expect(a.members()).toEqual(['a'])
    a.state.packets.increment(1)
    expect(a.state.packets.global).toBe(1)
  })

  it('refuses a peer that declared other state', async () => {
    const a = await node('a', [])
    const errors: ElasticStateError[] = []
    a.on('error', (error) => errors.push(error))
    const Other = defineState({ hits: counter() })
    const other = createReplica(Other, { id: 'x', transport: webSocketTransport({ port: 0, peers: [address(a)] }), gossip: { intervalMs: 30 } })
    await other.start()
    other.state.hits.increment(3)
    try {
      await until(() => a.stats().rejectedByReason.schema > 0, 3000)
    } finally {
      await other.stop()
    }
    expect(errors.some((error) => error instanceof SchemaMismatchError)).toBe(true)
    expect(a.members()).toEqual(['a'])
    expect(a.snapshot().packets).toBe(0)
  })

  it('rejects malformed frames sent over a raw socket without a crash or a state change', async () => {
    const a = await node('a', [])
    a.state.packets.increment(7)
    const before = a.snapshot()
    const errors: ElasticStateError[] = []
    a.on('error', (error) => errors.push(error))
    const raw = new WebSocket(address(a))
    await new Promise((resolve, reject) => raw.once('open', resolve).once('error', reject))
    raw.send(new Uint8Array([0xe5, PROTOCOL_VERSION, 2, 3, 4, 5, 6, 7, 8]))
    raw.send(new Uint8Array(1000).fill(0xff))
    raw.send(new Uint8Array([]))
    raw.send('hello? not a frame')
    raw.send('elastic-state/1 ws://127.0.0.1:1')
    raw.send('elastic-state/1 a second hello')
    await until(() => a.stats().framesRejected >= 3, 3000)
    expect(errors.every((error) => error instanceof DecodeError)).toBe(true)
    expect(a.transport.stats().ignoredMessages).toBeGreaterThanOrEqual(2)
    // A message over the frame size limit closes that socket; the replica stays up.
    const closed = new Promise<number>((resolve) => raw.once('close', (code) => resolve(code)))
    raw.send(new Uint8Array((4 << 20) + 16))
    expect(await closed).toBe(1009)
    expect(a.snapshot()).toEqual(before)
    expect(a.status).toBe('running')
    const b = await node('b', [address(a)])
    await until(() => b.state.packets.global === 7, 3000)
  })

  it('reconnects with back-off to a peer that restarts on the same port', async () => {
    const a = await node('a', [])
    const port = Number(new URL(address(a)).port)
    const b = await node('b', [address(a)])
    b.state.packets.increment(2)
    await until(() => a.state.packets.global === 2, 3000)
    await a.stop()
    running.splice(running.indexOf(a), 1)
    b.state.packets.increment(3)
    await sleep(150)
    const a2 = await node('a', [], { ws: { port } })
    await until(() => a2.state.packets.global === 5, 5000, () => JSON.stringify(b.transport.stats()))
    expect(b.transport.stats().dials).toBeGreaterThan(1)
  })

  it('block cuts two groups apart and unblock heals them', async () => {
    const a = await node('a', [])
    const b = await node('b', [address(a)])
    const c = await node('c', [address(a)])
    await until(() => [a, b, c].every((n) => n.members().length === 3), 5000)
    // {a, b} | {c}: each side blocks the other side's addresses.
    for (const side of [a, b]) side.transport.block([address(c)])
    c.transport.block([address(a), address(b)])
    await sleep(100)
    a.state.packets.increment(10)
    c.state.packets.increment(1)
    await until(() => b.state.packets.global === 10, 3000)
    await sleep(300)
    expect(c.state.packets.global).toBe(1)
    expect(a.state.packets.global).toBe(10)
    for (const side of [a, b, c]) side.transport.unblock()
    await until(() => [a, b, c].every((n) => n.state.packets.global === 11), 5000)
  })

  it('drops frames for a peer that never reads, keeping buffered bytes bounded', async () => {
    // A listener that accepts TCP connections and never answers the WebSocket handshake.
    const { createServer } = await import('node:net')
    const sockets: import('node:net').Socket[] = []
    const silent = createServer((socket) => { sockets.push(socket) })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()))
    const port = (silent.address() as import('node:net').AddressInfo).port
    const transport = webSocketTransport({ port: 0, maxQueuedBytes: 64 * 1024 })
    await transport.open('t', () => {})
    try {
      const frame = new Uint8Array(16 * 1024)
      for (let i = 0; i < 100; i++) transport.send(`ws://127.0.0.1:${port}`, frame)
      const stats = transport.stats()
      // 4 frames fit in the queue; the other 96 were dropped, not held.
      expect(stats.dropped.backpressure).toBe(96)
      expect(stats.dials).toBe(1)
    } finally {
      await transport.close()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })

  it('rejects bad options with RangeError', () => {
    expect(() => webSocketTransport({ port: 70_000 })).toThrow(RangeError)
    expect(() => webSocketTransport({ peers: ['http://x'] })).toThrow(RangeError)
    expect(() => webSocketTransport({ maxFrameBytes: -1 })).toThrow(RangeError)
  })
})
