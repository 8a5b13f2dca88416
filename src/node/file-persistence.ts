/**
 * `filePersistence(dir)`: a snapshot file replaced atomically (write a temporary file, fsync,
 * rename, fsync the directory) and an append-only log of checksummed records after it, each
 * fsynced before `append` resolves. A crash in the middle of an append leaves a torn last record,
 * which the next `load` finds by its length or checksum, drops, and cuts off the file.
 *
 * A lock file holds the owning process id, so two live processes never share a directory.
 */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { type FileHandle, mkdir, open, readFile, rename, rm, truncate } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { murmur3 } from '../checksum.js'
import { LifecycleError } from '../errors.js'
import type { Persistence } from '../persistence.js'

const SNAPSHOT = 'snapshot.bin'
const LOG = 'log.bin'
const LOCK = 'lock'
const HEADER = 8
const MAX_RECORD = 2 ** 31

function frameRecord(record: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + record.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, record.length, true)
  view.setUint32(4, murmur3(record), true)
  out.set(record, HEADER)
  return out
}

/** The whole records in `bytes` and the length they cover (a torn or corrupt tail is left out). */
export function readRecords(bytes: Uint8Array): { records: Uint8Array[]; validBytes: number } {
  const records: Uint8Array[] = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 0
  while (offset + HEADER <= bytes.length) {
    const length = view.getUint32(offset, true)
    if (length > MAX_RECORD || offset + HEADER + length > bytes.length) break
    const record = bytes.subarray(offset + HEADER, offset + HEADER + length)
    if (murmur3(record) !== view.getUint32(offset + 4, true)) break
    records.push(record)
    offset += HEADER + length
  }
  return { records, validBytes: offset }
}

async function readIfExists(path: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await readFile(path))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Directories locked by this process (a lock file naming our own pid is not enough). */
const lockedHere = new Set<string>()

/** Takes the directory's lock, or throws when a live process (or another store here) holds it. */
function takeLock(dir: string): string {
  const path = resolve(dir, LOCK)
  if (lockedHere.has(path)) throw new LifecycleError(`state directory ${dir} is in use by another replica of this process`)
  try {
    const fd = openSync(path, 'wx')
    writeSync(fd, String(process.pid))
    closeSync(fd)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const holder = Number(readFileSync(path, 'utf8'))
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
      throw new LifecycleError(`state directory ${dir} is in use by process ${holder}`)
    }
    // Left behind by a process that died: take it over.
    writeFileSync(path, String(process.pid))
  }
  lockedHere.add(path)
  return path
}

/**
 * Keeps a replica's state in `dir` (created if missing), so a replica restarted on it keeps
 * every write that `flush()` confirmed.
 * @example
 * ```ts
 * const replica = createReplica(Monitor, { id: 'vnf-1', transport, persistence: filePersistence('./state/vnf-1') })
 * await replica.start()   // loads what the directory holds
 * replica.state.packets.increment()
 * await replica.flush()   // durable from here on
 * ```
 */
export function filePersistence(dir: string): Persistence {
  if (typeof dir !== 'string' || dir.length === 0) throw new RangeError('filePersistence needs a directory path')
  let log: FileHandle | null = null
  let lockPath: string | null = null
  let closed = false
  // Appends and replaces run one at a time, in call order.
  let queue: Promise<unknown> = Promise.resolve()
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task)
    queue = next.catch(() => {})
    return next
  }
  const logHandle = async (): Promise<FileHandle> => {
    if (closed) throw new LifecycleError(`persistence of ${dir} is closed`)
    log ??= await open(join(dir, LOG), 'a')
    return log
  }

  return {
    load: () => serial(async () => {
      await mkdir(dir, { recursive: true })
      lockPath ??= takeLock(dir)
      const records: Uint8Array[] = []
      const snapshot = await readIfExists(join(dir, SNAPSHOT))
      if (snapshot) records.push(...readRecords(snapshot).records)
      const logBytes = await readIfExists(join(dir, LOG))
      if (logBytes) {
        const { records: logged, validBytes } = readRecords(logBytes)
        records.push(...logged)
        // Cut a torn tail off, so later appends follow the last whole record.
        if (validBytes < logBytes.length) await truncate(join(dir, LOG), validBytes)
      }
      return records
    }),
    append: (record) => serial(async () => {
      const handle = await logHandle()
      await handle.write(frameRecord(record))
      await handle.datasync()
    }),
    replace: (record) => serial(async () => {
      const temporary = join(dir, `${SNAPSHOT}.tmp`)
      const handle = await open(temporary, 'w')
      try {
        await handle.write(frameRecord(record))
        await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(temporary, join(dir, SNAPSHOT))
      await syncDirectory(dir)
      // The snapshot holds everything the log held: the log starts over.
      const current = await logHandle()
      await current.truncate(0)
      await current.datasync()
    }),
    close: () => serial(async () => {
      if (closed) return
      closed = true
      await log?.close()
      log = null
      if (lockPath) {
        lockedHere.delete(lockPath)
        await rm(lockPath, { force: true })
      }
    }),
  }
}
