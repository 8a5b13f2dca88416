/**
 * A monitor instance's packet intake: a TCP listener for the traffic source's batches (wire.ts).
 * Each batch is applied packet by packet as it arrives; its acknowledgement goes back only after
 * a `flush()` that started after the batch was applied has resolved, so an acknowledged batch is
 * durable. Batches that arrive while a flush runs (or within `ackDelayMs`) share the next one:
 * group commit, one fsync for many batches.
 */
import { type Server, type Socket, createServer } from 'node:net'
import { KIND_BATCH, MessageReader, type PacketVisitor, encodeAck, readBatch } from './wire.js'

export interface IntakeOptions {
  /** Applies one packet to the replica. */
  apply: PacketVisitor
  /** Makes everything applied so far durable. */
  flush: () => Promise<void>
  ackDelayMs: number
  /** A problem the intake survives (a bad message, a failed flush): reported, never thrown. */
  report: (text: string) => void
}

interface Waiting {
  socket: Socket
  batchId: number
}

export class PacketIntake {
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  private waiting: Waiting[] = []
  private flushing = false
  private timer: NodeJS.Timeout | null = null
  private closing = false
  private idleWaiters: (() => void)[] = []

  constructor(private readonly options: IntakeOptions) {
    this.server = createServer((socket) => this.accept(socket))
  }

  /** Listens on a free loopback port and resolves with it. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject)
        const address = this.server.address()
        resolve(typeof address === 'object' && address !== null ? address.port : 0)
      })
    })
  }

  /**
   * Takes no more batches and resolves once every batch taken so far is acknowledged (or could
   * not be made durable, which was reported).
   */
  async close(): Promise<void> {
    this.closing = true
    this.server.close()
    for (const socket of this.sockets) socket.pause()
    if (this.waiting.length > 0 || this.flushing) await new Promise<void>((resolve) => this.idleWaiters.push(resolve))
    for (const socket of this.sockets) socket.end()
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy()
      return
    }
    socket.setNoDelay(true)
    this.sockets.add(socket)
    const reader = new MessageReader((kind, body) => {
      if (kind !== KIND_BATCH) throw new RangeError(`unexpected message kind ${kind} from the traffic source`)
      const { batchId } = readBatch(body, this.options.apply)
      this.waiting.push({ socket, batchId })
      this.schedule()
    })
    socket.on('data', (chunk: Buffer) => {
      if (this.closing) return
      try {
        reader.push(chunk)
      } catch (error) {
        this.options.report(`dropping the traffic connection: ${(error as Error).message}`)
        socket.destroy()
      }
    })
    socket.on('error', (error) => this.options.report(`traffic connection: ${error.message}`))
    socket.on('close', () => this.sockets.delete(socket))
  }

  private schedule(): void {
    if (this.flushing || this.timer !== null || this.waiting.length === 0) return
    this.timer = setTimeout(() => {
      this.timer = null
      void this.commit()
    }, this.options.ackDelayMs)
  }

  private async commit(): Promise<void> {
    const batches = this.waiting
    this.waiting = []
    this.flushing = true
    try {
      await this.options.flush()
      for (const { socket, batchId } of batches) {
        if (!socket.destroyed) socket.write(encodeAck(batchId))
      }
    } catch (error) {
      this.options.report(`flush failed, ${batches.length} batches stay unacknowledged: ${(error as Error).message}`)
    } finally {
      this.flushing = false
    }
    if (this.waiting.length > 0) this.schedule()
    else if (!this.flushing) this.resolveIdle()
  }

  private resolveIdle(): void {
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }
}
