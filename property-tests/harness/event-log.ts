/**
 * The history behind a sequential reference model: every event ever made, and which of them
 * each replica has seen. A sync hands the receiver everything the sender has seen, which is what
 * a full state join transfers.
 */
export class EventLog<E> {
  private readonly events: E[] = []
  private readonly known: Set<number>[]

  constructor(replicaCount: number) {
    this.known = Array.from({ length: replicaCount }, () => new Set<number>())
  }

  /** Records an event made at `replica` (which has then seen it); returns its id. */
  record(replica: number, event: E): number {
    this.events.push(event)
    this.known[replica]!.add(this.events.length - 1)
    return this.events.length - 1
  }

  /** Ids of the events `replica` has seen. */
  seen(replica: number): number[] {
    return [...this.known[replica]!]
  }

  event(id: number): E {
    return this.events[id]!
  }

  sync(from: number, to: number): void {
    for (const id of this.known[from]!) this.known[to]!.add(id)
  }
}
