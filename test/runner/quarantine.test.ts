/** A quarantined test's failure on the node: not failing the run, named, its real status kept; a suite-level failure never masked. */
import type { TestResult } from '@jest/test-result';
import { applyQuarantine, quarantinedOf } from '../../src/runner/quarantine';

function result(tests: Array<[string, 'passed' | 'failed', string?]>, extra: Partial<TestResult> = {}): TestResult {
  return {
    testResults: tests.map(([fullName, status, message]) => ({ fullName, title: fullName, ancestorTitles: [], status, failureMessages: message === undefined ? [] : [message] })),
    numFailingTests: tests.filter(t => t[1] === 'failed').length,
    numPassingTests: tests.filter(t => t[1] === 'passed').length,
    failureMessage: null,
    perfStats: { start: 0, end: 10, runtime: 10, slow: false },
    ...extra,
  } as unknown as TestResult;
}

it("leaves a quarantined failure out of the file's failing count, keeps its status, and says so in its message", () => {
  const r = result([['cart flips', 'failed', 'Error: timing\n    at x'], ['cart steady', 'passed']]);
  expect(applyQuarantine(r, new Set(['cart flips']), 'on')).toEqual([{ name: 'cart flips', message: 'timing', masked: true }]);
  expect(r.numFailingTests).toBe(0);
  expect(r.testResults[0]!.status).toBe('failed');
  expect(r.testResults[0]!.failureMessages[0]).toMatch(/^\[quarantined: jest-fast-ci does not fail the run for this test\] Error: timing/);
  expect(quarantinedOf(r)).toHaveLength(1);
  // Applied once: the queue applies it before --bail counts, the runner's listener sees the same result again.
  expect(applyQuarantine(r, new Set(['cart flips']), 'on')).toHaveLength(1);
  expect(r.numFailingTests).toBe(0);
  expect(r.testResults[0]!.failureMessages[0]!.match(/quarantined:/g)).toHaveLength(1);
});

it('only names it with FAST_CI_QUARANTINE=report, and ignores the quarantine with off', () => {
  const r = result([['cart flips', 'failed', 'boom'], ['cart steady', 'passed']]);
  expect(applyQuarantine(r, new Set(['cart flips']), 'report')).toEqual([{ name: 'cart flips', message: 'boom', masked: false }]);
  expect(r.numFailingTests).toBe(1);
  const off = result([['cart flips', 'failed', 'boom']]);
  expect(applyQuarantine(off, new Set(['cart flips']), 'off')).toEqual([]);
  expect(off.numFailingTests).toBe(1);
});

it('never masks a file that failed to run, nor a hook that failed every test of the file with one message', () => {
  const crashed = result([], { testExecError: { message: 'Cannot find module' } as TestResult['testExecError'] });
  expect(applyQuarantine(crashed, new Set(['cart flips']), 'on')).toEqual([]);
  const hook = result([['cart flips', 'failed', 'Error: db down\n    at beforeAll (test/cart.test.js:3:9)'], ['cart steady', 'failed', 'Error: db down\n    at beforeAll (test/cart.test.js:3:9)']]);
  expect(applyQuarantine(hook, new Set(['cart flips']), 'on')).toEqual([]);
  expect(hook.numFailingTests).toBe(2);
  // Every test failing its own assertion (the same kind of message, another line) is no hook: the quarantined one is masked.
  const assertions = result([['cart flips', 'failed', 'expect(received).toBe(expected)\n    at test/cart.test.js:4:5'], ['cart steady', 'failed', 'expect(received).toBe(expected)\n    at test/cart.test.js:9:5']]);
  applyQuarantine(assertions, new Set(['cart flips']), 'on');
  expect(assertions.numFailingTests).toBe(1);
  // A test of its own that fails with the others passing is masked; one that is not quarantined still fails the file.
  const mixed = result([['cart flips', 'failed', 'a'], ['cart other', 'failed', 'b']]);
  applyQuarantine(mixed, new Set(['cart flips']), 'on');
  expect(mixed.numFailingTests).toBe(1);
});
