/**
 * FileExecutors for tests of the runner's own parts (FileQueue,
 * NodeSession): files that finish when the test says so, or at once with a
 * result the test chose. The boundary they replace is the jest-worker pool;
 * full runs with real Jest are in test/integration.
 */
import type { Test, TestResult } from '@jest/test-result';
import type { FileExecutor, Outcome } from '../../src/runner/types';

/** A Jest file result with one test case of this status. */
export function caseResult(path: string, status: 'passed' | 'failed', message = 'expected 1 to be 2'): TestResult {
  return {
    testFilePath: path,
    testResults: [
      {
        status,
        title: 'works',
        fullName: 'it works',
        ancestorTitles: [],
        duration: 3,
        failureMessages: status === 'failed' ? [message] : [],
      },
    ],
    perfStats: { start: 0, end: 10, runtime: 10 },
  } as unknown as TestResult;
}

/** Files finish when the test calls pass() (or resolve()). */
export class ManualExecutor implements FileExecutor {
  readonly started: string[] = [];
  readonly #finish = new Map<string, (outcome: Outcome) => void>();

  constructor(readonly concurrency: number) {}

  warmUp(): void {}

  run(test: Test): Promise<Outcome> {
    this.started.push(test.path);
    return new Promise(resolve => this.#finish.set(test.path, resolve));
  }

  pass(path: string): void {
    const result = { testFilePath: path, testResults: [], perfStats: { start: 0, end: 10, runtime: 10 } } as unknown as TestResult;
    this.resolve(path, { ok: true, result });
  }

  resolve(path: string, outcome: Outcome): void {
    this.#finish.get(path)!(outcome);
  }

  async end(): Promise<void> {}
}

/**
 * Every file finishes on the next tick (once `gate` resolves, when given):
 * failed when `fails(path)` says so, else passed.
 */
export class ScriptedExecutor implements FileExecutor {
  readonly started: string[] = [];

  constructor(
    readonly concurrency: number,
    readonly fails: (path: string) => boolean = () => false,
    readonly gate: Promise<unknown> = Promise.resolve(),
  ) {}

  warmUp(): void {}

  async run(test: Test): Promise<Outcome> {
    this.started.push(test.path);
    await this.gate;
    await new Promise(resolve => setImmediate(resolve));
    return { ok: true, result: caseResult(test.path, this.fails(test.path) ? 'failed' : 'passed') };
  }

  async end(): Promise<void> {}
}
