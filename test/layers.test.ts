/**
 * The module layers docs/architecture.md draws, checked on the imports of
 * src/ (type imports included): no file imports another that imports it
 * back, arrows between the layers point down only, and every file follows
 * the naming rule.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.join(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return name === 'assets' ? [] : sourceFiles(file);
    return name.endsWith('.ts') ? [file] : [];
  });
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not this one.
    }
  }
  return undefined;
}

const files = sourceFiles(SRC);
const imports = new Map<string, string[]>(
  files.map(file => {
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)].map(m => m[1]!);
    return [file, specs.map(spec => resolveImport(file, spec)).filter((f): f is string => f !== undefined)];
  }),
);
const rel = (file: string): string => path.relative(SRC, file).split(path.sep).join('/');

it('has no import cycle', () => {
  const cycles: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'visiting');
    stack.push(file);
    for (const next of imports.get(file) ?? []) {
      if (state.get(next) === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next].map(rel).join(' -> '));
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (state.get(file) === undefined) visit(file);
  expect(cycles).toEqual([]);
});

/** The server's layers, top first: a file may import its own layer or any below it. */
const SERVER_LAYERS = ['server/index.ts', 'server/http/', 'server/dashboard/', 'server/host/', 'server/store/', 'server/run/', 'server/options.ts', 'server/types.ts', 'server/metrics.ts'];
/** Layers of the whole tree, top first (the server's as one). */
const TREE_LAYERS = [['cli.ts'], ['index.ts', 'server/', 'runner/', 'reporter/', 'withFastCi.ts'], ['client/'], ['config/', 'nodeRun.ts', 'origin.ts'], ['protocol/'], ['errors.ts', 'jestShapes.ts']];

function layerOf(layers: ReadonlyArray<readonly string[]>, file: string): number {
  return layers.findIndex(prefixes => prefixes.some(prefix => file === prefix || (prefix.endsWith('/') && file.startsWith(prefix))));
}

it('points every import down the layers, never up', () => {
  const up: string[] = [];
  for (const [file, targets] of imports) {
    for (const target of targets) {
      const [a, b] = [rel(file), rel(target)];
      if (a.startsWith('server/') && b.startsWith('server/')) {
        const layers = SERVER_LAYERS.map(prefix => [prefix]);
        // options, types and metrics are read by every layer of the server.
        if (layerOf(layers, b) < layerOf(layers, a) && !['server/options.ts', 'server/types.ts', 'server/metrics.ts'].includes(b)) up.push(`${a} -> ${b}`);
        continue;
      }
      if (layerOf(TREE_LAYERS, b) < layerOf(TREE_LAYERS, a)) up.push(`${a} -> ${b}`);
    }
  }
  expect(up).toEqual([]);
});

it('names each file after its main export: PascalCase for a class, camelCase otherwise', () => {
  const wrong: string[] = [];
  for (const file of files) {
    const name = path.basename(file, '.ts');
    const text = readFileSync(file, 'utf8');
    const classes = [...text.matchAll(/^export (?:default )?(?:abstract )?class (\w+)/gm)].map(m => m[1]!);
    if (/^[A-Z]/.test(name) ? !classes.includes(name) : !/^[a-z][A-Za-z0-9]*$/.test(name) || classes.includes(name[0]!.toUpperCase() + name.slice(1))) wrong.push(rel(file));
  }
  expect(wrong).toEqual([]);
});
