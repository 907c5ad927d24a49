import { batchProblem, fileSetMismatch } from '../../src/runner/fileSetCheck';

describe('fileSetMismatch', () => {
  it('counts both directions, names up to 5 examples each, and gives the likely cause', () => {
    const local = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const run = ['a', 'z'];
    expect(fileSetMismatch(local, run)).toBe(
      "jest-fast-ci: this node's test files differ from the run's: 7 of the 8 test files this node found are not in the run, so no node runs them " +
        "(b, c, d, e, f, … (2 more)); 1 of the run's 2 files are not on this node (z). " +
        'Likely cause: different arguments or config on different shards. Every node must run the same jest command ' +
        '(no path filter or --testPathPattern on one shard only) with the same config (testMatch, projects) and checkout.',
    );
  });
});

describe('batchProblem', () => {
  it('accepts a batch of at most as many files as the node has', () => {
    expect(batchProblem(12, 12)).toBeUndefined();
    expect(batchProblem(1, 0)).toBeUndefined();
  });

  it('refuses a batch larger than the node could ever be handed', () => {
    expect(batchProblem(100_000, 12)).toMatch(/^jest-fast-ci: the orchestrator handed this node 100000 test files in one batch, more than the 12 this node has\./);
  });
});
