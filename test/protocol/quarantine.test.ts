/** The rule the node and the server share: which failures of a file's entry its run's quarantine masks. */
import { MAX_ENTRY_FAILURE_TEXT, NOT_SENT, casesOf, toFileEntry } from '../../src/protocol/entries';
import { failingFiles, failsOnlyInQuarantine, maskedFailures, quarantineByFile } from '../../src/protocol/quarantine';
import type { JestFileResult } from '../../src/jestShapes';

function entryOf(tests: Array<[string, 'passed' | 'failed', string?]>, extra: Partial<JestFileResult> = {}) {
  return toFileEntry({
    testResults: tests.map(([name, status, message]) => ({ fullName: name, title: name, ancestorTitles: [], status, duration: 1, failureMessages: message === undefined ? [] : [message] })),
    failureMessage: null,
    perfStats: { start: 0, end: 10, runtime: 10 },
    ...extra,
  } as unknown as JestFileResult);
}

const flips = new Set(['cart flips']);

it('masks a quarantined failure; the file fails only in quarantine when every failure is one', () => {
  const alone = entryOf([['cart flips', 'failed', 'Error: timing\n    at t (cart.test.js:4:5)'], ['cart steady', 'passed']]);
  expect(maskedFailures(alone, flips)).toEqual(['cart flips']);
  expect(failsOnlyInQuarantine(alone, flips)).toBe(true);
  const mixed = entryOf([['cart flips', 'failed', 'a'], ['cart other', 'failed', 'b']]);
  expect(maskedFailures(mixed, flips)).toEqual(['cart flips']);
  expect(failsOnlyInQuarantine(mixed, flips)).toBe(false);
  expect(failsOnlyInQuarantine(alone, undefined)).toBe(false);
  expect(failsOnlyInQuarantine(alone, new Set(['cart steady']))).toBe(false);
});

it('never masks a file that failed to run, nor a hook that failed every test with one text', () => {
  const crashed = entryOf([], { testExecError: { message: 'Cannot find module' }, failureMessage: 'Cannot find module' } as Partial<JestFileResult>);
  expect(maskedFailures(crashed, flips)).toEqual([]);
  const hook = 'Error: db down\n    at beforeAll (cart.test.js:3:9)';
  expect(maskedFailures(entryOf([['cart flips', 'failed', hook], ['cart steady', 'failed', hook]]), flips)).toEqual([]);
  // The only test of its file failing is the test's own failure.
  expect(maskedFailures(entryOf([['cart flips', 'failed', hook]]), flips)).toEqual(['cart flips']);
});

it('sees a hook in an entry whose failure text was clipped or not sent (a file of many failing tests)', () => {
  // Every test fails with the same 8 KiB text: the entry clips them, and stops sending text past the file's budget.
  const text = `Error: db down\n${'    at frame (cart.test.js:3:9)\n'.repeat(400)}`;
  const many = Array.from({ length: 20 }, (_, i): [string, 'failed', string] => [i === 0 ? 'cart flips' : `cart ${i}`, 'failed', text]);
  const entry = entryOf(many);
  const sent = [...casesOf(entry)].map(c => c.failure_message ?? '');
  expect(sent).toContain(NOT_SENT);
  expect(sent.reduce((n, t) => n + t.length, 0)).toBeLessThan(MAX_ENTRY_FAILURE_TEXT + 20 * NOT_SENT.length + 1_000);
  expect(maskedFailures(entry, flips)).toEqual([]);
  // The same tests with texts that differ early (each its own assertion) are no hook.
  const own = entryOf(many.map(([name, status], i) => [name, status, `Error: ${i}\n${text}`]));
  expect(maskedFailures(own, flips)).toEqual(['cart flips']);
});

it('counts the files that fail a run as a node in each FAST_CI_QUARANTINE mode does', () => {
  const summary = { files: 4, passed: 2, failed: 1, pending: 0, tests: 9, nodes: 2, files_by_node: {}, quarantined: ['q.test.js'] };
  expect(failingFiles(summary, 'on')).toBe(1);
  expect(failingFiles(summary, 'report')).toBe(2);
  expect(failingFiles(summary, 'off')).toBe(2);
  expect(failingFiles({ ...summary, quarantined: undefined }, 'report')).toBe(1);
});

it('groups a run quarantine by file', () => {
  const byFile = quarantineByFile([['a.test.js', 'x'], ['a.test.js', 'y'], ['b.test.js', 'x']]);
  expect([...byFile.get('a.test.js')!]).toEqual(['x', 'y']);
  expect([...byFile.get('b.test.js')!]).toEqual(['x']);
});
