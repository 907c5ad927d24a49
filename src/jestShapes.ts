/**
 * The parts of Jest's objects that the public API names. They are declared
 * here, not imported, so the published types need no package but this one:
 * a project declares only `jest`, and pnpm and Yarn Plug'n'Play would not
 * let TypeScript reach Jest's internal packages (`@jest/test-result`,
 * `jest-runner`) from this package. The runner and reporter hand Jest's own
 * objects to them, so tsc checks that Jest's types still fit.
 */

/** One test case of a file's result (Jest's `AssertionResult`). */
export interface JestCaseResult {
  readonly status: string;
  readonly title: string;
  readonly fullName: string;
  readonly ancestorTitles: readonly string[];
  readonly duration?: number | null;
  readonly failureMessages: readonly string[];
}

/** One test file's result (Jest's `TestResult`), as far as jest-fast-ci reads it. */
export interface JestFileResult {
  readonly testResults: readonly JestCaseResult[];
  readonly perfStats: { readonly runtime?: number; readonly start: number; readonly end: number };
  readonly failureMessage?: string | null;
  readonly testExecError?: { readonly message: string } | null;
}

/** The run's result (Jest's `AggregatedResult`), as far as the reporter reads and sets it. */
export interface JestRunResult {
  numTotalTestSuites: number;
  readonly testResults: readonly unknown[];
}

/** A test file as Jest hands it to a runner (Jest's `Test`). */
export interface JestTestFile {
  /** Absolute. */
  readonly path: string;
  /** Last known runtime in ms, from Jest's cache. */
  readonly duration?: number;
}

/** A Jest test runner (jest-runner's `EmittingTestRunner` contract). */
export interface JestTestRunner {
  readonly supportsEventEmitters: true;
  runTests(tests: readonly JestTestFile[], watcher: unknown, options: { readonly serial: boolean }): Promise<void>;
  /** Subscribes to Jest's runner events (`test-file-start`, `test-case-result`, …); returns the unsubscribe function. */
  on(eventName: string, listener: (eventData: unknown) => void | Promise<void>): () => void;
}

/** The runner class Jest constructs for `runner: 'jest-fast-ci'`, with Jest's global config and runner context. */
/** A runner class as Jest constructs it; `Options` is the runner's third argument (Jest 30.4.1+: `runner: [module, options]`). */
export type JestTestRunnerClass<Options = object> = new (globalConfig: object, context: object, options?: Options) => JestTestRunner;
