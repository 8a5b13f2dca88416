/**
 * The per-instance table: local and global views of the packet counter and the flow table, the
 * global view of the per-instance rate, membership, gossip lag and traffic. Rows are kept by
 * instance id and cells are written only when their text changes.
 */
import type { InstanceView, View } from '../protocol.js'
import { create, setClass, setText } from './dom.js'
import { formatBytes, formatCount } from './format.js'
import { instanceColor } from './colors.js'

const COLUMNS = ['id', 'status', 'local', 'global', 'missing', 'flows', 'rate', 'members', 'lag', 'sent', 'share'] as const
type Column = (typeof COLUMNS)[number]

interface Row {
  readonly element: HTMLTableRowElement
  readonly cells: Record<Column, HTMLTableCellElement>
}

function cellTexts(instance: InstanceView, trueCount: number): Record<Column, string> {
  if (instance.status === 'crashed') {
    return {
      id: instance.id, status: 'crashed', local: '—', global: '—', missing: '—', flows: '—', rate: '—', members: '—',
      lag: '—', sent: '—', share: '—',
    }
  }
  return {
    id: instance.id,
    status: instance.status,
    local: formatCount(instance.packetsLocal),
    global: formatCount(instance.packetsGlobal),
    missing: formatCount(trueCount - instance.packetsGlobal),
    flows: `${formatCount(instance.flowsLocal)} / ${formatCount(instance.flowsGlobal)}`,
    rate: formatCount(instance.rateGlobal),
    members: String(instance.members),
    lag: `${Math.round(instance.lagMs)} ms`,
    sent: `${formatBytes(instance.bytesSentPerSec)}/s`,
    share: `${formatCount(instance.routedPerSec)}/s`,
  }
}

export class InstanceTable {
  private readonly rows = new Map<string, Row>()

  constructor(private readonly body: HTMLTableSectionElement, private readonly onSelect: (id: string) => void) {}

  update(view: View, selected: string | null): void {
    const present = new Set<string>()
    view.instances.forEach((instance, index) => {
      present.add(instance.id)
      const row = this.rows.get(instance.id) ?? this.createRow(instance)
      if (this.body.children[index] !== row.element) this.body.insertBefore(row.element, this.body.children[index] ?? null)
      const texts = cellTexts(instance, view.trueCount)
      for (const column of COLUMNS) setText(row.cells[column], texts[column])
      // Crashed instances have no global view to compare with the true count.
      if (instance.status === 'crashed') row.cells.global.removeAttribute('data-testid')
      else row.cells.global.dataset.testid = `global-count-${instance.id}`
      setClass(row.element, 'crashed', instance.status === 'crashed')
      setClass(row.element, 'leaving', instance.status === 'leaving')
      setClass(row.element, 'selected', instance.id === selected)
      setClass(row.cells.missing, 'warn', instance.status !== 'crashed' && instance.packetsGlobal !== view.trueCount)
    })
    for (const [id, row] of this.rows) {
      if (present.has(id)) continue
      row.element.remove()
      this.rows.delete(id)
    }
  }

  private createRow(instance: InstanceView): Row {
    const element = create('tr')
    element.dataset.testid = `instance-${instance.id}`
    element.addEventListener('click', () => this.onSelect(instance.id))
    const cells = {} as Record<Column, HTMLTableCellElement>
    for (const column of COLUMNS) {
      const cell = create('td', column === 'id' || column === 'status' ? '' : 'number')
      element.append(cell)
      cells[column] = cell
    }
    cells.id.style.borderLeft = `4px solid ${instanceColor(instance.number)}`
    cells.local.dataset.testid = `local-count-${instance.id}`
    cells.status.dataset.testid = `status-${instance.id}`
    const row = { element, cells }
    this.rows.set(instance.id, row)
    return row
  }
}
