/**
 * The file entry shape: building it (pending, and from a Jest result) and
 * checking it. One module owns the shape so the runner, the reporter and the
 * server cannot drift apart.
 */
import type { JestFileResult } from '../jestShapes';
import type { CaseEntry, FileEntry, TestCounters, TestStatus } from './types';

/** Cap on a failure message carried in a frame; a huge stack must not blow the frame limit. */
export const MAX_FAILURE_MESSAGE = 8 * 1024;
/** Cap on all failure text of one file: thousands of failing cases must not make a frame the server refuses. */
export const MAX_ENTRY_FAILURE_TEXT = 64 * 1024;

const STATUSES: ReadonlySet<string> = new Set<TestStatus>(['pending', 'passed', 'failed']);
const CASE_KEY = /^[1-9][0-9]*$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

function zeroCounters(): TestCounters {
  return { failed: 0, passed: 0, pending: 0 };
}

function roundSeconds(ms: number | null | undefined): number {
  if (ms == null || !Number.isFinite(ms) || ms < 0) return 0;
  return Math.round(ms) / 1000;
}

/** Ends a failure text clipped at its limit. */
export const TRUNCATED = '\n… (truncated)';
/** A failing test's text once its file's failure text is over its limit. */
export const NOT_SENT = '… (not sent: this file\'s failure text is over its limit)';

function clip(message: string, limit = MAX_FAILURE_MESSAGE): string {
  const plain = message.replace(ANSI, '');
  return plain.length > limit ? `${plain.slice(0, limit)}${TRUNCATED}` : plain;
}

/**
 * The entry node 0 sends in `enq`. Jest does not know a file's test count
 * before running it, so the entry carries one placeholder case, which the
 * reference server requires. `durationMs` is Jest's last known runtime.
 */
export function pendingEntry(durationMs?: number): FileEntry {
  const entry: FileEntry = {
    file_status: 'pending',
    test_count: 1,
    test_counters: zeroCounters(),
    '1': { status: 'pending', run_time: 0.0 },
  };
  if (durationMs != null && Number.isFinite(durationMs) && durationMs > 0) entry.run_time = roundSeconds(durationMs);
  return entry;
}

function caseStatus(status: string): TestStatus {
  if (status === 'passed' || status === 'failed') return status;
  // skipped, todo, disabled, focused-out: not run, so pending.
  return 'pending';
}

/**
 * Jest's formatted failures of a file (its `failureMessage`: each failing
 * test as "  ● a › b", then its message, the code frame of the line that
 * failed and the stack without Jest's own frames), by test title, colour
 * codes removed and the block dedented. What the page shows comes from here,
 * as the runner prints it; the raw `failureMessages` have no code frame.
 */
