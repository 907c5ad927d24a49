/**
 * The one fold of a run's events, as the dashboard reads it: the counts of
 * the runs list (a split file counting once) and each unit's time on each
 * node, with the times the events carry, the same on a replay.
 */
import type { FileEntry } from '../../../src/protocol/types';
import type { RunEvent } from '../../../src/server/run/runEvents';
import { openEvent } from '../../../src/server/run/runIdentity';
import { apply, countsOf, createRunState, timelineOf, type RunState } from '../../../src/server/run/runState';
import { Timeline } from '../../../src/server/run/Timeline';
import { passed, pendingTests } from '../helpers';

const identity = { keyHash: 'h'.repeat(64), runKey: 'jest', buildId: 'b-1' };
const failed = (message: string): FileEntry => ({
  file_status: 'failed',
  test_count: 1,
  test_counters: { failed: 1, passed: 0, pending: 0 },
  run_time: 0.5,
  '1': { status: 'failed', run_time: 0.5, description: 'adds', failure_message: message },
});

function run(events: readonly RunEvent[], id = identity): RunState {
  const state = createRunState(openEvent(id, { branch: 'main' }, 1_000));
  for (const event of events) apply(state, event);
  return state;
}

it('counts files, failures and nodes from the events, and times each file on its node', () => {
  const events: RunEvent[] = [
    { t: 'join', index: 0, workers: 2, at: 1_000 },
    { t: 'join', index: 1, at: 1_010 },
    { t: 'join', index: 0, workers: 2, at: 1_020 }, // a rejoin is not a new node
    { t: 'enq', tests: pendingTests(4), at: 1_100 },
    { t: 'lease', node: 0, ids: ['file-0.test.ts', 'file-1.test.ts'], at: 1_200 },
    { t: 'lease', node: 1, ids: ['file-2.test.ts'], at: 1_300 },
    { t: 'result', node: 0, id: 'file-0.test.ts', entry: passed(), at: 2_000 },
    { t: 'retry', node: 0, id: 'file-1.test.ts', at: 2_100 },
    { t: 'result', node: 1, id: 'file-2.test.ts', entry: failed('no'), at: 2_200 },
    { t: 'lease', node: 1, ids: ['file-1.test.ts', 'file-3.test.ts'], at: 2_300 },
    { t: 'requeue', ids: ['file-3.test.ts'], at: 2_400 },
  ];
  const state = run(events);
  expect(countsOf(state)).toEqual({ phase: 'running', total: 4, done: 2, failed: 1, nodeCount: 2 });
  expect(timelineOf(state)).toEqual({
    timed: true,
    spans: [
      { id: 'file-0.test.ts', node: 0, from: 1_200, to: 2_000, outcome: 'passed' },
      { id: 'file-1.test.ts', node: 0, from: 1_200, to: 2_100, outcome: 'retried' },
      { id: 'file-2.test.ts', node: 1, from: 1_300, to: 2_200, outcome: 'failed' },
      { id: 'file-1.test.ts', node: 1, from: 2_300, to: null, outcome: null },
      { id: 'file-3.test.ts', node: 1, from: 2_300, to: 2_400, outcome: 'requeued' },
    ],
  });

  apply(state, { t: 'crashed', id: 'file-1.test.ts', nodes: [1], at: 3_000 });
  apply(state, { t: 'finish', at: 3_001 });
  expect(countsOf(state)).toMatchObject({ phase: 'finished', done: 3, failed: 2 });
  expect(state.finishedAt).toBe(3_001);
  expect(timelineOf(state).spans[3]).toEqual({ id: 'file-1.test.ts', node: 1, from: 2_300, to: 3_000, outcome: 'failed' });
  // A server that restarts (or another on the same Redis) rebuilds the same from the log.
  const replayed = run([...events, { t: 'crashed', id: 'file-1.test.ts', nodes: [1], at: 3_000 }, { t: 'finish', at: 3_001 }]);
  expect(countsOf(replayed)).toEqual(countsOf(state));
  expect(timelineOf(replayed)).toEqual(timelineOf(state));
});

