/**
 * Long fuzzing runs: `npm run fuzz -- --frames 1000000 [--seed 7] [--epoch-frames 2500]
 * [--epoch 12] [--no-folds] [--max-violations 10]`. Prints progress, then frames per second,
 * accepted and refused frames (by error class and by source), the heap at start and end, and every
 * violation with the command that replays its epoch. Exits with 1 when anything was found.
 */
import { type FuzzOptions, type FuzzReport, runFuzz } from './harness.js'

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`)
  return index < 0 ? undefined : process.argv[index + 1]
}

function numberFlag(name: string, fallback: number): number {
  const text = flag(name)
  if (text === undefined) return fallback
  const value = Number(text.replace(/_/g, ''))
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`--${name} must be a non-negative integer, got ${JSON.stringify(text)}`)
  return value
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
const count = (n: number) => n.toLocaleString('en-US')

const options: FuzzOptions = {
  frames: numberFlag('frames', 50_000),
  seed: numberFlag('seed', Math.floor(Math.random() * 2 ** 31)),
  epochFrames: numberFlag('epoch-frames', 2_500),
  maxViolations: numberFlag('max-violations', 10),
  folds: !process.argv.includes('--no-folds'),
  ...(flag('epoch') === undefined ? {} : { onlyEpoch: numberFlag('epoch', 0) }),
}
const totalEpochs = Math.ceil(options.frames / options.epochFrames!)
const progressEvery = Math.max(1, Math.floor(totalEpochs / 20))
console.log(`fuzzing ${count(options.frames)} frames, seed ${options.seed}, ${count(options.epochFrames!)} frames per epoch${options.folds ? '' : ', without fold records'}`)

const report: FuzzReport = await runFuzz({
  ...options,
  onEpoch: (progress) => {
    if (progress.epochs % progressEvery !== 0) return
    const rate = progress.frames / (progress.durationMs / 1000)
    console.log(`  ${count(progress.frames)} frames, ${(progress.durationMs / 1000).toFixed(0)} s, ${count(Math.round(rate))} frames/s, ${count(progress.accepted)} accepted, ${count(progress.rejected)} refused, ${progress.violations.length} violations`)
  },
})

console.log(`
frames          ${count(report.frames)} in ${report.epochs} epochs (${report.convergenceChecks} convergence checks)
time            ${(report.durationMs / 1000).toFixed(1)} s, ${count(Math.round(report.framesPerSecond))} frames/s
accepted        ${count(report.accepted)}
refused         ${count(report.rejected)}`)
for (const [type, n] of Object.entries(report.rejectedByType).sort((a, b) => b[1] - a[1])) console.log(`  ${type.padEnd(28)}${count(n)}`)
console.log('by source       frames / accepted')
for (const [source, n] of Object.entries(report.bySource)) console.log(`  ${source.padEnd(14)}${count(n.frames)} / ${count(n.accepted)}`)
const reports = Object.entries(report.reports).sort((a, b) => b[1] - a[1])
for (const [message, n] of reports.slice(0, 5)) console.log(`reported ${count(n)}x: ${message}`)
if (reports.length > 5) console.log(`reported: ${reports.length - 5} more messages, ${count(reports.slice(5).reduce((sum, [, n]) => sum + n, 0))} reports`)
console.log(`heap            ${mib(report.heapStartBytes)} at start, ${mib(report.heapEndBytes)} at end${report.gcForced ? ' (after a full GC)' : ' (no GC available)'}`)
console.log(`violations      ${report.violations.length}`)
for (const violation of report.violations) {
  console.log(`\n[${violation.kind}] epoch ${violation.epoch}, frame ${violation.index}${violation.frame ? ` (${violation.frame.source}: ${violation.frame.recipe})` : ''}\n  ${violation.message}`)
  if (violation.frameHex) console.log(`  frame: ${violation.frameHex}`)
  console.log(`  replay: ${violation.replay}`)
}
process.exitCode = report.violations.length > 0 ? 1 : 0
