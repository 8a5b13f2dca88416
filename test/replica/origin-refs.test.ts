/**
 * A frame names an origin that is a listed member, or a listed member's heir origin, by the
 * member's place in the list (docs/protocol.md, "Frame format", protocol version 4): the id and
 * incarnation are not written twice. Frames of version 3, which name every origin, are still
 * read (a store written by it, a peer not yet upgraded).
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
  { id: 'x', incarnation: 1, heartbeat: 4, status: 0, address: 'x' },
  { id: 'y', incarnation: 2, heartbeat: 9, status: 0, address: 'y' },
]
/** x (a member), y's heir origin (of a member), z (no member); each at version 1 with a count. */
const ORIGINS = { listed: [0, 1, 2], ids: ['x', heirIdOf('y'), 'z'], incarnations: [1, 2, 3], known: [1, 1, 1] }
const COUNTS = [3, 4, 5]

type Form = 'member references' | 'ids (version 4)' | 'ids (version 3)'

/** A push from x holding the origins above, written in `form`; `originsBody` replaces the origins section. */
function frameOf(form: Form, originsBody?: (encoder: Encoder) => void): Uint8Array {
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
  writeString(encoder, 'x')
  const refs = writeMembers(encoder, MEMBERS)
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

  it('an idle group of 16 sends about a quarter fewer bytes than when every origin was named', () => {
    const sim = createSimulation({ seed: 1 })
    const replicas = Array.from({ length: 16 }, (_, i) => sim.spawn(Tally, { id: `instance-${i}` }))
    replicas.forEach((replica, i) => replica.state.packets.increment(i + 1))
    sim.runUntilConverged({ maxMs: 60_000 })
    sim.advance(2_000)
    const sent = () => replicas.reduce((sum, replica) => sum + replica.stats().bytesSent, 0)
    const frames = () => replicas.reduce((sum, replica) => sum + replica.stats().framesSent, 0)
    const [bytes, count] = [sent(), frames()]
    sim.advance(10_000)
    // Measured 500 bytes a frame; 682 with every origin named by id and incarnation.
    expect((sent() - bytes) / (frames() - count)).toBeLessThan(540)
  })
})
