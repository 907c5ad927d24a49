/**
 * jest-runner and jest-worker are peers: they must come from the project's
 * own Jest install so the runner drives the Jest version the project uses
 * (29.7 or 30). Resolution starts at the working directory (where `jest`
 * runs) and falls back to wherever this package is installed.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as JestRunnerModule from 'jest-runner';
import type * as JestWorkerModule from 'jest-worker';

export interface JestPeers {
  readonly jestRunner: typeof JestRunnerModule;
  readonly jestWorker: typeof JestWorkerModule;
  /** jest-runner's worker entry: not in its exports map, so found by path. */
  readonly testWorkerPath: string;
}

function resolveFrom(base: string, request: string): string | undefined {
  try {
    return createRequire(path.join(base, 'noop.js')).resolve(request);
  } catch {
    return undefined;
  }
}

export function loadJestPeers(cwd: string = process.cwd()): JestPeers {
  const runnerPath = resolveFrom(cwd, 'jest-runner') ?? resolveFrom(__dirname, 'jest-runner');
  if (runnerPath === undefined) {
    throw new Error('jest-fast-ci needs jest-runner, which comes with jest: install jest (29.7 or 30) in this project.');
  }
  const fromRunner = createRequire(runnerPath);
  // jest-worker as jest-runner itself sees it, so both agree on the version.
  const workerPath = fromRunner.resolve('jest-worker');
  return {
    jestRunner: fromRunner(runnerPath) as typeof JestRunnerModule,
    jestWorker: fromRunner(workerPath) as typeof JestWorkerModule,
    testWorkerPath: path.join(path.dirname(runnerPath), 'testWorker.js'),
  };
}
