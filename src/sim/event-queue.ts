/**
 * The virtual-time event queue of the simulated network: a binary min-heap ordered by
 * `(timeMs, seq)`, where `seq` is the insertion order. Two events due at the same virtual time
 * therefore run in the order they were scheduled, which is what makes a simulation replay
 * message for message from its seed.
 */

/** One scheduled action. `cancelled` events stay in the heap and are skipped when popped. */
export interface QueuedEvent {
  readonly timeMs: number
  readonly seq: number
  readonly run: () => void
  cancelled: boolean
}

function runsBefore(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq)
}

export class EventQueue {
  private readonly heap: QueuedEvent[] = []
  private nextSeq = 0

  /** Number of queued events, cancelled ones included until they are popped. */
  get size(): number {
    return this.heap.length
  }

  /** Queue `run` at virtual time `timeMs`; returns the event so it can be cancelled. */
  push(timeMs: number, run: () => void): QueuedEvent {
    const event: QueuedEvent = { timeMs, seq: this.nextSeq++, run, cancelled: false }
    const heap = this.heap
    heap.push(event)
    let index = heap.length - 1
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = heap[parentIndex]!
      if (!runsBefore(event, parent)) break
      heap[index] = parent
      index = parentIndex
    }
    heap[index] = event
    return event
  }

  /**
   * Remove and return the earliest live event due at or before `untilMs`, or `undefined` when
   * there is none. Cancelled events met on the way are discarded.
   */
  popDue(untilMs: number): QueuedEvent | undefined {
    while (this.heap.length > 0) {
      const first = this.heap[0]!
      if (first.timeMs > untilMs) return undefined
      this.removeFirst()
      if (!first.cancelled) return first
    }
    return undefined
  }

  private removeFirst(): void {
    const heap = this.heap
    const last = heap.pop()!
    if (heap.length === 0) return
    let index = 0
    const length = heap.length
    for (;;) {
      const leftIndex = 2 * index + 1
      if (leftIndex >= length) break
      const rightIndex = leftIndex + 1
      let childIndex = leftIndex
      if (rightIndex < length && runsBefore(heap[rightIndex]!, heap[leftIndex]!)) childIndex = rightIndex
      const child = heap[childIndex]!
      if (!runsBefore(child, last)) break
      heap[index] = child
      index = childIndex
    }
    heap[index] = last
  }
}
