/**
 * Per-peer inbound limits over real loopback WebSockets: a peer flooding frames is cut to its
 * frame rate and its bytes in flight, its drops are counted (transport stats, replica stats,
 * metrics), and the honest replicas keep converging, their own frames never dropped.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createMetrics, webSocketTransport } from 'elastic-state/node'
import { MAGIC, PROTOCOL_VERSION } from '../../src/frame.js'
import { type SocketLike, SocketLinks, copyStats, resolveLinkLimits } from '../../src/socket-links.js'
import { type NetReplica, address, sleep, startNode, until } from './helpers.js'

const running: NetReplica[] = []
const sockets: WebSocket[] = []
async function node(id: string, peers: string[], options: Parameters<typeof startNode>[2] = {}): Promise<NetReplica> {
  const replica = await startNode(id, peers, options)
  running.push(replica)
  return replica
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate()
  await Promise.all(running.splice(0).map((replica) => replica.stop()))
})

const FLOODER = 'ws://flooder.invalid:1'

/** A raw socket to `target` that names itself `FLOODER` in its hello. */
async function flooder(target: string): Promise<WebSocket> {
  const socket = new WebSocket(target)
  sockets.push(socket)
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
  socket.send(`elastic-state/1 ${FLOODER}`)
  return socket
}

/** An authenticated-looking frame with a wrong tag: each one costs the receiver an HMAC over `sizeBytes`. */
function forgedFrame(sizeBytes: number): Uint8Array {
  const frame = new Uint8Array(sizeBytes)
  for (let i = 0; i < sizeBytes; i++) frame[i] = (i * 131 + 7) & 0xff
  frame.set([MAGIC, PROTOCOL_VERSION, 1])
  return frame
}