export function formattedFailures(failureMessage: string | null | undefined): Map<string, string> {
  const blocks = new Map<string, string>();
  if (!failureMessage) return blocks;
  let title: string | undefined;
  let lines: string[] = [];
  const close = (): void => {
    if (title === undefined) return;
    // A loop, not Math.min(...): a block may have more lines than a call takes arguments.
    let indent = Number.POSITIVE_INFINITY;
    for (const l of lines) if (l.trim() !== '') indent = Math.min(indent, /^ */.exec(l)![0].length);
    blocks.set(title, lines.map(l => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n').trim());
  };
  for (const line of failureMessage.replace(ANSI, '').split('\n')) {
    const header = /^ {2}● (.*)$/.exec(line);
    if (header === null) {
      lines.push(line);
      continue;
    }
    close();
    title = header[1]!;
    lines = [];
  }
  close();
  return blocks;
}

/** Builds the result entry for one file from Jest's result for it. */
export function toFileEntry(result: JestFileResult): FileEntry {
  const counters = zeroCounters();
  let budget = MAX_ENTRY_FAILURE_TEXT;
  const formatted = result.testExecError == null ? formattedFailures(result.failureMessage) : new Map<string, string>();
  const cases: CaseEntry[] = result.testResults.map(assertion => {
    const status = caseStatus(assertion.status);
    counters[status === 'pending' ? 'pending' : status] += 1;
    const entry: CaseEntry = {
      status,
      run_time: roundSeconds(assertion.duration),
      description: assertion.fullName || [...assertion.ancestorTitles, assertion.title].join(' '),
    };
    if (status === 'failed' && assertion.failureMessages.length > 0) {
      const text = formatted.get([...assertion.ancestorTitles, assertion.title].join(' › ')) ?? assertion.failureMessages.join('\n');
      entry.failure_message = budget > 0 ? clip(text, Math.min(MAX_FAILURE_MESSAGE, budget)) : NOT_SENT;
      budget -= entry.failure_message.length;
    }
    return entry;
  });

  const runtime = result.perfStats?.runtime ?? result.perfStats.end - result.perfStats.start;
  const execError = result.testExecError;
  if (execError != null || (cases.length === 0 && result.failureMessage)) {
    // The file failed to run (syntax error, missing module, hook failure
    // outside tests): one failed case carries the error so it is not lost.
    const message = clip(result.failureMessage || execError?.message || 'Test suite failed to run');
    if (cases.length === 0) {
      cases.push({ status: 'failed', run_time: 0, description: 'Test suite failed to run', failure_message: message });
      counters.failed += 1;
    }
    return build('failed', cases, counters, runtime, message);
  }

  const status: TestStatus = counters.failed > 0 ? 'failed' : counters.passed > 0 ? 'passed' : 'pending';
  return build(status, cases, counters, runtime);
}

/** Groups of cases nest (the reference clients' RSpec example groups); deeper than this is not a real suite. */
const MAX_CASE_DEPTH = 32;

/** The cases under an entry's numbered keys, groups walked in order. */
export function* casesOf(node: object, depth = 0): Generator<CaseEntry> {
  if (depth > MAX_CASE_DEPTH) return;
  for (const [key, value] of Object.entries(node)) {
    if (!/^\d+$/.test(key) || value === null || typeof value !== 'object') continue;
    if (typeof (value as { status?: unknown }).status === 'string') yield value as CaseEntry;
    else yield* casesOf(value as object, depth + 1);
  }
}

/** Builds the entry for a file this node could not run at all (no Jest result). */
export function failedEntry(message: string): FileEntry {
  const failure = clip(message);
  return build(
    'failed',
    [{ status: 'failed', run_time: 0, description: 'Test file could not be run', failure_message: failure }],
    { failed: 1, passed: 0, pending: 0 },
    0,
    failure,
  );
}

/** The entry of a file that was running on `nodes` when each of them died. */
export function crashedEntry(nodes: readonly number[]): FileEntry {
  const which = nodes.length === 1 ? `node ${nodes[0]}` : `nodes ${nodes.slice(0, -1).join(', ')} and ${nodes[nodes.length - 1]}`;
  return failedEntry(
    `jest-fast-ci: this file was running on ${which} when ${nodes.length === 1 ? 'it' : 'each of them'} died ` +
      '(process.exit() in a test, a native crash, or out of memory), so it is recorded as failed and not handed out again. ' +
      'Run it alone with plain jest to see why.',
  );
}

function build(
  status: TestStatus,
  cases: CaseEntry[],
  counters: TestCounters,
  runtimeMs: number,
  failure?: string,
): FileEntry {
  const entry: FileEntry = {
    file_status: status,
    test_count: cases.length,
    test_counters: counters,
    run_time: roundSeconds(runtimeMs),
  };
  if (failure !== undefined) entry.failure_message = failure;
  // Keep the required "1" key even for a file with no cases at all.
  if (cases.length === 0) entry['1'] = { status: 'pending', run_time: 0 };
  cases.forEach((c, i) => {
    entry[String(i + 1)] = c;
  });
  return entry;
}

/**
 * Deepest nesting of objects an entry may have. The flat shape needs 2
 * (entry → case); RSpec's results add one per example group (a describe in a
 * describe), so there is room for 10 of them. A deeper value is refused
 * before anything serializes it again (a journal write of a 10,000-deep
 * value would throw).
 */
export const MAX_ENTRY_DEPTH = 12;

/** Nesting depth of `value`, stopping once it passes `limit` (iterative: hostile input cannot overflow the stack). */
function depthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * Checks one entry against the protocol shape. Returns a sentence naming
 * the first problem, or null when the entry is valid.
 */
export function checkEntry(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'entry must be an object';
  if (depthExceeds(value, MAX_ENTRY_DEPTH)) return `entry is nested more than ${MAX_ENTRY_DEPTH} levels deep`;
  const e = value as Record<string, unknown>;
  if (typeof e.file_status !== 'string' || !STATUSES.has(e.file_status)) {
    return 'file_status must be "pending", "passed" or "failed"';
  }
  if (!isCount(e.test_count)) return 'test_count must be a non-negative integer';
  const counters = e.test_counters as Record<string, unknown> | null | undefined;
  if (counters === null || typeof counters !== 'object' || Array.isArray(counters)) {
    return 'test_counters must be an object {failed, passed, pending}';
  }
  for (const name of ['failed', 'passed', 'pending']) {
    if (!isCount(counters[name])) return `test_counters.${name} must be a non-negative integer`;
  }
  if (e.run_time !== undefined && !isSeconds(e.run_time)) return 'run_time must be a non-negative number of seconds';
  if (!('1' in e)) return 'entry must have the numbered case "1"';
  return checkCases(e, '');
}

/**
 * The numbered keys of an entry or a group. Each holds a case
 * `{status, run_time, description?}` or, without `status`, a group of cases
 * under numbered keys again: Minitest puts a test class's cases under "1",
 * RSpec nests example groups by scoped id (NOTES section 1). Recursion is
 * bounded: checkEntry refused anything deeper than MAX_ENTRY_DEPTH first.
 */
function checkCases(parent: Record<string, unknown>, prefix: string): string | null {
  for (const [key, c] of Object.entries(parent)) {
    if (!CASE_KEY.test(key)) continue;
    const name = `${prefix}${key}`;
    if (c === null || typeof c !== 'object' || Array.isArray(c)) return `case "${name}" must be an object`;
    const t = c as Record<string, unknown>;
    if (t.description !== undefined && typeof t.description !== 'string') return `case "${name}".description must be a string`;
    if (t.status === undefined && Object.keys(t).some(child => CASE_KEY.test(child))) {
      const problem = checkCases(t, `${name}.`);
      if (problem !== null) return problem;
      continue;
    }
    if (typeof t.status !== 'string' || !STATUSES.has(t.status)) {
      return `case "${name}".status must be "pending", "passed" or "failed"`;
    }
    if (!isSeconds(t.run_time)) return `case "${name}".run_time must be a non-negative number`;
  }
  return null;
}
