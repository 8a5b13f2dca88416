/**
 * Vite configuration of the simulator. `base: './'` makes every asset URL relative, so the built
 * site works from any static file server and any path. `elastic-state` and `elastic-state/sim`
 * resolve through the package's own exports (to dist/, built by `npm run build`).
 */
import { defineConfig } from 'vite'

export default defineConfig({
  base: './',
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
  },
  worker: {
    format: 'es',
  },
  // The dev server's dependency scan starts from these; the worker is reached only through
  // `new Worker(new URL(...))`, which the scan does not follow.
  optimizeDeps: {
    entries: ['index.html', 'src/engine/worker.ts'],
  },
})
