/** What makes a test flaky, and what the test history keeps (pure). */
import { appendOutcomes, decodeOutcomes, encodeOutcome, flakeStats, hasFailure, lastRunOf, runRowOf, testOutcomesOf, type RunRow, type TestOutcome } from '../../../src/server/store/testHistory';
import type { FileEntry } from '../../../src/protocol/types';

const o = (status: 'passed' | 'failed', buildId: string, commit: string | null, at: number, branch: string | null = 'main'): TestOutcome => ({ status, buildId, commit, branch, at, node: 'node 0', attempt: 1, seconds: 0.1 });

describe('flakeStats', () => {
  it('counts a failure as a flake when the same commit also passed, in that run (a retry) or another', () => {
    const stats = flakeStats([o('failed', 'b1', 'c1', 1), o('passed', 'b1', 'c1', 2), o('passed', 'b2', 'c2', 3), o('failed', 'b3', 'c3', 4, 'feature'), o('passed', 'b4', 'c3', 5)]);
    expect(stats).toEqual({ runs: 4, failures: 2, flakes: 2, since: { buildId: 'b1', at: 1 }, last: { buildId: 'b3', at: 4 }, branches: ['feature', 'main'] });
  });

  it('finds no flake in a test that fails every time, or fails on a commit it never passed on', () => {
    expect(flakeStats([o('failed', 'b1', 'c1', 1), o('failed', 'b2', 'c1', 2)]).flakes).toBe(0);
    expect(flakeStats([o('passed', 'b1', 'c1', 1), o('failed', 'b2', 'c2', 2)]).flakes).toBe(0);
  });

  it('falls back to the build id when the commit is not known', () => {
    expect(flakeStats([o('failed', 'b1', null, 1), o('passed', 'b1', null, 2)]).flakes).toBe(1);
    expect(flakeStats([o('failed', 'b1', null, 1), o('passed', 'b2', null, 2)]).flakes).toBe(0);
  });
});

describe('the window and the stored form', () => {
  it('keeps the last N outcomes, and none of a run the table no longer has (past the window of days)', () => {
    const runs = new Map<number, RunRow>([[2, runRowOf(o('passed', 'b1', 'c', 10))], [3, runRowOf(o('failed', 'b2', 'c', 11))], [4, runRowOf(o('passed', 'b3', 'c', 12))]]);
    // Run 1 left the table: its token goes; of the rest, the last two stay.
    const kept = appendOutcomes('1p1.0.5 2p1.0.5', [encodeOutcome(3, o('failed', 'b2', 'c', 11)), encodeOutcome(4, o('passed', 'b3', 'c', 12))], 2, runs);
    expect(decodeOutcomes(kept, runs).map(x => x.buildId)).toEqual(['b2', 'b3']);
    expect(lastRunOf(kept)).toBe(4);
    expect(hasFailure(kept)).toBe(true);
    expect(hasFailure(appendOutcomes(undefined, ['2p1.0.5', '4p2.0.5'], 5, runs))).toBe(false);
  });

  it('reads back what it stores, the run shared through the table, and drops what is not an outcome', () => {
    const list = [o('failed', 'b1', 'c1', 1), { ...o('passed', 'b2', null, 2, null), node: 'node 12', attempt: 2, seconds: 1.234 }, { ...o('passed', 'b2', null, 2, null), node: 'a.b c', attempt: 3 }];
    const runs = new Map<number, RunRow>([[7, runRowOf(list[0]!)], [8, runRowOf(list[1]!)]]);
    const stored = [encodeOutcome(7, list[0]!), encodeOutcome(8, list[1]!), encodeOutcome(8, list[2]!)].join(' ');
    // A few characters an outcome: a suite of 20,000 tests keeps 30 runs of each in megabytes, not tens of them.
    expect(stored).toBe('7f1.0.100 8p2.12.1234 8p3.a%2Eb%20c.100');
    expect(decodeOutcomes(stored, runs)).toEqual(list);
    expect(decodeOutcomes('x 9p1.0.1 7q1.0.1 7p1..', runs)).toEqual([]);
  });

  it("takes each test's outcome from an entry, not skipped tests, nor a file that failed to run", () => {
    const entry: FileEntry = { file_status: 'failed', test_count: 3, test_counters: { passed: 1, failed: 1, pending: 1 }, '1': { status: 'passed', run_time: 0.1, description: 'a' }, '2': { status: 'failed', run_time: 0.2, description: 'b' }, '3': { status: 'pending', run_time: 0, description: 'c' } };
    const run = { buildId: 'b1', commit: 'c1', branch: 'main', at: 5 };
    expect(testOutcomesOf([{ file: 'f.test.ts', entry, node: 'node 2', attempt: 1 }], run).map(([key, x]) => [key, x.status, x.node])).toEqual([
      ['f.test.ts\u0000a', 'passed', 'node 2'],
      ['f.test.ts\u0000b', 'failed', 'node 2'],
    ]);
    expect(testOutcomesOf([{ file: 'f.test.ts', entry: { ...entry, failure_message: 'Cannot find module' }, node: 'node 0', attempt: 1 }], run)).toEqual([]);
  });
});
