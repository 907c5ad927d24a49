import type { Test } from '@jest/test-result';
import { RunnerEmitter } from '../../src/runner/RunnerEmitter';
import { FileQueue } from '../../src/runner/FileQueue';
import { ManualExecutor } from '../helpers/executors';

function test(path: string, duration?: number): Test {
  return { path, duration, context: {} as Test['context'] };
}

async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('FileQueue', () => {
  it("drops files the server cancels: one waiting never runs, one running is waited for by nothing and its result is neither sent nor reported", async () => {
    const executor = new ManualExecutor(1);
    const emitter = new RunnerEmitter();
    const reported: string[] = [];
    emitter.on('test-file-success', ([t]) => void reported.push(t.path));
    const queue = new FileQueue(executor, emitter);
    const running: string[][] = [];
    queue.onRunning(ids => running.push([...ids]));
    for (const p of ['copy', 'waiting']) queue.add(p, test(p));
    expect(queue.cancel(['copy', 'waiting', 'unknown'])).toEqual(['copy', 'waiting']);
    // Nothing to wait for: the node may ask for more, or finish, at once.
    expect(queue.isBusy).toBe(false);
    expect(await settled(queue.whenIdle())).toBe(true);
    expect(queue.holds('copy')).toBe(false);
    expect(running.at(-1)).toEqual([]);
    executor.pass('copy');
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(queue.takeResults()).toEqual({});
    expect(reported).toEqual([]);
    expect(queue.filesRun).toBe(0);
    expect(executor.started).toEqual(['copy']);
  });

  it("a file Jest already has from another node (a copy both ran) still goes to the server, but not to Jest again", async () => {
    const executor = new ManualExecutor(2);
    const emitter = new RunnerEmitter();
    const reported: string[] = [];
    emitter.on('test-file-success', ([t]) => void reported.push(t.path));
    const announced: string[] = [];
    const queue = new FileQueue(executor, emitter, { isReported: id => id === 'copy', onAnnounce: id => void announced.push(id) });
    for (const p of ['copy', 'own']) queue.add(p, test(p));
    executor.pass('copy');
    executor.pass('own');
    await queue.whenIdle();
    expect(Object.keys(queue.takeResults()).sort()).toEqual(['copy', 'own']);
    expect(reported).toEqual(['own']);
    expect(announced).toEqual(['own']);
  });

  it('runs no more files at once than the executor allows', () => {
    const executor = new ManualExecutor(2);
    const queue = new FileQueue(executor, new RunnerEmitter());
    for (const p of ['a', 'b', 'c']) queue.add(p, test(p));
    expect(executor.started).toEqual(['a', 'b']);
    expect(queue.unstarted).toBe(1);
  });

  it('sets no timer while a file runs past its expected end: waiting costs no CPU the workers need', async () => {
    const executor = new ManualExecutor(1);
    const queue = new FileQueue(executor, new RunnerEmitter());
    queue.add('a', test('a', 1_000));
    const idle = queue.whenIdle();
    expect(jest.getTimerCount()).toBe(1); // wakes at the lead before a's expected end
    jest.advanceTimersByTime(5_000); // a runs 4 s past its expected end
    expect(jest.getTimerCount()).toBe(0);
    expect(await settled(idle)).toBe(false);
    executor.pass('a');
    expect(await settled(idle)).toBe(true);
  });

  it('asks for more only when a worker is free if durations are unknown', async () => {
    const executor = new ManualExecutor(2);
    const queue = new FileQueue(executor, new RunnerEmitter());
    queue.add('a', test('a'));
    expect(await settled(queue.whenReadyForMore())).toBe(true); // one worker idle
    queue.add('b', test('b'));
    const ready = queue.whenReadyForMore();
    jest.advanceTimersByTime(60_000);
    expect(await settled(ready)).toBe(false); // both busy, no estimate: do not hoard
    executor.pass('a');
    expect(await settled(ready)).toBe(true);
  });

  it('asks for more shortly before a running file is expected to end', async () => {
    const executor = new ManualExecutor(1);
    const queue = new FileQueue(executor, new RunnerEmitter());
    queue.add('slow', test('slow', 5_000));
    const ready = queue.whenReadyForMore();
    // The next deq goes out 250 ms before a running file's expected end.
    jest.advanceTimersByTime(5_000 - 250 - 10);
    expect(await settled(ready)).toBe(false);
    jest.advanceTimersByTime(20);
    expect(await settled(ready)).toBe(true);
  });

  it('hands out every result once, as a file entry, and reports idle only when all is announced', async () => {
    const executor = new ManualExecutor(2);
    const emitter = new RunnerEmitter();
    const seen: string[] = [];
    emitter.on('test-file-success', ([t]) => void seen.push(t.path));
    const queue = new FileQueue(executor, emitter);
    queue.add('a', test('a'));
    queue.add('b', test('b'));
    const idle = queue.whenIdle();
    executor.pass('a');
    executor.pass('b');
    await idle;
    expect(seen.sort()).toEqual(['a', 'b']);
    const results = queue.takeResults();
    expect(Object.keys(results).sort()).toEqual(['a', 'b']);
    expect(results.a!.file_status).toBe('pending'); // no test cases in this fake result
    expect(queue.takeResults()).toEqual({});
    expect(queue.filesRun).toBe(2);
  });

  it('knows which files it holds: waiting, running, or with a result not yet taken', async () => {
    const executor = new ManualExecutor(1);
    const queue = new FileQueue(executor, new RunnerEmitter());
    queue.add('a', test('a'));
    queue.add('b', test('b'));
    expect([queue.holds('a'), queue.holds('b'), queue.holds('toString')]).toEqual([true, true, false]);
    executor.pass('a');
    expect(await settled(queue.whenIdle())).toBe(false); // b still runs; this only lets a's result land
    expect(queue.holds('a')).toBe(true); // result not taken yet
    queue.takeResults();
    expect(queue.holds('a')).toBe(false);
    expect(queue.hasRun('a')).toBe(true);
  });
});
