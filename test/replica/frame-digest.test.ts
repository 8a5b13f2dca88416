/**
 * What every frame carries besides changes, its member list and its origins (docs/protocol.md,
 * "Membership and failure detection", protocol version 4), kept small:
 * - an origin that is a listed member, or a listed member's heir origin, is named by the
 *   member's place in the list, not by its id and incarnation a second time;
 * - a member record leaves its address out when the receiver knows it: the sender's own (the
 *   frame's sender field has it), and those the receiver listed in its last frame to the sender.
 * Frames of version 3, which name every origin and carry every address, are still read (a store
 * written by it, a peer not yet upgraded).
 */
import { describe, expect, it } from 'vitest'
import { counter, createReplica, DecodeError, defineState, type Scheduler } from '../../src/index.js'
import { createSimulation } from '../../src/sim/index.js'
import { beginFrame, FrameKind, LEGACY_PROTOCOL_VERSION, MAGIC, parseFrame, sealFrame, writeMembers, writeOrigins } from '../../src/frame.js'
import { heirIdOf } from '../../src/folds.js'
import { createEncoder, type Encoder, writeString, writeU32, writeU8, writeVarUint } from '../../crdts/codec.js'
import type { MemberRecord } from '../../src/membership.js'

const Tally = defineState({ packets: counter() })
const frozen: Scheduler = { now: () => 1_000, schedule: () => null, cancel: () => {} }

const MEMBERS: MemberRecord[] = [
  { id: 'x', incarnation: 1, heartbeat: 4, status: 0, address: 'addr-x' },
  { id: 'y', incarnation: 2, heartbeat: 9, status: 0, address: 'addr-y' },
]
/** x (a member), y's heir origin (of a member), z (no member); each at version 1 with a count. */
const ORIGINS = { listed: [0, 1, 2], ids: ['x', heirIdOf('y'), 'z'], incarnations: [1, 2, 3], known: [1, 1, 1] }
const COUNTS = [3, 4, 5]

type Form = 'member references' | 'ids (version 4)' | 'ids (version 3)'

/**
 * A push from x holding the origins above, written in `form`; `originsBody` replaces the origins
 * section; `members` and `omitAddress` the member list and the records without an address.
 */
function frameOf(form: Form, originsBody?: (encoder: Encoder) => void, members = MEMBERS, omitAddress?: (member: MemberRecord) => boolean): Uint8Array {
  let encoder: Encoder
  if (form === 'ids (version 3)') {
    encoder = createEncoder()
    writeU8(encoder, MAGIC)
    writeU8(encoder, LEGACY_PROTOCOL_VERSION)
    writeU8(encoder, 2) // flags: checksummed
    writeU32(encoder, Tally.fingerprint)
  } else encoder = beginFrame(Tally.fingerprint, null)
  writeU8(encoder, FrameKind.Push)
  writeString(encoder, 'x')
  writeVarUint(encoder, 1)
  writeString(encoder, 'addr-x')
  const refs = writeMembers(encoder, members, omitAddress)
  if (originsBody) originsBody(encoder)
  else if (form === 'member references') writeOrigins(encoder, ORIGINS, undefined, refs)
  else if (form === 'ids (version 4)') writeOrigins(encoder, ORIGINS)
  else {
    writeVarUint(encoder, ORIGINS.listed.length)
    for (const origin of ORIGINS.listed) {
      writeString(encoder, ORIGINS.ids[origin]!)
      writeVarUint(encoder, ORIGINS.incarnations[origin]!)
      writeVarUint(encoder, ORIGINS.known[origin]!)
      writeVarUint(encoder, 0)
    }
  }
  // Per origin a group (0, 1]: one counter slot (field 0, version gap 1, the count).
  writeVarUint(encoder, ORIGINS.listed.length)
  for (const origin of ORIGINS.listed) {
    for (const value of [origin, 0, 1, 1, 0, 1, COUNTS[origin]!]) writeVarUint(encoder, value)
  }
  writeVarUint(encoder, 0)
  return sealFrame(encoder, null)
}

function receiver() {
  const transport = { open: (id: string) => id, seeds: () => [], send: () => {}, close: async () => {} }
  const replica = createReplica(Tally, { id: 'target', incarnation: 1, transport, scheduler: frozen })
  const errors: Error[] = []
  replica.on('error', (error) => errors.push(error))
  return { replica, errors }
}

/** The member records a replica holds, by id: address and heartbeat. */
function membersOf(replica: { id: string }): Record<string, { address: string; heartbeat: number }> {
  const membership = (replica as unknown as { membership: { alivePeers(): MemberRecord[] } }).membership
  return Object.fromEntries(membership.alivePeers().map((member) => [member.id, { address: member.address, heartbeat: member.heartbeat }]))
}

