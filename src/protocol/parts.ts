/**
 * Parts of a test file (extension `parts`): a file whose work is over a
 * node's share runs on several nodes at once, each part with the tests it
 * names. Shared by the server (which splits and merges) and the runner
 * (which runs a part with a `testNamePattern` and keeps only its tests).
 * Pure.
 *
 * The last part of a file lists the tests it must not run (those of the
 * other parts) instead of the tests it runs, so a test added since the
 * server learned the file lands there: every test runs exactly once.
 */
import type { CaseEntry, FileEntry, KnownTest, PartSpec, TestCounters, TestStatus } from './types';

export type { KnownTest, PartSpec };


/** The id of part `index` (1-based) of `count` of a file. */
export function partId(file: string, index: number, count: number): string {
  return `${file}#part-${index}-of-${count}`;
}

/** `file#part-2-of-3` → the file, the part and the count; undefined for an id that is not a part's. */
export function parsePartId(id: string): { file: string; index: number; count: number } | undefined {
  const match = /^(.+)#part-(\d+)-of-(\d+)$/.exec(id);
  if (match === null) return undefined;
  const index = Number(match[2]);
  const count = Number(match[3]);
  return index >= 1 && index <= count ? { file: match[1]!, index, count } : undefined;
}

/** Whether a value is a map of part ids to specs: each names its file, and either its tests or the tests it skips. */
export function isPartMap(value: unknown): value is Record<string, PartSpec> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const names = (v: unknown): boolean => Array.isArray(v) && v.every(n => typeof n === 'string');
  return Object.values(value).every(spec => {
    const s = spec as Record<string, unknown> | null;
    return s !== null && typeof s === 'object' && typeof s.file === 'string' && names(s.tests) !== names(s.except);
  });
}

/**
 * Whether a file's known tests can be split exactly: at least two, and no
 * two whose names match each other under Jest's `testNamePattern` (which
 * ignores case).
 */
export function isSplittable(tests: readonly KnownTest[]): boolean {
  if (tests.length < 2) return false;
  const names = new Set(tests.map(([name]) => name.toLowerCase()));
  return names.size === tests.length;
}

/**
 * The file's tests in `count` parts of about equal seconds, longest test
 * first onto the lightest part (LPT). The last part names the tests of the
 * others as its `except`.
 */
export function splitTests(file: string, tests: readonly KnownTest[], count: number): PartSpec[] {
  const n = Math.max(1, Math.min(count, tests.length));
  const bins = Array.from({ length: n }, () => ({ seconds: 0, names: [] as string[] }));
  const ordered = [...tests].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [name, seconds] of ordered) {
    const lightest = bins.reduce((best, bin) => (bin.seconds < best.seconds ? bin : best));
    lightest.seconds += Math.max(seconds, 0.001);
    lightest.names.push(name);
  }
  const listed = bins.slice(0, -1).map(bin => bin.names);
  return [...listed.map(names => ({ file, tests: names })), { file, except: listed.flat() }];
}

/** Seconds of a part from the file's known tests (the last part: what the others do not take). */
export function partSeconds(spec: PartSpec, tests: readonly KnownTest[]): number {
  const names = new Set(spec.tests ?? spec.except);
  return tests.filter(([name]) => (spec.tests ? names.has(name) : !names.has(name))).reduce((sum, [, seconds]) => sum + seconds, 0);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * The `testNamePattern` that runs exactly the part's tests. Jest tests it
 * against each test's full name, ignoring case.
 */
export function partPattern(spec: PartSpec): string {
  const names = (spec.tests ?? spec.except ?? []).map(escapeRegExp).join('|');
  return spec.tests ? `^(?:${names})$` : `^(?!(?:${names})$)`;
}

/** Whether a test (by full name) belongs to the part; the same answer as partPattern's. */
export function inPart(spec: PartSpec, fullName: string): boolean {
  const lower = fullName.toLowerCase();
  const names = (spec.tests ?? spec.except ?? []).map(name => name.toLowerCase());
  return spec.tests ? names.includes(lower) : !names.includes(lower);
}

/**
 * One entry for the whole file from its parts' entries: every case, the
 * counters added up, failed if any part failed, seconds added up.
 */
export function mergePartEntries(entries: readonly FileEntry[]): FileEntry {
  const counters: TestCounters = { failed: 0, passed: 0, pending: 0 };
  const cases: CaseEntry[] = [];
  const failures: string[] = [];
  let seconds = 0;
  for (const entry of entries) {
    counters.failed += entry.test_counters.failed;
    counters.passed += entry.test_counters.passed;
    counters.pending += entry.test_counters.pending;
    seconds += typeof entry.run_time === 'number' ? entry.run_time : 0;
    if (typeof entry.failure_message === 'string') failures.push(entry.failure_message);
    for (let i = 1; entry[String(i)] !== undefined; i += 1) {
      const c = entry[String(i)] as CaseEntry;
      // A part that ran nothing carries a placeholder case only: not a test.
      if (entry.test_count === 0) continue;
      cases.push(c);
    }
  }
  const status: TestStatus = entries.some(e => e.file_status === 'failed') ? 'failed' : counters.passed > 0 ? 'passed' : 'pending';
  const merged: FileEntry = { file_status: status, test_count: cases.length, test_counters: counters, run_time: Math.round(seconds * 1000) / 1000 };
  if (failures.length > 0) merged.failure_message = failures.join('\n');
  if (cases.length === 0) merged['1'] = { status: 'pending', run_time: 0 };
  cases.forEach((c, i) => {
    merged[String(i + 1)] = c;
  });
  return merged;
}

/** The tests of a recorded entry, by full name, with their seconds: what the server learns of a file. */
export function testsOfEntry(entry: FileEntry): KnownTest[] {
  const tests: KnownTest[] = [];
  for (let i = 1; entry[String(i)] !== undefined; i += 1) {
    const c = entry[String(i)] as CaseEntry;
    if (typeof c.description !== 'string' || c.description === '') return [];
    tests.push([c.description, typeof c.run_time === 'number' ? c.run_time : 0]);
  }
  return entry.test_count === tests.length ? tests : [];
}
