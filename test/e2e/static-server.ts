/** A static file server on a loopback port, enough to serve the built simulator in a test. */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

export interface StaticServer {
  /** Base URL ending in `/`. */
  readonly url: string
  close(): Promise<void>
}

/** Serve `root` on 127.0.0.1 at a free port; paths outside `root` are refused. */
export async function serveStatic(root: string): Promise<StaticServer> {
  const base = normalize(root + sep)
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname)
    const file = normalize(join(base, path.endsWith('/') ? `${path}index.html` : path))
    if (!file.startsWith(base)) {
      response.writeHead(403).end()
      return
    }
    stat(file).then(
      (info) => {
        if (!info.isFile()) throw new Error('not a file')
        response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': info.size })
        createReadStream(file).pipe(response)
      },
      () => response.writeHead(404).end(),
    ).catch(() => response.writeHead(404).end())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  }
}
