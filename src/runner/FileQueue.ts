/**
 * The node's local queue: files handed out by the server wait here until a
 * worker is free. Each finished file becomes a result entry, kept until the
 * next `deq` takes it, and is then announced to Jest's reporters.
 */
import type { Test } from '@jest/test-result';
import { failedEntry, toFileEntry } from '../protocol/entries';
import type { EntryMap } from '../protocol/types';
import type { RunnerEmitter } from './emitter';
import type { FileExecutor } from './executors';

interface Waiter {
  readonly isReady: () => boolean;
  readonly resolve: () => void;
}

/**
 * Ask for the next batch this long before a running file is expected to
 * end, so the round trip overlaps its tail. Asking earlier would hold files
 * here, unstarted, while another node may sit idle.
 */
export const PREFETCH_LEAD_MS = 250;

export class FileQueue {
  readonly #executor: FileExecutor;
  readonly #emitter: RunnerEmitter;
  readonly #pending: Array<{ id: string; test: Test }> = [];
  readonly #waiters: Waiter[] = [];
  /** Expected end (epoch ms) of each running file whose duration Jest knows. */
  readonly #expectedEnds = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running = 0;
  /** Files finished but still being handed to the reporters. */
  #announcing = 0;
  #results: EntryMap = {};
  #stopped = false;
  #filesRun = 0;

  constructor(executor: FileExecutor, emitter: RunnerEmitter) {
    this.#executor = executor;
    this.#emitter = emitter;
  }

  /** Files waiting for a worker. */
  get unstarted(): number {
    return this.#pending.length;
  }

  /** True while any file is waiting, running, or being reported to Jest. */
  get isBusy(): boolean {
    return this.#pending.length > 0 || this.#running > 0 || this.#announcing > 0;
  }

  get filesRun(): number {
    return this.#filesRun;
  }

  add(id: string, test: Test): void {
    if (this.#stopped) return;
    this.#pending.push({ id, test });
    this.#pump();
  }

  /**
   * Reports a file this node cannot run (an id it cannot map to a file) as
   * failed, through the same path as a real result, so nothing is skipped.
   */
  async addFailure(id: string, test: Test, message: string): Promise<void> {
    this.#results[id] = failedEntry(message);
    this.#filesRun += 1;
    await this.#emitter.emit('test-file-start', [test]);
    await this.#emitter.emit('test-file-failure', [test, { message, stack: undefined, type: 'Error' }]);
  }

  /** The results gathered since the last call: what the next `deq` carries. */
  takeResults(): EntryMap {
    const results = this.#results;
    this.#results = {};
    return results;
  }

  /**
   * Resolves when it is time to ask for more: nothing waits for a worker,
   * and a worker is free or about to be (a running file is expected to end
   * within PREFETCH_LEAD_MS, by Jest's last known duration for it).
   */
  whenReadyForMore(): Promise<void> {
    return this.#when(() => this.#isReadyForMore());
  }

  /** Resolves once nothing is waiting or running. */
  whenIdle(): Promise<void> {
    return this.#when(() => !this.isBusy);
  }

  /** Starts no new file (fatal error or interrupt); running files finish. */
  stop(): void {
    this.#stopped = true;
    this.#pending.length = 0;
    this.#check();
  }

  #isReadyForMore(): boolean {
    if (this.#pending.length > 0) return false;
    if (this.#stopped || this.#running < this.#executor.concurrency) return true;
    return this.#soonestEnd() - Date.now() <= PREFETCH_LEAD_MS;
  }

  #soonestEnd(): number {
    let soonest = Infinity;
    for (const end of this.#expectedEnds.values()) soonest = Math.min(soonest, end);
    return soonest;
  }

  #when(isReady: () => boolean): Promise<void> {
    if (isReady()) return Promise.resolve();
    const promise = new Promise<void>(resolve => this.#waiters.push({ isReady, resolve }));
    this.#check();
    return promise;
  }

  #check(): void {
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (waiter.isReady()) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
      }
    }
    // Readiness can also come with time (a file nearing its expected end).
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const soonest = this.#soonestEnd();
    if (this.#waiters.length > 0 && soonest !== Infinity) {
      this.#timer = setTimeout(() => this.#check(), Math.max(0, soonest - PREFETCH_LEAD_MS - Date.now()));
      this.#timer.unref();
    }
  }

  #pump(): void {
    while (!this.#stopped && this.#running < this.#executor.concurrency && this.#pending.length > 0) {
      const item = this.#pending.shift()!;
      this.#running += 1;
      void this.#runOne(item.id, item.test);
    }
    this.#check();
  }

  async #runOne(id: string, test: Test): Promise<void> {
    if (test.duration !== undefined && test.duration > 0) this.#expectedEnds.set(id, Date.now() + test.duration);
    const outcome = await this.#executor.run(test);
    this.#expectedEnds.delete(id);
    const entry = outcome.ok ? toFileEntry(outcome.result) : failedEntry(outcome.error.message);
    this.#results[id] = entry;
    this.#filesRun += 1;
    // Reporters are awaited; meanwhile the freed worker starts the next file.
    this.#running -= 1;
    this.#announcing += 1;
    this.#pump();
    try {
      await (outcome.ok
        ? this.#emitter.emit('test-file-success', [test, outcome.result])
        : this.#emitter.emit('test-file-failure', [test, outcome.error]));
    } finally {
      this.#announcing -= 1;
      this.#check();
    }
  }
}
