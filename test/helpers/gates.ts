/**
 * The test's side of test/fixtures/gate.js: a temporary directory passed to
 * the nodes as GATE_DIR, where fixture files say they started and wait to be
 * let through. A fault (kill, stop, cut) injected while a node holds a
 * gated file that has started cannot race with that file's result.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { until } from './jestNodes';

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

  openAll(): void {
    fs.writeFileSync(path.join(this.dir, 'all.open'), '');
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