describe('origins named by member references', () => {
  it.each<Form>(['member references', 'ids (version 4)', 'ids (version 3)'])('a frame naming them by %s is read and applied alike', async (form) => {
    const frame = frameOf(form)
    const { replica, errors } = receiver()
    await replica.start()
    const decoder = (replica as unknown as { gossip: Parameters<typeof parseFrame>[4] }).gossip
    const parsed = parseFrame(frame, Tally.fingerprint, null, { maxFrameBytes: 1 << 20 }, decoder)
    expect(parsed.origins.map(({ id, incarnation, known }) => ({ id, incarnation, known }))).toEqual([
      { id: 'x', incarnation: 1, known: 1 },
      { id: heirIdOf('y'), incarnation: 2, known: 1 },
      { id: 'z', incarnation: 3, known: 1 },
    ])
    ;(decoder as unknown as { discard(frame: unknown): void }).discard(parsed)
    replica.receive(frame)
    expect(errors).toEqual([])
    expect(replica.state.packets.global).toBe(3 + 4 + 5)
    await replica.stop()
  })

  it('an origin that is a member, or a member\'s heir origin, takes a byte', () => {
    // Named: a 0, the id (its length, then its bytes) and the incarnation, a byte each here.
    const named = (id: string) => 1 + 1 + id.length + 1
    expect(frameOf('ids (version 4)').length - frameOf('member references').length).toBe(named('x') - 1 + named(heirIdOf('y')) - 1)
  })

  it.each([
    ['a member past the list', 1 + 2 * MEMBERS.length],
    ['the heir of a member past the list', 2 + 2 * MEMBERS.length],
  ])('a reference to %s is refused whole: a typed error, nothing applied', async (_, ref) => {
    const frame = frameOf('member references', (encoder) => {
      writeVarUint(encoder, 3)
      writeOrigins(encoder, { listed: [0, 1], ids: ['x', heirIdOf('y')], incarnations: [1, 2], known: [1, 1] }, undefined, new Map([['1:x', 0], ['2:y', 1]]))
      for (const value of [ref, 1, 0]) writeVarUint(encoder, value)
    })
    const { replica, errors } = receiver()
    await replica.start()
    replica.receive(frame)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(DecodeError)
    expect((errors[0] as Error).message).toMatch(/origin names member/)
    expect(replica.state.packets.global).toBe(0)
    expect(replica.stats().rejectedByReason.decode).toBe(1)
    await replica.stop()
  })

  it('an idle group of 16 sends half the bytes it sent when every origin was named and every record carried its address', () => {
    const sim = createSimulation({ seed: 1 })
    const replicas = Array.from({ length: 16 }, (_, i) => sim.spawn(Tally, { id: `instance-${i}` }))
    replicas.forEach((replica, i) => replica.state.packets.increment(i + 1))
    sim.runUntilConverged({ maxMs: 60_000 })
    sim.advance(2_000)
    const sent = () => replicas.reduce((sum, replica) => sum + replica.stats().bytesSent, 0)
    const frames = () => replicas.reduce((sum, replica) => sum + replica.stats().framesSent, 0)
    const [bytes, count] = [sent(), frames()]
    sim.advance(10_000)
    // Measured 322 bytes a frame; 500 with every address, 682 with every origin named too.
    expect((sent() - bytes) / (frames() - count)).toBeLessThan(360)
    // Every replica holds every member's address all the same (on the simulated network, its id).
    for (const replica of replicas) {
      const members = membersOf(replica)
      expect(Object.keys(members)).toHaveLength(15)
      for (const [id, member] of Object.entries(members)) expect(member.address).toBe(id)
    }
  })
})

describe('member records without their address', () => {
  const bareY = (member: MemberRecord) => member.id === 'y'

  it('the sender\'s own takes the address of the frame\'s sender field; another unknown here is ignored', async () => {
    const { replica, errors } = receiver()
    await replica.start()
    replica.receive(frameOf('member references', undefined, MEMBERS, () => true))
    expect(errors).toEqual([])
    expect(membersOf(replica)).toEqual({ x: { address: 'addr-x', heartbeat: 4 } })
    // The frame's changes are applied all the same.
    expect(replica.state.packets.global).toBe(3 + 4 + 5)
    await replica.stop()
  })

  it('update a member known at that incarnation, which keeps its address', async () => {
    const { replica, errors } = receiver()
    await replica.start()
    replica.receive(frameOf('member references'))
    const later = MEMBERS.map((member) => ({ ...member, heartbeat: member.heartbeat + 5 }))
    replica.receive(frameOf('member references', undefined, later, bareY))
    expect(errors).toEqual([])
    expect(membersOf(replica)).toEqual({ x: { address: 'addr-x', heartbeat: 9 }, y: { address: 'addr-y', heartbeat: 14 } })
    // Of another incarnation of y (a restart), it is ignored: the restart's address may differ.
    const restarted = MEMBERS.map((member) => (member.id === 'y' ? { ...member, incarnation: 3, heartbeat: 1 } : member))
    replica.receive(frameOf('ids (version 4)', undefined, restarted, bareY))
    expect(membersOf(replica).y).toEqual({ address: 'addr-y', heartbeat: 14 })
    await replica.stop()
  })

  it('are never written by version 3, whose status 2 stays unknown', async () => {
    const { replica, errors } = receiver()
    await replica.start()
    replica.receive(frameOf('ids (version 3)', undefined, MEMBERS, bareY))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(DecodeError)
    expect(replica.state.packets.global).toBe(0)
    await replica.stop()
  })
})
