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
import { projectUse, usesOurRunner, type ProjectLike } from './projects';

export interface ReporterOptions {
  /** Where lines go; default process.stderr, like Jest's summary. */
  write?: (text: string) => void;
}

export default class FastCiReporter {
  readonly #write: (text: string) => void;
  readonly #tally: Tally = { files: 0, tests: { passed: 0, failed: 0, pending: 0 } };
  #error: Error | undefined;

  constructor(_globalConfig?: unknown, options?: ReporterOptions) {
    this.#write = options?.write ?? (text => process.stderr.write(text));
  }

  onTestResult(test: { readonly path?: string; readonly context?: ProjectLike }, result: JestFileResult): void {
    // Files of projects that do not use the runner ran on every node, and
    // other nodes' files (whole-run reporting) ran elsewhere: neither is this node's share.
    if (test.context !== undefined && !usesOurRunner(test.context)) return;
    if (test.path !== undefined && getNodeRun()?.replayedPaths?.has(test.path)) return;
    const entry = toFileEntry(result);
    this.#tally.files += 1;
    this.#tally.tests.passed += entry.test_counters.passed;
    this.#tally.tests.failed += entry.test_counters.failed;
    this.#tally.tests.pending += entry.test_counters.pending;
  }

  onRunComplete(contexts: Iterable<ProjectLike> | undefined, results: JestRunResult): void {
    const run = getNodeRun();
    if (run?.mode === 'orchestrated' && (run.wholeRun === undefined || run.wholeRun.unavailable !== undefined)) {
      // The summary reporter runs after this one: make "N of M total" read
      // as this node's share instead of files that went missing.
      results.numTotalTestSuites = results.testResults.length;
    }
    // The runner takes the key out of the environment; still there, the runner never ran.
    const keySet = process.env.FAST_CI_SECRET_KEY !== undefined;
    this.#write(`\n${formatNodeReport(run, this.#tally, projectUse(contexts ?? []), keySet).join('\n')}\n`);
    // Whole-run reporting was wanted but could not be had: this node's Jest
    // saw only its own files. When the server's summary says the run failed,
    // the node must not exit 0 on its own files' word.
    const stopped = run?.mode === 'orchestrated' ? run.summary?.stopped : undefined;
    const summary = run?.wholeRun?.unavailable === undefined ? undefined : run.summary;
    if (stopped !== undefined) {
      // The run did not run every file: never a green job, whatever ran here.
      const notRun = run!.summary!.not_run ?? 0;
      const failed = run!.summary!.failed;
      const notRunText = `${notRun} file${notRun === 1 ? ' was' : 's were'} not run`;
      this.#error = new Error(
        stopped === 'bail' ? `the run stopped after ${failed} failed file${failed === 1 ? '' : 's'} (--bail); ${notRunText}` : `the run was cancelled; ${notRunText}`,
      );
      this.#write(`jest-fast-ci: exiting 1: ${this.#error.message}.\n`);
    } else if (summary !== undefined && summary.failed > 0) {
      this.#error = new Error(`the whole run failed (${summary.failed} of ${summary.files} files), and this node could not report the whole run`);
      this.#write(`jest-fast-ci: exiting 1: ${this.#error.message}.\n`);
    }
  }

  /** Jest exits non-zero when a reporter has an error (it does not print it: onRunComplete did). */
  getLastError(): Error | undefined {
    return this.#error;
  }
}
