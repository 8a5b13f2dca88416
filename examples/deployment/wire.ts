/**
 * The data plane between the traffic source and a monitor instance: one TCP connection, the
 * source sends batches of packets and the instance answers each batch with an acknowledgement
 * once the batch is durable.
 *
 *   message = length:u32 kind:u8 body          (length counts kind and body; little endian)
 *   batch   = kind 1, batchId:u32 count:u32 packet*count
 *   packet  = flow:u32 sizeBytes:u16 matches:u8
 *   ack     = kind 2, batchId:u32
 *
 * A packet carries its flow's number; the instance derives the flow's 5-tuple key from it, as a
 * monitor reading real packets would from their headers.
 */

export const KIND_BATCH = 1
export const KIND_ACK = 2
const LENGTH_BYTES = 4
const BATCH_HEADER_BYTES = 1 + 4 + 4
const PACKET_BYTES = 7
/** Larger messages are a protocol error: the reader refuses them rather than buffer them. */
const MAX_MESSAGE_BYTES = 1 << 24

/** Fills one batch's message in place, packet by packet, without allocating per packet. */
export class BatchWriter {
  private readonly bytes: Buffer
  private readonly capacity: number
  count = 0
  sizeBytes = 0
  matches = 0

  constructor(capacityPackets: number) {
    this.capacity = capacityPackets
    this.bytes = Buffer.alloc(LENGTH_BYTES + BATCH_HEADER_BYTES + capacityPackets * PACKET_BYTES)
  }

  get full(): boolean {
    return this.count === this.capacity
  }

  add(flow: number, sizeBytes: number, matches: boolean): void {
    if (this.full) throw new RangeError(`a batch holds at most ${this.capacity} packets`)
    const offset = LENGTH_BYTES + BATCH_HEADER_BYTES + this.count * PACKET_BYTES
    this.bytes.writeUInt32LE(flow, offset)
    this.bytes.writeUInt16LE(sizeBytes, offset + 4)
    this.bytes[offset + 6] = matches ? 1 : 0
    this.count++
    this.sizeBytes += sizeBytes
    if (matches) this.matches++
  }

  /** The message for the packets added so far (a copy), and the writer emptied for the next batch. */
  take(batchId: number): Buffer {
    const length = BATCH_HEADER_BYTES + this.count * PACKET_BYTES
    this.bytes.writeUInt32LE(length, 0)
    this.bytes[LENGTH_BYTES] = KIND_BATCH
    this.bytes.writeUInt32LE(batchId, LENGTH_BYTES + 1)
    this.bytes.writeUInt32LE(this.count, LENGTH_BYTES + 5)
    const message = Buffer.from(this.bytes.subarray(0, LENGTH_BYTES + length))
    this.count = 0
    this.sizeBytes = 0
    this.matches = 0
    return message
  }
}

export function encodeAck(batchId: number): Buffer {
  const message = Buffer.alloc(LENGTH_BYTES + 5)
  message.writeUInt32LE(5, 0)
  message[LENGTH_BYTES] = KIND_ACK
  message.writeUInt32LE(batchId, LENGTH_BYTES + 1)
  return message
}

export interface PacketVisitor {
  (flow: number, sizeBytes: number, matches: boolean): void
}

/** Decodes a batch body (after the kind byte), calling `visit` per packet; returns the batch id and count. */
export function readBatch(body: Buffer, visit: PacketVisitor): { batchId: number; count: number } {
  if (body.length < 8) throw new RangeError(`batch body of ${body.length} bytes is shorter than its header`)
  const batchId = body.readUInt32LE(0)
  const count = body.readUInt32LE(4)
  if (body.length !== 8 + count * PACKET_BYTES) throw new RangeError(`batch ${batchId} says ${count} packets but holds ${body.length - 8} bytes of packets`)
  for (let offset = 8; offset < body.length; offset += PACKET_BYTES) {
    visit(body.readUInt32LE(offset), body.readUInt16LE(offset + 4), body[offset + 6] === 1)
  }
  return { batchId, count }
}

export function readAck(body: Buffer): number {
  if (body.length !== 4) throw new RangeError(`ack body must be 4 bytes, got ${body.length}`)
  return body.readUInt32LE(0)
}

/** Cuts a byte stream into messages: feed it chunks, it calls `onMessage(kind, body)` per whole message. */
export class MessageReader {
  private pending: Buffer = Buffer.alloc(0)

  constructor(private readonly onMessage: (kind: number, body: Buffer) => void) {}

  /** @throws RangeError for a message longer than MAX_MESSAGE_BYTES or an empty one. */
  push(chunk: Buffer): void {
    let bytes = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    while (bytes.length >= LENGTH_BYTES) {
      const length = bytes.readUInt32LE(0)
      if (length === 0 || length > MAX_MESSAGE_BYTES) throw new RangeError(`message length ${length} is out of range 1..${MAX_MESSAGE_BYTES}`)
      if (bytes.length < LENGTH_BYTES + length) break
      const kind = bytes[LENGTH_BYTES]!
      this.onMessage(kind, bytes.subarray(LENGTH_BYTES + 1, LENGTH_BYTES + length))
      bytes = bytes.subarray(LENGTH_BYTES + length)
    }
    this.pending = bytes
  }
}
