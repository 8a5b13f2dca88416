/**
 * The declaration every fuzzed replica holds: every built-in state type (FullState of the
 * convergence properties, doc included) plus a custom type, so that every slot decoder, the doc
 * sync path and a user's `decode` all sit behind the receive path under attack.
 */
import fc from 'fast-check'
import { custom, defineState, type Replica } from '../../src/index.js'
import { FullState, type WriteOp, applyWrite, writeOp } from '../convergence/full-state.js'

/** A last-writer-wins note (the `custom` example): its decoder is user code on the gossip path. */
export const note = custom({
  name: 'note',
  empty: () => ({ stampMs: 0, origin: '', text: '' }),
  join: (a, b) => (b.stampMs > a.stampMs || (b.stampMs === a.stampMs && b.origin > a.origin) ? b : a),
  writes: {
    write({ own, merged, origin, now }, text: string) {
      own.stampMs = Math.max(now(), merged.stampMs + 1)
      own.origin = origin
      own.text = text
    },
  },
  global: (state) => state.text,
  encode(writer, state) {
    writer.varUint(state.stampMs)
    writer.string(state.origin)
    writer.string(state.text)
  },
  decode(reader) {
    return { stampMs: reader.varUint('stamp'), origin: reader.string('origin'), text: reader.string('text') }
  },
})

export const FuzzState = defineState({ ...FullState.fields, note })

export type FuzzReplica = Replica<typeof FuzzState.fields>

/** A local write of any kind, the note's included. */
export type FuzzWrite = WriteOp | { type: 'note'; text: string }

export const fuzzWrite: fc.Arbitrary<FuzzWrite> = fc.oneof(
  { weight: 12, arbitrary: writeOp },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('note' as const), text: fc.string({ maxLength: 12 }) }) },
)

export function applyFuzzWrite(replica: FuzzReplica, op: FuzzWrite): void {
  if (op.type === 'note') replica.state.note.write(op.text)
  else applyWrite(replica as unknown as Parameters<typeof applyWrite>[0], op)
}
