/** filePersistence: durable records, atomic snapshots, torn tails, locks; and replicas restarted on it. */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LifecycleError, SchemaMismatchError, counter, createReplica, defineState, doc, flowTable, register } from 'elastic-state'
import { filePersistence } from 'elastic-state/node'

let dir = ''
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'es-persist-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const bytes = (...values: number[]) => new Uint8Array(values)

describe('filePersistence as a store', () => {
  it('loads records in the order written, the snapshot first', async () => {
    const store = filePersistence(dir)
    expect(await store.load()).toEqual([])
    await store.append(bytes(1))
    await store.append(bytes(2, 2))
    await store.close()
    const again = filePersistence(dir)
    expect(await again.load()).toEqual([bytes(1), bytes(2, 2)])
    await again.replace(bytes(9, 9, 9))
    await again.append(bytes(3))
    await again.close()
    const third = filePersistence(dir)
    expect(await third.load()).toEqual([bytes(9, 9, 9), bytes(3)])
    await third.close()
  })

  it('drops a torn last record and cuts it off, so later appends follow the last whole one', async () => {
    const store = filePersistence(dir)
    await store.load()
    await store.append(bytes(1, 1, 1))
    await store.append(bytes(2, 2, 2, 2))
    await store.close()
    const log = join(dir, 'log.bin')
    truncateSync(log, statSync(log).size - 2)
    const reopened = filePersistence(dir)
    expect(await reopened.load()).toEqual([bytes(1, 1, 1)])
    await reopened.append(bytes(5))
    await reopened.close()
    const last = filePersistence(dir)
    expect(await last.load()).toEqual([bytes(1, 1, 1), bytes(5)])
    await last.close()
  })

  it('drops a last record whose checksum does not match, and garbage after a whole record', async () => {
    const store = filePersistence(dir)
    await store.load()
    await store.append(bytes(1, 2, 3))
    await store.append(bytes(4, 5, 6))
    await store.close()
    const log = join(dir, 'log.bin')
    const content = readFileSync(log)
    content[content.length - 1] ^= 0xff
    writeFileSync(log, content)
    appendFileSync(log, Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2]))
    const reopened = filePersistence(dir)
    expect(await reopened.load()).toEqual([bytes(1, 2, 3)])
    await reopened.close()
  })

  it('ignores a snapshot left half-written in its temporary file', async () => {
    const store = filePersistence(dir)
    await store.load()
    await store.replace(bytes(7))
    await store.close()
    writeFileSync(join(dir, 'snapshot.bin.tmp'), Buffer.from([1, 2, 3]))
    const reopened = filePersistence(dir)
    expect(await reopened.load()).toEqual([bytes(7)])
    await reopened.close()
  })

  it('refuses a directory locked by a live process, and takes over one left by a dead process', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' })
    try {
      writeFileSync(join(dir, 'lock'), String(holder.pid))
      await expect(filePersistence(dir).load()).rejects.toThrow(LifecycleError)
    } finally {
      holder.kill('SIGKILL')
    }
    await new Promise((resolve) => holder.once('exit', resolve))
    const store = filePersistence(dir)
    expect(await store.load()).toEqual([])
    // Within one process, a second store on a locked directory is refused too.
    await expect(filePersistence(dir).load()).rejects.toThrow(LifecycleError)
    await store.close()
  })
})

const Monitor = defineState({
  packets: counter(),
  mode: register<string>('idle'),
  flows: flowTable({ fields: { packets: counter(), bytes: counter() } }),
  rules: doc(),
})

