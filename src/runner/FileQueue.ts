/**
 * The node's local queue: files handed out by the server wait here until a
 * worker is free. Each finished file becomes a result entry, kept until the
 * next `deq` takes it, and is then announced to Jest's reporters.
 */
import type { Test, TestResult } from '@jest/test-result';
import { failedEntry, toFileEntry } from '../protocol/entries';
import { idMap } from '../protocol/fileSet';
import { partPattern, type PartSpec } from '../protocol/parts';
import type { EntryMap } from '../protocol/types';
import { BailCounter } from './BailCounter';
import { BusyClock } from './BusyClock';
import { DeferredFailures } from './DeferredFailures';
import type { FileExecutor, Outcome } from './types';
import { NodeParts } from './NodeParts';
import { partOutcome } from './partOutcomes';
import type { PartAssembler } from './PartAssembler';
import type { RunnerEmitter } from './RunnerEmitter';

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

export interface FileQueueOptions {
  /**
   * Hold back a failed file's result from Jest until settle() says whether
   * the failure is final (with retries on, the server may run it again on
   * another node, and a failure that is not final must not fail this node).
   */
  deferFailures?: boolean;
  /** Where a retried failure is told; default process.stderr. */
  write?: (text: string) => void;
  /** Jest's watcher: true once the run is interrupted (--bail in watch mode). */
  isInterrupted?: () => boolean;
  /**
   * Jest's `bail` (0: off). Outside watch mode Jest exits the process from
   * inside the listener of the result that reaches it, so the queue calls
   * the onBail hook before handing that result over.
   */
  bail?: number;
  /** Every outcome handed to Jest, as it is: whole-run reports and blob files carry them. */
  onAnnounce?: (id: string, outcome: Outcome) => void;
  /** Jest already has this file's outcome from another node (a copy both ran): this one still goes to the server, not to Jest. */
  isReported?: (id: string) => boolean;
  /** Applies the run's quarantine to a result before Jest sees it (and before --bail counts its failures). */
  quarantine?: (test: Test, result: TestResult) => void;
  /** Where outcomes of parts of files wait, to reach Jest once per file (parts extension). */
  parts?: PartAssembler;
}

export class FileQueue {
  readonly #executor: FileExecutor;
  readonly #emitter: RunnerEmitter;
  readonly #isInterrupted: () => boolean;
  /** Failed files whose Jest result waits for the server's word. */
  readonly #deferred: DeferredFailures;
  readonly #pending: Array<{ id: string; test: Test }> = [];
  readonly #parts: NodeParts;
  readonly #waiters: Waiter[] = [];
  /** Every file this node has run (or tried to), for a fallback that must not run them again. */
  readonly #ran = new Set<string>();
  /** Files being run by a worker now. */
  readonly #runningIds = new Set<string>();
  /** Running files the server no longer wants from this node: their worker is still busy, but nothing waits for them. */
  readonly #cancelled = new Set<string>();
  /** Expected end (epoch ms) of each running file whose duration Jest knows. */
  readonly #expectedEnds = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  /** Files finished but still being handed to the reporters. */
  #announcing = 0;
  #results: EntryMap = idMap();
  #stopped = false;
  readonly #bail: BailCounter;
  readonly #onAnnounce: (id: string, outcome: Outcome) => void;
  readonly #isReported: (id: string) => boolean;
  readonly #quarantine: (test: Test, result: TestResult) => void;
  #onRunning: (ids: readonly string[]) => void = () => undefined;
  readonly #clock = new BusyClock();

  constructor(executor: FileExecutor, emitter: RunnerEmitter, options: FileQueueOptions = {}) {
    this.#executor = executor;
    this.#emitter = emitter;
    const write = options.write ?? (text => process.stderr.write(text));
    this.#deferred = new DeferredFailures(options.deferFailures ?? false, write, (id, test, outcome) => this.#announce(id, test, outcome));
    this.#isInterrupted = options.isInterrupted ?? (() => false);
    this.#bail = new BailCounter(options.bail ?? 0);
    this.#onAnnounce = options.onAnnounce ?? (() => undefined);
    this.#isReported = options.isReported ?? (() => false);
    this.#quarantine = options.quarantine ?? (() => undefined);
    this.#parts = new NodeParts(options.parts);
  }

