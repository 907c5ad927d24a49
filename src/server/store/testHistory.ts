/**
 * What the server keeps of each test across runs (pure), whichever store
 * keeps it: per key and run key, each test's last outcomes (status, the
 * run's build id, commit and branch, when, the node, the attempt, its
 * seconds), bounded by a window of runs and of days; and what makes a test
 * flaky: it failed and passed on the same commit (a retry on another node,
 * a retried CI job, two runs of one commit).
 */
import { casesOf } from '../../protocol/entries';
import type { FileEntry } from '../../protocol/types';

/** Outcomes kept per test, newest last (a window of runs: `testHistoryRuns`). */
export const DEFAULT_TEST_HISTORY_RUNS = 30;
/** Outcomes older than this are dropped (a window of days: `testHistoryDays`). */
export const DEFAULT_TEST_HISTORY_DAYS = 30;
/** Tests kept per history; the least recently run go first. */
export const MAX_HISTORY_TESTS = 200_000;
/** Outcomes a view shows per test (its sparkline). */
export const RECENT_SHOWN = 20;

/** A test: its file's id and its full name, joined by a NUL (no path or name of a real test holds one). */
export function testKey(file: string, name: string): string {
  return `${file}\u0000${name}`;
}

export function splitTestKey(key: string): { file: string; name: string } {
  const at = key.indexOf('\u0000');
  return at === -1 ? { file: key, name: '' } : { file: key.slice(0, at), name: key.slice(at + 1) };
}

/** One run of one test. */
export interface TestOutcome {
  readonly status: 'passed' | 'failed';
  readonly buildId: string;
  readonly commit: string | null;
  readonly branch: string | null;
  readonly at: number;
  /** The node that ran it, as people know it ("node 2"). */
  readonly node: string;
  /** 1 for the file's first run in the build, 2 for its retry on another node, … */
  readonly attempt: number;
  readonly seconds: number;
}

/** The finished run the outcomes come from. */
export interface TestRun {
  readonly buildId: string;
  readonly commit?: string;
  readonly branch?: string;
  readonly at: number;
}

/** A finished file's entry as it ran: on which node, at which attempt. */
export interface RanEntry {
  readonly file: string;
  readonly entry: FileEntry;
  readonly node: string;
  readonly attempt: number;
}

/** Each test's outcome in these entries (skipped tests and nameless ones are not outcomes), keyed by testKey. */
export function testOutcomesOf(ran: Iterable<RanEntry>, run: TestRun): Array<[string, TestOutcome]> {
  const out: Array<[string, TestOutcome]> = [];
  const commit = run.commit === undefined ? null : run.commit.slice(0, 40);
  const branch = run.branch ?? null;
  for (const { file, entry, node, attempt } of ran) {
    // A file that failed to run has no test outcomes: it is not a test's flake.
    if (typeof entry.failure_message === 'string' && entry.failure_message !== '') continue;
    for (const test of casesOf(entry)) {
      if ((test.status !== 'passed' && test.status !== 'failed') || typeof test.description !== 'string' || test.description === '') continue;
      const seconds = typeof test.run_time === 'number' && Number.isFinite(test.run_time) ? test.run_time : 0;
      out.push([testKey(file, test.description), { status: test.status, buildId: run.buildId, commit, branch, at: run.at, node, attempt, seconds }]);
    }
  }
  return out;
}

/** A run as every outcome of it shares it: kept once, in the history's table of runs. */
export interface RunRow {
  readonly buildId: string;
  readonly commit: string | null;
  readonly branch: string | null;
  readonly at: number;
}

/** The run an outcome belongs to, as the table keeps it. */
export function runRowOf(o: TestOutcome): RunRow {
  return { buildId: o.buildId, commit: o.commit, branch: o.branch, at: o.at };
}

/** A run's stored form, `[build id, commit, branch, at]`, and back (undefined for what is not one). */
export function storedRun(row: RunRow): unknown {
  return [row.buildId, row.commit, row.branch, row.at];
}

export function parseRun(value: unknown): RunRow | undefined {
  if (!Array.isArray(value) || typeof value[0] !== 'string' || typeof value[3] !== 'number') return undefined;
  return { buildId: value[0], commit: typeof value[1] === 'string' ? value[1] : null, branch: typeof value[2] === 'string' ? value[2] : null, at: value[3] };
}

const TOKEN = /^(\d+)([pf])(\d+)\.([^.\s]*)\.(\d+)$/;

/**
 * One outcome's stored form: `<run id><p|f><attempt>.<node>.<milliseconds>`
 * ("17f1.3.250"; the node's number, for "node 3"). A suite has tens of
 * thousands of tests, each with a window of outcomes: what the outcomes of
 * a run share is kept once, in the table of runs.
 */
export function encodeOutcome(runId: number, o: TestOutcome): string {
  const node = /^node (\d+)$/.exec(o.node)?.[1] ?? encodeURIComponent(o.node).replace(/\./g, '%2E');
  return `${runId}${o.status === 'passed' ? 'p' : 'f'}${o.attempt}.${node}.${Math.max(0, Math.round(o.seconds * 1000))}`;
}

