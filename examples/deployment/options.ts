/** The orchestrator's command-line flags (`npm start -- --help`). */
import { parseArgs } from 'node:util'

export interface DeploymentOptions {
  instances: number
  /** Instances added by the scale-out. */
  scaleOut: number
  /** Seconds of traffic; the scale events happen at fixed fractions of it. */
  durationS: number
  packetsPerSecond: number
  flows: number
  seed: number
  /** Skip the SIGKILL and restart: then sent, acknowledged and global must all be equal. */
  kill: boolean
  gossipIntervalMs: number
  /** An instance silent for this long is taken for failed by its peers. */
  failureTimeoutMs: number
  ackDelayMs: number
  /** Seconds to wait for the instances to agree once traffic has stopped. */
  settleS: number
  /** Plain periodic lines even on a terminal. */
  plain: boolean
}

export const usage = `usage: npm start -- [flags]
  --instances N     instances at the start (default 3)
  --scale-out N     instances added while traffic flows (default 2)
  --duration S      seconds of traffic (default 45); scale-out at 20 %, SIGKILL at 40 %,
                    restart at 55 %, graceful scale-in of one instance at 75 %
  --rate N          packets per second offered by the source (default 20000)
  --flows N         distinct flows, Zipf(1.1)-skewed (default 10000)
  --seed N          seed of the packet sequence (default 1)
  --no-kill         no SIGKILL and restart: sent, acknowledged and global must all be equal
  --gossip-ms N     gossip interval of the instances (default 100)
  --failure-ms N    silence after which peers take an instance for failed (default 3000;
                    generous, so a busy machine's pauses are not taken for crashes)
  --ack-delay-ms N  group-commit window: batches within it share one flush (default 20)
  --settle S        seconds to wait for agreement after traffic stops (default 30)
  --plain           print periodic lines instead of redrawing in place`

const MAX_FLOWS = 2_000_000

const defaults: DeploymentOptions = {
  instances: 3, scaleOut: 2, durationS: 45, packetsPerSecond: 20_000, flows: 10_000, seed: 1, kill: true,
  gossipIntervalMs: 100, failureTimeoutMs: 3000, ackDelayMs: 20, settleS: 30, plain: false,
}

/** @throws RangeError naming the flag and its bad value. */
export function parseOptions(argv: string[]): DeploymentOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      instances: { type: 'string' }, 'scale-out': { type: 'string' }, duration: { type: 'string' }, rate: { type: 'string' },
      flows: { type: 'string' }, seed: { type: 'string' }, 'no-kill': { type: 'boolean' }, 'gossip-ms': { type: 'string' },
      'failure-ms': { type: 'string' }, 'ack-delay-ms': { type: 'string' }, settle: { type: 'string' }, plain: { type: 'boolean' }, help: { type: 'boolean' },
    },
  })
  if (values.help) return 'help'
  const number = (name: string, value: string | undefined, fallback: number, valid: (n: number) => boolean, what: string): number => {
    if (value === undefined) return fallback
    const parsed = Number(value)
    if (value.trim() === '' || !valid(parsed)) throw new RangeError(`--${name} needs ${what}, got ${JSON.stringify(value)}`)
    return parsed
  }
  const positiveInteger = (n: number) => Number.isSafeInteger(n) && n > 0
  const options: DeploymentOptions = {
    instances: number('instances', values.instances, defaults.instances, positiveInteger, 'a positive integer'),
    scaleOut: number('scale-out', values['scale-out'], defaults.scaleOut, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer'),
    durationS: number('duration', values.duration, defaults.durationS, (n) => Number.isFinite(n) && n >= 2, 'at least 2 (seconds)'),
    packetsPerSecond: number('rate', values.rate, defaults.packetsPerSecond, positiveInteger, 'a positive integer (packets per second)'),
    // Every process keeps a key per flow: beyond a few million flows memory, not the demo, is what gets tested.
    flows: number('flows', values.flows, defaults.flows, (n) => positiveInteger(n) && n <= MAX_FLOWS, `a positive integer up to ${MAX_FLOWS}`),
    seed: number('seed', values.seed, defaults.seed, Number.isSafeInteger, 'an integer'),
    kill: !values['no-kill'],
    gossipIntervalMs: number('gossip-ms', values['gossip-ms'], defaults.gossipIntervalMs, (n) => Number.isFinite(n) && n >= 10, 'at least 10 (ms)'),
    failureTimeoutMs: number('failure-ms', values['failure-ms'], defaults.failureTimeoutMs, Number.isFinite, 'a number (ms)'),
    ackDelayMs: number('ack-delay-ms', values['ack-delay-ms'], defaults.ackDelayMs, (n) => Number.isFinite(n) && n >= 0, 'a non-negative number (ms)'),
    settleS: number('settle', values.settle, defaults.settleS, (n) => Number.isFinite(n) && n > 0, 'a positive number (seconds)'),
    plain: values.plain === true,
  }
  if (!(options.failureTimeoutMs > options.gossipIntervalMs)) throw new RangeError(`--failure-ms must exceed --gossip-ms (${options.gossipIntervalMs}), got ${options.failureTimeoutMs}`)
  // The SIGKILL needs a survivor to keep serving, the scale-in one to hand its updates to.
  if (options.instances + options.scaleOut < 2) throw new RangeError('--instances plus --scale-out must be at least 2')
  return options
}