  /** Called with the files running now after each start and each end (the server blames them if this node dies). */
  onRunning(listener: (ids: readonly string[]) => void): void {
    this.#onRunning = listener;
  }

  /**
   * Called (and awaited) just before this queue hands Jest the result that
   * makes it bail: the last moment this process is sure to be alive.
   */
  onBail(hook: () => Promise<void>): void {
    this.#bail.onBail(hook);
  }

  /** No new file starts: an error, or Jest interrupted the run (--bail). */
  get isStopped(): boolean {
    return this.#stopped;
  }

  /** Where this node's time went: when its first file started, and worker time spent running files (summed over workers). */
  get timing(): { readonly firstStartAt: number | undefined; readonly lastEndAt: number | undefined; readonly busyMs: number } {
    return this.#clock.timing;
  }

  /** Files waiting for a worker. */
  get unstarted(): number {
    return this.#pending.length;
  }

  /** True while any file is waiting, running (and still wanted), or being reported to Jest. */
  get isBusy(): boolean {
    return this.#pending.length > 0 || this.#liveRunning > 0 || this.#announcing > 0;
  }

  /** Running files whose results are still wanted. */
  get #liveRunning(): number {
    return this.#runningIds.size - this.#cancelled.size;
  }

  /** Distinct files this node has run (or reported as not runnable). */
  get filesRun(): number {
    return this.#ran.size;
  }

  /** Parts of split files this node has run, and of how many files. */
  get partsRun(): { readonly parts: number; readonly files: number } {
    return this.#parts.count(id => this.#ran.has(id));
  }

  /** The files this node ran, whole or in part (test ids: a part counts as its file). */
  ranFiles(): Set<string> {
    return new Set([...this.#ran].map(id => this.#parts.spec(id)?.file ?? id));
  }

  hasRun(id: string): boolean {
    return this.#ran.has(id);
  }

  /** The file is waiting, running, or its result is not yet taken for a `deq`. */
  holds(id: string): boolean {
    return (this.#runningIds.has(id) && !this.#cancelled.has(id)) || Object.hasOwn(this.#results, id) || this.#deferred.has(id) || this.#pending.some(p => p.id === id);
  }

  /**
   * The server no longer wants these files from this node (a `cancel`
   * push: another node's result came first, or the run stopped). One not
   * started is dropped; one running is left to its worker, nothing waits
   * for it, and its outcome is dropped (it is neither sent nor reported,
   * nor counted as run here). Returns the ids it dropped.
   */
  cancel(ids: readonly string[]): string[] {
    const dropped: string[] = [];
    for (const id of ids) {
      const waiting = this.#pending.findIndex(p => p.id === id);
      if (waiting !== -1) {
        this.#pending.splice(waiting, 1);
        dropped.push(id);
      } else if (this.#runningIds.has(id) && !this.#cancelled.has(id)) {
        this.#cancelled.add(id);
        this.#expectedEnds.delete(id);
        dropped.push(id);
      }
    }
    if (dropped.length > 0) this.#onRunning(this.#liveIds());
    this.#check();
    return dropped;
  }

  /** Queues a file, or with `part` a part of it (`test` is the whole file's). */
  add(id: string, test: Test, part?: PartSpec): void {
    if (this.#stopped) return;
    if (part !== undefined) this.#parts.add(id, part);
    this.#pending.push({ id, test });
    this.#pump();
  }

  /**
   * Reports a file this node cannot run (an id it cannot map to a file) as
   * failed, through the same path as a real result, so nothing is skipped.
   */
  async addFailure(id: string, test: Test, message: string): Promise<void> {
    this.#results[id] = failedEntry(message);
    this.#ran.add(id);
    await this.#emitter.emit('test-file-start', [test]);
    await this.#announce(id, test, { ok: false, error: { message, stack: undefined, type: 'Error' } });
  }

  /**
   * The server has answered the `deq` that carried `sent`: each held-back
   * failure among them is either retried elsewhere (told here, not to Jest,
   * so this node does not fail for it) or final (handed to Jest now).
   */
  settle(sent: readonly string[], retried: ReadonlySet<string>): Promise<void> {
    return this.#deferred.settle(sent, retried);
  }

  /** Hands every held-back failure to Jest (the run is ending without the server's word). */
  releaseDeferred(): Promise<void> {
    return this.#deferred.release();
  }

  /** The results gathered since the last call: what the next `deq` carries. */
  takeResults(): EntryMap {
    const results = this.#results;
    this.#results = idMap();
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

  /** Resolves once a result waits to be sent, or nothing is waiting or running. */
  whenResultOrIdle(): Promise<void> {
    return this.#when(() => !this.isBusy || Object.keys(this.#results).length > 0);
  }

  /** Resolves once nothing is waiting or running. */
  whenIdle(): Promise<void> {
    return this.#when(() => !this.isBusy);
  }

  /** Starts no new file (fatal error or interrupt); running files finish. */
  stop(): void {
    this.#stopped = true;
    this.#deferred.stop();
    this.#pending.length = 0;
    this.#check();
  }

  #isReadyForMore(): boolean {
    if (this.#pending.length > 0) return false;
    if (this.#stopped || this.#liveRunning < this.#executor.concurrency) return true;
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
    // Readiness can also come with time: a running file coming within the
    // lead of its expected end. Once that moment has passed (a file running
    // past its expected end), only events (a file ending, files added) can
    // change readiness: a timer then would spin, and take CPU from the workers.
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const wakeIn = this.#soonestEnd() - PREFETCH_LEAD_MS - Date.now();
    if (this.#waiters.length > 0 && wakeIn > 0 && Number.isFinite(wakeIn)) {
      this.#timer = setTimeout(() => this.#check(), wakeIn);
      this.#timer.unref();
    }
  }

  #pump(): void {
    if (!this.#stopped && this.#isInterrupted()) this.stop();
    while (!this.#stopped && this.#runningIds.size < this.#executor.concurrency && this.#pending.length > 0) {
      const item = this.#pending.shift()!;
      void this.#runOne(item.id, item.test);
    }
    this.#check();
  }

  async #runOne(id: string, test: Test): Promise<void> {
    const part = this.#parts.spec(id);
    // Before the first await: #pump's loop counts this file as running at once.
    this.#runningIds.add(id);
    this.#onRunning(this.#liveIds());
    if (test.duration !== undefined && test.duration > 0) this.#expectedEnds.set(id, Date.now() + test.duration);
    const ended = this.#clock.start();
    const outcome =
      part === undefined ? await this.#executor.run(test) : partOutcome(await this.#executor.run(test, { testNamePattern: partPattern(part) }), part);
    ended();
    this.#expectedEnds.delete(id);
    this.#runningIds.delete(id);
    if (this.#cancelled.delete(id)) {
      // Not wanted any more: its result went to the run from another node.
      this.#pump();
      return;
    }
    this.#onRunning(this.#liveIds());
    const entry = outcome.ok ? toFileEntry(outcome.result) : failedEntry(outcome.error.message);
    this.#results[id] = entry;
    this.#ran.add(id);
    if (this.#isReported(id)) {
      this.#pump();
      return;
    }
    // Reporters are awaited; meanwhile the freed worker starts the next file.
    if (entry.file_status === 'failed' && this.#deferred.hold(id, test, outcome)) {
      this.#pump();
      return;
    }
    this.#announcing += 1;
    this.#pump();
    try {
      await this.#announce(id, test, outcome);
    } finally {
      this.#announcing -= 1;
      this.#check();
    }
  }

  #liveIds(): string[] {
    return [...this.#runningIds].filter(id => !this.#cancelled.has(id));
  }

  async #announce(id: string, test: Test, outcome: Outcome): Promise<void> {
    this.#onAnnounce(id, outcome);
    // A part waits for the file's other parts: Jest sees each file once.
    if (this.#parts.has(id)) return this.#parts.hold(id, test, outcome);
    if (!outcome.ok) return this.#emitter.emit('test-file-failure', [test, outcome.error]);
    // A masked failure is not one Jest bails on.
    this.#quarantine(test, outcome.result);
    const bail = this.#bail.count(outcome.result.numFailingTests ?? 0);
    if (bail) {
      this.stop();
      await bail();
    }
    return this.#emitter.emit('test-file-success', [test, outcome.result]);
  }
}

