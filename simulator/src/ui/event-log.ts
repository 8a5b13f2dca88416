/** The run's events, newest first, bounded. */
import type { RunEvent } from '../protocol.js'
import { create } from './dom.js'
import { formatSeconds } from './format.js'

const MAX_SHOWN = 200

export class EventLog {
  constructor(private readonly list: HTMLOListElement) {}

  clear(): void {
    this.list.replaceChildren()
  }

  add(events: readonly RunEvent[]): void {
    for (const event of events) {
      const item = create('li', `event-${event.kind}`)
      item.append(create('time', '', formatSeconds(event.atMs)), document.createTextNode(` ${event.text}`))
      this.list.prepend(item)
    }
    while (this.list.children.length > MAX_SHOWN) this.list.lastElementChild!.remove()
  }
}
