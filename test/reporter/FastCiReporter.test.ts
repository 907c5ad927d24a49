/**
 * The reporter as Jest drives it: file results in, then onRunComplete with
 * the aggregated result. What the runner recorded about the node comes
 * through the same global record the real runner writes (src/nodeRun.ts).
 */
import type { AggregatedResult, TestResult } from '@jest/test-result';
import { setNodeRun } from '../../src/nodeRun';
import FastCiReporter from '../../src/reporter';
import { caseResult } from '../helpers/executors';

function aggregated(results: TestResult[], totalSuites: number): AggregatedResult {
  return { testResults: results, numTotalTestSuites: totalSuites } as unknown as AggregatedResult;
}

function report(results: TestResult[], totalSuites: number): { lines: string; aggregate: AggregatedResult } {
  let lines = '';
  const reporter = new FastCiReporter({}, { write: text => (lines += text) });
  const aggregate = aggregated(results, totalSuites);
  for (const result of results) reporter.onTestResult({ path: result.testFilePath } as never, result);
  reporter.onRunComplete(new Set(), aggregate);
  expect(reporter.getLastError()).toBeUndefined();
  return { lines, aggregate };
}

afterEach(() => setNodeRun(undefined as never));

it("counts this node's files and makes Jest's \"N of M total\" this node's share", () => {
  setNodeRun({
    mode: 'orchestrated',
    nodeIndex: 2,
    buildId: 'b-17',
    runFiles: 12,
    summary: { files: 12, passed: 11, failed: 1, pending: 0, tests: 30, nodes: 3, files_by_node: { '0': 4, '1': 4, '2': 4 } },
  });
  const { lines, aggregate } = report([caseResult('/p/a.test.js', 'passed'), caseResult('/p/b.test.js', 'failed')], 12);
  // Jest would print "2 of 12 total", as if 10 files had gone missing.
  expect(aggregate.numTotalTestSuites).toBe(2);
  expect(lines).toBe(
    '\njest-fast-ci ▸ node 2 · build b-17 · ran 2 of 12 files here (2 tests: 1 passed, 1 failed)\n' +
      'jest-fast-ci ▸ whole run: 12 files on 3 nodes: 1 failed, 11 passed (30 tests)\n',
  );
});

it('leaves the totals alone and says so when the node ran locally', () => {
  setNodeRun({ mode: 'local', reason: 'FAST_CI_SECRET_KEY is not set' });
  const { lines, aggregate } = report([caseResult('/p/a.test.js', 'passed')], 1);
  expect(aggregate.numTotalTestSuites).toBe(1);
  expect(lines).toBe('\njest-fast-ci ▸ ran locally (FAST_CI_SECRET_KEY is not set): 1 file, 1 test: 1 passed\n');
});

it('says the node did not complete its part when the runner failed, with the first line of the error', () => {
  setNodeRun({ mode: 'failed', nodeIndex: 1, reason: 'The orchestrator rejected deq: boom.\nmore detail' });
  const { lines } = report([], 0);
  expect(lines).toBe('\njest-fast-ci ▸ this node did not complete its part of the run (node 1): The orchestrator rejected deq: boom.\n');
});

it('makes the node exit non-zero when the whole run failed but could not be reported here, and says so', () => {
  const summary = { files: 9, passed: 8, failed: 1, pending: 0, tests: 9, nodes: 2, files_by_node: { '0': 4, '1': 5 } };
  const unavailable = { replayed: 0, unavailable: 'bad request' };
  setNodeRun({ mode: 'orchestrated', nodeIndex: 0, buildId: 'b-3', runFiles: 9, summary, wholeRun: unavailable });
  let lines = '';
  const reporter = new FastCiReporter({}, { write: text => (lines += text) });
  const own = caseResult('/p/a.test.js', 'passed');
  reporter.onTestResult({ path: own.testFilePath } as never, own);
  reporter.onRunComplete(new Set(), aggregated([own], 9));
  expect(reporter.getLastError()?.message).toBe('the whole run failed (1 of 9 files), and this node could not report the whole run');
  expect(lines).toContain('jest-fast-ci: exiting 1: the whole run failed (1 of 9 files), and this node could not report the whole run.');

  // The whole run reported (or passed): Jest's own verdict stands.
  setNodeRun({ mode: 'orchestrated', nodeIndex: 0, buildId: 'b-4', runFiles: 9, summary, wholeRun: { replayed: 5 } });
  expect(report([own], 9).lines).not.toContain('exiting 1');
  setNodeRun({ mode: 'orchestrated', nodeIndex: 0, buildId: 'b-5', runFiles: 9, summary: { ...summary, failed: 0, passed: 9 }, wholeRun: unavailable });
  expect(report([own], 9).lines).not.toContain('exiting 1');
});
