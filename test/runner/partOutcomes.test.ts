import type { AssertionResult, TestResult } from '@jest/test-result';
import { parsePartId } from '../../src/protocol/parts';
import { mergeOutcomes, partOutcome } from '../../src/runner/partOutcomes';

function assertion(fullName: string, status: AssertionResult['status']): AssertionResult {
  return { fullName, title: fullName, ancestorTitles: [], status, failureMessages: status === 'failed' ? [`${fullName} broke`] : [] } as unknown as AssertionResult;
}

/** What Jest gives for a part: every test of the file, the other parts' skipped. */
function wholeFile(statuses: Record<string, AssertionResult['status']>, covered: number[]): TestResult {
  const tests = Object.entries(statuses).map(([name, status]) => assertion(name, status));
  return {
    testFilePath: '/p/test/x.test.js',
    testResults: tests,
    numPassingTests: tests.filter(t => t.status === 'passed').length,
    numFailingTests: tests.filter(t => t.status === 'failed').length,
    numPendingTests: tests.filter(t => t.status === 'pending').length,
    numTodoTests: 0,
    perfStats: { start: 100, end: 200, runtime: 100, slow: false },
    snapshot: { added: 0, matched: 1, unmatched: 0, updated: 0, fileDeleted: false, unchecked: 1, uncheckedKeys: ['a 1'] },
    leaks: false,
    skipped: false,
    openHandles: [],
    coverage: {
      '/p/src/x.js': {
        path: '/p/src/x.js',
        statementMap: { 0: { start: { line: 1, column: 0 }, end: { line: 1, column: 9 } }, 1: { start: { line: 2, column: 0 }, end: { line: 2, column: 9 } } },
        fnMap: {},
        branchMap: {},
        s: { 0: covered.includes(0) ? 1 : 0, 1: covered.includes(1) ? 1 : 0 },
        f: {},
        b: {},
      },
    },
  } as unknown as TestResult;
}

it('parses part ids, and nothing else', () => {
  expect(parsePartId('test/x.test.js#part-2-of-3')).toEqual({ file: 'test/x.test.js', index: 2, count: 3 });
  expect(parsePartId('test/x.test.js')).toBeUndefined();
  expect(parsePartId('test/x.test.js#part-4-of-3')).toBeUndefined();
});

it("keeps a part's own tests and recounts; merging the parts gives the file as if run whole, coverage included", () => {
  const first = partOutcome({ ok: true, result: wholeFile({ a: 'passed', b: 'pending', c: 'pending' }, [0]) }, { file: 'x', tests: ['a'] });
  const second = partOutcome({ ok: true, result: wholeFile({ a: 'pending', b: 'failed', c: 'passed' }, [1]) }, { file: 'x', except: ['a'] });
  expect(first.ok && first.result).toMatchObject({ numPassingTests: 1, numFailingTests: 0, numPendingTests: 0 });
  expect(first.ok && first.result.testResults.map(t => t.fullName)).toEqual(['a']);

  const merged = mergeOutcomes([first, second]);
  expect(merged.ok).toBe(true);
  if (!merged.ok) return;
  expect(merged.result).toMatchObject({ numPassingTests: 2, numFailingTests: 1, numPendingTests: 0 });
  expect(merged.result.testResults.map(t => t.fullName)).toEqual(['a', 'b', 'c']);
  expect(merged.result.perfStats).toMatchObject({ start: 100, end: 200, runtime: 200 });
  // Each part covered one statement; together, both.
  expect(merged.result.coverage!['/p/src/x.js']!.s).toEqual({ 0: 1, 1: 1 });
  // A snapshot both parts left unchecked stays unchecked (obsolete); matched ones add up.
  expect(merged.result.snapshot).toMatchObject({ matched: 2, unchecked: 1, uncheckedKeys: ['a 1'] });
});

it('makes the file fail to run when one part could not run', () => {
  const broken = { ok: false as const, error: { message: 'Cannot find module', stack: undefined, type: 'Error' } };
  expect(mergeOutcomes([{ ok: true, result: wholeFile({ a: 'passed' }, []) }, broken])).toBe(broken);
});
