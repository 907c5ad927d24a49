/**
 * Test ids are what the server sees: the posix path relative to the Jest
 * rootDir, qualified by the project's name when the run has several
 * projects (two projects may hold the same file). Pure.
 */
import { sourceTest } from '../origin';
import * as path from 'node:path';
import type { Test } from '@jest/test-result';

function projectName(test: Test, index: number): string {
  const displayName = test.context.config.displayName;
  const name = typeof displayName === 'string' ? displayName : displayName?.name;
  return name || path.basename(test.context.config.rootDir) || `project${index}`;
}

export class TestIds {
  readonly #byId = new Map<string, Test>();
  readonly #idByTest = new Map<Test, string>();

  constructor(tests: readonly Test[], rootDir: string) {
    const configIds = [...new Set(tests.map(t => t.context.config.id))];
    const qualify = configIds.length > 1;
    const names = new Map<string, string>();
    if (qualify) {
      const used = new Set<string>();
      configIds.forEach((configId, i) => {
        const test = tests.find(t => t.context.config.id === configId)!;
        let name = projectName(test, i);
        if (used.has(name)) name = `${name}#${i}`;
        used.add(name);
        names.set(configId, name);
      });
    }
    for (const test of tests) {
      const relative = path.relative(rootDir, test.path).split(path.sep).join('/');
      const id = qualify ? `${names.get(test.context.config.id)}:${relative}` : relative;
      this.#byId.set(id, test);
      this.#idByTest.set(test, id);
    }
  }

  get size(): number {
    return this.#byId.size;
  }

  test(id: string): Test | undefined {
    return this.#byId.get(id);
  }

  id(test: Test): string {
    // Other nodes' files reach Jest as marked copies of this node's Tests (origin.ts).
    const id = this.#idByTest.get(test) ?? this.#idByTest.get(sourceTest(test));
    if (id === undefined) throw new Error(`No test id for ${test.path}`);
    return id;
  }

  entries(): IterableIterator<[string, Test]> {
    return this.#byId.entries();
  }
}
