// Makes sure redis-server and redis-cli exist before `npm run bench`: when missing, installs
// Debian's redis-server package with apt-get if this runs as root (CI, containers); otherwise
// says how to install it, and the benchmark runs without its Redis systems (marked skipped).
// Uses only Node built-ins.
import { spawnSync } from 'node:child_process'

const has = (command) => !spawnSync(command, ['--version'], { stdio: 'ignore' }).error

if (!has('redis-server') || !has('redis-cli')) {
  if (process.getuid?.() === 0 && has('apt-get')) {
    console.log('redis-server missing: installing Debian\'s redis-server package')
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'redis-server']]) {
      const step = spawnSync('apt-get', args, { stdio: 'inherit', env })
      if (step.status !== 0) {
        console.error(`apt-get ${args.join(' ')} failed (exit ${step.status}); the Redis systems will be skipped`)
        break
      }
    }
  } else {
    console.warn('redis-server not found: install it (Debian/Ubuntu: sudo apt-get install redis-server) to benchmark Redis; the Redis systems will be skipped')
  }
}
