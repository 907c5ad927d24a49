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

/** `recent` with `added` laid over it: oldest first, at most `runs`, none older than `days` before `now`. */
export function withOutcomes(recent: readonly TestOutcome[] | undefined, added: readonly TestOutcome[], runs: number, days: number, now: number): TestOutcome[] {
  const since = now - days * 86_400_000;
  return [...(recent ?? []), ...added].filter(o => o.at >= since).slice(-runs);
}

/** Stored form: `[status, build id, commit, branch, at, node, attempt, seconds]` per outcome (short: a suite has thousands of tests). */
export function storedOutcomes(outcomes: readonly TestOutcome[]): unknown {
  return outcomes.map(o => [o.status === 'passed' ? 'p' : 'f', o.buildId, o.commit, o.branch, o.at, o.node, o.attempt, o.seconds]);
}

/** Outcomes as a store kept them; what is not one is dropped. */
export function parseOutcomes(value: unknown): TestOutcome[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((o): TestOutcome[] => {
    if (!Array.isArray(o) || (o[0] !== 'p' && o[0] !== 'f') || typeof o[1] !== 'string' || typeof o[4] !== 'number' || typeof o[5] !== 'string' || typeof o[6] !== 'number') return [];
    return [{
      status: o[0] === 'p' ? 'passed' : 'failed',
      buildId: o[1],
      commit: typeof o[2] === 'string' ? o[2] : null,
      branch: typeof o[3] === 'string' ? o[3] : null,
      at: o[4],
      node: o[5],
      attempt: o[6],
      seconds: typeof o[7] === 'number' ? o[7] : 0,
    }];
  });
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
