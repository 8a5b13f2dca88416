// Runs `npm install` when dependencies are missing, so `npm start` and `npm test` work on a
// fresh clone. Uses only Node built-ins (nothing is installed yet when it runs).
import { existsSync } from 'node:fs'
import { execSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const required = ['tsx', 'vitest', 'typescript', 'yjs', 'lib0', 'y-protocols', 'fast-check', 'ws', 'prom-client', 'vite', 'playwright-core', 'typedoc', '@automerge/automerge', 'loro-crdt', 'ioredis']
if (!required.every((name) => existsSync(join(root, 'node_modules', name, 'package.json')))) {
  console.log('dependencies missing: running npm install first')
  execSync(existsSync(join(root, 'package-lock.json')) ? 'npm ci --no-audit --no-fund' : 'npm install --no-audit --no-fund', { cwd: root, stdio: 'inherit' })
}
