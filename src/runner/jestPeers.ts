/**
 * jest-runner and jest-worker, taken from the Jest that is running so the
 * runner drives the version the project uses (29.7 or 30). A project
 * declares only `jest`, and pnpm and Yarn Plug'n'Play let a module reach
 * only what its own package declares, so each package is resolved from the
 * one before it: jest → @jest/core → jest-runner → jest-worker. That chain
 * holds under every layout; what varies is where it can start.
 */
import createDebug from 'debug';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as JestRunnerModule from 'jest-runner';
import type * as JestWorkerModule from 'jest-worker';
import { ErrorCodes, FastCiError } from '../errors';

export interface JestPeers {
  readonly jestRunner: typeof JestRunnerModule;
  readonly jestWorker: typeof JestWorkerModule;
  /** jest-runner's worker entry: not in its exports map, so found by path. */
  readonly testWorkerPath: string;
}

const CHAIN = ['jest', '@jest/core', 'jest-runner', 'jest-worker'] as const;
type ChainPackage = (typeof CHAIN)[number];

/** One place the chain may start from, or why this process has no such place. */
export type SearchStart =
  | { readonly place: string; readonly from: string; readonly first: ChainPackage }
  | { readonly place: string; readonly absent: string };

// A file of @jest/core itself, not of a package nested under it.
const JEST_CORE_FILE = /[\\/]node_modules[\\/]@jest[\\/]core[\\/](?!.*[\\/]node_modules[\\/])/;

/**
 * Where to look, surest first. @jest/core is loaded before any runner
 * whatever started Jest (its bin, `jest.run`, `runCLI`), so it is the Jest
 * that is running. The others cover a Jest loaded some other way: the
 * script that started the process (Jest's bin, or a script that declares
 * jest), the project in the working directory, and this package (jest is
 * its peer, so resolvable from it under pnpm and Plug'n'Play too).
 */
export function jestSearchStarts(cwd: string = process.cwd()): SearchStart[] {
  const core = Object.keys(require.cache).find(file => JEST_CORE_FILE.test(file));
  const main = require.main?.filename;
  return [
    core === undefined
      ? { place: 'the Jest running in this process', absent: 'no @jest/core module is loaded' }
      : { place: `the Jest running in this process (${core})`, from: core, first: 'jest-runner' },
    main === undefined
      ? { place: 'the script that started this process', absent: 'none (the process started from an ES module, node -e or standard input)' }
      : { place: `the script that started this process (${main})`, from: main, first: 'jest' },
    { place: `the working directory (${cwd})`, from: path.join(cwd, 'noop.js'), first: 'jest' },
    { place: `jest-fast-ci's own folder (${__dirname})`, from: __filename, first: 'jest' },
  ];
}

function firstLine(error: unknown): string {
  // Not `instanceof Error`: inside a Jest test the resolver's errors come from another realm.
  const message = (error as { message?: unknown } | null)?.message;
  return (typeof message === 'string' ? message : String(error)).split('\n')[0]!;
}

/** The resolved path of each package from `first` on, or why the chain broke. */
function followChain(from: string, first: ChainPackage): { paths: Map<ChainPackage, string> } | { broken: string } {
  const paths = new Map<ChainPackage, string>();
  let issuer = from;
  for (const name of CHAIN.slice(CHAIN.indexOf(first))) {
    try {
      issuer = createRequire(issuer).resolve(name);
    } catch (error) {
      const found = [...paths].map(([pkg, file]) => `found ${pkg} at ${file}; `).join('');
      return { broken: `${found}${name}: ${firstLine(error)}` };
    }
    paths.set(name, issuer);
  }
  return { paths };
}

/**
 * Loads jest-runner and jest-worker from the first start whose chain
 * resolves. Throws FastCiError(FASTCI_ERR_JEST_NOT_FOUND) listing every
 * place tried and why it failed.
 */
export function loadJestPeers(starts: readonly SearchStart[] = jestSearchStarts()): JestPeers {
  const failures: string[] = [];
  for (const start of starts) {
    if ('absent' in start) {
      failures.push(`${start.place}: ${start.absent}`);
      continue;
    }
    const chain = followChain(start.from, start.first);
    if ('broken' in chain) {
      failures.push(`${start.place}: ${chain.broken}`);
      continue;
    }
    const runnerPath = chain.paths.get('jest-runner')!;
    createDebug('jest-fast-ci:runner')('using jest-runner at %s, from %s', runnerPath, start.place);
    return {
      jestRunner: require(runnerPath) as typeof JestRunnerModule,
      jestWorker: require(chain.paths.get('jest-worker')!) as typeof JestWorkerModule,
      testWorkerPath: path.join(path.dirname(runnerPath), 'testWorker.js'),
    };
  }
  throw new FastCiError(
    ErrorCodes.JEST_NOT_FOUND,
    [
      `jest-fast-ci could not find Jest's test runner. It resolves ${CHAIN.join(' → ')}, each from the one before, starting from each of these places:`,
      ...failures.map(failure => `  - ${failure}`),
      'Install jest (29.7 or 30) in the project that runs the tests (npm install --save-dev jest, pnpm add --save-dev jest, yarn add --dev jest), and start Jest from that project.',
    ].join('\n'),
  );
}

/** The part of Jest's GitHubActionsReporter that jest-fast-ci's drives (the same in 29.7 and 30). */
export interface JestReporterLike {
  onRunStart?(...args: unknown[]): unknown;
  onTestResult?(test: unknown, result: unknown, aggregated: unknown): unknown;
  onTestFileResult?(test: unknown, result: unknown, aggregated: unknown): unknown;
  onRunComplete?(...args: unknown[]): unknown;
  getLastError?(): Error | undefined;
}

export type JestReporterClass = new (globalConfig: unknown, options?: unknown) => JestReporterLike;

/**
 * Jest's own GitHubActionsReporter, from the @jest/reporters of the Jest
 * that is running (@jest/core depends on it), found as loadJestPeers finds
 * jest-runner. Throws FastCiError(FASTCI_ERR_JEST_NOT_FOUND) naming each place tried.
 */
export function loadGitHubActionsReporter(starts: readonly SearchStart[] = jestSearchStarts()): JestReporterClass {
  const failures: string[] = [];
  for (const start of starts) {
    if ('absent' in start) {
      failures.push(`${start.place}: ${start.absent}`);
      continue;
    }
    try {
      const core = start.first === 'jest' ? createRequire(createRequire(start.from).resolve('jest')).resolve('@jest/core') : start.from;
      const reporters = require(createRequire(core).resolve('@jest/reporters')) as { GitHubActionsReporter?: JestReporterClass };
      if (typeof reporters.GitHubActionsReporter === 'function') return reporters.GitHubActionsReporter;
      failures.push(`${start.place}: its @jest/reporters has no GitHubActionsReporter`);
    } catch (error) {
      failures.push(`${start.place}: ${firstLine(error)}`);
    }
  }
  throw new FastCiError(
    ErrorCodes.JEST_NOT_FOUND,
    [`jest-fast-ci/github-actions could not find Jest's GitHubActionsReporter (@jest/reporters, from @jest/core) in any of these places:`, ...failures.map(f => `  - ${f}`), 'Install jest (29.7 or 30) in the project that runs the tests.'].join('\n'),
  );
}
