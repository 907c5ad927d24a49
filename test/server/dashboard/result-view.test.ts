import { firstFailure, firstLines, resultView } from '../../../src/server/dashboard/resultView';
import type { FileEntry } from '../../../src/protocol/types';

describe('firstFailure', () => {
  it("prefers the file's own failure (it did not run)", () => {
    const entry: FileEntry = {
      file_status: 'failed',
      test_count: 1,
      test_counters: { failed: 1, passed: 0, pending: 0 },
      failure_message: "Cannot find module './does-not-exist'",
      '1': { status: 'failed', run_time: 0, description: 'Test suite failed to run', failure_message: 'other' },
    };
    expect(firstFailure(entry)).toBe("Cannot find module './does-not-exist'");
  });

  it('finds the first failed case inside groups of cases (RSpec, Minitest)', () => {
    const entry = {
      file_status: 'failed',
      test_count: 2,
      test_counters: { failed: 1, passed: 1, pending: 0 },
      '1': { '1': { status: 'passed', run_time: 0.1 }, '2': { '1': { status: 'failed', run_time: 0.1, description: 'Cart totals', failure_message: 'expected 5, got 4' } } },
    } as unknown as FileEntry;
    expect(firstFailure(entry)).toBe('Cart totals\nexpected 5, got 4');
  });

  it('says nothing for a file without failures', () => {
    expect(resultView({ file_status: 'passed', test_count: 0, test_counters: { failed: 0, passed: 0, pending: 0 }, '1': { status: 'pending', run_time: 0 } }, 3)).toEqual({
      node: 3,
      status: 'passed',
      runTime: null,
      tests: 0,
      failedTests: 0,
    });
  });
});

describe('firstLines', () => {
  it('keeps 12 lines and at most 2000 characters', () => {
    expect(firstLines(Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n')).split('\n')).toHaveLength(13);
    expect(firstLines('x'.repeat(5_000))).toHaveLength(2_000);
    expect(firstLines('short\n')).toBe('short');
  });
});
