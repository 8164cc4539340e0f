/**
 * The package's entry points: every `exports` target is built from a source file, and each entry point loads only
 * what it is about. Importing the main entry (the stream) must not load the emulator, the cluster, the service, the
 * proactive engine, PostgreSQL or NATS; a nats sink or a postgres:// store loads its client when it is used.
 *
 * Two checks of the same promise: the module graph walked from the source as `tsc` emits it (every import and
 * re-export but `import type` / `export type`; dynamic `import()` is how a module defers a load, so it is not
 * followed), and the modules Node really resolves when a child process imports the entry.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  types: string;
  files: string[];
  bin: Record<string, string>;
  exports: Record<string, string | { types: string; import: string }>;
};

/** The source file `tsc -p tsconfig.build.json` (rootDir src, outDir dist) builds `dist/<path>.js` from. */
function sourceOf(built: string): string {
  const match = /^\.?\/?dist\/(.+)\.(?:js|d\.ts)$/.exec(built);
  assert.ok(match, `${built} is not a file of dist/`);
  return join(ROOT, 'src', `${match[1]}.ts`);
}

const ENTRIES: Record<string, string> = Object.fromEntries(
  Object.entries(manifest.exports)
    .filter(([, target]) => typeof target !== 'string')
    .map(([name, target]) => [name, sourceOf((target as { import: string }).import)]),
);

/** Modules reachable from `entry` as tsc emits it: source files (relative to the repository) and packages. */
function moduleGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    const key = relative(ROOT, file);
    if (files.has(key)) continue;
    files.add(key);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
    for (const statement of source.statements) {
      let specifier: ts.Expression | undefined;
      if (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly) {
        specifier = statement.moduleSpecifier;
      } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) {
        specifier = statement.moduleSpecifier;
      }
      if (!specifier || !ts.isStringLiteral(specifier)) continue;
      const name = specifier.text;
      if (name.startsWith('node:')) continue;
      if (name.startsWith('.')) {
        const target = resolve(dirname(file), name).replace(/\.js$/, '.ts');
        assert.ok(existsSync(target), `${key} imports ${name}, which is not a source file`);
        pending.push(target);
      } else {
        packages.add(name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]!);
      }
    }
  }
  return { files, packages };
}

/** What the main entry must never load, and what the other entries must not load either. */
const STREAM_ONLY = [
  /^src\/emulator\//,
  /^src\/cluster\//,
  /^src\/service\//,
  /^src\/server\//,
  /^src\/proactive\//,
];
const HEAVY_PACKAGES = [/^pg$/, /^pg-/, /^@nats-io\//];

function offending(names: Iterable<string>, patterns: RegExp[]): string[] {
  return [...names].filter((name) => patterns.some((pattern) => pattern.test(name))).sort();
}

describe('package entry points', () => {
  it('every exports target, main, types and bin is built from a source file the build includes', () => {
    assert.ok(manifest.files.includes('dist'), 'dist is published');
    for (const [name, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string') {
        assert.ok(existsSync(join(ROOT, target)), `${name} → ${target}`);
        continue;
      }
      assert.ok(existsSync(sourceOf(target.import)), `${name}: ${target.import} has no source`);
      assert.equal(sourceOf(target.types), sourceOf(target.import), `${name}: types beside the module`);
    }
    assert.equal(sourceOf(manifest.main), ENTRIES['.'], 'main is the "." entry');
    assert.equal(sourceOf(manifest.types), ENTRIES['.'], 'types are the "." entry');
    for (const [name, built] of Object.entries(manifest.bin)) {
      assert.ok(existsSync(sourceOf(built)), `bin ${name}: ${built} has no source`);
    }
    assert.deepEqual(Object.keys(ENTRIES).sort(), [
      '.',
      './cluster',
      './emulator',
      './proactive',
      './service',
      './testing',
    ]);
  });

  it('the main entry reaches neither the emulator, the cluster, the service, the proactive engine, pg nor NATS', () => {
    const graph = moduleGraph(ENTRIES['.']!);
    assert.ok(graph.files.has('src/pipeline/conversation-stream.ts'), 'the stream is there');
    assert.deepEqual(offending(graph.files, STREAM_ONLY), []);
    assert.deepEqual(offending(graph.packages, HEAVY_PACKAGES), []);
  });

  it('the emulator, proactive and testing entries reach neither pg nor NATS', () => {
    for (const name of ['./emulator', './proactive', './testing']) {
      const graph = moduleGraph(ENTRIES[name]!);
      assert.deepEqual(offending(graph.packages, HEAVY_PACKAGES), [], name);
      assert.deepEqual(offending(graph.files, [/^src\/cluster\//, /^src\/service\//]), [], name);
    }
  });

  it('importing the main entry in a process loads neither the emulator, pg nor NATS', () => {
    // A resolve hook logs every module the child resolves, wherever its import comes from.
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-entry-'));
    try {
      const log = join(dir, 'resolved.txt');
      writeFileSync(
        join(dir, 'hooks.mjs'),
        `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, result.url + '\\n');
  return result;
}
`,
      );
      writeFileSync(
        join(dir, 'register.mjs'),
        `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)}, { data: { log: ${JSON.stringify(log)} } });
`,
      );
      const child = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--import',
          pathToFileURL(join(dir, 'register.mjs')).href,
          '--input-type=module',
          '--eval',
          `await import(${JSON.stringify(pathToFileURL(ENTRIES['.']!).href)});`,
        ],
        { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
      );
      assert.equal(child.status, 0, child.stderr);
      const loaded = readFileSync(log, 'utf8')
        .split('\n')
        .filter((url) => url.startsWith('file:'))
        .map((url) => relative(ROOT, fileURLToPath(url)));
      assert.ok(loaded.includes('src/pipeline/conversation-stream.ts'), 'the stream was loaded');
      assert.deepEqual(offending(loaded, STREAM_ONLY), []);
      const packages = loaded
        .filter((path) => path.startsWith('node_modules/'))
        .map((path) =>
          path
            .split('/')
            .slice(1, path.split('/')[1]!.startsWith('@') ? 3 : 2)
            .join('/'),
        );
      assert.deepEqual(offending(new Set(packages), HEAVY_PACKAGES), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
