/**
 * The page: starts the simulation worker, sends it the user's commands, and shows its views.
 * Drawing is batched per animation frame: the topology every frame (frames in flight move on an
 * estimate of virtual time between two views), the charts when samples arrived (at most five
 * times a second), the DOM read-outs and tables at most ten times a second.
 *
 * The address can name a run: `#preset=partition-burst&seed=7`.
 */
import './styles.css'
import type { Command, PresetId, RunSettings, View, WorkerMessage } from './protocol.js'
import { isPresetId, presetSettings } from './engine/presets.js'
import { Charts } from './ui/charts.js'
import { Controls } from './ui/controls.js'
import { byId, byTestId, setClass, setText } from './ui/dom.js'
import { EventLog } from './ui/event-log.js'
import { FlowTable } from './ui/flow-table.js'
import { formatCount, formatSeconds } from './ui/format.js'
import { FrameRate } from './ui/frame-rate.js'
import { InstanceTable } from './ui/instance-table.js'
import { Topology } from './ui/topology.js'

/** Read-outs and tables refresh at most this often (twice as rarely past 16 instances). */
const DOM_EVERY_MS = 100
/** How far ahead of the last view the frames in flight may be moved. */
const MAX_EXTRAPOLATION_MS = 200

const worker = new Worker(new URL('./engine/worker.ts', import.meta.url), { type: 'module' })
let view: View | undefined
let viewArrivedMs = 0
let runId = -1
let selected: string | null = null
let domDue = false
let lastDomMs = 0
let lastFpsMs = 0

const send = (command: Command) => worker.postMessage(command)
const select = (id: string) => {
  selected = id
  send({ type: 'select', id })
}
const controls = new Controls({
  send,
  start: (preset, settings) => start(preset, settings),
  selected: () => selected,
})
const charts = new Charts()
const topology = new Topology(byId<HTMLCanvasElement>('topology'), byId<HTMLCanvasElement>('topology-frames'), select)
const instanceTable = new InstanceTable(byId<HTMLTableSectionElement>('instance-rows'), select)
const flowTable = new FlowTable(byId<HTMLTableSectionElement>('flow-rows'), byId('flows-of'))
const eventLog = new EventLog(byId<HTMLOListElement>('event-log'))
const frameRate = new FrameRate()

function start(preset: PresetId, settings: RunSettings): void {
  controls.show(preset, settings)
  history.replaceState(null, '', `#preset=${preset}&seed=${settings.seed}`)
  selected = null
  send({ type: 'start', preset, settings })
  send({ type: 'speed', speed: controls.speedValue() })
}

function showFailure(message: string): void {
  const banner = byId('failure')
  banner.textContent = `The simulation stopped: ${message}`
  banner.hidden = false
}

worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => {
  const message = event.data
  if (message.type === 'failure') showFailure(message.message)
  else if (message.type === 'timeline') download(message.fileName, message.json)
  else receive(message.view)
})
worker.addEventListener('error', (event) => showFailure(event.message || 'the simulation worker failed to load'))

function receive(next: View): void {
  if (next.runId !== runId) {
    runId = next.runId
    charts.reset()
    eventLog.clear()
  }
  charts.add(next.samples, next.instances)
  eventLog.add(next.events)
  view = next
  viewArrivedMs = performance.now()
  selected = next.selected?.id ?? null
  topology.update(next, selected)
  domDue = true
}

function download(fileName: string, json: string): void {
  const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }))
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

const networkStats = new Map<string, HTMLElement>()

/** The value element of one network counter, created on first use. */
function networkStat(label: string): HTMLElement {
  let detail = networkStats.get(label)
  if (detail === undefined) {
    const term = document.createElement('dt')
    term.textContent = label
    detail = document.createElement('dd')
    detail.dataset.testid = `network-${label.replace(/ /g, '-')}`
    byId('network-stats').append(term, detail)
    networkStats.set(label, detail)
  }
  return detail
}

function updateDom(current: View): void {
  setText(byTestId('virtual-time'), `${(current.nowMs / 1000).toFixed(2)} s`)
  setText(byTestId('achieved-speed'), current.playing ? `${current.achievedSpeed.toFixed(2)}×` : 'paused')
  setClass(byTestId('achieved-speed'), 'warn', current.playing && current.achievedSpeed < current.speed * 0.8)
  const converged = byId('converged')
  setText(converged, current.converged ? 'yes' : 'no')
  setClass(converged, 'yes', current.converged)
  setClass(converged, 'no', !current.converged)
  setText(byId('converged-since'), `since ${formatSeconds(current.convergedSinceMs)}`)
  const live = current.instances.filter((instance) => instance.status !== 'crashed')
  setText(byTestId('instance-count'), String(live.length))
  const leaving = current.instances.filter((instance) => instance.status === 'leaving').length
  const crashed = current.instances.length - live.length
  setText(byTestId('instance-breakdown'), [leaving > 0 ? `${leaving} leaving` : '', crashed > 0 ? `${crashed} crashed` : ''].filter(Boolean).join(', '))
  setText(byTestId('true-count'), formatCount(current.trueCount))
  setText(byId('selected-id'), selected ?? '–')
  setText(byId('preset-status'), current.presetStatus)
  setText(byId('partition-state'), current.partition === null ? 'whole'
    : `partitioned: ${current.partition.map((group) => `${group.length}`).join(' | ')} instances`)
  const network = current.network
  for (const [label, value] of [['sent', network.sent], ['delivered', network.delivered], ['dropped', network.dropped],
    ['duplicated', network.duplicated], ['in flight', network.inFlight]] as const) {
    setText(networkStat(label), formatCount(value))
  }
  instanceTable.update(current, selected)
  flowTable.update(current)
  controls.update(current)
}

function frame(nowMs: number): void {
  const framesLastSecond = frameRate.tick(nowMs)
  if (nowMs - lastFpsMs >= 500) {
    lastFpsMs = nowMs
    setText(byTestId('fps'), `${framesLastSecond} fps`)
  }
  if (view !== undefined) {
    const speed = view.playing ? view.achievedSpeed || view.speed : 0
    const virtualNowMs = view.nowMs + Math.min(MAX_EXTRAPOLATION_MS, (nowMs - viewArrivedMs) * speed)
    topology.draw(virtualNowMs, nowMs)
    charts.render(nowMs)
    if (domDue && nowMs - lastDomMs >= (view.instances.length > 16 ? 2 * DOM_EVERY_MS : DOM_EVERY_MS)) {
      domDue = false
      lastDomMs = nowMs
      updateDom(view)
    }
  }
  requestAnimationFrame(frame)
}

document.addEventListener('keydown', (event) => {
  if (event.code !== 'Space' || (event.target as HTMLElement).closest('input, select, button, textarea') !== null) return
  event.preventDefault()
  send({ type: view?.playing === true ? 'pause' : 'play' })
})

const address = new URLSearchParams(location.hash.slice(1))
const presetFromAddress = address.get('preset') ?? ''
const seedFromAddress = Number(address.get('seed') ?? '1')
const firstPreset: PresetId = isPresetId(presetFromAddress) ? presetFromAddress : 'free-play'
start(firstPreset, presetSettings(firstPreset, Number.isSafeInteger(seedFromAddress) ? seedFromAddress : 1))
requestAnimationFrame(frame)
