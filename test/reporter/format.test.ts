import { formatNodeReport, formatRetryRun } from '../../src/reporter/format';
import { timingOf } from '../../src/runner/nodeTiming';

const here = { files: 3, tests: { passed: 10, failed: 1, pending: 2 } };

describe('formatNodeReport', () => {
  it("shows this node's share and the whole run", () => {
    const lines = formatNodeReport(
      { mode: 'orchestrated', nodeIndex: 1, buildId: 'b7', runFiles: 12, summary: { files: 12, passed: 11, failed: 1, pending: 0, tests: 40, nodes: 3, files_by_node: {} } },
      here,
    );
    expect(lines).toEqual([
      'jest-fast-ci ▸ node 1 · build b7 · ran 3 of 12 files here (13 tests: 10 passed, 1 failed, 2 skipped)',
      'jest-fast-ci ▸ whole run: 12 files on 3 nodes: 1 failed, 11 passed (40 tests)',
    ]);
  });

  it("names the node by its CI shard, with the run's index when they differ, and gives the run's page", () => {
    const run = { mode: 'orchestrated' as const, nodeIndex: 0, label: 'node 2', buildId: 'b', runUrl: 'https://q.example.com/#/runs/jest/b' };
    const lines = formatNodeReport(run, here);
    expect(lines[0]).toBe('jest-fast-ci ▸ node 2 (index 0 in the run) · build b · ran 3 files here (13 tests: 10 passed, 1 failed, 2 skipped)');
    expect(lines).toContain("jest-fast-ci ▸ the run's page: https://q.example.com/#/runs/jest/b");
    expect(formatNodeReport({ ...run, label: 'node 0' }, here)[0]).toMatch(/^jest-fast-ci ▸ node 0 · build b/);
  });

  it('names the flaky files, so a pass on retry is not hidden', () => {
    const lines = formatNodeReport(
      { mode: 'orchestrated', nodeIndex: 0, buildId: 'b', summary: { files: 2, passed: 2, failed: 0, pending: 0, tests: 2, nodes: 2, files_by_node: {}, flaky: ['test/a.test.js'] } },
      here,
    );
    expect(lines[2]).toBe('jest-fast-ci ▸ flaky: 1 file failed, then passed when run again: test/a.test.js');
  });

  it("says where this node's time went: start-up, then each worker's busy and idle time", () => {
    const timing = timingOf({ firstStartAt: performance.timeOrigin + 2_100, busyMs: 60_400 }, 2, performance.timeOrigin + 2_100 + 33_200);
    expect(timing).toEqual({ startupMs: 2_100, busyMs: 30_200, idleMs: 3_000, workers: 2 });
    const lines = formatNodeReport({ mode: 'orchestrated', nodeIndex: 0, buildId: 'b', timing }, here);
    expect(lines[1]).toBe('jest-fast-ci ▸ time here: start-up 2.1 s, then per worker 30.2 s busy, 3.0 s idle (2 workers)');
    // A node that ran no file has no timing to show.
    expect(timingOf({ firstStartAt: undefined, busyMs: 0 }, 2, Date.now())).toBeUndefined();
  });

  it('counts the parts of split files this node ran', () => {
    const lines = formatNodeReport({ mode: 'orchestrated', nodeIndex: 0, buildId: 'b', runFiles: 7, parts: { parts: 2, files: 1 } }, { files: 1, tests: { passed: 9, failed: 0, pending: 0 } });
    expect(lines[0]).toBe('jest-fast-ci ▸ node 0 · build b · ran 1 of 7 files here (9 tests: 9 passed), and 2 parts of 1 split file');
  });

  it('says when the server sent no summary', () => {
    expect(formatNodeReport({ mode: 'orchestrated', nodeIndex: 0, buildId: 'b' }, here)[1]).toMatch(/sent no run summary/);
  });

  it('says the node failed, with the first line of the reason, instead of blaming the config', () => {
    expect(formatNodeReport({ mode: 'failed', nodeIndex: 2, reason: 'The orchestrator refused.\nmore' }, here)).toEqual([
      'jest-fast-ci ▸ this node did not complete its part of the run (node 2): The orchestrator refused.',
    ]);
  });

  it('says the runner failed to load, not that it is missing from jest.config', () => {
    expect(formatNodeReport({ mode: 'unloaded', reason: "jest-fast-ci could not find Jest's test runner. It resolves …\n  - the working directory (/p): …" }, here)).toEqual([
      "jest-fast-ci ▸ the runner (jest-fast-ci) failed to load, so no test file ran: jest-fast-ci could not find Jest's test runner. It resolves …",
    ]);
  });

  it('says plainly when the run was local or a fallback', () => {
    expect(formatNodeReport({ mode: 'local', reason: 'FAST_CI_SECRET_KEY is not set' }, here)[0]).toMatch(/ran locally \(FAST_CI_SECRET_KEY is not set\)/);
    expect(formatNodeReport({ mode: 'fallback' }, here)[0]).toMatch(/FALLBACK, not orchestrated/);
    expect(formatNodeReport(undefined, here)[0]).toMatch(/add runner: "jest-fast-ci"/);
  });

  it('names the files that crashed the nodes that ran them', () => {
    const lines = formatNodeReport(
      { mode: 'orchestrated', nodeIndex: 0, buildId: 'b', summary: { files: 5, passed: 4, failed: 1, pending: 0, tests: 5, nodes: 3, files_by_node: {}, crashed: ['test/crash.test.js'] } },
      here,
    );
    expect(lines[2]).toBe(
      'jest-fast-ci ▸ crashed: 1 file took down every node that ran it (process.exit, a native crash, out of memory) and was recorded as failed: test/crash.test.js',
    );
  });

  it('with projects, says which ones do not use the runner instead of asking to add the runner again', () => {
    expect(formatNodeReport(undefined, here, { total: 2, without: ['api', 'web'] }, true)[0]).toMatch(
      /^jest-fast-ci ▸ WARNING: FAST_CI_SECRET_KEY is set, but every file ran here, on every node: none of the 2 projects uses the jest-fast-ci runner\./,
    );
    const partial = formatNodeReport({ mode: 'orchestrated', nodeIndex: 0, buildId: 'b' }, here, { total: 2, without: ['web'] });
    expect(partial[partial.length - 1]).toMatch(/^jest-fast-ci ▸ WARNING: 1 of 2 projects \(web\) does not use the jest-fast-ci runner/);
  });
});

