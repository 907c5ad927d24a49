import type { TestResult } from '@jest/test-result';
import { checkEntry, failedEntry, formattedFailures, pendingEntry, toFileEntry } from '../../src/protocol/entries';

function result(overrides: Partial<TestResult>): TestResult {
  return {
    leaks: false, numFailingTests: 0, numPassingTests: 0, numPendingTests: 0, numTodoTests: 0, openHandles: [],
    perfStats: { end: 1500, start: 1000, runtime: 500, slow: false, loadTestEnvironmentEnd: 0, loadTestEnvironmentStart: 0, setupAfterEnvEnd: 0, setupAfterEnvStart: 0, setupFilesEnd: 0, setupFilesStart: 0 },
    skipped: false, snapshot: { added: 0, fileDeleted: false, matched: 0, unchecked: 0, uncheckedKeys: [], unmatched: 0, updated: 0 },
    testFilePath: '/p/a.test.js', testResults: [],
    ...overrides,
  } as TestResult;
}

function assertion(title: string, status: string, duration: number | null, failureMessages: string[] = []) {
  return { ancestorTitles: ['suite'], title, fullName: `suite ${title}`, status, duration, failureMessages, failureDetails: [], numPassingAsserts: 0, location: null } as unknown as TestResult['testResults'][number];
}

describe('pendingEntry', () => {
  it('has the placeholder case the reference server requires', () => {
    expect(pendingEntry()).toEqual({ file_status: 'pending', test_count: 1, test_counters: { failed: 0, passed: 0, pending: 0 }, '1': { status: 'pending', run_time: 0 } });
    expect(checkEntry(pendingEntry())).toBeNull();
  });

  it('carries the last known duration in seconds', () => {
    expect(pendingEntry(2500).run_time).toBe(2.5);
  });
});

describe('toFileEntry', () => {
  it('numbers cases in file order, counts skipped and todo as pending, keeps failure messages', () => {
    const entry = toFileEntry(result({
      testResults: [
        assertion('one', 'passed', 12),
        assertion('two', 'failed', 3, ['\u001b[31mExpected 3\u001b[39m']),
        assertion('three', 'skipped', null),
        assertion('four', 'todo', null),
      ],
    }));
    expect(entry).toEqual({
      file_status: 'failed',
      test_count: 4,
      test_counters: { passed: 1, failed: 1, pending: 2 },
      run_time: 0.5,
      '1': { status: 'passed', run_time: 0.012, description: 'suite one' },
      '2': { status: 'failed', run_time: 0.003, description: 'suite two', failure_message: 'Expected 3' },
      '3': { status: 'pending', run_time: 0, description: 'suite three' },
      '4': { status: 'pending', run_time: 0, description: 'suite four' },
    });
    expect(checkEntry(entry)).toBeNull();
  });

  it('reports a file that failed to run as failed with its error', () => {
    const entry = toFileEntry(result({ testExecError: { message: "Cannot find module './x'", stack: '' }, failureMessage: "Cannot find module './x'" }));
    expect(entry).toMatchObject({ file_status: 'failed', test_count: 1, test_counters: { failed: 1, passed: 0, pending: 0 }, failure_message: "Cannot find module './x'" });
    expect(entry['1']).toMatchObject({ status: 'failed', failure_message: "Cannot find module './x'" });
  });

  it('marks a file whose tests were all skipped as pending', () => {
    expect(toFileEntry(result({ testResults: [assertion('x', 'skipped', null)] })).file_status).toBe('pending');
  });
});

describe('toFileEntry with very many failures', () => {
  it('keeps the whole entry well under a frame limit', () => {
    const many = Array.from({ length: 3000 }, (_, i) => assertion(`case ${i}`, 'failed', 1, ['x'.repeat(20_000)]));
    const entry = toFileEntry(result({ testResults: many }));
    expect(entry.test_counters.failed).toBe(3000);
    expect(JSON.stringify(entry).length).toBeLessThan(512 * 1024);
    expect(entry['3000']).toMatchObject({ status: 'failed', failure_message: expect.stringContaining('not sent') });
  });
});

describe('failedEntry', () => {
  it('is a valid failed entry carrying the message', () => {
    const entry = failedEntry('boom');
    expect(checkEntry(entry)).toBeNull();
    expect(entry).toMatchObject({ file_status: 'failed', test_counters: { failed: 1 } });
  });
});

