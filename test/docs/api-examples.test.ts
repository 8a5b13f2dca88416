/**
 * Every name exported by `elastic-state`, `elastic-state/sim` and `elastic-state/testing` has an
 * `@example` in its doc comment (where the API reference, `npm run docs`, shows it), and every
 * example is a test: type-checked with the repository's compiler options and run, like the code
 * blocks of docs/ (test/docs/snippets.test.ts). An example checks what it shows with `assert`
 * from 'node:assert/strict'.
 *
 * A re-export may carry its own doc comment (src/index.ts documents some names declared
 * elsewhere): examples from both places count.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import ts from 'typescript'
import { afterAll, describe, expect, test } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))

const entryPoints: Record<string, string> = {
  'elastic-state': join(root, 'src', 'index.ts'),
  'elastic-state/sim': join(root, 'src', 'sim', 'index.ts'),
  'elastic-state/testing': join(root, 'src', 'testing', 'index.ts'),
  'elastic-state/node': join(root, 'src', 'node', 'index.ts'),
}
const documented = ['elastic-state', 'elastic-state/sim', 'elastic-state/testing']

/**
 * Names whose declarations live in files owned by work in progress elsewhere (src/sim/,
 * src/transport.ts); listed so the rest is enforced now. An entry that gains an example must
 * leave this list.
 */
const awaitingExamples = new Set<string>([])

const configFile = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile)
const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root)
const program = ts.createProgram(documented.map((name) => entryPoints[name]!), { ...parsed.options, noEmit: true })
const checker = program.getTypeChecker()

interface Example {
  name: string
  index: number
  code: string
  /** A block opened with ```ts no-run is type-checked, not run (it needs a server, a browser, ...). */
  run: boolean
}

/** The text of `@example` tags in the doc comment of `node`. */
function exampleTags(node: ts.Node): string[] {
  return ts.getJSDocTags(node)
    .filter((tag) => tag.tagName.text === 'example')
    .map((tag) => (typeof tag.comment === 'string' ? tag.comment : ts.getTextOfJSDocComment(tag.comment) ?? ''))
}

/** The ```ts blocks of an example tag. */
function codeBlocks(text: string): { code: string; run: boolean }[] {
  return [...text.matchAll(/```ts( no-run)?\n([\s\S]*?)```/g)].map((match) => ({ code: match[2]!, run: match[1] === undefined }))
}

const exported: { name: string; examples: { code: string; run: boolean }[] }[] = []
for (const entry of documented) {
  const source = program.getSourceFile(entryPoints[entry]!)!
  const module = checker.getSymbolAtLocation(source)!
  for (const symbol of checker.getExportsOfModule(module)) {
    const nodes: ts.Node[] = []
    for (const declaration of symbol.declarations ?? []) {
      nodes.push(declaration)
      // `export { x } from` and `export type { X } from`: the comment sits on the statement.
      if (ts.isExportSpecifier(declaration)) nodes.push(declaration.parent.parent)
    }
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
    for (const declaration of target.declarations ?? []) nodes.push(ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration)
    const texts = [...new Set(nodes.flatMap(exampleTags))]
    exported.push({ name: `${entry}:${symbol.getName()}`, examples: texts.flatMap(codeBlocks) })
  }
}

function rewriteImports(example: Example): string {
  return example.code.replace(/(\bfrom\s*|\bimport\s*\(?\s*)(['"])(elastic-state(?:\/[^'"]*)?)\2/g, (_match, prefix: string, quote: string, specifier: string) => {
    const target = entryPoints[specifier]
    if (target === undefined) throw new Error(`${example.name}: imports ${specifier}, which the package does not export`)
    return `${prefix}${quote}${target}${quote}`
  })
}

const examples: Example[] = exported.flatMap(({ name, examples: blocks }) => blocks.map(({ code, run }, index) => ({ name, index, code, run })))
const outDir = mkdtempSync(join(tmpdir(), 'elastic-state-api-examples-'))
writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n')
symlinkSync(join(root, 'node_modules'), join(outDir, 'node_modules'), 'dir')
const files = new Map<Example, string>()
for (const example of examples) {
  const file = join(outDir, `${example.name.replace(/[^\w-]+/g, '_')}-${example.index}.ts`)
  writeFileSync(file, `${rewriteImports(example)}\nexport {}\n`)
  files.set(example, file)
}

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true })
})

test('every exported name has an @example with a ```ts block', () => {
  const missing = exported.filter((entry) => entry.examples.length === 0 && !awaitingExamples.has(entry.name)).map((entry) => entry.name)
  expect(missing).toEqual([])
  const stale = exported.filter((entry) => entry.examples.length > 0 && awaitingExamples.has(entry.name)).map((entry) => entry.name)
  expect(stale, 'these have examples now: remove them from awaitingExamples').toEqual([])
})

describe('API examples', () => {
  for (const example of examples) {
    const name = `${example.name} #${example.index + 1}`
    if (!example.run) {
      test.skip(name, () => {})
      continue
    }
    test(name, async () => {
      expect(example.code, `${name} checks nothing: use assert from 'node:assert/strict'`).toMatch(/\bassert\b/)
      await import(pathToFileURL(files.get(example)!).href)
    })
  }
})

test('API examples type-check', () => {
  const exampleProgram = ts.createProgram([...files.values()], {
    ...parsed.options,
    noEmit: true,
    allowImportingTsExtensions: true,
    typeRoots: [join(root, 'node_modules', '@types')],
    rootDir: undefined,
  })
  const generated = new Map([...files].map(([example, file]) => [file, example]))
  const messages = ts.getPreEmitDiagnostics(exampleProgram)
    .filter((diagnostic) => diagnostic.file && generated.has(diagnostic.file.fileName))
    .map((diagnostic) => {
      const example = generated.get(diagnostic.file!.fileName)!
      const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
      return `${example.name} #${example.index + 1}, line ${line + 1}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`
    })
  expect(messages).toEqual([])
}, 120_000)
