import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    // Tests import the package by its public names, resolved to the sources (no build step).
    alias: [
      { find: /^elastic-state$/, replacement: source('./src/index.ts') },
      { find: /^elastic-state\/sim$/, replacement: source('./src/sim/index.ts') },
      { find: /^elastic-state\/testing$/, replacement: source('./src/testing/index.ts') },
      { find: /^elastic-state\/node$/, replacement: source('./src/node/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'property-tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
})
