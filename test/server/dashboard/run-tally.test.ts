/**
 * The dashboard's live view of a run, kept from the run's records: the
 * deltas a page applies, the counts of the runs list, and each file's time
 * on each node (the timeline).
 */
import { runDelta, changesListItem } from '../../../src/server/dashboard/deltas';
import { RunTally } from '../../../src/server/dashboard/RunTally';
import type { RunEvent as RunRecord } from '../../../src/server/run/runEvents';
import type { RunSnapshot } from '../../../src/server/types';
import { passed, pendingTests } from '../helpers';

const identity = { keyHash: 'h'.repeat(64), runKey: 'jest', buildId: 'b-1' };
const failed = (message: string) => ({
  file_status: 'failed' as const,
  test_count: 1,
  test_counters: { failed: 1, passed: 0, pending: 0 },
  run_time: 0.5,
  '1': { status: 'failed' as const, run_time: 0.5, description: 'adds', failure_message: message },
});

describe('runDelta', () => {
  it('carries what the page shows, not the bulk of the record', () => {
    expect(runDelta({ t: 'enq', tests: pendingTests(3) }, 10)).toEqual({ t: 'enq', at: 10, total: 3 });
    expect(runDelta({ t: 'join', index: 2, nodeId: 'n', workers: 4 }, 11)).toEqual({ t: 'join', at: 11, node: 2, workers: 4 });
    expect(runDelta({ t: 'join', index: 0 }, 11)).toEqual({ t: 'join', at: 11, node: 0, workers: null });
    expect(runDelta({ t: 'lease', node: 1, ids: ['a', 'b'] }, 12)).toEqual({ t: 'lease', at: 12, node: 1, ids: ['a', 'b'] });
    expect(runDelta({ t: 'requeue', ids: ['a'] }, 13)).toEqual({ t: 'requeue', at: 13, ids: ['a'] });
    expect(runDelta({ t: 'retry', node: 1, id: 'a' }, 14)).toEqual({ t: 'retry', at: 14, node: 1, id: 'a' });
    expect(runDelta({ t: 'leave', node: 1 }, 15)).toEqual({ t: 'leave', at: 15, node: 1 });
    expect(runDelta({ t: 'lost', node: 1, suspects: ['a'] }, 16)).toEqual({ t: 'lost', at: 16, node: 1 });
    expect(runDelta({ t: 'open', ...identity, meta: {}, at: 1 }, 17)).toBeUndefined();
  });

  it('turns a result into its status, counts and the first lines of its failure, colour codes removed', () => {
    const message = '\u001b[31mexpect(received).toBe(expected)\u001b[39m\n\nExpected: 3\nReceived: 2\n' + Array.from({ length: 30 }, (_, i) => `    at frame ${i}`).join('\n');
    const delta = runDelta({ t: 'result', node: 1, id: 'test/sum.test.js', entry: failed(message) }, 20);
    expect(delta).toEqual({
      t: 'result',
      at: 20,
      id: 'test/sum.test.js',
      result: {
        node: 1,
        status: 'failed',
        runTime: 0.5,
        tests: 1,
        failedTests: 1,
        failure: 'adds\nexpect(received).toBe(expected)\n\nExpected: 3\nReceived: 2\n    at frame 0\n    at frame 1\n    at frame 2\n    at frame 3\n    at frame 4\n    at frame 5\n    at frame 6\n…',
      },
    });
    expect(runDelta({ t: 'result', node: 0, id: 'ok', entry: passed(0.25) }, 21)).toEqual({
      t: 'result',
      at: 21,
      id: 'ok',
      result: { node: 0, status: 'passed', runTime: 0.25, tests: 1, failedTests: 0 },
    });
  });

  it('shows a crashed file as a failed result on the last node it took down', () => {
    const delta = runDelta({ t: 'crashed', id: 'boom', nodes: [0, 2] }, 30);
    expect(delta).toMatchObject({ t: 'result', at: 30, id: 'boom', crashed: true, result: { node: 2, status: 'failed' } });
    expect(delta?.t === 'result' && delta.result.failure).toContain('this file was running on nodes 0 and 2 when each of them died');
  });

  it('says which records change a row of the runs list', () => {
    const records: RunRecord[] = [
      { t: 'join', index: 0 },
      { t: 'enq', tests: {} },
      { t: 'lease', node: 0, ids: [] },
      { t: 'result', node: 0, id: 'a', entry: passed() },
      { t: 'requeue', ids: [] },
      { t: 'retry', node: 0, id: 'a' },
      { t: 'crashed', id: 'a', nodes: [0] },
      { t: 'finish', at: 1 },
    ];
    expect(records.filter(changesListItem).map(r => r.t)).toEqual(['join', 'enq', 'result', 'crashed', 'finish']);
  });
});

