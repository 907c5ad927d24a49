/**
 * A recorded file entry as the dashboard shows it: status, time, counts and
 * the first lines of its first failure (pure).
 */
import { casesOf } from '../../protocol/entries';
import { failsOnlyInQuarantine } from '../../protocol/quarantine';
import type { FileEntry } from '../../protocol/types';
import type { FailureView, ResultView } from './types';

/** Lines and characters of a failure the page shows: enough to recognise it, small enough to stream. */
export const FAILURE_LINES = 12;
export const FAILURE_CHARS = 2_000;

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** The first FAILURE_LINES lines of `text`, colour codes removed, at most FAILURE_CHARS characters. */
export function firstLines(text: string): string {
  const lines = text.replace(ANSI, '').split('\n');
  let kept = lines.slice(0, FAILURE_LINES).join('\n').trimEnd();
  if (kept.length > FAILURE_CHARS) kept = `${kept.slice(0, FAILURE_CHARS - 1)}…`;
  else if (lines.length > FAILURE_LINES) kept += '\n…';
  return kept;
}

/** The file's own failure (it did not run), else its first failed case with its name; undefined when nothing failed. */
export function firstFailure(entry: FileEntry): string | undefined {
  if (typeof entry.failure_message === 'string' && entry.failure_message !== '') return firstLines(entry.failure_message);
  for (const test of casesOf(entry)) {
    if (test.status !== 'failed') continue;
    const message = typeof test.failure_message === 'string' ? test.failure_message : '';
    const name = typeof test.description === 'string' && test.description !== '' ? `${test.description}\n` : '';
    return firstLines(`${name}${message}`);
  }
  return undefined;
}

/** Failing tests a view lists in full for one file (the count says how many failed in all). */
export const MAX_FAILURES_SHOWN = 20;
/** Characters of one failing test's text a view carries: a view of a run of many failures stays small (the API's entry has the rest). */
export const MAX_FAILURE_TEXT = 4_000;

/** A stack's frames in node_modules (the test framework, libraries) say nothing about the failure: left out, and counted. */
export function withoutLibraryFrames(text: string): string {
  const lines = text.replace(ANSI, '').split('\n');
  const kept = lines.filter(line => !/^\s*at .*node_modules[\\/]/.test(line) && !/^\s*at .*\(node:internal/.test(line));
  const dropped = lines.length - kept.length;
  const whole = kept.join('\n').trimEnd();
  const clipped = whole.length > MAX_FAILURE_TEXT ? `${whole.slice(0, MAX_FAILURE_TEXT - 1)}…` : whole;
  return `${clipped}${dropped > 0 ? `\n(${dropped} frame${dropped === 1 ? '' : 's'} in node_modules or Node's internals left out)` : ''}`;
}

/** Every failing test of the entry (at most MAX_FAILURES_SHOWN): its full name and its whole text (message, code frame, stack without library frames). */
export function failuresOf(entry: FileEntry): FailureView[] {
  if (typeof entry.failure_message === 'string' && entry.failure_message !== '') return [{ test: 'Test suite failed to run', text: withoutLibraryFrames(entry.failure_message) }];
  const failures: FailureView[] = [];
  for (const test of casesOf(entry)) {
    if (test.status !== 'failed') continue;
    if (failures.length === MAX_FAILURES_SHOWN) break;
    const text = typeof test.failure_message === 'string' ? withoutLibraryFrames(test.failure_message) : '';
    failures.push({ test: typeof test.description === 'string' && test.description !== '' ? test.description : '(unnamed test)', text });
  }
  return failures;
}

/** `quarantine`: the run's quarantined tests of the file (its failure in only those does not fail the run). */
export function resultView(entry: FileEntry, node: number, quarantine?: ReadonlySet<string>): ResultView {
  const view: ResultView = {
    node,
    status: entry.file_status,
    runTime: typeof entry.run_time === 'number' && Number.isFinite(entry.run_time) ? entry.run_time : null,
    tests: entry.test_count,
    failedTests: entry.test_counters.failed,
  };
  if (entry.file_status === 'failed') {
    const failure = firstFailure(entry);
    if (failure !== undefined) view.failure = failure;
    view.failures = failuresOf(entry);
    if (failsOnlyInQuarantine(entry, quarantine)) view.quarantined = true;
  }
  return view;
}
