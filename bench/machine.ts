/** The machine and software a run measured: for the report, and to tell runs apart. */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { redisServerVersion } from './redis/servers.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PACKAGES = ['yjs', '@automerge/automerge', 'loro-crdt', 'ioredis', 'lib0', 'tsx', 'typescript'] as const

export interface MachineInfo {
  os: string
  cpu: string
  cores: number
  memoryGiB: number
  node: string
  v8: string
  /** Version of elastic-state and of every compared package, as installed. */
  packages: Record<string, string>
  redisServer: string | null
  /** The commit measured, with `+changes` when the working tree differed from it. */
  commit: string | null
  /** 1-minute load averages when the run started and ended: a busy machine makes noisy figures. */
  loadAverage: { start: number; end: number | null }
}

function packageVersion(name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(`${ROOT}/node_modules/${name}/package.json`, 'utf8')) as { version?: string }
    return manifest.version ?? 'unknown'
  } catch (error) {
    return `not installed (${(error as NodeJS.ErrnoException).code ?? 'error'})`
  }
}

function gitCommit(): string | null {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' })
  if (head.error || head.status !== 0) return null
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' })
  return `${head.stdout.trim()}${status.stdout.trim() ? '+changes' : ''}`
}

export function describeMachine(): MachineInfo {
  const cpus = os.cpus()
  const own = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string }
  const packages: Record<string, string> = { 'elastic-state': own.version }
  for (const name of PACKAGES) packages[name] = packageVersion(name)
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    packages,
    redisServer: redisServerVersion(),
    commit: gitCommit(),
    loadAverage: { start: os.loadavg()[0]!, end: null },
  }
}
