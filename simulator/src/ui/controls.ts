/**
 * The controls: buttons send commands to the worker; the traffic sliders and the network fields
 * (loss, latency, duplication) apply at once; the run settings (seed, instances, gossip) are read
 * when a new run starts, with the network fields. Sliders and network fields follow the run (a
 * preset changes the rate, the worker clamps what was typed) unless the user is holding them.
 */
import type { Command, NetworkSettings, PresetId, RunSettings, TrafficSettings, View } from '../protocol.js'
import { PRESETS, PRESET_IDS, isPresetId, presetSettings } from '../engine/presets.js'
import { byId, setClass, setText } from './dom.js'
import { formatCount } from './format.js'

export interface ControlsHooks {
  send(command: Command): void
  /** Start a new run of `preset` from `settings`. */
  start(preset: PresetId, settings: RunSettings): void
  selected(): string | null
}

const number = (id: string): number => Number(byId<HTMLInputElement>(id).value)

export class Controls {
  private readonly preset = byId<HTMLSelectElement>('preset')
  private readonly speed = byId<HTMLSelectElement>('speed')
  private readonly rate = byId<HTMLInputElement>('rate')
  private readonly flows = byId<HTMLInputElement>('flows')
  private readonly skew = byId<HTMLInputElement>('skew')
  private readonly trafficOn = byId<HTMLInputElement>('traffic-on')
  private readonly loss = byId<HTMLInputElement>('loss')
  private readonly duplicate = byId<HTMLInputElement>('duplicate')
  private readonly latencyMin = byId<HTMLInputElement>('latency-min')
  private readonly latencyMax = byId<HTMLInputElement>('latency-max')

  constructor(hooks: ControlsHooks) {
    for (const id of PRESET_IDS) this.preset.add(new Option(PRESETS[id].title, id))
    const click = (id: string, command: () => Command) => byId(id).addEventListener('click', () => hooks.send(command()))
    click('play', () => ({ type: 'play' }))
    click('pause', () => ({ type: 'pause' }))
    click('step', () => ({ type: 'step' }))
    click('scale-out', () => ({ type: 'scale-out' }))
    click('scale-in', () => ({ type: 'scale-in', id: hooks.selected() }))
    click('crash', () => ({ type: 'crash', id: hooks.selected() }))
    click('restart', () => ({ type: 'restart', id: hooks.selected() }))
    click('partition', () => ({ type: 'partition', isolate: null }))
    click('isolate', () => ({ type: 'partition', isolate: hooks.selected() }))
    click('heal', () => ({ type: 'heal' }))
    click('export', () => ({ type: 'export' }))
    this.speed.addEventListener('change', () => hooks.send({ type: 'speed', speed: this.speedValue() }))
    for (const input of [this.rate, this.flows, this.skew, this.trafficOn]) {
      input.addEventListener('input', () => {
        this.showTrafficLabels()
        hooks.send({ type: 'traffic', traffic: this.readTraffic() })
      })
    }
    // 'change', not 'input': a value is sent once it is committed (Enter, leaving the field, a
    // spinner click), not at every keystroke of "0.25", each of which would be a network change.
    for (const input of [this.loss, this.duplicate, this.latencyMin, this.latencyMax]) {
      input.addEventListener('change', () => hooks.send({ type: 'network', network: this.readNetwork() }))
    }
    this.preset.addEventListener('change', () => {
      if (!isPresetId(this.preset.value)) return
      hooks.start(this.preset.value, this.presetSettings(this.preset.value))
    })
    const restart = () => hooks.start(this.presetId(), this.readSettings())
    byId('restart-run').addEventListener('click', restart)
    byId('apply').addEventListener('click', restart)
  }

  presetId(): PresetId {
    return isPresetId(this.preset.value) ? this.preset.value : 'free-play'
  }

  speedValue(): number {
    return Number(this.speed.value)
  }

  /** A preset's own settings, with the seed in the seed field. */
  presetSettings(id: PresetId): RunSettings {
    return presetSettings(id, Math.trunc(number('seed')))
  }

  /** Put a run's settings into the form (preset chosen, or a run started from the address). */
  show(preset: PresetId, settings: RunSettings): void {
    this.preset.value = preset
    byId<HTMLInputElement>('seed').value = String(settings.seed)
    byId<HTMLInputElement>('instances').value = String(settings.instances)
    this.showNetwork(settings)
    byId<HTMLInputElement>('interval').value = String(settings.intervalMs)
    byId<HTMLInputElement>('fanout').value = String(settings.fanout)
    this.showTraffic(settings.traffic)
    setText(byId('preset-title'), PRESETS[preset].title)
    setText(byId('preset-description'), PRESETS[preset].description)
  }

  readSettings(): RunSettings {
    return {
      seed: Math.trunc(number('seed')),
      instances: number('instances'),
      ...this.readNetwork(),
      intervalMs: number('interval'),
      fanout: number('fanout'),
      traffic: this.readTraffic(),
    }
  }

  /** Follow the run: play state, the traffic a preset may have changed, the network settings in force. */
  update(view: View): void {
    setClass(byId('play'), 'active', view.playing)
    setClass(byId('pause'), 'active', !view.playing)
    const focused = document.activeElement as HTMLInputElement
    // Not over a control the user is on: a view made before their change reached the run would
    // undo it (a traffic box unticked, ticked again by the next frame, until the run caught up).
    if (![this.rate, this.flows, this.skew, this.trafficOn].includes(focused)) this.showTraffic(view.settings.traffic)
    if (![this.loss, this.duplicate, this.latencyMin, this.latencyMax].includes(focused)) this.showNetwork(view.settings)
  }

  private readNetwork(): NetworkSettings {
    return {
      loss: Number(this.loss.value),
      duplicate: Number(this.duplicate.value),
      latencyMinMs: Number(this.latencyMin.value),
      latencyMaxMs: Number(this.latencyMax.value),
    }
  }

  private showNetwork(network: NetworkSettings): void {
    const show = (input: HTMLInputElement, value: number) => {
      if (Number(input.value) !== value || input.value === '') input.value = String(value)
    }
    show(this.loss, network.loss)
    show(this.duplicate, network.duplicate)
    show(this.latencyMin, network.latencyMinMs)
    show(this.latencyMax, network.latencyMaxMs)
  }

  private readTraffic(): TrafficSettings {
    return { rate: Number(this.rate.value), flows: Number(this.flows.value), skew: Number(this.skew.value), enabled: this.trafficOn.checked }
  }

  private showTraffic(traffic: TrafficSettings): void {
    this.rate.value = String(traffic.rate)
    this.flows.value = String(traffic.flows)
    this.skew.value = String(traffic.skew)
    this.trafficOn.checked = traffic.enabled
    this.showTrafficLabels()
  }

  private showTrafficLabels(): void {
    setText(byId('rate-out'), `${formatCount(Number(this.rate.value))} packets/s`)
    setText(byId('flows-out'), formatCount(Number(this.flows.value)))
    setText(byId('skew-out'), Number(this.skew.value).toFixed(1))
  }
}