describe('checkEntry', () => {
  it.each([
    [null, 'entry must be an object'],
    [{ ...pendingEntry(), file_status: 'ok' }, 'file_status must be'],
    [{ ...pendingEntry(), test_count: -1 }, 'test_count must be'],
    [{ ...pendingEntry(), test_counters: { failed: 0, passed: 0 } }, 'test_counters.pending'],
    [{ file_status: 'pending', test_count: 1, test_counters: { failed: 0, passed: 0, pending: 0 } }, 'must have the numbered case "1"'],
    [{ ...pendingEntry(), '2': { status: 'done', run_time: 0 } }, 'case "2".status'],
    [{ ...pendingEntry(), '1': { status: 'passed', run_time: 'fast' } }, 'case "1".run_time'],
  ])('names the problem in %j', (entry, message) => {
    expect(checkEntry(entry)).toContain(message);
  });

  it('takes the reference clients\' groups of cases: Minitest\'s test class under "1", RSpec\'s nested example groups', () => {
    const counted = { file_status: 'passed', test_count: 3, test_counters: { failed: 0, passed: 2, pending: 1 }, run_time: 0.31 };
    const minitest = {
      ...counted,
      '1': {
        description: 'UserTest',
        '1': { status: 'passed', description: 'is valid', run_time: 0.01 },
        '2': { status: 'passed', description: 'saves', run_time: 0.3 },
        '3': { status: 'pending', description: 'is slow', run_time: 0 },
      },
    };
    const rspec = {
      ...counted,
      '1': { '1': { status: 'passed', run_time: 0.01 }, '2': { '1': { status: 'passed', run_time: 0.3 }, '2': { status: 'pending', run_time: 0 } } },
    };
    expect(checkEntry(minitest)).toBeNull();
    expect(checkEntry(rspec)).toBeNull();
  });

  it.each([
    [{ '1': { status: 'passed', run_time: 0 }, '2': { status: 'done', run_time: 0 } }, 'case "1.2".status must be "pending", "passed" or "failed"'],
    [{ '1': { status: 'passed', run_time: 0 }, '2': { '1': { status: 'passed' } } }, 'case "1.2.1".run_time must be a non-negative number'],
    [{ '1': [] }, 'case "1.1" must be an object'],
    [{ description: 'UserTest' }, 'case "1".status must be "pending", "passed" or "failed"'],
  ])('names the case inside a group: %j', (group, message) => {
    expect(checkEntry({ ...pendingEntry(), '1': group })).toBe(message);
  });

  it('takes RSpec example groups nested 10 deep, and no deeper', () => {
    const nest = (levels: number): object => (levels === 0 ? { status: 'passed', run_time: 0.1 } : { '1': nest(levels - 1) });
    expect(checkEntry({ ...pendingEntry(), '1': nest(10) })).toBeNull();
    expect(checkEntry({ ...pendingEntry(), '1': nest(11) })).toBe('entry is nested more than 12 levels deep');
  });

  it('refuses an entry nested deeper than any shape needs, without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(10_000) + ']'.repeat(10_000));
    expect(checkEntry({ ...pendingEntry(), extra: deep })).toBe('entry is nested more than 12 levels deep');
  });
});

describe("a failing test's text: Jest's formatted block, with its code frame", () => {
  const formatted = [
    '\u001b[1m\u001b[31m  \u001b[1m● \u001b[22m\u001b[1mcart › totals\u001b[39m\u001b[22m',
    '',
    '    expect(received).toBe(expected) // Object.is equality',
    '',
    '    Expected: 7',
    '    Received: 6',
    '',
    '    \u001b[0m \u001b[90m 7 |\u001b[39m   \u001b[36mconst\u001b[39m total',
    '    \u001b[31m\u001b[1m>\u001b[22m\u001b[39m\u001b[90m 8 |\u001b[39m   expect(total)\u001b[33m.\u001b[39mtoBe(\u001b[35m7\u001b[39m)\u001b[33m;\u001b[39m',
    '',
    '      at Object.toBe (test/cart.test.js:8:17)',
    '',
    '  ● cart › adds',
    '',
    '    boom',
  ].join('\n');

  it('splits it by test, colour codes removed and dedented', () => {
    const blocks = formattedFailures(formatted);
    expect([...blocks.keys()]).toEqual(['cart › totals', 'cart › adds']);
    expect(blocks.get('cart › totals')).toBe(
      'expect(received).toBe(expected) // Object.is equality\n\nExpected: 7\nReceived: 6\n\n  7 |   const total\n> 8 |   expect(total).toBe(7);\n\n  at Object.toBe (test/cart.test.js:8:17)',
    );
  });

  it("puts each failing test's block in its case, the raw message when Jest formatted none", () => {
    const result = {
      testResults: [
        { status: 'failed', title: 'totals', fullName: 'cart totals', ancestorTitles: ['cart'], duration: 1, failureMessages: ['Error: raw\n    at x'] },
        { status: 'failed', title: 'other', fullName: 'cart other', ancestorTitles: ['cart'], duration: 1, failureMessages: ['Error: raw other'] },
      ],
      perfStats: { start: 0, end: 10, runtime: 10 },
      failureMessage: formatted,
    } as unknown as TestResult;
    const entry = toFileEntry(result);
    expect((entry['1'] as { failure_message: string }).failure_message).toContain('> 8 |   expect(total).toBe(7);');
    expect((entry['2'] as { failure_message: string }).failure_message).toBe('Error: raw other');
  });
});