describe('a replica on filePersistence', () => {
  it('keeps every flushed write across a restart, under a new incarnation', async () => {
    const first = createReplica(Monitor, { id: 'vnf-1', persistence: filePersistence(dir) })
    await first.start()
    first.state.packets.increment(40)
    first.state.mode.set('busy')
    for (let i = 0; i < 2000; i++) first.state.flows.entry(`flow-${i}`).bytes.increment(i)
    first.state.rules.doc.getArray<string>('rules').push(['drop 10.0.0.1'])
    await first.flush()
    first.state.packets.increment(2)
    await first.flush()
    const expected = first.snapshot()
    // Lost memory: the process ends without stop() (nothing more is written).
    const second = createReplica(Monitor, { id: 'vnf-1', persistence: filePersistence(join(dir, '.', '')), incarnation: first.incarnation + 1 })
    await expect(second.start()).rejects.toThrow(LifecycleError)
    await first.stop()
    const third = createReplica(Monitor, { id: 'vnf-1', persistence: filePersistence(dir), incarnation: first.incarnation + 2 })
    await third.start()
    expect(third.snapshot()).toEqual(expected)
    expect(third.incarnation).toBeGreaterThan(first.incarnation)
    // The restarted instance writes on; the old incarnation's counts stay in the global view.
    third.state.packets.increment(1)
    expect(third.state.packets.global).toBe(43)
    await third.stop()
  })

  it('loses at most the writes after the last flush when the log is torn', async () => {
    const first = createReplica(Monitor, { id: 'vnf-1', persistence: filePersistence(dir) })
    await first.start()
    first.state.packets.increment(10)
    await first.flush()
    first.state.packets.increment(5)
    await first.flush()
    await first.stop()
    const log = join(dir, 'log.bin')
    truncateSync(log, statSync(log).size - 3)
    const second = createReplica(Monitor, { id: 'vnf-1', persistence: filePersistence(dir) })
    await second.start()
    expect(second.state.packets.global).toBe(10)
    await second.stop()
  })

  it('compacts the log into a snapshot as it grows, without losing anything', async () => {
    const replica = createReplica(Monitor, { id: 'vnf-1', persistence: filePersistence(dir) })
    await replica.start()
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 1000; i++) replica.state.flows.entry(`flow-${i}`).packets.increment()
      await replica.flush()
    }
    const expected = replica.snapshot()
    await replica.stop()
    // Forty rounds of 1000 changed entries would be several MiB of records without compaction.
    expect(statSync(join(dir, 'log.bin')).size).toBeLessThan(2 << 20)
    const again = createReplica(Monitor, { id: 'vnf-1', persistence: filePersistence(dir) })
    await again.start()
    expect(again.snapshot()).toEqual(expected)
    await again.stop()
  })

  it('refuses to start on a directory written by other state, and changes nothing in it', async () => {
    const first = createReplica(Monitor, { id: 'vnf-1', persistence: filePersistence(dir) })
    await first.start()
    first.state.packets.increment(3)
    await first.flush()
    first.state.packets.increment(100)
    // stop() writes nothing: the increment after the flush is not kept.
    await first.stop()
    const before = readFileSync(join(dir, 'snapshot.bin'))
    const Other = defineState({ hits: counter() })
    const other = createReplica(Other, { id: 'vnf-1', persistence: filePersistence(dir) })
    await expect(other.start()).rejects.toThrow(SchemaMismatchError)
    expect(other.status).toBe('stopped')
    expect(readFileSync(join(dir, 'snapshot.bin'))).toEqual(before)
    const back = createReplica(Monitor, { id: 'vnf-1', persistence: filePersistence(dir) })
    await back.start()
    expect(back.state.packets.global).toBe(3)
    await back.stop()
  })
})

describe('a replica whose store fails a write', () => {
  it('rejects that flush, and the next flush writes everything again, so no confirmed write is lost', async () => {
    const { memoryPersistence } = await import('elastic-state')
    const inner = memoryPersistence()
    let failNext = false
    const flaky = {
      ...inner,
      load: () => inner.load(),
      replace: (record: Uint8Array) => inner.replace(record),
      append: (record: Uint8Array) => {
        if (failNext) {
          failNext = false
          return Promise.reject(new Error('disk full'))
        }
        return inner.append(record)
      },
    }
    const first = createReplica(Monitor, { id: 'vnf-1', persistence: flaky })
    await first.start()
    first.state.packets.increment(1)
    await first.flush()
    failNext = true
    first.state.packets.increment(10)
    await expect(first.flush()).rejects.toThrow('disk full')
    first.state.packets.increment(100)
    await first.flush()
    await first.stop()
    const second = createReplica(Monitor, { id: 'vnf-1', persistence: inner })
    await second.start()
    expect(second.state.packets.global).toBe(111)
    await second.stop()
  })
})
