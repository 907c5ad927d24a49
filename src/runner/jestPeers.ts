/**
 * jest-runner and jest-worker are peers: they must come from the Jest that
 * is running, so the runner drives the version the project uses (29.7 or
 * 30). The surest path is the running Jest's own: its entry script →
 * @jest/core → jest-runner (each a declared dependency of the one before, so
 * this holds under pnpm's strict layout too). Then the working directory,
 * then wherever this package is installed.
 */
import createDebug from 'debug';
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

function runningJestRunner(): string | undefined {
  const main = require.main?.filename;
  if (main === undefined) return undefined;
  const core = resolveFrom(path.dirname(main), '@jest/core');
  return core === undefined ? undefined : resolveFrom(path.dirname(core), 'jest-runner');
}

export function loadJestPeers(cwd: string = process.cwd()): JestPeers {
  const runnerPath = runningJestRunner() ?? resolveFrom(cwd, 'jest-runner') ?? resolveFrom(__dirname, 'jest-runner');
  if (runnerPath === undefined) {
    throw new Error('jest-fast-ci needs jest-runner, which comes with jest: install jest (29.7 or 30) in this project.');
  }
  createDebug('jest-fast-ci:runner')('using jest-runner at %s', runnerPath);
  const fromRunner = createRequire(runnerPath);
  // jest-worker as jest-runner itself sees it, so both agree on the version.
  const workerPath = fromRunner.resolve('jest-worker');
  return {
    jestRunner: fromRunner(runnerPath) as typeof JestRunnerModule,
    jestWorker: fromRunner(workerPath) as typeof JestWorkerModule,
    testWorkerPath: path.join(path.dirname(runnerPath), 'testWorker.js'),
  };
}
