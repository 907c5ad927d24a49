import type { NodeRun } from '../../src/nodeRun';
import { annotation, jobSummary, type SummaryFile } from '../../src/reporter/jobSummary';

describe('annotation', () => {
  it('escapes a workflow command as @actions/core does: %, CR and LF in the message; also : and , in properties', () => {
    expect(annotation('warning', { file: 'test/a,b.test.ts', title: 'Flaky: a', message: '50% done\r\nnext' })).toBe('::warning file=test/a%2Cb.test.ts,title=Flaky%3A a::50%25 done%0D%0Anext');
    expect(annotation('error', { title: 't', line: 3, message: 'm: x, y' })).toBe('::error line=3,title=t::m: x, y');
  });
});

describe('jobSummary', () => {
  const run: NodeRun = {
    mode: 'orchestrated',
    label: 'node 0',
    nodeIndex: 0,
    buildId: 'b1',
    runFiles: 3,
    runUrl: 'https://q.example.com/#/runs/jest/b1',
    summary: { files: 3, passed: 2, failed: 1, pending: 0, tests: 5, nodes: 2, files_by_node: { '0': 2, '1': 1 }, flaky: ['test/f.test.ts'] },
    wholeRun: { replayed: 1 },
  };
  const files: SummaryFile[] = [
    { file: 'test/a.test.ts', node: 'node 0', failed: false, seconds: 1.5, failures: [] },
    { file: 'test/b|c.test.ts', node: 'node 1', failed: true, seconds: 0.2, failures: [{ test: 'cart › totals', message: 'expect(received).toBe(expected)' }] },
    { file: 'test/f.test.ts', node: 'node 0', failed: false, seconds: undefined, failures: [] },
  ];

  it("writes the whole run from node 0: outcome, failures with their node, flaky files, the slowest files and the page's link", () => {
    const md = jobSummary(run, files, 2, true);
    expect(md).toContain('## jest-fast-ci: the run failed: 3 files on 2 nodes, 1 failed, 2 passed (5 tests)');
    expect(md).toContain("Build b1 · [the run's page](https://q.example.com/#/runs/jest/b1)");
    expect(md).toContain('| `test/b\\|c.test.ts` | cart › totals | expect(received).toBe(expected) | node 1 |');
    expect(md).toContain('- `test/f.test.ts`');
    expect(md.indexOf('| `test/a.test.ts` | 1.5 | node 0 |')).toBeLessThan(md.indexOf('| `test/b\\|c.test.ts` | 0.2 | node 1 |'));
  });

  it('passes a run whose only failure is a quarantined test, listing the test apart from the failures', () => {
    const quarantined: NodeRun = { ...run, summary: { ...run.summary!, failed: 0, flaky: undefined, quarantined: ['test/q.test.ts'] } };
    const md = jobSummary(quarantined, [{ file: 'test/q.test.ts', node: 'node 1', failed: false, seconds: 0.3, failures: [], quarantined: [{ test: 'cart flips', message: 'timing' }] }], 2, true);
    expect(md).toContain('## jest-fast-ci: the run passed: 3 files on 2 nodes, 0 failed, 2 passed, 1 failed in quarantined tests only (5 tests)');
    expect(md).not.toContain('### Failures');
    expect(md).toContain('### Quarantined (1): failed, and did not fail the run');
    expect(md).toContain('| `test/q.test.ts` | cart flips | timing | node 1 |');
  });

  it("writes one line from another node, and its own failures only when node 0 could not have the whole run", () => {
    const other: NodeRun = { ...run, label: 'node 1', nodeIndex: 1 };
    expect(jobSummary(other, files, 1, false)).toBe("### jest-fast-ci · node 1\n\n**node 1** ran 1 of 3 files. The whole run is in node 0's job summary · [the run's page](https://q.example.com/#/runs/jest/b1).\n");
    expect(jobSummary({ ...other, wholeRun: { replayed: 0, unavailable: 'FAST_CI_REPORT=node' } }, files, 1, false)).toContain('| `test/b\\|c.test.ts` | cart › totals |');
  });
});
