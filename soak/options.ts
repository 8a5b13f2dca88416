/** The soak's command-line flags (`npm run soak -- --help`). */
import { parseArgs } from 'node:util'

export interface SoakOptions {
  /** Minutes of traffic (and of the random schedule). */
  minutes: number
  /** Instances at the start, and the count the schedule steers towards. */
  instances: number
  /** The schedule keeps the deployment (serving plus killed, awaiting restart) within these. */
  minInstances: number
  maxInstances: number
  packetsPerSecond: number
  flows: number
  seed: number
  /** Mean seconds between scheduled events (exponentially distributed gaps). */
  eventEveryS: number
  /** Seconds between memory samples. */
  sampleS: number
  /** Seconds to wait for agreement once traffic stopped and everything healed. */
  settleS: number
  gossipIntervalMs: number
  failureTimeoutMs: number
  ackDelayMs: number
  /** Where the result file goes; null: soak/results/<timestamp>[-short].json. */
  out: string | null
  /** Regenerate docs/soak.md and docs/images/soak-rss.svg from this run. */
  report: boolean
  plain: boolean
  /** Print every membership change the instances report (many under partitions). */
  verbose: boolean
}

/** Runs shorter than this are trial runs: their files are named *-short.json and git-ignored. */
export const SHORT_RUN_MINUTES = 10

export const usage = `usage: npm run soak -- [flags]
  --minutes M       minutes of traffic and random churn (default 30)
  --instances N     instances at the start; the schedule keeps the count within N-2..N+2 (default 8)
  --rate N          packets per second offered by the source, all instances together (default 12000)
  --flows N         distinct flows, Zipf(1.1)-skewed (default 10000)
  --seed N          seed of the schedule and of the packet sequence (default 1)
  --event-every S   mean seconds between scheduled events (default 20)
  --sample-s S      seconds between memory samples (default 5)
  --settle S        seconds to wait for agreement after the traffic stopped (default 60)
  --gossip-ms N     gossip interval of the instances (default 100)
  --failure-ms N    silence after which peers take an instance for failed (default 3000)
  --ack-delay-ms N  group-commit window of the instances (default 20)
  --out FILE        result file (default soak/results/<timestamp>.json, or <timestamp>-short.json
                    for runs under ${SHORT_RUN_MINUTES} minutes, which git ignores)
  --report          regenerate docs/soak.md and docs/images/soak-rss.svg from this run
                    (the default for runs of ${SHORT_RUN_MINUTES} minutes or more)
  --no-report       do not touch docs/
  --plain           print periodic lines instead of redrawing a table in place
  --verbose         print every membership change the instances report`

const defaults = {
  minutes: 30, instances: 8, packetsPerSecond: 12_000, flows: 10_000, seed: 1, eventEveryS: 20, sampleS: 5, settleS: 60,
  gossipIntervalMs: 100, failureTimeoutMs: 3000, ackDelayMs: 20,
}

/** @throws RangeError naming the flag and its bad value. */
export function parseSoakOptions(argv: string[]): SoakOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string' }, instances: { type: 'string' }, rate: { type: 'string' }, flows: { type: 'string' },
      seed: { type: 'string' }, 'event-every': { type: 'string' }, 'sample-s': { type: 'string' }, settle: { type: 'string' },
      'gossip-ms': { type: 'string' }, 'failure-ms': { type: 'string' }, 'ack-delay-ms': { type: 'string' }, out: { type: 'string' },
      report: { type: 'boolean' }, 'no-report': { type: 'boolean' }, plain: { type: 'boolean' }, verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) return 'help'
  const number = (name: string, value: string | undefined, fallback: number, valid: (n: number) => boolean, what: string): number => {
    if (value === undefined) return fallback
    const parsed = Number(value)
    if (value.trim() === '' || !valid(parsed)) throw new RangeError(`--${name} needs ${what}, got ${JSON.stringify(value)}`)
    return parsed
  }
  const positive = (n: number) => Number.isFinite(n) && n > 0
  const positiveInteger = (n: number) => Number.isSafeInteger(n) && n > 0
  if (values.report && values['no-report']) throw new RangeError('--report and --no-report contradict each other')
  const minutes = number('minutes', values.minutes, defaults.minutes, positive, 'a positive number (minutes)')
  // Fewer than 4 leave no room for a partition with two instances on each side.
  const instances = number('instances', values.instances, defaults.instances, (n) => Number.isSafeInteger(n) && n >= 4, 'an integer of at least 4')
  const options: SoakOptions = {
    minutes,
    instances,
    minInstances: Math.max(3, instances - 2),
    maxInstances: instances + 2,
    packetsPerSecond: number('rate', values.rate, defaults.packetsPerSecond, positiveInteger, 'a positive integer (packets per second)'),
    flows: number('flows', values.flows, defaults.flows, (n) => positiveInteger(n) && n <= 2_000_000, 'a positive integer up to 2000000'),
    seed: number('seed', values.seed, defaults.seed, Number.isSafeInteger, 'an integer'),
    eventEveryS: number('event-every', values['event-every'], defaults.eventEveryS, (n) => Number.isFinite(n) && n >= 1, 'at least 1 (seconds)'),
    sampleS: number('sample-s', values['sample-s'], defaults.sampleS, (n) => Number.isFinite(n) && n >= 0.5, 'at least 0.5 (seconds)'),
    settleS: number('settle', values.settle, defaults.settleS, positive, 'a positive number (seconds)'),
    gossipIntervalMs: number('gossip-ms', values['gossip-ms'], defaults.gossipIntervalMs, (n) => Number.isFinite(n) && n >= 10, 'at least 10 (ms)'),
    failureTimeoutMs: number('failure-ms', values['failure-ms'], defaults.failureTimeoutMs, Number.isFinite, 'a number (ms)'),
    ackDelayMs: number('ack-delay-ms', values['ack-delay-ms'], defaults.ackDelayMs, (n) => Number.isFinite(n) && n >= 0, 'a non-negative number (ms)'),
    out: values.out ?? null,
    report: values.report === true || (values['no-report'] !== true && minutes >= SHORT_RUN_MINUTES),
    plain: values.plain === true,
    verbose: values.verbose === true,
  }
  if (!(options.failureTimeoutMs > options.gossipIntervalMs)) throw new RangeError(`--failure-ms must exceed --gossip-ms (${options.gossipIntervalMs}), got ${options.failureTimeoutMs}`)
  return options
}