describe('formatRetryRun', () => {
  it('says what a retry run re-ran and what stood from the earlier attempt', () => {
    expect(formatRetryRun({ status: 'retry', of: '42', attempt: 2, rerun: 1, kept: 12, files: 13 }, 'done')).toBe('retry of build 42: re-ran 1 failed file of 13; 12 passed in attempt 1');
    expect(formatRetryRun({ status: 'retry', of: '42-2', attempt: 3, rerun: 2, kept: 11, files: 13 }, 'start')).toBe('retry of build 42-2: re-running 2 failed files of 13; 11 passed in attempts 1-2');
    expect(formatRetryRun({ status: 'retry', of: '42', attempt: 2, rerun: 0, kept: 13, files: 13 }, 'done')).toBe('retry of build 42: nothing to re-run: all 13 files passed in attempt 1');
    expect(formatRetryRun({ status: 'unknown', of: '42', reason: 'the orchestrator no longer knows build 42' }, 'start')).toBe(
      'retry of build 42: every file runs again, because the orchestrator no longer knows build 42',
    );
    expect(formatRetryRun({ status: 'all', of: '42', attempt: 2 }, 'done')).toBe('retry of build 42 (attempt 2): every file ran again (FAST_CI_RETRY_RUN=all)');
  });

  it('is a line of the node report, and the whole-run line counts the files kept from an earlier attempt', () => {
    const lines = formatNodeReport(
      {
        mode: 'orchestrated',
        nodeIndex: 0,
        buildId: '42-2',
        runFiles: 13,
        retryRun: { status: 'retry', of: '42', attempt: 2, rerun: 1, kept: 12, files: 13 },
        summary: { files: 13, passed: 13, failed: 0, pending: 0, tests: 13, nodes: 1, files_by_node: { '0': 1 }, kept: 12 },
      },
      { files: 1, tests: { passed: 1, failed: 0, pending: 0 } },
    );
    expect(lines).toContain('jest-fast-ci ▸ retry of build 42: re-ran 1 failed file of 13; 12 passed in attempt 1');
    expect(lines).toContain('jest-fast-ci ▸ whole run: 13 files on 1 node: 13 passed (13 tests), 12 of the files from an earlier attempt');
  });
});
