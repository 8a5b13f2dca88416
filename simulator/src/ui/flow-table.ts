/** The selected instance's flow table: the busiest flows, true count against its views. */
import type { View } from '../protocol.js'
import { create, setClass, setText } from './dom.js'
import { formatBytes, formatCount } from './format.js'

export class FlowTable {
  private readonly rows: HTMLTableCellElement[][] = []

  constructor(private readonly body: HTMLTableSectionElement, private readonly title: HTMLElement) {}

  update(view: View): void {
    const selected = view.selected
    const instance = view.instances.find((candidate) => candidate.id === selected?.id)
    setText(this.title, instance === undefined ? '–' : instance.status === 'crashed' ? `${instance.id} (crashed: no state)` : instance.id)
    const flows = selected?.flows ?? []
    while (this.rows.length < flows.length) {
      const row = create('tr')
      const cells = Array.from({ length: 6 }, (_, index) => create('td', index === 0 ? 'flow' : 'number'))
      row.append(...cells)
      this.body.append(row)
      this.rows.push(cells)
    }
    this.rows.forEach((cells, index) => {
      const flow = flows[index]
      setClass(cells[0]!.parentElement!, 'empty', flow === undefined)
      if (flow === undefined) {
        for (const cell of cells) setText(cell, '')
        return
      }
      const texts = [flow.key, formatCount(flow.truePackets), formatCount(flow.localPackets), formatCount(flow.globalPackets),
        formatBytes(flow.globalBytes), formatCount(flow.globalMatches)]
      texts.forEach((text, column) => setText(cells[column]!, text))
      setClass(cells[3]!, 'warn', flow.globalPackets !== flow.truePackets)
    })
  }
}