describe('per-peer inbound limits', () => {
  it('a flooding peer is cut to its frame rate while two honest replicas keep converging', async () => {
    const secret = 'cluster-key'
    const a = await node('a', [], { secret })
    const b = await node('b', [address(a)], { secret })
    await until(() => a.members().length === 2 && b.members().length === 2, 5000)
    const raw = await flooder(address(a))

    // 100 frames every 5 ms, for about 1.5 s: up to 20,000 a second, ten times the default limit of 2,000.
    const frame = forgedFrame(4096)
    let floodSent = 0
    const flood = setInterval(() => {
      for (let i = 0; i < 100; i++) raw.send(frame)
      floodSent += 100
    }, 5)
    const lagsMs: number[] = []
    try {
      for (let write = 1; write <= 10; write++) {
        const written = Date.now()
        b.state.packets.increment(1)
        await until(() => a.state.packets.global === write, 3000, () => `write ${write} did not reach a: ${JSON.stringify(a.transport.stats())}`)
        lagsMs.push(Date.now() - written)
        await sleep(100)
      }
    } finally {
      clearInterval(flood)
    }
    await sleep(100)

    const stats = a.transport.stats()
    expect(floodSent).toBeGreaterThan(2000)
    expect(stats.droppedInbound.rate).toBeGreaterThan(0)
    expect(stats.droppedInboundByPeer[FLOODER]).toBe(stats.droppedInbound.rate + stats.droppedInbound.inflight)
    // The honest peer's frames were never dropped, and the replica reports the same counts.
    expect(stats.droppedInboundByPeer[address(b)]).toBeUndefined()
    expect(b.transport.stats().droppedInbound).toEqual({ rate: 0, inflight: 0 })
    expect(a.stats().droppedInbound).toEqual(stats.droppedInbound)
    // What got through was refused (wrong tag); at most about the limit per second got through.
    expect(a.stats().rejectedByReason.auth).toBeGreaterThan(0)
    expect(a.stats().rejectedByReason.auth).toBeLessThanOrEqual(floodSent - stats.droppedInbound.rate)
    // Each write reached the other replica within a bound of gossip rounds (30 ms each).
    expect(Math.max(...lagsMs), `lags ${lagsMs.join(', ')} ms`).toBeLessThan(1500)
    expect(a.snapshot()).toEqual(b.snapshot())
    const metrics = await createMetrics(a, { transport: a.transport }).text()
    expect(metrics).toMatch(new RegExp(`elastic_state_frames_dropped_inbound_total\\{replica="a",reason="rate"\\} ${stats.droppedInbound.rate}\\b`))
  })

  it('a burst over the bytes in flight is dropped as inflight, and the peer is served again afterwards', async () => {
    const a = await node('a', [], { ws: { maxFrameBytes: 64 * 1024, maxInboundInflightBytes: 128 * 1024 } })
    const raw = await flooder(address(a))
    // Sent in one go, 40 frames of 16 KiB arrive before the replica gets to them: 8 fit.
    const frame = forgedFrame(16 * 1024)
    for (let i = 0; i < 40; i++) raw.send(frame)
    await until(() => a.stats().framesRejected + a.transport.stats().droppedInbound.inflight >= 40, 3000, () => JSON.stringify(a.transport.stats()))
    const stats = a.transport.stats()
    expect(stats.droppedInbound.inflight).toBeGreaterThan(0)
    expect(stats.droppedInbound.rate).toBe(0)
    expect(a.stats().framesReceived).toBe(40 - stats.droppedInbound.inflight)
    // Once processed, the bytes are free again.
    raw.send(frame)
    await until(() => a.stats().framesReceived === 41 - stats.droppedInbound.inflight, 3000)
    const b = await node('b', [address(a)])
    b.state.packets.increment(3)
    await until(() => a.state.packets.global === 3, 3000)
    expect(a.transport.stats().droppedInboundByPeer[address(b)]).toBeUndefined()
  })

  it('processes connections round-robin: an honest frame waits behind at most one frame of a flooder', async () => {
    let nowMs = 0
    const delivered: string[] = []
    const links = new SocketLinks(() => { throw new Error('no dialing here') }, resolveLinkLimits({ maxInboundFramesPerSecond: 500 }), () => 'ws://me:1',
      (frame) => delivered.push(frame[0] === 1 ? 'flood' : 'honest'), () => nowMs)
    const socket = () => ({ readyState: 1, bufferedAmount: 0, binaryType: '', send() {}, close() {}, onopen: null, onmessage: null, onclose: null, onerror: null }) as SocketLike
    const [flood, honest] = [socket(), socket()]
    links.accept(flood)
    links.accept(honest)
    flood.onmessage!({ data: `elastic-state/1 ${FLOODER}` })
    honest.onmessage!({ data: 'elastic-state/1 ws://honest:1' })
    for (let i = 0; i < 2000; i++) flood.onmessage!({ data: new Uint8Array([1]) })
    honest.onmessage!({ data: new Uint8Array([2]) })
    await new Promise((resolve) => setImmediate(resolve))
    // 500 frames of burst let through, 1,500 dropped; the honest frame is the second processed.
    expect(delivered.indexOf('honest')).toBe(1)
    expect(copyStats(links).droppedInbound).toEqual({ rate: 1500, inflight: 0 })
    expect(copyStats(links).droppedInboundByPeer).toEqual({ [FLOODER]: 1500 })
    // A clock set back an hour refills nothing and blocks nothing: a second later, 500 more.
    nowMs = -3_600_000
    flood.onmessage!({ data: new Uint8Array([1]) })
    nowMs += 1000
    for (let i = 0; i < 600; i++) flood.onmessage!({ data: new Uint8Array([1]) })
    expect(copyStats(links).droppedInbound.rate).toBe(1500 + 1 + 100)
    links.close()
  })

  it('rejects out-of-range limits with RangeError', () => {
    expect(() => webSocketTransport({ maxInboundFramesPerSecond: 0 })).toThrow(RangeError)
    expect(() => webSocketTransport({ maxInboundFramesPerSecond: -5 })).toThrow(RangeError)
    expect(() => webSocketTransport({ maxInboundFramesPerSecond: Number.NaN })).toThrow(RangeError)
    expect(() => webSocketTransport({ maxInboundInflightBytes: Infinity })).toThrow(RangeError)
    // Below the largest frame, a frame of that size could never be received.
    expect(() => webSocketTransport({ maxFrameBytes: 1 << 20, maxInboundInflightBytes: 1000 })).toThrow(/at least maxFrameBytes/)
    expect(() => webSocketTransport({ maxFrameBytes: 1 << 20, maxInboundInflightBytes: 1 << 20 })).not.toThrow()
  })
})
