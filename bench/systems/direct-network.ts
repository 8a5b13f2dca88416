/**
 * An in-process network for the elastic-state benchmark: `send` queues the frame and counts its
 * bytes, `deliver` hands queued frames to their receivers in order until none is left (answers
 * included). Nothing is lost or delayed, so a sync is exactly produce + apply, and no replica
 * receives while it is still producing.
 */
import type { FrameHandler, Transport } from '../../src/index.js'

export class DirectNetwork {
  private readonly handlers = new Map<string, FrameHandler>()
  private addresses: string[] = []
  private queueTo: string[] = []
  private queueFrames: Uint8Array[] = []
  bytes = 0
  frames = 0

  /** A transport whose seeds are `seeds` (every other replica's address, or one peer for a joiner). */
  transport(seeds: () => readonly string[]): Transport {
    let address = ''
    return {
      open: (localId, onFrame) => {
        address = localId
        this.handlers.set(localId, onFrame)
        this.addresses.push(localId)
        return localId
      },
      seeds,
      send: (to, frame) => {
        this.bytes += frame.length
        this.frames++
        this.queueTo.push(to)
        this.queueFrames.push(frame)
      },
      close: async () => {
        this.handlers.delete(address)
        this.addresses = this.addresses.filter((known) => known !== address)
      },
    }
  }

  /** Addresses of open transports. */
  open(): readonly string[] {
    return this.addresses
  }

  /** Delivers every queued frame, and the frames those deliveries queue, until none is left. */
  deliver(): void {
    for (let i = 0; i < this.queueTo.length; i++) {
      this.handlers.get(this.queueTo[i]!)?.(this.queueFrames[i]!)
    }
    this.queueTo = []
    this.queueFrames = []
  }
}
