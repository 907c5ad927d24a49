import type { Test } from '@jest/test-result';
import type { Config } from '@jest/types';
import type { TestRunnerContext, TestWatcher } from 'jest-runner';
import type { JestPeers } from './jestPeers';
import type { RunnerEmitter } from './RunnerEmitter';
import { toSerializableError } from './toSerializableError';
import type { FileExecutor, Outcome, RunOptions } from './types';

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
