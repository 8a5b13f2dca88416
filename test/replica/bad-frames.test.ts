/**
 * Bad input delivered through `sim.inject`: garbage, truncated frames, frames with flipped bits
 * and frames of another protocol version (oversized frames: frame-size.test.ts; frames of
 * another schema or secret: foreign-frames.test.ts). Each is refused with an 'error'
 * event of the right class, counted in `stats().framesRejected` and `rejectedByReason`, changes
 * no state and no member list, never throws out of the transport, and the replica keeps
 * working: it converges with its peer afterwards.
 *
 * Valid frames are real ones: recorded from a replica `x` exchanging with `y` on one simulated
 * network, then injected into `a` on another one (so, were they accepted, `a` would learn
 * `x`'s writes, as the control test shows).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AuthError, DecodeError, ProtocolVersionError, SchemaMismatchError } from '../../src/index.js'
import { propertyRuns } from '../../property-tests/harness/runs.js'
import { PROTOCOL_VERSION } from '../../src/frame.js'
import { Monitor, expectRejected, expectStillWorking, largest, probe, recordFrames, pairOnItsOwnNetwork as target } from './support.js'

const HEADER_BYTES = 7
const TAG_BYTES = 16

const plainFrame = largest(recordFrames(Monitor))
const sealedFrame = largest(recordFrames(Monitor, { secret: 'cluster-key' }))

function withBitFlipped(frame: Uint8Array, bit: number): Uint8Array {
  const copy = frame.slice()
  copy[bit >> 3] ^= 1 << (bit & 7)
  return copy
}

describe('frames injected into a replica', () => {
  it('control: the recorded frames are valid and would change state', () => {
    for (const [frame, secret] of [[plainFrame, undefined], [sealedFrame, 'cluster-key']] as const) {
      const group = target(secret ? { secret } : {})
      const before = probe(group.a)
      group.sim.inject('a', frame)
      expect(before.errors).toEqual([])
      expect(group.a.stats().framesRejected).toBe(0)
      expect(group.a.snapshot()).not.toEqual(before.snapshot)
      expect(group.a.members()).toContain('x')
    }
  })

  it('random garbage is refused with an ElasticStateError (a DecodeError unless it starts like a frame)', () => {
    const group = target()
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const before = probe(group.a)
      group.sim.inject('a', bytes)
      const looksLikeFrame = bytes.length >= HEADER_BYTES && bytes[0] === 0xe5
      const expected = !looksLikeFrame ? DecodeError
        : bytes[1] !== PROTOCOL_VERSION ? ProtocolVersionError
        : (bytes[2]! & ~1) !== 0 ? DecodeError
        : bytes[2] === 1 ? AuthError
        : SchemaMismatchError
      const reason = expected === DecodeError ? 'decode' : expected === ProtocolVersionError ? 'protocol' : expected === AuthError ? 'auth' : 'schema'
      expectRejected(group.a, before, expected, reason)
    }), { numRuns: propertyRuns() })
    expectStillWorking(group)
  })

  it('a valid frame cut anywhere and continued with random bytes is refused as a DecodeError, or is a frame', () => {
    // A random continuation can complete a frame by chance (a count of zero, say): then it is
    // valid input, applied like any frame. Otherwise it must be a counted DecodeError that
    // changes nothing. Either way nothing escapes to the transport and the replica keeps working.
    let refused = 0
    fc.assert(fc.property(
      fc.integer({ min: HEADER_BYTES, max: plainFrame.length - 1 }),
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      (cut, tail) => {
        const group = target()
        const bytes = new Uint8Array(cut + tail.length)
        bytes.set(plainFrame.subarray(0, cut))
        bytes.set(tail, cut)
        const before = probe(group.a)
        group.sim.inject('a', bytes)
        expect(group.sim.network.stats().handlerErrors).toBe(0)
        if (group.a.stats().framesRejected === before.stats.framesRejected) {
          expectStillWorking(group)
          return
        }
        refused++
        expectRejected(group.a, before, DecodeError, 'decode')
      },
    ), { numRuns: propertyRuns() })
    expect(refused).toBeGreaterThan(0)
  })

  it('every truncation of a valid frame is a DecodeError', () => {
    const group = target()
    for (let length = 0; length < plainFrame.length; length++) {
      const before = probe(group.a)
      group.sim.inject('a', plainFrame.subarray(0, length))
      expectRejected(group.a, before, DecodeError, 'decode')
    }
    expectStillWorking(group)
  })

  it('every truncation of an authenticated frame is refused (AuthError once the header is whole)', () => {
    const group = target({ secret: 'cluster-key' })
    for (let length = 0; length < sealedFrame.length; length++) {
      const before = probe(group.a)
      group.sim.inject('a', sealedFrame.subarray(0, length))
      if (length < HEADER_BYTES) expectRejected(group.a, before, DecodeError, 'decode')
      else expectRejected(group.a, before, AuthError, 'auth')
    }
    expectStillWorking(group)
  })

  it('with a secret, every single flipped bit of a valid frame is refused', () => {
    const group = target({ secret: 'cluster-key' })
    for (let bit = 0; bit < sealedFrame.length * 8; bit++) {
      const before = probe(group.a)
      group.sim.inject('a', withBitFlipped(sealedFrame, bit))
      const byte = bit >> 3
      if (byte === 0) expectRejected(group.a, before, DecodeError, 'decode')              // magic
      else if (byte === 1) expectRejected(group.a, before, ProtocolVersionError, 'protocol')
      else if (byte === 2 && bit !== 16) expectRejected(group.a, before, DecodeError, 'decode') // unknown flag
      else expectRejected(group.a, before, AuthError, 'auth')                             // unauthenticated, or tag mismatch
    }
    expectStillWorking(group)
  })

  it('without a secret, a flipped bit in the header is refused: the version byte as such, the rest by the checksum', () => {
    const group = target()
    for (let bit = 0; bit < HEADER_BYTES * 8; bit++) {
      const before = probe(group.a)
      group.sim.inject('a', withBitFlipped(plainFrame, bit))
      if (bit >> 3 === 1) expectRejected(group.a, before, ProtocolVersionError, 'protocol')
      else expectRejected(group.a, before, DecodeError, 'decode')
    }
    expectStillWorking(group)
  })

  it('without a secret, a flipped bit in the body is refused by the checksum as a DecodeError', () => {
    fc.assert(fc.property(fc.integer({ min: HEADER_BYTES * 8, max: plainFrame.length * 8 - 1 }), (bit) => {
      const group = target()
      const before = probe(group.a)
      group.sim.inject('a', withBitFlipped(plainFrame, bit))
      expectRejected(group.a, before, DecodeError, 'decode')
      expectStillWorking(group)
    }), { numRuns: propertyRuns() })
  })

  it('a wrong protocol version byte is a ProtocolVersionError, with or without a secret', () => {
    for (const [frame, secret] of [[plainFrame, undefined], [sealedFrame, 'cluster-key']] as const) {
      const group = target(secret ? { secret } : {})
      for (const version of [0, PROTOCOL_VERSION + 1, 255]) {
        const bytes = frame.slice()
        bytes[1] = version
        const before = probe(group.a)
        group.sim.inject('a', bytes)
        expectRejected(group.a, before, ProtocolVersionError, 'protocol')
        expect(before.errors[0]!.message).toContain(String(version))
      }
      expectStillWorking(group)
    }
  })

  it('an authenticated frame is at least header + tag long', () => {
    expect(sealedFrame.length).toBeGreaterThan(HEADER_BYTES + TAG_BYTES)
  })

  // Two corrupted copies of one frame could carry different content for the same (origin,
  // version): a replica applying both would hold a change log out of order and build frames its
  // peers refuse. Without a secret the checksum refuses corrupted frames.
  it('two corrupted frames do not cut the replica off from its peers (the checksum refuses them)', () => {
    const group = target()
    const element = new TextEncoder().encode('10.0.0.1')
    const at = plainFrame.findIndex((_, index) => element.every((byte, offset) => plainFrame[index + offset] === byte))
    expect(at).toBeGreaterThan(HEADER_BYTES)
    const peerErrors: string[] = []
    group.b.on('error', (error) => peerErrors.push(error.message))
    for (const bit of [0, 1]) group.sim.inject('a', withBitFlipped(plainFrame, at * 8 + bit))
    expect(group.a.stats().rejectedByReason.decode).toBe(2)
    group.sim.advance(500)
    expect(peerErrors).toEqual([])
    expectStillWorking(group)
  })
})
