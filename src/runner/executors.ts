/**
 * Two ways to run one test file, behind one interface: a jest-worker pool
 * that lives for the whole node run (created on the first file, ended once),
 * and in-band through Jest's own runner, one file at a time.
 */
import type { SerializableError, Test, TestResult } from '@jest/test-result';
import type { Config } from '@jest/types';
import type { TestRunnerContext, TestWatcher } from 'jest-runner';
import type { RunnerEmitter } from './RunnerEmitter';
import type { JestPeers } from './jestPeers';

export interface RunOptions {
  readonly testNamePattern?: string;
}

export type Outcome = { readonly ok: true; readonly result: TestResult } | { readonly ok: false; readonly error: SerializableError };

export interface FileExecutor {
  /** How many files may run at once. */
  readonly concurrency: number;
  /** Starts what running takes (the worker pool) now, so it overlaps the connect. */
  warmUp(): void;
  /**
   * Runs one file, emitting `test-file-start` and the per-case events; never
   * rejects. `testNamePattern`: only the tests it matches (a part of the file).
   */
  run(test: Test, options?: RunOptions): Promise<Outcome>;
  /** Releases workers. Safe to call twice. */
  end(): Promise<void>;
}

type WorkerPool = InstanceType<JestPeers['jestWorker']['Worker']> & {
  worker(request: unknown): Promise<TestResult> & { UNSTABLE_onCustomMessage?: (listener: (message: [string, unknown]) => void) => void };
};

function toSerializableError(error: unknown): SerializableError {
  if (error && typeof error === 'object' && typeof (error as SerializableError).message === 'string') {
    const e = error as SerializableError;
    return { message: e.message, stack: e.stack, type: e.type ?? 'Error', code: e.code };
  }
  return { message: String(error), stack: undefined, type: 'Error' };
}

export class PoolExecutor implements FileExecutor {
  readonly concurrency: number;
  readonly #peers: JestPeers;
  readonly #globalConfig: Config.GlobalConfig;
  readonly #context: TestRunnerContext;
  readonly #emitter: RunnerEmitter;
  readonly #tests: readonly Test[];
  #pool: WorkerPool | undefined;
  #ended = false;

  /** `tests`: every file this node may be handed, so each project's resolver is set up once. */
  constructor(peers: JestPeers, globalConfig: Config.GlobalConfig, context: TestRunnerContext, emitter: RunnerEmitter, tests: readonly Test[]) {
    this.#peers = peers;
    this.#globalConfig = globalConfig;
    this.#context = context;
    this.#emitter = emitter;
    this.#tests = tests;
    this.concurrency = Math.max(1, globalConfig.maxWorkers);
  }

  warmUp(): void {
    this.#ensurePool();
  }

  async run(test: Test, options: RunOptions = {}): Promise<Outcome> {
    const pool = this.#ensurePool();
    const globalConfig = options.testNamePattern === undefined ? this.#globalConfig : { ...this.#globalConfig, testNamePattern: options.testNamePattern };
    await this.#emitter.emit('test-file-start', [test]);
    try {
      const promise = pool.worker({
        config: test.context.config,
        context: {
          ...this.#context,
          changedFiles: this.#context.changedFiles && [...this.#context.changedFiles],
          sourcesRelatedToTestsInChangedFiles:
            this.#context.sourcesRelatedToTestsInChangedFiles && [...this.#context.sourcesRelatedToTestsInChangedFiles],
        },
        globalConfig,
        path: test.path,
      });
      promise.UNSTABLE_onCustomMessage?.(([event, payload]) => {
        void this.#emitter.emit(event as 'test-case-result', payload as never);
      });
      return { ok: true, result: await promise };
    } catch (error) {
      return { ok: false, error: toSerializableError(error) };
    }
  }

  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    const pool = this.#pool;
    if (!pool) return;
    const { forceExited } = await pool.end();
    if (forceExited) {
      process.stderr.write('jest-fast-ci: a worker process failed to exit gracefully and was force exited; a test may leak timers or handles (try --detectOpenHandles).\n');
    }
  }

  #ensurePool(): WorkerPool {
    if (this.#ended) throw new Error('the worker pool has already been ended');
    if (this.#pool) return this.#pool;
    const resolvers = new Map<string, { config: Config.ProjectConfig; serializableModuleMap: unknown }>();
    for (const test of this.#tests) {
      if (!resolvers.has(test.context.config.id)) {
        resolvers.set(test.context.config.id, { config: test.context.config, serializableModuleMap: test.context.moduleMap.toJSON() });
      }
    }
    const g = this.#globalConfig;
    const pool = new this.#peers.jestWorker.Worker(this.#peers.testWorkerPath, {
      enableWorkerThreads: g.workerThreads,
      exposedMethods: ['worker'],
      forkOptions: { serialization: 'json', stdio: 'pipe' },
      idleMemoryLimit: typeof g.workerIdleMemoryLimit === 'number' ? g.workerIdleMemoryLimit : undefined,
      maxRetries: 3,
      numWorkers: this.concurrency,
      setupArgs: [{ serializableResolvers: [...resolvers.values()] }],
      workerGracefulExitTimeout: (g as { workerGracefulExitTimeout?: number }).workerGracefulExitTimeout,
    } as ConstructorParameters<JestPeers['jestWorker']['Worker']>[1]) as WorkerPool;
    pool.getStdout()?.pipe(process.stdout);
    pool.getStderr()?.pipe(process.stderr);
    this.#pool = pool;
    return pool;
  }
}

/** In-band: Jest's own runner in this process, one file per call, events forwarded. */
export class InBandExecutor implements FileExecutor {
  readonly concurrency = 1;
  readonly #inner: InstanceType<JestPeers['jestRunner']['default']>;
  readonly #watcher: TestWatcher;
  readonly #outcomes = new Map<Test, Outcome>();

  constructor(peers: JestPeers, globalConfig: Config.GlobalConfig, context: TestRunnerContext, emitter: RunnerEmitter, watcher: TestWatcher) {
    this.#inner = new peers.jestRunner.default(globalConfig, context);
    this.#watcher = watcher;
    // Success and failure are not forwarded: the FileQueue announces them once it has the entry.
    emitter.forwardFrom(this.#inner, ['test-file-start', 'test-case-start', 'test-case-result']);
    this.#inner.on('test-file-success', ([test, result]) => {
      this.#outcomes.set(test, { ok: true, result });
    });
    this.#inner.on('test-file-failure', ([test, error]) => {
      this.#outcomes.set(test, { ok: false, error: toSerializableError(error) });
    });
  }

  warmUp(): void {}

  async run(test: Test, options: RunOptions = {}): Promise<Outcome> {
    // Jest's runner reads its global config per run; a part swaps in its pattern for this one file (one file at a time here).
    const inner = this.#inner as unknown as { _globalConfig: Config.GlobalConfig };
    const saved = inner._globalConfig;
    if (options.testNamePattern !== undefined) inner._globalConfig = { ...saved, testNamePattern: options.testNamePattern };
    try {
      await this.#inner.runTests([test], this.#watcher, { serial: true });
    } catch (error) {
      if (!this.#outcomes.has(test)) return { ok: false, error: toSerializableError(error) };
    } finally {
      inner._globalConfig = saved;
    }
    const outcome = this.#outcomes.get(test) ?? { ok: false, error: toSerializableError(new Error(`Jest returned no result for ${test.path}`)) };
    this.#outcomes.delete(test);
    return outcome;
  }

  async end(): Promise<void> {}
}
