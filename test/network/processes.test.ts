/**
 * Replicas as separate Node processes on loopback, over real WebSockets, with file persistence.
 * The tests share one cluster and run in order: convergence, a partition, SIGKILL and restart,
 * graceful leave, then peers that must be refused.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { type ReplicaProcess, eventually, killAll, startProcess } from './cluster.js'

const SECRET = 'cluster-secret'
let root = ''
const cluster = new Map<string, ReplicaProcess>()
let expectedPackets = 0

type Snapshot = { packets: number; flows: Record<string, { packets: number }> }
type Stats = { replica: { rejectedByReason: Record<string, number>; framesRejected: number }; incarnation: number }

const snapshot = (node: ReplicaProcess) => node.call<Snapshot>({ op: 'snapshot' })
const members = (node: ReplicaProcess) => node.call<string[]>({ op: 'members' })
const stats = (node: ReplicaProcess) => node.call<Stats>({ op: 'stats' })
const nodes = () => [...cluster.values()]

async function start(id: string, options: { secret?: string; schema?: 'main' | 'other' } = {}): Promise<ReplicaProcess> {
  const seed = cluster.get('p1')
  const node = await startProcess({ id, peers: seed ? [seed.address] : [], dir: join(root, id), secret: SECRET, ...options })
  return node
}

/** Every node reports the same snapshot, with `packets` equal to the expected total. */
async function converged(timeoutMs = 15_000): Promise<Snapshot[]> {
  return eventually(() => Promise.all(nodes().map(snapshot)), (all) => {
    const first = JSON.stringify(all[0])
    return all.every((one) => JSON.stringify(one) === first) && all[0]!.packets === expectedPackets
  }, timeoutMs, `cluster converged on ${expectedPackets} packets`)
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'es-processes-'))
  cluster.set('p1', await start('p1'))
  const rest = await Promise.all(['p2', 'p3', 'p4', 'p5'].map((id) => start(id)))
  for (const node of rest) cluster.set(node.id, node)
}, 60_000)

afterAll(async () => {
  await killAll()
  rmSync(root, { recursive: true, force: true })
})

