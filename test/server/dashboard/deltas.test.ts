/**
 * The dashboard's live view of a run: the deltas a page applies for the
 * run's records. (Its counts and timeline are the run state's: see
 * test/server/run/runState.test.ts.)
 */
import { runDelta, changesListItem } from '../../../src/server/dashboard/deltas';
import type { RunEvent as RunRecord } from '../../../src/server/run/runEvents';
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
    expect(runDelta({ t: 'join', index: 2, nodeId: 'n', workers: 4 }, 11)).toEqual({ t: 'join', at: 11, node: 2, label: 'node 2', workers: 4 });
    expect(runDelta({ t: 'join', index: 0, shard: 3 }, 11)).toEqual({ t: 'join', at: 11, node: 0, label: 'node 3', workers: null });
    expect(runDelta({ t: 'lease', node: 1, ids: ['a', 'b'] }, 12)).toEqual({ t: 'lease', at: 12, node: 1, ids: ['a', 'b'] });
    expect(runDelta({ t: 'requeue', ids: ['a'] }, 13)).toEqual({ t: 'requeue', at: 13, ids: ['a'] });
    expect(runDelta({ t: 'retry', node: 1, id: 'a' }, 14)).toEqual({ t: 'retry', at: 14, node: 1, id: 'a' });
    expect(runDelta({ t: 'warn', message: 'retrying a' }, 14)).toEqual({ t: 'warn', at: 14, message: 'retrying a' });
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
        failures: [{ test: 'adds', text: `expect(received).toBe(expected)\n\nExpected: 3\nReceived: 2\n${Array.from({ length: 30 }, (_, i) => `    at frame ${i}`).join('\n')}` }],
      },
    });
    expect(runDelta({ t: 'result', node: 0, id: 'ok', entry: passed(0.25) }, 21)).toEqual({
      t: 'result',
      at: 21,
      id: 'ok',
      result: { node: 0, status: 'passed', runTime: 0.25, tests: 1, failedTests: 0 },
    });
  });

  it("lists every failing test's whole text, with frames in node_modules and Node's internals left out and counted", () => {
    const text = 'boom\n    at Object.<anonymous> (test/a.test.js:3:9)\n    at callAsyncCircusFn (/ci/node_modules/jest-circus/build/utils.js:1:1)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)';
    const delta = runDelta({ t: 'result', node: 0, id: 'a', entry: failed(text) }, 22);
    expect(delta?.t === 'result' && delta.result.failures).toEqual([{ test: 'adds', text: 'boom\n    at Object.<anonymous> (test/a.test.js:3:9)\n(2 frames in node_modules or Node\'s internals left out)' }]);
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