it('releases the files still in hand when the run finishes', () => {
  const state = run([
    { t: 'join', index: 0, at: 1 },
    { t: 'enq', tests: pendingTests(1), at: 1 },
    { t: 'lease', node: 0, ids: ['file-0.test.ts'], at: 2 },
    { t: 'finish', at: 5 },
  ]);
  expect(timelineOf(state).spans).toEqual([{ id: 'file-0.test.ts', node: 0, from: 2, to: 5, outcome: 'released' }]);
});

it('counts a split file once, when all its parts have their results', () => {
  const parts = { 'file-0.test.ts#part-1-of-2': { file: 'file-0.test.ts', tests: ['a'] }, 'file-0.test.ts#part-2-of-2': { file: 'file-0.test.ts', except: ['a'] } };
  const state = run([
    { t: 'join', index: 0, at: 1 },
    { t: 'join', index: 1, at: 1 },
    { t: 'enq', tests: pendingTests(2), parts, at: 1 },
    { t: 'lease', node: 0, ids: ['file-0.test.ts#part-1-of-2', 'file-1.test.ts'], at: 2 },
    { t: 'lease', node: 1, ids: ['file-0.test.ts#part-2-of-2'], at: 2 },
    { t: 'result', node: 0, id: 'file-0.test.ts#part-1-of-2', entry: passed(), at: 3 },
  ]);
  expect(countsOf(state)).toMatchObject({ total: 2, done: 0, failed: 0 });
  apply(state, { t: 'result', node: 1, id: 'file-0.test.ts#part-2-of-2', entry: failed('no'), at: 4 });
  expect(countsOf(state)).toMatchObject({ total: 2, done: 1, failed: 1 });
  apply(state, { t: 'result', node: 0, id: 'file-1.test.ts', entry: passed(), at: 5 });
  expect(countsOf(state)).toMatchObject({ phase: 'running', total: 2, done: 2, failed: 1 });
});

it('says the timeline has no times when events carried none (an older journal)', () => {
  const state = run([
    { t: 'join', index: 0 },
    { t: 'enq', tests: pendingTests(1) },
    { t: 'lease', node: 0, ids: ['file-0.test.ts'] },
  ]);
  expect(timelineOf(state).timed).toBe(false);
});

it('keeps no spans past its cap, and then says it has no times', () => {
  const timeline = new Timeline();
  timeline.start(['a', 'b'], 0, 1, 1, 2);
  expect(timeline.size).toBe(2);
  timeline.start(['c'], 0, 2, 2, 2);
  expect(timeline.size).toBe(0);
  expect(timeline.isTimed).toBe(false);
});

describe('a retried CI job (the attempt event)', () => {
  it('counts a finished run again as running, its failed files not done, and a seeded retry run with the kept files done', () => {
    const state = run([
      { t: 'join', index: 0, at: 1 },
      { t: 'enq', tests: pendingTests(3), at: 1 },
      { t: 'lease', node: 0, ids: ['file-0.test.ts', 'file-1.test.ts', 'file-2.test.ts'], at: 1 },
      { t: 'result', node: 0, id: 'file-0.test.ts', entry: passed(), at: 1 },
      { t: 'result', node: 0, id: 'file-1.test.ts', entry: failed('no'), at: 1 },
      { t: 'result', node: 0, id: 'file-2.test.ts', entry: passed(), at: 1 },
      { t: 'finish', at: 5 },
    ]);
    expect(countsOf(state)).toMatchObject({ phase: 'finished', done: 3, failed: 1 });
    apply(state, { t: 'attempt', attempt: 2, of: 'b-1', mode: 'failed', at: 9 });
    expect(countsOf(state)).toMatchObject({ phase: 'running', total: 3, done: 2, failed: 0 });
    expect(state.finishedAt).toBeUndefined();

    const seeded = run(
      [{ t: 'attempt', attempt: 2, of: 'b-1', mode: 'failed', at: 9, seed: { tests: pendingTests(3), kept: { 'file-0.test.ts': { entry: passed(), node: 0, from: 'b-1', attempt: 1 } }, durations: {} } }],
      { ...identity, buildId: 'b-1-2' },
    );
    expect(countsOf(seeded)).toMatchObject({ phase: 'running', total: 3, done: 1, failed: 0 });
  });
});
