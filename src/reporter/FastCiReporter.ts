/**
 * The paired reporter: tallies each file result in the orchestrator's entry
 * shape (the same function the runner sends with), replaces Jest's
 * "X of Y total" with this node's share, and prints what this node and the
 * whole run did.
 */
import type { JestFileResult, JestRunResult } from '../jestShapes';
import { getNodeRun } from '../nodeRun';
import { toFileEntry } from '../protocol/entries';
import { formatNodeReport, type Tally } from './format';

export interface ReporterOptions {
  /** Where lines go; default process.stderr, like Jest's summary. */
  write?: (text: string) => void;
}

export default class FastCiReporter {
  readonly #write: (text: string) => void;
  readonly #tally: Tally = { files: 0, tests: { passed: 0, failed: 0, pending: 0 } };

  constructor(_globalConfig?: unknown, options?: ReporterOptions) {
    this.#write = options?.write ?? (text => process.stderr.write(text));
  }

  onTestResult(_test: unknown, result: JestFileResult): void {
    const entry = toFileEntry(result);
    this.#tally.files += 1;
    this.#tally.tests.passed += entry.test_counters.passed;
    this.#tally.tests.failed += entry.test_counters.failed;
    this.#tally.tests.pending += entry.test_counters.pending;
  }

  onRunComplete(_contexts: unknown, results: JestRunResult): void {
    const run = getNodeRun();
    if (run?.mode === 'orchestrated') {
      // The summary reporter runs after this one: make "N of M total" read
      // as this node's share instead of files that went missing.
      results.numTotalTestSuites = results.testResults.length;
    }
    this.#write(`\n${formatNodeReport(run, this.#tally).join('\n')}\n`);
  }

  getLastError(): Error | undefined {
    return undefined;
  }
}
