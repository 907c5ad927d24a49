/**
 * The runner's contract for running one test file, as Jest's jest-runner
 * keeps its own in types.ts: a FileExecutor runs a file and gives back an
 * Outcome. PoolExecutor (a jest-worker pool for the whole node run, one
 * worker in band) implements it; test/helpers/executors.ts has fakes of it
 * for FileQueue's unit tests.
 */
import type { SerializableError, Test, TestResult } from '@jest/test-result';

export interface RunOptions {
  readonly testNamePattern?: string;
}

export type Outcome = { readonly ok: true; readonly result: TestResult } | { readonly ok: false; readonly error: SerializableError };

export interface FileExecutor {
  /** How many files may run at once. */
  readonly concurrency: number;
  /** Starts what running takes (the worker pool) now, so it overlaps the connect. */
  warmUp(): void;
  /**
   * Runs one file, emitting `test-file-start` and the per-case events; never
   * rejects. `testNamePattern`: only the tests it matches (a part of the file).
   */
  run(test: Test, options?: RunOptions): Promise<Outcome>;
  /** Releases workers. Safe to call twice. */
  end(): Promise<void>;
}
