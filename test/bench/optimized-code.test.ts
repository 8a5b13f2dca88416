/**
 * A full GC at a quiet moment must not throw away the optimized code of the per-packet and sync
 * paths (src/shapes.ts). Before the classes whose instances die young were held, V8 discarded
 * most of it ("weak objects": the hidden classes it checks against had died), and a joiner's
 * first catch-up after a forced GC paid for compiling the whole sync path again.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const fixture = fileURLToPath(new URL('./fixtures/full-gc.ts', import.meta.url))

describe('optimized code across a full GC', () => {
  it('keeps the per-packet and sync code optimized through forced full GCs', () => {
    const run = spawnSync(process.execPath, ['--expose-gc', '--allow-natives-syntax', '--import', 'tsx', fixture], { encoding: 'utf8', timeout: 120_000 })
    expect(run.status, run.stderr).toBe(0)
    const { names, before, after } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { names: string[]; before: string[]; after: string[] }
    // Precondition: the workload had every one of them optimized before the GCs.
    expect(before).toEqual(names)
    expect(after).toEqual(names)
  }, 150_000)
})
