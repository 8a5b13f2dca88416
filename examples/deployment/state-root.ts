/**
 * The temporary directory that holds every instance's state directory during a run. It records
 * the orchestrator's pid, so that a later run can remove what a killed orchestrator (SIGKILL,
 * power cut) could not clean up itself.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const PREFIX = 'elastic-state-deployment-'
const OWNER_FILE = 'orchestrator.pid'

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function ownerOf(dir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'))
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/** Removes the state roots of earlier runs whose orchestrator is dead; returns how many. */
export function removeStaleStateRoots(): number {
  let removed = 0
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue
    const dir = join(tmpdir(), name)
    const owner = ownerOf(dir)
    // Without an owner file the directory may be a run that is just starting: it stays.
    if (owner === null || processAlive(owner)) continue
    rmSync(dir, { recursive: true, force: true })
    removed++
  }
  return removed
}

export function createStateRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), PREFIX))
  writeFileSync(join(dir, OWNER_FILE), String(process.pid))
  return dir
}
