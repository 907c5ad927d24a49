/** What makes a test flaky, and what the test history keeps (pure). */
import { flakeStats, parseOutcomes, storedOutcomes, testOutcomesOf, withOutcomes, type TestOutcome } from '../../../src/server/store/testHistory';
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
  it('keeps the last N outcomes, none older than the window of days', () => {
    const day = 86_400_000;
    const kept = withOutcomes([o('passed', 'old', 'c', 0), o('passed', 'b1', 'c', 10 * day)], [o('failed', 'b2', 'c', 11 * day), o('passed', 'b3', 'c', 12 * day)], 2, 5, 12 * day);
    expect(kept.map(x => x.buildId)).toEqual(['b2', 'b3']);
  });

  it('reads back what it stores, and drops what is not an outcome', () => {
    const list = [o('failed', 'b1', 'c1', 1), o('passed', 'b2', null, 2, null)];
    expect(parseOutcomes(JSON.parse(JSON.stringify(storedOutcomes(list))))).toEqual(list);
    expect(parseOutcomes([['x'], 'nope', ['p', 'b', null, null, 'not a time', 'node 0', 1, 0]])).toEqual([]);
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
