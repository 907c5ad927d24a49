/**
 * Runs files on one jest-worker pool that lives for the whole node run:
 * created on the first file (or warmUp()), ended once.
 */
import type { Test, TestResult } from '@jest/test-result';
import type { Config } from '@jest/types';
import type { TestRunnerContext } from 'jest-runner';
import type { JestPeers } from './jestPeers';
import type { RunnerEmitter } from './RunnerEmitter';
import { toSerializableError } from './toSerializableError';
import type { FileExecutor, Outcome, RunOptions } from './types';

type WorkerPool = InstanceType<JestPeers['jestWorker']['Worker']> & {
  worker(request: unknown): Promise<TestResult> & { UNSTABLE_onCustomMessage?: (listener: (message: [string, unknown]) => void) => void };
};

export class PoolExecutor implements FileExecutor {
  readonly concurrency: number;
  readonly #peers: JestPeers;
  readonly #globalConfig: Config.GlobalConfig;
  readonly #context: TestRunnerContext;
  readonly #emitter: RunnerEmitter;
  readonly #tests: readonly Test[];
  #pool: WorkerPool | undefined;
  #ended = false;

  /**
   * `tests`: every file this node may be handed, so each project's resolver
   * is set up once. `workers`: how many run at once (default Jest's
   * maxWorkers); 1 keeps in-band semantics, one file at a time, while the
   * tests still run in a worker process.
   */
  constructor(peers: JestPeers, globalConfig: Config.GlobalConfig, context: TestRunnerContext, emitter: RunnerEmitter, tests: readonly Test[], workers?: number) {
    this.#peers = peers;
    this.#globalConfig = globalConfig;
    this.#context = context;
    this.#emitter = emitter;
    this.#tests = tests;
    this.concurrency = Math.max(1, workers ?? globalConfig.maxWorkers);
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
