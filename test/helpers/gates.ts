/**
 * The test's side of test/fixtures/gate.js: a temporary directory passed to
 * the nodes as GATE_DIR, where fixture files say they started and wait to be
 * let through. A fault (kill, stop, cut) injected while a node holds a
 * gated file that has started cannot race with that file's result.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OrchestratorServer } from '../../src/server';
import { fixture, startJestNode, until, type RunningNode } from './jestNodes';

export interface Started {
  /** The gate's name (the file's base name in the gated fixtures). */
  readonly name: string;
  /** FAST_CI_NODE_ID of the node whose worker started it. */
  readonly node: string;
}

export class Gates {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-gates-'));

  /** For the nodes' environment. */
  get env(): { GATE_DIR: string } {
    return { GATE_DIR: this.dir };
  }

  /** Every gate reached so far, by whom. */
  started(): Started[] {
    return fs
      .readdirSync(this.dir)
      .filter(file => file.endsWith('.started'))
      .map(file => {
        const [name, node] = file.slice(0, -'.started'.length).split('@') as [string, string];
        return { name, node };
      });
  }

  /** Waits until `node` has started at least `count` gated files; returns their names. */
  startedBy(node: string, count = 1): Promise<string[]> {
    return until(() => {
      const names = this.started().filter(s => s.node === node).map(s => s.name);
      return names.length >= count ? names : undefined;
    }, `${node} to start ${count} gated file(s)`);
  }

  /** Lets one gated file through (now or whenever it starts). */
  open(name: string): void {
    fs.writeFileSync(path.join(this.dir, `${name}.open`), '');
  }

  /** Lets one gated file through on one node only (now or whenever it starts there). */
  openFor(name: string, node: string): void {
    fs.writeFileSync(path.join(this.dir, `${name}@${node}.open`), '');
  }

  openAll(): void {
    fs.writeFileSync(path.join(this.dir, 'all.open'), '');
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Two jest nodes (node-a, node-b) on the gated fixture against `serverUrl`, each reporting its own files (FAST_CI_REPORT=node): its PASS lines are then what it ran. */
export function startGatedNodes(
  gates: Gates,
  serverUrl: string,
  key: string,
  buildId: string,
  extra: { args?: string[]; env?: Record<string, string>; workers?: number } = {},
): RunningNode[] {
  const env = (id: string) => ({ FAST_CI_SECRET_KEY: key, FAST_CI_SERVER: serverUrl, FAST_CI_BUILD_ID: buildId, FAST_CI_NODE_ID: id, FAST_CI_REPORT: 'node', ...gates.env, ...extra.env });
  return ['node-a', 'node-b'].map(id => startJestNode({ cwd: fixture('gated'), env: env(id), args: [`--maxWorkers=${extra.workers ?? 2}`, ...(extra.args ?? [])] }));
}

/** Lets `count` gated files through, one at a time as they start, and waits until `server` has their results; returns their ids. */
export async function letThrough(gates: Gates, server: OrchestratorServer, buildId: string, count: number): Promise<string[]> {
  const opened = new Set<string>();
  while (opened.size < count) {
    const next = await until(() => gates.started().find(g => !opened.has(g.name))?.name, 'a gated file to start');
    gates.open(next);
    opened.add(next);
  }
  const ids = [...opened].map(name => `test/${name}.test.js`);
  await until(() => (ids.every(id => server.run(buildId)?.results[id]) ? true : undefined), `results for ${ids.join(', ')}`);
  return ids;
}
