import { test } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

test('probe', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'es-docs-'))
  const file = join(dir, 'a.ts')
  const src = resolve('src/index.ts')
  const sim = resolve('src/sim/index.ts')
  writeFileSync(file, `import { counter, defineState } from '${src}'\nimport { createSimulation } from '${sim}'\nimport assert from 'node:assert/strict'\nconst S = defineState({ c: counter() })\nconst s = createSimulation({ seed: 1 })\nconst a = s.spawn(S)\nconst b = s.spawn(S)\na.state.c.increment(2)\ns.runUntilConverged()\nassert.equal(b.state.c.global, 2)\nconst x: number = 3\nconsole.log('ok', x, import.meta.url)\n`)
  await import(pathToFileURL(file).href)
})
