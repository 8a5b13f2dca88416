/**
 * The traffic source's connection to one instance's packet intake: sends batches, matches the
 * acknowledgements to them, and knows what is still in flight (sent, not yet acknowledged).
 */
import { type Socket, connect } from 'node:net'
import { BatchWriter, KIND_ACK, MessageReader, readAck } from './wire.js'

export interface Totals {
  packets: number
  bytes: number
  matches: number
}

export const zeroTotals = (): Totals => ({ packets: 0, bytes: 0, matches: 0 })

export function addTotals(into: Totals, from: Totals): void {
  into.packets += from.packets
  into.bytes += from.bytes
  into.matches += from.matches
}

export interface DataLinkEvents {
  acked(batch: Totals): void
  /** The connection ended without `close()` being called (the instance went away). */
  lost(reason: string): void
}

export class DataLink {
  readonly writer: BatchWriter
  readonly acked = zeroTotals()
  private readonly inFlight = new Map<number, Totals>()
  private inFlightPackets = 0
  private socket: Socket | null = null
  private open = false
  private drainWaiters: (() => void)[] = []

  constructor(readonly id: string, batchPackets: number, private readonly events: DataLinkEvents) {
    this.writer = new BatchWriter(batchPackets)
  }

  get packetsInFlight(): number {
    return this.inFlightPackets
  }

  connect(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true })
      this.socket = socket
      const reader = new MessageReader((kind, body) => {
        if (kind !== KIND_ACK) throw new RangeError(`unexpected message kind ${kind} from instance ${this.id}`)
        this.acknowledge(readAck(body))
      })
      socket.once('connect', () => {
        this.open = true
        socket.off('error', reject)
        socket.on('error', () => {})
        resolve()
      })
      socket.once('error', reject)
      socket.on('data', (chunk: Buffer) => {
        try {
          reader.push(chunk)
        } catch (error) {
          socket.destroy()
          this.events.lost(`bad message from the instance: ${(error as Error).message}`)
        }
      })
      socket.on('close', () => {
        if (!this.open) return
        this.open = false
        this.events.lost('connection closed')
      })
    })
  }

  /** Sends the packets gathered in `writer` as batch `batchId`; false when the link is down. */
  sendBatch(batchId: number): Totals & { delivered: boolean } {
    const batch = { packets: this.writer.count, bytes: this.writer.sizeBytes, matches: this.writer.matches }
    const message = this.writer.take(batchId)
    if (!this.open || !this.socket) return { ...batch, delivered: false }
    this.inFlight.set(batchId, batch)
    this.inFlightPackets += batch.packets
    this.socket.write(message)
    return { ...batch, delivered: true }
  }

  /** Resolves true once nothing is in flight, or false after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.inFlight.size === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.drainWaiters = this.drainWaiters.filter((waiter) => waiter !== done)
        resolve(false)
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        resolve(true)
      }
      this.drainWaiters.push(done)
    })
  }

  /** Closes the connection and returns what was in flight: it will never be acknowledged here. */
  abandon(): Totals {
    const lost = zeroTotals()
    for (const batch of this.inFlight.values()) addTotals(lost, batch)
    this.inFlight.clear()
    this.inFlightPackets = 0
    this.close()
    return lost
  }

  close(): void {
    this.open = false
    this.socket?.destroy()
    this.socket = null
  }

  private acknowledge(batchId: number): void {
    const batch = this.inFlight.get(batchId)
    if (!batch) throw new RangeError(`instance ${this.id} acknowledged batch ${batchId}, which is not in flight to it`)
    this.inFlight.delete(batchId)
    this.inFlightPackets -= batch.packets
    addTotals(this.acked, batch)
    this.events.acked(batch)
    if (this.inFlight.size === 0) {
      const waiters = this.drainWaiters
      this.drainWaiters = []
      for (const waiter of waiters) waiter()
    }
  }
}
