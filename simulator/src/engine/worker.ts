/**
 * The simulation worker: runs the engine off the page's main thread, so the page keeps drawing
 * at its frame rate however heavy a simulation step is. It advances virtual time by the wall time
 * passed times the speed (within a wall-time budget per tick), and posts a view of the run a few
 * dozen times a second while it plays and after every command.
 */
import type { Command, WorkerMessage } from '../protocol.js'
import { Engine } from './engine.js'

/** The part of a dedicated worker's global scope used here. */
interface WorkerScope {
  postMessage(message: WorkerMessage): void
  addEventListener(type: 'message', listener: (event: MessageEvent<Command>) => void): void
}

const scope = globalThis as unknown as WorkerScope
const TICK_MS = 16
/** Wall ms of simulation per tick at most, so commands are answered within about this long. */
const BUDGET_MS = 30
const VIEW_EVERY_MS = 33
/** Wall ms the worker sleeps between ticks at least, leaving the page's threads some room. */
const MIN_SLEEP_MS = 6
/** Wall-clock window over which the achieved speed is measured. */
const SPEED_WINDOW_MS = 1000

/** The current run; the page starts the first one. */
let engine: Engine | undefined
let runs = 0
let lastTickMs = performance.now()
let lastViewMs = 0
const progress: { wallMs: number; virtualMs: number }[] = []

function achievedSpeed(): number {
  let wallMs = 0
  let virtualMs = 0
  for (const entry of progress) {
    wallMs += entry.wallMs
    virtualMs += entry.virtualMs
  }
  return engine?.playing === true && wallMs > 0 ? virtualMs / wallMs : 0
}

function postView(): void {
  if (engine === undefined) return
  scope.postMessage({ type: 'view', view: engine.view(achievedSpeed()) })
  lastViewMs = performance.now()
}

function handle(command: Command): void {
  if (command.type === 'start') {
    engine = new Engine(++runs, command.preset, command.settings)
    progress.length = 0
    postView()
    return
  }
  if (engine === undefined) return
  switch (command.type) {
    case 'play': engine.playing = true; break
    case 'pause': engine.playing = false; break
    case 'step':
      engine.playing = false
      engine.stepOnce()
      break
    case 'speed': engine.speed = Math.min(100, Math.max(0.01, command.speed)); break
    case 'scale-out': engine.scaleOut(); break
    case 'scale-in': engine.scaleIn(command.id); break
    case 'crash': engine.crash(command.id); break
    case 'restart': engine.restart(command.id); break
    case 'partition': engine.partition(command.isolate); break
    case 'heal': engine.heal(); break
    case 'traffic': engine.setTraffic(command.traffic); break
    case 'network': engine.setNetwork(command.network); break
    case 'select': engine.selected = command.id; break
    case 'export':
      scope.postMessage({
        type: 'timeline',
        fileName: `elastic-state-${engine.preset}-seed-${engine.settings.seed}-${Math.round(engine.now())}ms.json`,
        json: engine.exportTimeline(),
      })
      break
  }
  postView()
}

function fail(error: unknown): void {
  if (engine !== undefined) engine.playing = false
  scope.postMessage({ type: 'failure', message: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) })
}

function tick(): void {
  const startedMs = performance.now()
  const wallMs = Math.min(250, startedMs - lastTickMs)
  lastTickMs = startedMs
  try {
    if (engine?.playing === true) {
      const virtualMs = engine.runFor(wallMs * engine.speed, BUDGET_MS)
      progress.push({ wallMs, virtualMs })
      let windowMs = progress.reduce((sum, entry) => sum + entry.wallMs, 0)
      while (progress.length > 1 && windowMs - progress[0]!.wallMs >= SPEED_WINDOW_MS) windowMs -= progress.shift()!.wallMs
    }
    // Paused, nothing changes between commands, and every command posts a view itself.
    if (engine?.playing === true && performance.now() - lastViewMs >= VIEW_EVERY_MS) postView()
  } catch (error) {
    fail(error)
  }
  setTimeout(tick, Math.max(MIN_SLEEP_MS, TICK_MS - (performance.now() - startedMs)))
}

scope.addEventListener('message', (event) => {
  try {
    handle(event.data)
  } catch (error) {
    fail(error)
  }
})
setTimeout(tick, TICK_MS)
