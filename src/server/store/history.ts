/**
 * What a finished run teaches the duration history, whichever store keeps
 * it (pure): each file's last RECENT_DURATIONS run times (the newest orders
 * the next run's queue, the rest show a file's trend on the dashboard), and
 * the tests of slow files (to split them into parts next time). Every limit
 * of the history is declared here, once.
 */
import { testsOfEntry } from '../../protocol/parts';
import type { FileEntry, KnownTest } from '../../protocol/types';

/** Files kept per history (per key and run key); the least recently seen go first when a suite outgrows it. */
export const MAX_HISTORY_FILES = 200_000;
/** Run keys whose history is kept per secret key; the least recently used go first. */
export const MAX_HISTORIES_PER_KEY = 50;
/** Durations kept per file, newest last. */
export const RECENT_DURATIONS = 10;
/** Outcomes kept per file (a run each), newest last: the page's "failing since", "flaky since". */
export const RECENT_OUTCOMES = 20;
/** A history unused this long expires (Redis; a data dir keeps it until MAX_HISTORIES_PER_KEY pushes it out). */
export const HISTORY_TTL_MS = 30 * 86_400_000;

/** A file's tests are kept (for splitting it: the `parts` extension) when it took at least this long and had this many tests at most. */
export const KEEP_TESTS_MIN_SECONDS = 1;
export const KEEP_TESTS_MAX = 2_000;

/** A usable duration: a positive, finite number of seconds. */
export function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** `recent` with `seconds` added as the newest, cut to the last RECENT_DURATIONS. */
export function withDuration(recent: readonly number[] | undefined, seconds: number): number[] {
  return [...(recent ?? []), seconds].slice(-RECENT_DURATIONS);
}

/** Durations as a store kept them: a list (oldest first), or one number (an older format); what is not a duration is dropped. */
export function parseDurations(value: unknown): number[] {
  if (isDuration(value)) return [value];
  return Array.isArray(value) ? value.filter(isDuration).slice(-RECENT_DURATIONS) : [];
}

/** How a file ended in one run: `flaky` when it failed, then passed on another node. */
export type FileOutcome = 'passed' | 'failed' | 'pending' | 'flaky';
const OUTCOMES: ReadonlySet<string> = new Set<FileOutcome>(['passed', 'failed', 'pending', 'flaky']);

/** One finished run of a file: its outcome, the run's build id, when it finished (ms), and its commit when known. */
export interface OutcomeRecord {
  readonly outcome: FileOutcome;
  readonly buildId: string;
  readonly at: number;
  readonly commit?: string;
}

/** What the history keeps of one file: its last durations and its last runs' outcomes, oldest first. */
export interface FileRecord {
  readonly durations: number[];
  readonly outcomes: OutcomeRecord[];
}

/**
 * A file's record as a store kept it: `{"d":[s, …],"o":[[outcome, build id, at, commit?], …]}`,
 * or, from an older server, a list of durations or one duration. What is not valid is dropped.
 */
export function parseFileRecord(value: unknown): FileRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { durations: parseDurations(value), outcomes: [] };
  const { d, o } = value as { d?: unknown; o?: unknown };
  const outcomes = Array.isArray(o)
    ? o.flatMap((r): OutcomeRecord[] =>
        Array.isArray(r) && OUTCOMES.has(r[0] as string) && typeof r[1] === 'string' && typeof r[2] === 'number' && Number.isFinite(r[2])
          ? [{ outcome: r[0] as FileOutcome, buildId: r[1], at: r[2], ...(typeof r[3] === 'string' ? { commit: r[3] } : {}) }]
          : [],
      )
    : [];
  return { durations: parseDurations(d), outcomes: outcomes.slice(-RECENT_OUTCOMES) };
}

/** The stored form of a record (the inverse of parseFileRecord). */
export function storedFileRecord(record: FileRecord): unknown {
  return { d: record.durations, o: record.outcomes.map(r => (r.commit === undefined ? [r.outcome, r.buildId, r.at] : [r.outcome, r.buildId, r.at, r.commit])) };
}

/** `record` with one finished run of the file laid over it. */
export function withRun(record: FileRecord | undefined, seconds: number | undefined, outcome: OutcomeRecord | undefined): FileRecord {
  return {
    durations: seconds === undefined ? [...(record?.durations ?? [])] : withDuration(record?.durations, seconds),
    outcomes: outcome === undefined ? [...(record?.outcomes ?? [])] : [...(record?.outcomes ?? []), outcome].slice(-RECENT_OUTCOMES),
  };
}

/** Kept tests as a store kept them, or undefined when they are not a list of [name, seconds]. */
export function parseKnownTests(value: unknown): KnownTest[] | undefined {
  const valid = Array.isArray(value) && value.every(t => Array.isArray(t) && typeof t[0] === 'string' && typeof t[1] === 'number');
  return valid ? (value as KnownTest[]) : undefined;
}

/** The tests worth keeping of a finished file: those of a slow file, named exactly; else undefined. */
export function keptTests(entry: FileEntry): KnownTest[] | undefined {
  if (!isDuration(entry.run_time) || entry.run_time < KEEP_TESTS_MIN_SECONDS || entry.test_count > KEEP_TESTS_MAX) return undefined;
  // Skipped tests may mean `test.only` (every part would skip all but the focused ones): such a file runs whole.
  if (entry.test_counters.pending > 0) return undefined;
  const tests = testsOfEntry(entry);
  return tests.length >= 2 ? tests : undefined;
}

/**
 * How many nodes the last runs had, kept as a duration list under an id no
 * test file can have (a path holds no NUL): the next run of the key splits
 * slow files for that many nodes when no FAST_CI_NODE_TOTAL says otherwise.
 */
export const NODES_ID = '\u0000nodes';

/** The finished run a lesson comes from: its build id, when it finished, its commit, the files that were flaky in it. */
export interface FinishedRun {
  readonly buildId: string;
  readonly at: number;
  readonly commit?: string;
  readonly flaky?: readonly string[];
}

/** What one finished run changes in a history. */
export interface Lesson {
  /** Each file's new duration and outcome (either may be absent), to lay over its record. */
  readonly files: ReadonlyArray<readonly [id: string, seconds: number | undefined, outcome: OutcomeRecord | undefined]>;
  /** Each file's kept tests: a list to keep, or undefined to drop (the file is no longer slow, or its tests changed). */
  readonly tests: ReadonlyArray<readonly [id: string, tests: KnownTest[] | undefined]>;
}

/** What these results teach; `nodes`: how many nodes the run had; `run`: which run (without it, durations only). */
export function lessonOf(results: ReadonlyMap<string, { readonly entry: FileEntry }>, nodes?: number, run?: FinishedRun): Lesson {
  const files: Array<[string, number | undefined, OutcomeRecord | undefined]> = [];
  const tests: Array<[string, KnownTest[] | undefined]> = [];
  const flaky = new Set(run?.flaky ?? []);
  const commit = run?.commit === undefined ? {} : { commit: run.commit.slice(0, 40) };
  for (const [id, { entry }] of results) {
    tests.push([id, keptTests(entry)]);
    const outcome: OutcomeRecord | undefined = run === undefined ? undefined : { outcome: flaky.has(id) ? 'flaky' : entry.file_status, buildId: run.buildId, at: run.at, ...commit };
    const seconds = isDuration(entry.run_time) ? entry.run_time : undefined;
    if (seconds !== undefined || outcome !== undefined) files.push([id, seconds, outcome]);
  }
  if (nodes !== undefined && nodes > 0) files.push([NODES_ID, nodes, undefined]);
  return { files, tests };
}
