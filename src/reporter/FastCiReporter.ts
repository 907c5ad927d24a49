/**
 * The paired reporter: tallies each file result in the orchestrator's entry
 * shape (the same function the runner sends with), replaces Jest's
 * "X of Y total" with this node's share, and prints what this node and the
 * whole run did.
 */
import type { JestFileResult, JestRunResult } from '../jestShapes';
import { getNodeRun } from '../nodeRun';
import { toFileEntry } from '../protocol/entries';
import { failingFiles } from '../protocol/quarantine';
import { formatNodeReport, type Tally } from './format';
import { appendFileSync } from 'node:fs';
import * as path from 'node:path';
import { originOf } from '../origin';
import { jobSummary, type SummaryFile } from './jobSummary';
import { quarantinedOf, type QuarantinedFailure } from '../runner/quarantine';
import { formatQuarantined } from './format';
import { failureHead } from '../runner/failureHead';
import { projectUse, usesOurRunner, type ProjectLike } from './projects';

export interface ReporterOptions {
  /** Where lines go; default process.stderr, like Jest's summary. */
  write?: (text: string) => void;
}

export default class FastCiReporter {
  readonly #write: (text: string) => void;
  readonly #tally: Tally = { files: 0, tests: { passed: 0, failed: 0, pending: 0 } };
  #error: Error | undefined;
  /** Every file Jest was handed here (this node's and, with whole-run reporting, the others'), for the job summary. */
  readonly #files: SummaryFile[] = [];
  /** Quarantined tests that failed, on any node (every node names them). */
  readonly #quarantined: Array<QuarantinedFailure & { file: string; node: string }> = [];

  constructor(_globalConfig?: unknown, options?: ReporterOptions) {
    this.#write = options?.write ?? (text => process.stderr.write(text));
  }

  onTestResult(test: { readonly path?: string; readonly context?: ProjectLike }, result: JestFileResult): void {
    // Files of projects that do not use the runner ran on every node, and
    // other nodes' files (whole-run reporting) ran elsewhere: neither is this node's share.
    if (test.context !== undefined && !usesOurRunner(test.context)) return;
    if (process.env.GITHUB_STEP_SUMMARY) this.#files.push(summaryFile(test, result));
    for (const failure of quarantinedOf(result)) {
      this.#quarantined.push({ file: path.relative(process.cwd(), test.path ?? '').split(path.sep).join('/'), node: originOf(test)?.node ?? getNodeRun()?.label ?? 'this node', ...failure });
    }
    if (originOf(test) !== undefined || (test.path !== undefined && getNodeRun()?.replayedPaths?.has(test.path))) return;
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
    if (this.#quarantined.length > 0) this.#write(`${formatQuarantined(this.#quarantined).join('\n')}\n`);
    this.#writeJobSummary();
    // Whole-run reporting was wanted but could not be had: this node's Jest
    // saw only its own files. When the server's summary says the run failed,
    // the node must not exit 0 on its own files' word.
    const stopped = run?.mode === 'orchestrated' ? run.summary?.stopped : undefined;
    const summary = run?.wholeRun?.unavailable === undefined ? undefined : run.summary;
    const failing = summary === undefined ? 0 : failingFiles(summary, run?.quarantine?.mode ?? 'on');
    if (stopped !== undefined) {
      // The run did not run every file: never a green job, whatever ran here.
      const notRun = run!.summary!.not_run ?? 0;
      const failed = run!.summary!.failed;
      const notRunText = `${notRun} file${notRun === 1 ? ' was' : 's were'} not run`;
      this.#error = new Error(
        stopped === 'bail' ? `the run stopped after ${failed} failed file${failed === 1 ? '' : 's'} (--bail); ${notRunText}` : `the run was cancelled; ${notRunText}`,
      );
      this.#write(`jest-fast-ci: exiting 1: ${this.#error.message}.\n`);
    } else if (summary !== undefined && failing > 0) {
      this.#error = new Error(`the whole run failed (${failing} of ${summary.files} files), and this node could not report the whole run`);
      this.#write(`jest-fast-ci: exiting 1: ${this.#error.message}.\n`);
    }
  }

  /**
   * GitHub's job summary (GITHUB_STEP_SUMMARY): the whole run from the
   * run's node 0, a line from every other node, so the run's page on GitHub
   * shows the whole run once however many nodes it had.
   */
  #writeJobSummary(): void {
    const file = process.env.GITHUB_STEP_SUMMARY;
    const run = getNodeRun();
    if (!file || run?.mode !== 'orchestrated') return;
    try {
      appendFileSync(file, jobSummary(run, this.#files, this.#tally.files, run.nodeIndex === 0));
    } catch (error) {
      this.#write(`jest-fast-ci: could not write the job summary to GITHUB_STEP_SUMMARY (${file}): ${(error as Error).message}\n`);
    }
  }

  /** Jest exits non-zero when a reporter has an error (it does not print it: onRunComplete did). */
  getLastError(): Error | undefined {
    return this.#error;
  }
}

/** A file as the job summary shows it: where it ran, whether it failed and why, how long it took. */
function summaryFile(test: { readonly path?: string }, result: JestFileResult): SummaryFile {
  const run = getNodeRun();
  const absolute = test.path ?? '';
  // A quarantined failure that did not fail the run is listed apart.
  const quarantined = quarantinedOf(result).filter(q => q.masked);
  const masked = new Set(quarantined.map(q => q.name));
  const failures = result.testResults
    .filter(t => t.status === 'failed' && !masked.has(t.fullName))
    .map(t => ({ test: t.fullName ?? t.title ?? '', message: failureHead(t.failureMessages?.[0] ?? '') }));
  if (result.testExecError != null) failures.push({ test: '(the file failed to run)', message: failureHead(result.testExecError.message) });
  const { runtime, start, end } = result.perfStats;
  const ms = runtime ?? (end > start ? end - start : undefined);
  return {
    file: path.relative(process.cwd(), absolute).split(path.sep).join('/'),
    node: originOf(test)?.node ?? run?.label ?? 'this node',
    failed: failures.length > 0 || (result.failureMessage != null && masked.size === 0),
    quarantined: quarantined.map(q => ({ test: q.name, message: q.message })),
    seconds: ms === undefined ? undefined : ms / 1000,
    failures,
  };
}
