/**
 * No import cycles in `src/`. A module of a cycle can run before the module it imports has finished evaluating
 * (a class or constant read in the temporal dead zone, a registry seen half-filled), and a cycle means two modules
 * that cannot be understood, tested or moved one without the other.
 *
 * Two graphs, read from the source with the TypeScript parser:
 * - **Run time**: the imports Node follows when it loads the built code. With `verbatimModuleSyntax`, tsc keeps every
 *   `import` and `export … from` but `import type` / `export type` (an `import { type A }` still loads its module).
 *   Dynamic `import()` is how a module defers a load until it is used, so it is not an edge. No cycle is allowed here.
 * - **Types included**: the same plus `import type` / `export type`. A type-only cycle costs nothing at run time but
 *   still ties modules together, so one is allowed only inside one folder (a file and its neighbours); across
 *   folders it means a layer reaching back up, and fails.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');

interface Edge {
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

/** Every file of `src/` (relative to the repository) and its static imports of other files of `src/`. */
function importGraph(): Map<string, Edge[]> {
  const graph = new Map<string, Edge[]>();
  for (const file of sourceFiles(SRC)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
    const edges: Edge[] = [];
    for (const statement of source.statements) {
      let specifier: ts.Expression | undefined;
      let typeOnly = false;
      if (ts.isImportDeclaration(statement)) {
        specifier = statement.moduleSpecifier;
        typeOnly = statement.importClause?.isTypeOnly ?? false;
      } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
        specifier = statement.moduleSpecifier;
        typeOnly = statement.isTypeOnly;
      }
      // Packages and node: built-ins are outside src/; a relative specifier names the emitted `.js` of a source file.
      if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier.text).replace(/\.js$/, '.ts');
      edges.push({ to: relative(ROOT, target), typeOnly });
    }
    graph.set(relative(ROOT, file), edges);
  }
  return graph;
}

/** The strongly connected components that hold a cycle (more than one file, or a file importing itself). */
function cyclicComponents(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.includes(node)) components.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return components;
}

/** A shortest cycle through the component's first file, written `a → b → a`. */
function cycleThrough(graph: Map<string, string[]>, component: string[]): string {
  const members = new Set(component);
  const start = component[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const next of graph.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start].join(' → ');
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return component.join(', ');
}

function describeCycles(graph: Map<string, string[]>, components: string[][]): string {
  return components
    .map(
      (component) =>
        `${component.length} files: ${cycleThrough(graph, component)}\n    (${component.join(', ')})`,
    )
    .join('\n  ');
}

function adjacency(graph: Map<string, Edge[]>, keep: (edge: Edge) => boolean): Map<string, string[]> {
  return new Map(
    [...graph].map(([file, edges]) => [file, [...new Set(edges.filter(keep).map((e) => e.to))]]),
  );
}

const graph = importGraph();

describe('import cycles in src/', () => {
  it('finds a cycle and names it (the check itself, on a graph made up here)', () => {
    const made = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'd.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
    ]);
    const cycles = cyclicComponents(made);
    assert.deepEqual(cycles, [['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
    assert.equal(cycleThrough(made, cycles[0]!), 'a.ts → b.ts → c.ts → a.ts');
    assert.equal(cycleThrough(made, cycles[1]!), 'e.ts → e.ts');
  });

  it('reads every import of src/ (the graph is not empty and every target is a source file)', () => {
    assert.ok(graph.size > 100, `only ${graph.size} files found under src/`);
    for (const [file, edges] of graph) {
      for (const edge of edges)
        assert.ok(graph.has(edge.to), `${file} imports ${edge.to}, which is not in src/`);
    }
  });

  it('has no cycle at run time (import type / export type aside)', () => {
    const runtime = adjacency(graph, (edge) => !edge.typeOnly);
    const cycles = cyclicComponents(runtime);
    assert.deepEqual(cycles, [], `import cycles at run time:\n  ${describeCycles(runtime, cycles)}`);
  });

  it('has type-only cycles only within one folder', () => {
    const all = adjacency(graph, () => true);
    const across = cyclicComponents(all).filter((component) => new Set(component.map(dirname)).size > 1);
    assert.deepEqual(
      across,
      [],
      `import cycles across folders (types included):\n  ${describeCycles(all, across)}`,
    );
  });
});