/** A test's stored outcomes, oldest first; those of runs the table no longer has (past the window) and what is not one are dropped. */
export function decodeOutcomes(value: string, runs: ReadonlyMap<number, RunRow>): TestOutcome[] {
  const out: TestOutcome[] = [];
  for (const token of value.split(' ')) {
    const m = TOKEN.exec(token);
    const run = m === null ? undefined : runs.get(Number(m[1]));
    if (m === null || run === undefined) continue;
    let node = `node ${m[4]}`;
    if (!/^\d+$/.test(m[4]!)) {
      try {
        node = decodeURIComponent(m[4]!);
      } catch {
        continue;
      }
    }
    out.push({ status: m[2] === 'p' ? 'passed' : 'failed', ...run, node, attempt: Number(m[3]), seconds: Number(m[5]) / 1000 });
  }
  return out;
}

/** `value` with `tokens` laid over it: the last `keep`, none of a run the table no longer has. */
export function appendOutcomes(value: string | undefined, tokens: readonly string[], keep: number, runs: ReadonlyMap<number, unknown>): string {
  const all = value === undefined || value === '' ? [...tokens] : [...value.split(' '), ...tokens];
  return all
    .filter(token => runs.has(Number.parseInt(token, 10)))
    .slice(-keep)
    .join(' ');
}

/** The runs of these outcomes, each once (a finished run's outcomes share one). */
export function runsOf(outcomes: ReadonlyArray<readonly [string, TestOutcome]>): RunRow[] {
  const rows = new Map<string, RunRow>();
  for (const [, o] of outcomes) {
    const row = runRowOf(o);
    const key = rowKey(row);
    if (!rows.has(key)) rows.set(key, row);
  }
  return [...rows.values()];
}

/** A run's identity in the table: the same row gets the same id within one record. */
export function rowKey(row: RunRow): string {
  return JSON.stringify(storedRun(row));
}

/** A finished run's outcomes as each test's new tokens, `ids` giving each run's id in the table (by rowKey). */
export function tokensByTest(outcomes: ReadonlyArray<readonly [string, TestOutcome]>, ids: ReadonlyMap<string, number>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [test, o] of outcomes) out.set(test, [...(out.get(test) ?? []), encodeOutcome(ids.get(rowKey(runRowOf(o)))!, o)]);
  return out;
}

/** The stored outcomes hold a failure: only such a test can be flaky. */
export function hasFailure(value: string): boolean {
  return /\df/.test(value);
}

/** The run of a test's last stored outcome, or undefined when it holds none. */
export function lastRunOf(value: string): number | undefined {
  const at = value.lastIndexOf(' ');
  const run = Number.parseInt(value.slice(at + 1), 10);
  return Number.isNaN(run) ? undefined : run;
}

/** What a test's outcomes say about it. */
export interface FlakeStats {
  /** Runs (builds) it ran in, within the window. */
  readonly runs: number;
  /** Runs in which it failed. */
  readonly failures: number;
  /** Runs in which it failed while it passed on the same commit (in that run or another): flakes. */
  readonly flakes: number;
  /** Its first and last flake in the window. */
  readonly since: { buildId: string; at: number } | null;
  readonly last: { buildId: string; at: number } | null;
  /** Branches it flaked on. */
  readonly branches: string[];
}

/**
 * A test is flaky when it failed and passed on the same commit (its build
 * id when the commit is not known): a failure is a flake when its commit
 * also has a pass. Counted per run, so a test that fails and passes on a
 * retry twice in two runs has two flakes, and one that fails every time has
 * none.
 */
export function flakeStats(outcomes: readonly TestOutcome[]): FlakeStats {
  const commitOf = (o: TestOutcome): string => o.commit ?? `build:${o.buildId}`;
  const passedOn = new Set(outcomes.filter(o => o.status === 'passed').map(commitOf));
  const runs = new Set(outcomes.map(o => o.buildId));
  const failedRuns = new Set(outcomes.filter(o => o.status === 'failed').map(o => o.buildId));
  const flaky = outcomes.filter(o => o.status === 'failed' && passedOn.has(commitOf(o)));
  const flakeRuns = new Map<string, TestOutcome>();
  for (const o of flaky) if (!flakeRuns.has(o.buildId)) flakeRuns.set(o.buildId, o);
  const ordered = [...flakeRuns.values()].sort((a, b) => a.at - b.at);
  const point = (o: TestOutcome | undefined): { buildId: string; at: number } | null => (o === undefined ? null : { buildId: o.buildId, at: o.at });
  return {
    runs: runs.size,
    failures: failedRuns.size,
    flakes: flakeRuns.size,
    since: point(ordered[0]),
    last: point(ordered.at(-1)),
    branches: [...new Set(flaky.map(o => o.branch).filter((b): b is string => b !== null))].sort(),
  };
}
