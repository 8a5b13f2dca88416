/**
 * The Redis servers the benchmark compares with: one central `redis-server` and a Redis Cluster
 * of three masters, started from the system's redis-server on free loopback ports, each in its
 * own directory under `workDir` (which belongs to them: it is removed when they stop), and
 * stopped by pid. Every pid is also written to `<workDir>/redis-pids` so whoever started the
 * harness can clean up after a hard kill.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { appendFileSync, mkdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { Redis } from 'ioredis'

const READY_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 5_000
const CLUSTER_MASTERS = 3
/** Redis Cluster's bus listens at the client port + 10000. */
const BUS_PORT_OFFSET = 10_000
const PORT_RANGE: [number, number] = [20_000, 55_000]

export class RedisUnavailable extends Error {
  override readonly name = 'RedisUnavailable'
}

export interface RedisDeployment {
  central: number
  cluster: number[]
  version: string
  /** Stops every server (SIGTERM, then SIGKILL after a time-out) and removes their directories. */
  stop(): Promise<void>
  /** Last resort on process exit: SIGKILL whatever still runs, remove the directories, synchronously. */
  killNow(): void
}

/** The installed redis-server's version, or null when there is none. */
export function redisServerVersion(): string | null {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) return null
  return /v=(\S+)/.exec(probe.stdout)?.[1] ?? probe.stdout.trim()
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** A random free high port whose cluster-bus port (+10000) is free too, not in `taken`. */
async function freePort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORT_RANGE[0] + Math.floor(Math.random() * (PORT_RANGE[1] - PORT_RANGE[0]))
    if (taken.has(port) || taken.has(port + BUS_PORT_OFFSET)) continue
    if (await portIsFree(port) && await portIsFree(port + BUS_PORT_OFFSET)) {
      taken.add(port)
      taken.add(port + BUS_PORT_OFFSET)
      return port
    }
  }
  throw new Error('no free loopback port pair found for redis-server')
}

async function waitReady(port: number, server: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let lastError: unknown = null
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`redis-server on port ${port} exited with code ${server.exitCode}; see ${log}`)
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
    client.on('error', () => {})
    try {
      await client.connect()
      if (await client.ping() === 'PONG') return
    } catch (error) {
      // Not listening yet: try again until the deadline.
      lastError = error
    } finally {
      client.disconnect()
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`redis-server on port ${port} not ready after ${READY_TIMEOUT_MS} ms (${(lastError as Error | null)?.message ?? 'no answer'}); see ${log}`)
}

async function waitClusterOk(ports: number[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  for (const port of ports) {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null })
    client.on('error', () => {})
    try {
      await client.connect()
      for (;;) {
        const info = String(await client.call('CLUSTER', 'INFO'))
        if (info.includes('cluster_state:ok')) break
        if (Date.now() > deadline) throw new Error(`cluster node on port ${port} not ok after ${READY_TIMEOUT_MS} ms: ${info.split('\n')[0]}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    } finally {
      client.disconnect()
    }
  }
}

export async function startRedis(workDir: string): Promise<RedisDeployment> {
  const version = redisServerVersion()
  if (version === null) throw new RedisUnavailable('redis-server is not installed (on Debian: apt-get install redis-server)')
  mkdirSync(workDir, { recursive: true })
  const servers: ChildProcess[] = []
  const pidFile = join(workDir, 'redis-pids')
  const taken = new Set<number>()

  const startServer = async (name: string, clusterNode: boolean): Promise<number> => {
    const port = await freePort(taken)
    const directory = join(workDir, `${name}-${port}`)
    mkdirSync(directory, { recursive: true })
    const log = join(directory, 'redis.log')
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--logfile', log,
      '--save', '', '--appendonly', 'no', '--daemonize', 'no']
    if (clusterNode) args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(directory, 'nodes.conf'), '--cluster-node-timeout', '5000')
    const server = spawn('redis-server', args, { stdio: 'ignore' })
    servers.push(server)
    if (server.pid !== undefined) appendFileSync(pidFile, `${server.pid}\n`)
    await waitReady(port, server, log)
    return port
  }

  const deployment: RedisDeployment = {
    central: 0,
    cluster: [],
    version,
    async stop() {
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
        if (server.exitCode !== null || server.signalCode !== null) return resolve()
        const timer = setTimeout(() => server.kill('SIGKILL'), STOP_TIMEOUT_MS)
        server.once('exit', () => {
          clearTimeout(timer)
          resolve()
        })
        server.kill('SIGTERM')
      })))
      rmSync(workDir, { recursive: true, force: true })
    },
    killNow() {
      for (const server of servers) if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL')
      rmSync(workDir, { recursive: true, force: true })
    },
  }
  try {
    deployment.central = await startServer('central', false)
    for (let i = 0; i < CLUSTER_MASTERS; i++) deployment.cluster.push(await startServer(`cluster-${i}`, true))
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...deployment.cluster.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: READY_TIMEOUT_MS })
    if (create.error || create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.error?.message ?? (create.stderr.trim() || create.stdout.trim())}`)
    await waitClusterOk(deployment.cluster)
  } catch (error) {
    await deployment.stop()
    throw error
  }
  return deployment
}
