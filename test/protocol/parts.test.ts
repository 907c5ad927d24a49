import { inPart, isSplittable, mergePartEntries, partPattern, splitTests, testsOfEntry, type KnownTest } from '../../src/protocol/parts';
import type { FileEntry } from '../../src/protocol/types';

const TESTS: KnownTest[] = [
  ['a', 4],
  ['b', 3],
  ['c', 2],
  ['d (x)', 2],
  ['e.*|f', 1],
];

function entry(cases: Array<[string, 'passed' | 'failed' | 'pending', number]>): FileEntry {
  const e: FileEntry = {
    file_status: cases.some(c => c[1] === 'failed') ? 'failed' : 'passed',
    test_count: cases.length,
    test_counters: { passed: cases.filter(c => c[1] === 'passed').length, failed: cases.filter(c => c[1] === 'failed').length, pending: 0 },
    run_time: cases.reduce((s, c) => s + c[2], 0),
  };
  cases.forEach(([description, status, run_time], i) => (e[String(i + 1)] = { status, run_time, description }));
  return e;
}

it('splits tests into parts of about equal seconds; the last part runs everything the others do not', () => {
  const parts = splitTests('f.test.js', TESTS, 3);
  expect(parts).toHaveLength(3);
  expect(parts.slice(0, 2).every(p => p.tests !== undefined && p.except === undefined)).toBe(true);
  expect(parts[2]!.except).toEqual([...parts[0]!.tests!, ...parts[1]!.tests!]);
  // Every known test is in exactly one part, and so is a test added since.
  for (const name of [...TESTS.map(([n]) => n), 'added later']) {
    expect(parts.filter(p => inPart(p, name))).toHaveLength(1);
  }
  // LPT: 12 s over 3 parts, none over 5 s.
  const seconds = parts.map(p => TESTS.filter(([n]) => inPart(p, n)).reduce((s, [, t]) => s + t, 0));
  expect(Math.max(...seconds)).toBeLessThanOrEqual(5);
});

it("makes a testNamePattern that matches exactly the part's tests, as Jest matches (whole name, any case)", () => {
  const [first, , last] = splitTests('f.test.js', TESTS, 3);
  for (const spec of [first!, last!]) {
    const pattern = new RegExp(partPattern(spec), 'i');
    for (const [name] of [...TESTS, ['something new', 1] as KnownTest]) expect(pattern.test(name)).toBe(inPart(spec, name));
  }
  // Regular-expression characters in names are literal.
  expect(new RegExp(partPattern({ file: 'f', tests: ['e.*|f'] }), 'i').test('e.*|f')).toBe(true);
  expect(new RegExp(partPattern({ file: 'f', tests: ['e.*|f'] }), 'i').test('eXX')).toBe(false);
});

it('does not split a file whose tests it cannot name apart: one test, or names equal but for case', () => {
  expect(isSplittable([['only', 5]])).toBe(false);
  expect(isSplittable([['Works', 1], ['works', 1]])).toBe(false);
  expect(isSplittable(TESTS)).toBe(true);
});

it("merges the parts' entries into the file's: every case, counters added, failed if one part failed", () => {
  const merged = mergePartEntries([entry([['a', 'passed', 1], ['b', 'passed', 2]]), entry([['c', 'failed', 1]])]);
  expect(merged).toMatchObject({ file_status: 'failed', test_count: 3, test_counters: { passed: 2, failed: 1, pending: 0 }, run_time: 4 });
  expect(testsOfEntry(merged)).toEqual([['a', 1], ['b', 2], ['c', 1]]);
  expect(mergePartEntries([entry([['a', 'passed', 1]]), entry([['b', 'passed', 1]])]).file_status).toBe('passed');
});
