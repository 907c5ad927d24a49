/**
 * The duration history file: the last 10 durations and last 20 outcomes of
 * each file (format version 3), still reading versions 2 and 1 (durations
 * only); and the local history store, bounded, in memory without a data
 * directory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DurationHistory } from '../../../src/server/store/DurationHistory';
import { LocalHistory } from '../../../src/server/store/LocalHistory';
import type { FileEntry } from '../../../src/protocol/types';
import { passed } from '../helpers';
import { lessonOf } from '../../../src/server/store/history';
import { fileHistoryView } from '../../../src/server/dashboard/runView';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'jest-fast-ci-history-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const results = (seconds: Record<string, number>) => Object.fromEntries(Object.entries(seconds).map(([id, s]) => [id, { entry: passed(s) }]));

it('keeps the last 10 durations of each file, newest last, and orders by the newest', () => {
  const file = path.join(dir, 'h.json');
  const history = new DurationHistory(file);
  for (let run = 1; run <= 12; run += 1) history.update(results({ 'a.test.ts': run, 'b.test.ts': 0 }));
  expect(history.recent('a.test.ts').durations).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  expect(history.get('a.test.ts')).toBe(12);
  // A zero or missing run time is not a duration.
  expect(history.recent('b.test.ts').durations).toEqual([]);
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 3, files: { 'a.test.ts': { d: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12], o: [] } } });
  expect(new DurationHistory(file).recent('a.test.ts').durations).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
});

it('reads a version 1 file (one duration per file) and writes it back as version 3', () => {
  const file = path.join(dir, 'h.json');
  writeFileSync(file, JSON.stringify({ version: 1, seconds: { 'a.test.ts': 2.5, 'bad.test.ts': 'x' } }));
  const history = new DurationHistory(file);
  expect(history.get('a.test.ts')).toBe(2.5);
  expect(history.recent('a.test.ts').durations).toEqual([2.5]);
  expect(history.get('bad.test.ts')).toBeUndefined();
  history.update(results({ 'a.test.ts': 3 }));
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 3, files: { 'a.test.ts': { d: [2.5, 3], o: [] } } });
});

it('skips what is not a list of durations in a version 2 file', () => {
  const file = path.join(dir, 'h.json');
  writeFileSync(file, JSON.stringify({ version: 2, recent: { 'a.test.ts': [1, -1, 'x', 2], 'b.test.ts': 3, 'c.test.ts': [] } }));
  const history = new DurationHistory(file);
  expect(history.recent('a.test.ts').durations).toEqual([1, 2]);
  expect(history.recent('b.test.ts').durations).toEqual([]);
  expect(history.get('c.test.ts')).toBeUndefined();
});

it("keeps each file's last 20 outcomes with their run, a flaky run as flaky, across a restart", () => {
  const file = path.join(dir, 'h.json');
  const history = new DurationHistory(file);
  const failed: FileEntry = { ...passed(1), file_status: 'failed', test_counters: { passed: 0, failed: 1, pending: 0 } };
  for (let run = 1; run <= 22; run += 1) {
    const lesson = lessonOf(new Map([['a.test.ts', { entry: run % 2 === 0 ? failed : passed(1) }], ['b.test.ts', { entry: passed(0) }]]), 2, { buildId: `b${run}`, at: run * 1000, commit: 'c0ffee', flaky: run === 21 ? ['a.test.ts'] : [] });
    history.learn(lesson);
  }
  const { outcomes, durations } = new DurationHistory(file).recent('a.test.ts');
  expect(durations).toHaveLength(10);
  expect(outcomes).toHaveLength(20);
  expect(outcomes[0]).toEqual({ outcome: 'passed', buildId: 'b3', at: 3000, commit: 'c0ffee' });
  expect(outcomes.slice(-2).map(o => o.outcome)).toEqual(['flaky', 'failed']);
  // A file with no duration still has its outcomes.
  expect(new DurationHistory(file).recent('b.test.ts')).toMatchObject({ durations: [], outcomes: expect.arrayContaining([expect.objectContaining({ outcome: 'passed', buildId: 'b22' })]) });
});

it('says since when a file fails and since when it is flaky', () => {
  const run = (outcome: 'passed' | 'failed' | 'flaky', n: number) => ({ outcome, buildId: `b${n}`, at: n });
  const view = fileHistoryView('a.test.ts', { durations: [1], outcomes: [run('passed', 1), run('flaky', 2), run('failed', 3), run('failed', 4)] }, null);
  expect(view.failingSince).toEqual({ buildId: 'b3', at: 3 });
  expect(view.flakySince).toEqual({ buildId: 'b2', at: 2 });
  expect(view.runs.map(r => r.status)).toEqual(['passed', 'flaky', 'failed', 'failed']);
  expect(fileHistoryView('a.test.ts', { durations: [], outcomes: [run('failed', 1), run('passed', 2)] }, null)).toMatchObject({ failingSince: null, flakySince: null });
});

describe('LocalHistory (in memory)', () => {
  const key = { keyHash: 'k', runKey: 'jest', buildId: 'b' };
  const resultsMap = (seconds: Record<string, number>) => new Map(Object.entries(results(seconds)));

  it('keeps the last 10 per key and run key, whatever the build', async () => {
    const memory = new LocalHistory();
    for (let run = 1; run <= 11; run += 1) await memory.record({ ...key, buildId: `b${run}` }, resultsMap({ 'a.test.ts': run }));
    expect((await memory.recent(key, 'a.test.ts')).durations).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect((await memory.recent({ ...key, runKey: 'other' }, 'a.test.ts')).durations).toEqual([]);
    expect((await memory.recent({ ...key, keyHash: 'other' }, 'a.test.ts')).durations).toEqual([]);
  });

  it('holds at most `maxFiles` files per history, dropping the least recently updated', async () => {
    const memory = new LocalHistory({ maxFiles: 2 });
    await memory.record(key, resultsMap({ 'a.test.ts': 1, 'b.test.ts': 1 }));
    await memory.record(key, resultsMap({ 'c.test.ts': 1, 'a.test.ts': 2 }));
    expect((await memory.recent(key, 'b.test.ts')).durations).toEqual([]);
    expect((await memory.recent(key, 'c.test.ts')).durations).toEqual([1]);
    expect((await memory.recent(key, 'a.test.ts')).durations).toEqual([1, 2]);
  });
});

it("keeps a slow file's tests (names and seconds) for splitting it, across a restart, but not a file with skipped tests", () => {
  const file = path.join(dir, 'h.json');
  const entry = (pending: number): FileEntry => ({
    file_status: 'passed',
    test_count: 2 + pending,
    test_counters: { passed: 2, failed: 0, pending },
    run_time: 4,
    '1': { status: 'passed', run_time: 1.5, description: 'adds' },
    '2': { status: 'passed', run_time: 2.5, description: 'totals' },
    ...(pending > 0 ? { '3': { status: 'pending', run_time: 0, description: 'later' } } : {}),
  });
  const history = new DurationHistory(file);
  history.update({ 'slow.test.ts': { entry: entry(0) }, 'focused.test.ts': { entry: entry(1) }, 'quick.test.ts': { entry: passed(0.2) } });
  const reread = new DurationHistory(file);
  expect(reread.testsOf('slow.test.ts')).toEqual([['adds', 1.5], ['totals', 2.5]]);
  // It may use test.only: every part would run only the focused tests.
  expect(reread.testsOf('focused.test.ts')).toBeUndefined();
  expect(reread.testsOf('quick.test.ts')).toBeUndefined();
  // In memory only (no data dir): the same, without a file.
  const memory = new DurationHistory();
  memory.update({ 'slow.test.ts': { entry: entry(0) } });
  expect(memory.testsOf('slow.test.ts')).toHaveLength(2);
});