describe('replicas in five processes on loopback', () => {
  it('converge: every process sees every write and every member', async () => {
    let amount = 1
    for (const node of nodes()) {
      await node.call({ op: 'increment', n: amount, flows: 50 })
      expectedPackets += amount
      amount *= 10
    }
    const all = await converged()
    expect(Object.keys(all[0]!.flows)).toHaveLength(250)
    await eventually(() => Promise.all(nodes().map(members)), (lists) => lists.every((list) => list.length === 5), 10_000, 'five members everywhere')
  })

  it('a partition keeps each side to itself, and healing it converges', async () => {
    const [p1, p2, p3, p4, p5] = ['p1', 'p2', 'p3', 'p4', 'p5'].map((id) => cluster.get(id)!)
    const left = [p1!, p2!]
    const right = [p3!, p4!, p5!]
    for (const node of left) await node.call({ op: 'block', addresses: right.map((other) => other.address) })
    for (const node of right) await node.call({ op: 'block', addresses: left.map((other) => other.address) })
    const before = (await snapshot(p1!)).packets
    await p1!.call({ op: 'increment', n: 1000 })
    await p4!.call({ op: 'increment', n: 2000 })
    expectedPackets += 3000
    await eventually(() => snapshot(p2!), (s) => s.packets === before + 1000, 5000, 'p2 sees p1 within its side')
    await eventually(() => snapshot(p5!), (s) => s.packets === before + 2000, 5000, 'p5 sees p4 within its side')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await snapshot(p3!)).packets).toBe(before + 2000)
    expect((await snapshot(p2!)).packets).toBe(before + 1000)
    for (const node of nodes()) await node.call({ op: 'unblock' })
    await converged()
  })

  it('a killed process is dropped from perInstance reductions, its counts stay, and it rejoins after a restart', async () => {
    for (const [index, node] of nodes().entries()) await node.call({ op: 'load', value: 10 ** index })
    const p1 = cluster.get('p1')!
    const p5 = cluster.get('p5')!
    await p5.call({ op: 'increment', n: 11 })
    expectedPackets += 11
    await converged()
    type Loaded = Snapshot & { load: number }
    await eventually(() => snapshot(p1) as Promise<Loaded>, (s) => s.load === 11111, 5000, 'load summed over five instances')
    await p5.kill()
    cluster.delete('p5')
    await eventually(() => members(p1), (list) => !list.includes('p5'), 5000, 'p5 declared failed')
    const after = await eventually(() => snapshot(p1) as Promise<Loaded>, (s) => s.load === 1111, 5000, 'p5 left out of the load sum')
    expect(after.packets).toBe(expectedPackets)
    const back = await start('p5')
    cluster.set('p5', back)
    await eventually(() => members(p1), (list) => list.includes('p5'), 5000, 'p5 back among the members')
    await converged()
  })

  it('SIGKILL and a restart from its directory lose no write that flush() confirmed', async () => {
    const p2 = cluster.get('p2')!
    // Cut p2 off, so what it writes now can only come back from its disk.
    await p2.call({ op: 'block', addresses: nodes().filter((node) => node !== p2).map((node) => node.address) })
    for (const node of nodes()) if (node !== p2) await node.call({ op: 'block', addresses: [p2.address] })
    await p2.call({ op: 'increment', n: 500, flows: 10 })
    await p2.call({ op: 'flush' })
    expectedPackets += 500
    // Not flushed: lost with the process.
    await p2.call({ op: 'increment', n: 7 })
    await p2.kill()
    for (const node of nodes()) if (node !== p2) await node.call({ op: 'unblock' })
    const restarted = await start('p2')
    cluster.set('p2', restarted)
    expect(restarted.incarnation).toBeGreaterThan(p2.incarnation)
    const all = await converged()
    expect(all[0]!.flows['p2/9']?.packets).toBe(2)
  })

  it('a graceful leave hands over what it had not even flushed', async () => {
    const p3 = cluster.get('p3')!
    await p3.call({ op: 'increment', n: 33 })
    expectedPackets += 33
    await p3.call({ op: 'leave' }, 15_000)
    expect(await p3.exited()).toBe(0)
    cluster.delete('p3')
    await converged()
    await eventually(() => Promise.all(nodes().map(members)), (lists) => lists.every((list) => list.length === 4 && !list.includes('p3')), 10_000, 'p3 gone from every member list')
  })

  it('refuses and logs a peer with the wrong secret', async () => {
    const p1 = cluster.get('p1')!
    const before = (await stats(p1)).replica.rejectedByReason.auth!
    const intruder = await start('intruder', { secret: 'not-the-secret' })
    try {
      await intruder.call({ op: 'increment', n: 99 })
      await eventually(() => stats(p1), (s) => s.replica.rejectedByReason.auth! > before, 5000, 'p1 counted an auth rejection')
      expect(p1.stderr()).toContain('rejected AuthError')
      expect(await members(p1)).not.toContain('intruder')
      expect((await snapshot(p1)).packets).toBe(expectedPackets)
    } finally {
      await intruder.kill()
    }
  })

  it('refuses and logs a peer that declared other state', async () => {
    const p1 = cluster.get('p1')!
    const before = (await stats(p1)).replica.rejectedByReason.schema!
    const stranger = await start('stranger', { schema: 'other' })
    try {
      await stranger.call({ op: 'increment', n: 5 })
      await eventually(() => stats(p1), (s) => s.replica.rejectedByReason.schema! > before, 5000, 'p1 counted a schema rejection')
      expect(p1.stderr()).toContain('rejected SchemaMismatchError')
      expect(await members(p1)).not.toContain('stranger')
    } finally {
      await stranger.kill()
    }
  })

  it('rejects malformed frames sent over a raw socket and keeps running', async () => {
    const p1 = cluster.get('p1')!
    const before = (await stats(p1)).replica.framesRejected
    const state = await snapshot(p1)
    const raw = new WebSocket(p1.address)
    await new Promise((resolve, reject) => raw.once('open', resolve).once('error', reject))
    for (let i = 0; i < 50; i++) {
      const garbage = new Uint8Array(1 + ((i * 37) % 300))
      for (let j = 0; j < garbage.length; j++) garbage[j] = (i * 131 + j * 17) & 0xff
      if (i % 2 === 0) garbage[0] = 0xe5
      raw.send(garbage)
    }
    raw.send('not a hello')
    await eventually(() => stats(p1), (s) => s.replica.framesRejected >= before + 50, 5000, 'p1 rejected all 50 frames')
    raw.close()
    expect(await snapshot(p1)).toEqual(state)
    expect(p1.child.exitCode).toBeNull()
    await converged()
  })
})