describe('RunTally', () => {
  it('counts files, failures and nodes from the records, and stamps each file on its node', () => {
    const tally = RunTally.fresh(identity, { branch: 'main' }, 1_000);
    tally.apply({ t: 'join', index: 0, workers: 2 }, 1_000);
    tally.apply({ t: 'join', index: 1 }, 1_010);
    tally.apply({ t: 'join', index: 0, workers: 2 }, 1_020); // a rejoin is not a new node
    tally.apply({ t: 'enq', tests: pendingTests(4) }, 1_100);
    tally.apply({ t: 'lease', node: 0, ids: ['file-0.test.ts', 'file-1.test.ts'] }, 1_200);
    tally.apply({ t: 'lease', node: 1, ids: ['file-2.test.ts'] }, 1_300);
    tally.apply({ t: 'result', node: 0, id: 'file-0.test.ts', entry: passed() }, 2_000);
    tally.apply({ t: 'retry', node: 0, id: 'file-1.test.ts' }, 2_100);
    tally.apply({ t: 'result', node: 1, id: 'file-2.test.ts', entry: failed('no') }, 2_200);
    tally.apply({ t: 'lease', node: 1, ids: ['file-1.test.ts', 'file-3.test.ts'] }, 2_300);
    tally.apply({ t: 'requeue', ids: ['file-3.test.ts'] }, 2_400);

    expect(tally.listItem()).toEqual({
      runKey: 'jest',
      buildId: 'b-1',
      state: 'running',
      meta: { branch: 'main' },
      startedAt: 1_000,
      finishedAt: null,
      total: 4,
      done: 2,
      failed: 1,
      nodeCount: 2,
    });
    expect(tally.listItem(3).keyIndex).toBe(3);
    expect(tally.spans()).toEqual([
      { id: 'file-0.test.ts', node: 0, from: 1_200, to: 2_000, outcome: 'passed' },
      { id: 'file-1.test.ts', node: 0, from: 1_200, to: 2_100, outcome: 'retried' },
      { id: 'file-2.test.ts', node: 1, from: 1_300, to: 2_200, outcome: 'failed' },
      { id: 'file-1.test.ts', node: 1, from: 2_300, to: null, outcome: null },
      { id: 'file-3.test.ts', node: 1, from: 2_300, to: 2_400, outcome: 'requeued' },
    ]);
    expect(tally.timed).toBe(true);

    tally.apply({ t: 'crashed', id: 'file-1.test.ts', nodes: [1] }, 3_000);
    tally.apply({ t: 'finish', at: 3_001 }, 3_002);
    expect(tally.listItem()).toMatchObject({ state: 'finished', finishedAt: 3_001, done: 3, failed: 2 });
    expect(tally.spans()[3]).toEqual({ id: 'file-1.test.ts', node: 1, from: 2_300, to: 3_000, outcome: 'failed' });
  });

  it('releases the files still in hand when the run finishes', () => {
    const tally = RunTally.fresh(identity, {}, 0);
    tally.apply({ t: 'enq', tests: pendingTests(1) }, 1);
    tally.apply({ t: 'lease', node: 0, ids: ['file-0.test.ts'] }, 2);
    tally.apply({ t: 'finish', at: 5 }, 5);
    expect(tally.spans()).toEqual([{ id: 'file-0.test.ts', node: 0, from: 2, to: 5, outcome: 'released' }]);
  });

  it('starts a restored run from its snapshot, without times', () => {
    const snapshot = {
      state: 'running',
      meta: { commit: 'abc' },
      nodes: [{ index: 0 }, { index: 1 }],
      enqueued: pendingTests(3),
      results: { 'file-0.test.ts': { entry: passed(), nodeIndex: 0 }, 'file-1.test.ts': { entry: failed('x'), nodeIndex: 1 } },
    } as unknown as RunSnapshot;
    const tally = RunTally.fromSnapshot(identity, snapshot);
    expect(tally.listItem()).toEqual({ runKey: 'jest', buildId: 'b-1', state: 'running', meta: { commit: 'abc' }, startedAt: null, finishedAt: null, total: 3, done: 2, failed: 1, nodeCount: 2 });
    expect(tally.timed).toBe(false);
    expect(tally.spans()).toEqual([]);
  });

  it('drops its spans on request and says how many went; the timeline then has no times', () => {
    const tally = RunTally.fresh(identity, {}, 0);
    tally.apply({ t: 'lease', node: 0, ids: ['a', 'b'] }, 1);
    expect(tally.spanCount).toBe(2);
    expect(tally.dropSpans()).toBe(2);
    expect(tally.spanCount).toBe(0);
    expect(tally.timed).toBe(false);
  });
});

describe('a retried CI job (the attempt record)', () => {
  it('counts a finished run again as running, its failed files not done, and a seeded retry run with the kept files done', () => {
    const tally = RunTally.fresh(identity, {}, 0);
    const records: RunRecord[] = [
      { t: 'join', index: 0 },
      { t: 'enq', tests: pendingTests(3) },
      { t: 'lease', node: 0, ids: ['file-0.test.ts', 'file-1.test.ts', 'file-2.test.ts'] },
      { t: 'result', node: 0, id: 'file-0.test.ts', entry: passed() },
      { t: 'result', node: 0, id: 'file-1.test.ts', entry: failed('no') },
      { t: 'result', node: 0, id: 'file-2.test.ts', entry: passed() },
      { t: 'finish', at: 5 },
    ];
    for (const record of records) tally.apply(record, 1);
    expect(tally.listItem()).toMatchObject({ state: 'finished', done: 3, failed: 1 });
    const attempt: RunRecord = { t: 'attempt', attempt: 2, of: 'b-1', mode: 'failed', at: 9 };
    expect(changesListItem(attempt)).toBe(true);
    tally.apply(attempt, 9);
    expect(tally.listItem()).toMatchObject({ state: 'running', finishedAt: null, total: 3, done: 2, failed: 0 });

    const seeded = RunTally.fresh({ ...identity, buildId: 'b-1-2' }, {}, 0);
    seeded.apply({ t: 'attempt', attempt: 2, of: 'b-1', mode: 'failed', at: 9, seed: { tests: pendingTests(3), kept: { 'file-0.test.ts': { entry: passed(), node: 0, from: 'b-1', attempt: 1 } }, durations: {} } }, 9);
    expect(seeded.listItem()).toMatchObject({ state: 'running', total: 3, done: 1, failed: 0 });
  });
});
