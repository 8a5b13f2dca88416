/**
 * Every ```ts block in docs/*.md runs as a test, so the docs cannot drift from the code.
 *
 * Each block is written, with its imports of `elastic-state` and its sub-paths pointed at this
 * checkout's sources (other packages resolve from this checkout's node_modules), to its own file in a temporary directory (outside the repository, so
 * nothing generated is left behind), then imported in its own test named `page.md:line`. A block
 * must check what it claims with `assert` from 'node:assert/strict'. All blocks are also
 * type-checked together, with the repository's compiler options, so a snippet that would not
 * compile for a user fails here too. A block opened with ```ts no-run is shown but not run.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import ts from 'typescript'
import { afterAll, describe, expect, test } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const docsDir = join(root, 'docs')

/** Entry points a snippet may import, and the source file each one stands for here. */
const entryPoints: Record<string, string> = {
  'elastic-state': join(root, 'src', 'index.ts'),
  'elastic-state/sim': join(root, 'src', 'sim', 'index.ts'),
  'elastic-state/node': join(root, 'src', 'node', 'index.ts'),
  'elastic-state/testing': join(root, 'src', 'testing', 'index.ts'),
}

interface Snippet {
  page: string
  /** 1-based line of the opening fence. */
  line: number
  code: string
  run: boolean
}

/** Fenced blocks whose info string starts with `ts` (`ts` or `ts no-run`); other languages are prose. */
function extractSnippets(page: string, markdown: string): Snippet[] {
  const snippets: Snippet[] = []
  const lines = markdown.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const open = /^\s*```(\S*)\s*(.*)$/.exec(lines[index]!)
    if (!open) continue
    const start = index
    const body: string[] = []
    for (index++; index < lines.length && !/^\s*```\s*$/.test(lines[index]!); index++) body.push(lines[index]!)
    if (index >= lines.length) throw new Error(`${page}:${start + 1}: code block is never closed`)
    if (open[1] !== 'ts') continue
    const flags = open[2]!.split(/\s+/).filter(Boolean)
    const unknown = flags.filter((flag) => flag !== 'no-run')
    if (unknown.length > 0) throw new Error(`${page}:${start + 1}: unknown code block flag ${unknown.join(' ')}`)
    snippets.push({ page, line: start + 1, code: body.join('\n'), run: !flags.includes('no-run') })
  }
  return snippets
}

/** Points `from 'elastic-state...'` at the sources; any other sub-path of the package is an error. */
function rewriteImports(snippet: Snippet): string {
  return snippet.code.replace(/(\bfrom\s*|\bimport\s*\(?\s*)(['"])(elastic-state(?:\/[^'"]*)?)\2/g, (_match, prefix: string, quote: string, specifier: string) => {
    const target = entryPoints[specifier]
    if (target === undefined) throw new Error(`${snippet.page}:${snippet.line}: imports ${specifier}, which the package does not export`)
    return `${prefix}${quote}${target}${quote}`
  })
}

const pages = readdirSync(docsDir).filter((name) => name.endsWith('.md')).sort()
const snippets = pages.flatMap((page) => extractSnippets(page, readFileSync(join(docsDir, page), 'utf8')))
const outDir = mkdtempSync(join(tmpdir(), 'elastic-state-docs-'))
// ES modules, as in a user's project with "type": "module" (top-level await works).
writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n')
// The package's own dependencies (fast-check for elastic-state/testing, yjs for doc()) resolve as
// they would in a user's project that installed them.
symlinkSync(join(root, 'node_modules'), join(outDir, 'node_modules'), 'dir')
const files = new Map<Snippet, string>()
for (const snippet of snippets) {
  const file = join(outDir, `${snippet.page.replace(/\.md$/, '')}-line-${snippet.line}.ts`)
  // `export {}` makes every snippet a module, so top-level await works and names do not clash.
  writeFileSync(file, `${rewriteImports(snippet)}\nexport {}\n`)
  files.set(snippet, file)
}

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true })
})

test('docs/ has pages and runnable snippets', () => {
  expect(pages).toContain('README.md')
  expect(snippets.filter((snippet) => snippet.run).length).toBeGreaterThan(0)
})

describe('docs snippets', () => {
  for (const snippet of snippets) {
    const name = `${snippet.page}:${snippet.line}`
    if (!snippet.run) {
      test.skip(name, () => {})
      continue
    }
    test(name, async () => {
      expect(snippet.code, `${name} checks nothing: use assert from 'node:assert/strict'`).toMatch(/\bassert\b/)
      await import(pathToFileURL(files.get(snippet)!).href)
    })
  }
})

test('docs snippets type-check', () => {
  const configFile = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root)
  const program = ts.createProgram([...files.values()], {
    ...parsed.options,
    noEmit: true,
    // The snippets import the sources by their .ts paths, as vitest runs them.
    allowImportingTsExtensions: true,
    typeRoots: [join(root, 'node_modules', '@types')],
    rootDir: undefined,
  })
  const generated = new Set(files.values())
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((diagnostic) => diagnostic.file && generated.has(diagnostic.file.fileName))
  const byFile = new Map([...files].map(([snippet, file]) => [file, snippet]))
  const messages = diagnostics.map((diagnostic) => {
    const snippet = byFile.get(diagnostic.file!.fileName)!
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
    return `${snippet.page}:${snippet.line + 1 + line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`
  })
  expect(messages).toEqual([])
}, 120_000)
