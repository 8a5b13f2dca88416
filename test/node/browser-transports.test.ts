/** The transports for browsers, exercised in Node: BroadcastChannel, and the WebSocket client against a Node replica. */
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { broadcastChannelTransport, createReplica, webSocketClientTransport, type Replica } from 'elastic-state'
import { NetState, address, startNode, until } from './helpers.js'

const running: Replica[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((replica) => replica.stop()))
})

describe('broadcastChannelTransport', () => {
  it('replicas in one room find each other without seeds and converge', async () => {
    const make = (id: string) => {
      const replica = createReplica(NetState, { id, transport: broadcastChannelTransport({ room: 'test-room' }), gossip: { intervalMs: 20 } })
      running.push(replica)
      return replica
    }
    const [a, b, c] = [make('a'), make('b'), make('c')]
    await Promise.all([a.start(), b.start(), c.start()])
    a.state.packets.increment(1)
    b.state.packets.increment(2)
    c.state.flows.entry('f').packets.increment(3)
    await until(() => [a, b, c].every((r) => r.state.packets.global === 3 && r.state.flows.get('f')?.packets.global === 3), 3000)
    expect([a, b, c].every((r) => r.members().length === 3)).toBe(true)
  })

  it('keeps rooms apart', async () => {
    const a = createReplica(NetState, { id: 'a', transport: broadcastChannelTransport({ room: 'room-1' }), gossip: { intervalMs: 20 } })
    const b = createReplica(NetState, { id: 'b', transport: broadcastChannelTransport({ room: 'room-2' }), gossip: { intervalMs: 20 } })
    running.push(a, b)
    await Promise.all([a.start(), b.start()])
    a.state.packets.increment(5)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(b.state.packets.global).toBe(0)
    expect(a.members()).toEqual(['a'])
  })
})

describe('webSocketClientTransport', () => {
  it('a replica that cannot listen syncs with a Node replica through the socket it opened', async () => {
    const server = await startNode('server', [])
    running.push(server)
    const client = createReplica(NetState, {
      id: 'tab',
      transport: webSocketClientTransport({ peers: [address(server)], WebSocket, backoffMinMs: 20 }),
      gossip: { intervalMs: 30 },
    })
    running.push(client)
    await client.start()
    client.state.packets.increment(4)
    server.state.packets.increment(6)
    await until(() => client.state.packets.global === 10 && server.state.packets.global === 10, 3000)
    expect(server.members()).toEqual(['server', 'tab'])
  })

  it('rejects bad options with RangeError', () => {
    expect(() => webSocketClientTransport({ peers: [] , WebSocket })).toThrow(RangeError)
    expect(() => webSocketClientTransport({ peers: ['tcp://x'], WebSocket })).toThrow(RangeError)
  })
})
