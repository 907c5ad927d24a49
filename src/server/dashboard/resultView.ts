/**
 * A recorded file entry as the dashboard shows it: status, time, counts and
 * the first lines of its first failure (pure).
 */
import type { CaseEntry, FileEntry } from '../../protocol/types';
import type { ResultView } from './types';

/** Lines and characters of a failure the page shows: enough to recognise it, small enough to stream. */
export const FAILURE_LINES = 12;
export const FAILURE_CHARS = 2_000;
/** Groups of cases nest (RSpec example groups); deeper than this is not a real suite. */
const MAX_DEPTH = 32;

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

/** The cases under an entry's numbered keys, groups walked in order. */
function* casesOf(node: object, depth = 0): Generator<CaseEntry> {
  if (depth > MAX_DEPTH) return;
  for (const [key, value] of Object.entries(node)) {
    if (!/^\d+$/.test(key) || value === null || typeof value !== 'object') continue;
    if (typeof (value as { status?: unknown }).status === 'string') yield value as CaseEntry;
    else yield* casesOf(value as object, depth + 1);
  }
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

export function resultView(entry: FileEntry, node: number): ResultView {
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
  }
  return view;
}
