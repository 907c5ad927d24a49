/**
 * The Jest runner. With FAST_CI_SECRET_KEY set, it replaces Jest's local
 * scheduling with the orchestrator's queue; without it (and in watch mode)
 * it hands everything to Jest's own runner, so the project behaves like
 * plain Jest.
 */
import type { Test, TestEvents, TestResult } from '@jest/test-result';
import { applyQuarantine } from './quarantine';
import { quarantineByFile } from '../protocol/quarantine';
import type { Config } from '@jest/types';
import type { TestRunnerContext, TestRunnerOptions, TestWatcher } from 'jest-runner';
import { OrchestratorClient } from '../client';
import { ReportClient } from '../client/ReportClient';
import { redact, resolveConfig, type FastCiConfig } from '../config';
import { ErrorCodes, FastCiError, isFastCiError, toError } from '../errors';
import { Extensions } from '../protocol/constants';
import { nodeLabel } from '../protocol/nodeLabel';
import { getNodeRun, setNodeRun, type NodeRun } from '../nodeRun';
import { formatRetryRun } from '../reporter/format';
import { timingOf } from './nodeTiming';
import { ALL_TEST_EVENTS, RunnerEmitter } from './RunnerEmitter';
import { PoolExecutor } from './PoolExecutor';
import type { FileExecutor } from './types';
import { fallbackPlan } from './fallbackPlan';
import { FileQueue } from './FileQueue';
import { loadJestPeers, type JestPeers } from './jestPeers';
import { NodeSession } from './NodeSession';
import { PartAssembler } from './PartAssembler';
import { BlobWriter } from './blobs';
import { NodeCoverage } from './NodeCoverage';
import { NO_REPORTS, WholeRunReport, type ReplayTarget } from './WholeRunReport';
import { TestIds } from './TestIds';
import { recordTimings, shownPath } from './timingsFile';
import { NodeCacheRecords } from './cacheRecord';

function loadPeers(): JestPeers {
  try {
    return loadJestPeers();
  } catch (error) {
    // Jest still calls the reporters when the runner fails to load: ours
    // must say that, not that the runner is missing from jest.config.
    setNodeRun({ mode: 'unloaded', reason: toError(error).message });
    throw error;
  }
}

const peers = loadPeers();

/**
 * The key, once taken out of process.env: test files and jest-worker
 * processes inherit the environment, and a test that prints or snapshots
 * process.env would put the key in CI logs and in failure messages.
 */
let hiddenKey: string | undefined;

function environment(): NodeJS.ProcessEnv {
  return hiddenKey === undefined ? process.env : { ...process.env, FAST_CI_SECRET_KEY: hiddenKey };
}

function hideKeyFromTests(): void {
  if (process.env.FAST_CI_SECRET_KEY === undefined) return;
  hiddenKey = process.env.FAST_CI_SECRET_KEY;
  delete process.env.FAST_CI_SECRET_KEY;
}

export default class FastCiRunner extends peers.jestRunner.EmittingTestRunner {
  readonly #emitter = new RunnerEmitter();
  readonly #options: unknown;

  constructor(globalConfig: Config.GlobalConfig, context: TestRunnerContext, options?: unknown) {
    super(globalConfig, context);
    this.#options = options;
    // First of the listeners, so Jest's reporters see a quarantined failure as the quarantine says: other nodes' files
    // (this node's own had it applied by the queue, before --bail counted them). The entry and the upload are the unmasked result.
    this.#emitter.on('test-file-success', ([test, result]) => this.#quarantine?.(test, result));
  }

  /** Set once joined, from the run's quarantine: applies it to a file's result (once) before Jest's reporters see it. */
  #quarantine: ((test: Test, result: TestResult) => void) | undefined;

  on<Name extends keyof TestEvents>(name: Name, listener: (args: TestEvents[Name]) => void | Promise<void>): () => void {
    return this.#emitter.on(name, listener);
  }

  async runTests(tests: Array<Test>, watcher: TestWatcher, options: TestRunnerOptions): Promise<void> {
    try {
      await this.#runTests(tests, watcher, options);
    } catch (error) {
      // So the reporter says this node failed, not that the runner is missing or a summary is late.
      setNodeRun({ ...getNodeRun(), mode: 'failed', reason: toError(error).message });
      throw error;
    }
  }

  async #runTests(tests: Array<Test>, watcher: TestWatcher, options: TestRunnerOptions): Promise<void> {
    const rootDir = this._globalConfig.rootDir;
    const config = resolveConfig({ env: environment(), options: this.#options, cwd: rootDir });
    hideKeyFromTests();
    const watching = this._globalConfig.watch || this._globalConfig.watchAll;
    const ids = new TestIds(tests, rootDir);
    const saveTimings = this.#recordTimings(config, ids, watching);

    if (!config.enabled || watching) {
      const reason = watching ? 'watch mode always runs locally' : 'FAST_CI_SECRET_KEY is not set';
      process.stderr.write(`jest-fast-ci: ${reason}; running all ${tests.length} test files here, like plain Jest.\n`);
      setNodeRun({ mode: 'local', reason });
      await this.#runLocally(tests, watcher, options);
      return saveTimings();
    }

    const cacheRecords = this.#cacheRecords(config, tests, ids);
    const executor = this.#executor(tests, options);
    // This node's coverage, merged once for the whole-run report and the blob file alike.
    const coverage = config.report === 'run' || config.blobDir !== undefined ? new NodeCoverage() : undefined;
    const wholeRun = config.report === 'run' ? new WholeRunReport(new ReportClient(config), rootDir, coverage!) : undefined;
    if (wholeRun && process.env.GITHUB_ACTIONS === 'true' && hasJestGitHubActionsReporter(this._globalConfig.reporters)) {
      process.stderr.write(
        "jest-fast-ci: WARNING: Jest's 'github-actions' reporter annotates every failure of the run on every node (each node's Jest reports the whole run). " +
          "Use reporters: [..., 'jest-fast-ci/github-actions'] instead (withFastCi does it), which annotates each failure once.\n",
      );
    }
    const blob = config.blobDir === undefined ? undefined : new BlobWriter(config.blobDir, config.buildId, config.nodeId, rootDir, coverage!);
    const parts = new PartAssembler();
    const run: NodeRun = { mode: 'orchestrated', buildId: config.buildId, server: '', replayedPaths: new Set() };
    // Other nodes' outcomes reach this node's Jest here; with Jest's bail, failures wait for the end (Jest exits from their listener).
    const replayTarget: ReplayTarget = { ids, emitter: this.#emitter, parts, replayedPaths: run.replayedPaths!, holdFailures: this._globalConfig.bail > 0 };
    const queue = new FileQueue(executor, this.#emitter, {
      parts,
      deferFailures: config.retry > 0,
      isInterrupted: () => watcher.isInterrupted(),
      bail: this._globalConfig.bail,
      onAnnounce: (id, outcome) => {
        if (outcome.ok) coverage?.add(outcome.result);
        wholeRun?.add(id, outcome);
        blob?.add(id, outcome);
      },
      isReported: id => wholeRun?.has(id) ?? false,
      quarantine: (test, result) => this.#quarantine?.(test, result),
    });
    // A part runs as a testNamePattern: a node given one of its own (`jest -t`) must not have it replaced, so it runs files whole.
    const client = new OrchestratorClient(config, {
      workers: executor.concurrency,
      acceptsParts: !this._globalConfig.testNamePattern,
      bail: this._globalConfig.bail,
      warm: cacheRecords?.warm,
    });
    run.server = client.server;
    setNodeRun(run);
    const source = config.provider === 'local' ? '' : ` (${config.provider})`;
    process.stderr.write(`jest-fast-ci: build ${config.buildId}${source}, orchestrator ${client.server}\n`);
    if (config.buildIdSource === 'fresh') {
      process.stderr.write(
        'jest-fast-ci: no CI detected and FAST_CI_BUILD_ID is not set, so this node is a run of its own. ' +
          'To share one run between several local nodes, give them all the same FAST_CI_BUILD_ID.\n',
      );
    }

    // Workers boot while the node connects and joins: their start-up would
    // otherwise come on top of the handshake (measured: 3 s on a loaded 2-core box).
    executor.warmUp();
    const quarantine = (apply: (test: Test, result: TestResult) => void): void => {
      this.#quarantine = apply;
    };
    const session = new NodeSession(client, queue, ids, rootDir, {
      quarantine: config.quarantine,
      onJoined(join, enqueued) {
        run.nodeIndex = join.node_index;
        run.label = nodeLabel(join.node_index, config.nodeIndex);
        if (run.quarantine === undefined) {
          // The mode is known to the reporter whatever the list: with `report` or `off` a file the run counts apart still fails this node.
          run.quarantine = { tests: join.quarantine?.length ?? 0, mode: config.quarantine };
          const byFile = quarantineByFile(join.quarantine ?? []);
          if (byFile.size > 0 && config.quarantine !== 'off') quarantine((test, result) => void applyQuarantine(result, byFile.get(ids.id(test)), config.quarantine));
        }
        if (join.run_url !== undefined && run.runUrl === undefined) {
          run.runUrl = join.run_url;
          process.stderr.write(`jest-fast-ci: ${run.label} of the run at ${join.run_url}\n`);
        }
        run.runFiles = enqueued ?? (join.retry_run?.status === 'retry' ? join.retry_run.files : undefined);
        if (join.retry_run !== undefined) {
          run.retryRun = join.retry_run;
          process.stderr.write(`jest-fast-ci: ${formatRetryRun(join.retry_run, 'start')}\n`);
        } else if (config.ciRetry.again === true && join.node_index === 0 && client.supports(Extensions.retryRun)) {
          // The CI says this job is a retry, yet the run starts anew here: say why every file runs.
          process.stderr.write(
            `jest-fast-ci: this CI job is a retry${config.ciRetry.attempt === undefined ? '' : ` (attempt ${config.ciRetry.attempt})`}, ` +
              `but the orchestrator knows no earlier attempt of build ${config.buildId} (evicted, or restarted without a data dir), so every file runs.\n`,
          );
        }
        if (wholeRun) {
          wholeRun.node = join.node_index;
          wholeRun.shard = config.nodeIndex;
        }
        if (wholeRun && !client.supports(Extensions.reports)) wholeRun.disable(NO_REPORTS);
        wholeRun?.follow(replayTarget, config.reportTimeoutMs);
        if (blob) blob.node = join.node_index;
        // The run's quarantine goes in the blob's header: `jest-fast-ci merge` applies it as the nodes did.
        if (blob && join.quarantine !== undefined) blob.quarantine = join.quarantine;
      },
    });
    try {
      const result = await session.run();
      run.timing = timingOf(queue.timing, executor.concurrency, Date.now());
      if (queue.partsRun.parts > 0) run.parts = queue.partsRun;
      run.summary = result.summary;
      if (result.summary) run.runFiles = result.summary.files;
      await wholeRun?.flush();
      await client.leave();
      if (wholeRun) await this.#reportWholeRun(wholeRun, replayTarget, config, run, queue.timing.lastEndAt);
      // Split files not completed by other nodes' parts (FAST_CI_REPORT=node, or the run could not be had): the parts run here.
      await parts.emit(this.#emitter, { all: true });
      saveTimings();
      this.#saveCacheRecords(cacheRecords, queue.ranFiles());
    } catch (error) {
      // Nothing more goes to this server: a report upload or download under way must not hold the process.
      wholeRun?.abort(toError(error).message);
      const unreachable = isFastCiError(error, ErrorCodes.UNREACHABLE) && run.nodeIndex === undefined;
      const lost = isFastCiError(error, ErrorCodes.CONNECTION_LOST) && run.nodeIndex !== undefined;
      if (!unreachable && !lost) {
        // Files in hand finish; the server gets their results and the rest of this node's files back at once.
        await queue.whenIdle();
        await client.leave(queue.takeResults());
        throw error;
      }
      await client.close();
      // Files in hand finish (and reach Jest) before the fallback decides what is left.
      await queue.whenIdle();
      await executor.end();
      // Parts run here reach Jest as they are; the fallback may run their files whole again (twice is safe, never none).
      await parts.emit(this.#emitter, { all: true });
      // Other nodes' results Jest already has stand (they are the run's): the fallback runs neither them nor what ran here.
      await wholeRun?.settle();
      await this.#fallback(config, error as FastCiError, tests, ids, id => queue.hasRun(id) || (wholeRun?.has(id) ?? false), watcher, options, run);
      this.#saveCacheRecords(cacheRecords, queue.ranFiles());
      return saveTimings();
    } finally {
      await executor.end();
      await blob?.close();
    }
  }

  /**
   * Hands this node's Jest every other node's outcome, so its reporters see
   * the whole run. When the run cannot be had (a server without the
   * extension, a limit), says so once, and the node reports its own files.
   */
  async #reportWholeRun(wholeRun: WholeRunReport, target: ReplayTarget, config: FastCiConfig, run: NodeRun, lastFileEndAt: number | undefined): Promise<void> {
    const result = await wholeRun.replay(target, config.reportTimeoutMs);
    if (result.followError !== undefined) process.stderr.write(`jest-fast-ci: following the other nodes' results broke off (${result.followError}); fetched them at the end.\n`);
    const afterLastFileMs = lastFileEndAt === undefined ? undefined : Date.now() - lastFileEndAt;
    run.wholeRun = { replayed: result.replayed, unavailable: result.unavailable, bytesUp: result.bytesUp, bytesDown: result.bytesDown, afterLastFileMs };
    for (const why of result.skipped.slice(0, 5)) process.stderr.write(`jest-fast-ci: skipped a record (FASTCI_ERR_RECORD): ${why}.\n`);
    if (result.skipped.length > 5) process.stderr.write(`jest-fast-ci: … and ${result.skipped.length - 5} more records skipped.\n`);
    if (result.unavailable !== undefined) {
      // Results followed before it broke off did reach Jest: the report is this node's files and those, said as such.
      const what = result.replayed === 0 ? "this node's own files" : `this node's own files and the ${result.replayed} of other nodes that came before`;
      process.stderr.write(`jest-fast-ci: cannot report the whole run (${result.unavailable}); reporting ${what} (FAST_CI_REPORT=node to stop trying).\n`);
    }
  }

  /** Jest's own runner, events forwarded: exactly plain Jest. */
  async #runLocally(tests: Test[], watcher: TestWatcher, options: TestRunnerOptions): Promise<void> {
    const inner = new peers.jestRunner.default(this._globalConfig, this._context);
    const stopForwarding = this.#emitter.forwardFrom(inner, ALL_TEST_EVENTS);
    try {
      await inner.runTests(tests, watcher, options);
    } finally {
      stopForwarding();
    }
  }

  /**
   * The orchestrator could not be reached at start, or was lost mid-run for
   * longer than FAST_CI_RECONNECT_TIMEOUT. With a known shard index and
   * count, run this shard's share of a split every node computes alike;
   * otherwise run everything; in both cases skip what this node already
   * ran. Every file is then run by at least its share's node (a file another
   * node ran before the outage may run twice). Loud, because the run is no
   * longer balanced (FAST_CI_FALLBACK=off fails instead).
   */
  async #fallback(
    config: FastCiConfig,
    cause: FastCiError,
    tests: Test[],
    ids: TestIds,
    ranHere: (id: string) => boolean,
    watcher: TestWatcher,
    options: TestRunnerOptions,
    run: NodeRun,
  ): Promise<void> {
    const why = cause.message;
    if (config.fallback === 'off') {
      // Same code as the cause: unreachable at start, or the connection lost mid-run.
      throw new FastCiError(cause.code, `${why}\nFAST_CI_FALLBACK=off: not running any more tests without the orchestrator.`);
    }
    const { share, what } = fallbackPlan(config, tests, ids, ranHere, this._globalConfig.rootDir);
    const line = `jest-fast-ci: WARNING: fallback mode. ${redact(why, config.secretKey)} The run is not balanced: ${what}. Set FAST_CI_FALLBACK=off to fail instead.`;
    process.stderr.write(`\n${line}\n\n`);
    Object.assign(run, { mode: 'fallback', reason: line });
    await this.#runLocally(share, watcher, options);
  }

  /**
   * Collects each file's duration as it finishes; the returned function
   * writes them into the timings file, where this node keeps it: on a CI
   * (the checkout is thrown away, so the user may keep the file as an
   * artifact and commit it) or wherever FAST_CI_TIMINGS_FILE names it. A
   * local run without the setting leaves the checkout as it was.
   */
  #recordTimings(config: FastCiConfig, ids: TestIds, watching: boolean): () => void {
    const file = config.timingsFile;
    const onCi = config.enabled && config.provider !== 'local';
    if (file === undefined || watching || (config.timingsFileSource !== 'setting' && !onCi)) return () => {};
    const measured = new Map<string, number>();
    const stop = this.#emitter.on('test-file-success', ([test, result]) => {
      measured.set(ids.id(test), result.perfStats.runtime);
    });
    return () => {
      stop();
      if (measured.size === 0) return;
      const shown = shownPath(this._globalConfig.rootDir, file);
      const outcome = recordTimings(file, measured);
      process.stderr.write(
        outcome.ok
          ? `jest-fast-ci: recorded the durations of the ${measured.size} files run here in ${shown} (${outcome.files} files listed); commit it so that a fallback splits by durations.\n`
          : `jest-fast-ci: could not record durations in ${shown}: ${outcome.reason}.\n`,
      );
    };
  }

  /**
   * What this machine's Jest cache is warm for (cacheRecord.ts), read once
   * at start and said in one line, so a CI whose cache is not restored
   * shows it. Undefined with FAST_CI_CACHE_RECORD=off or Jest's cache off.
   */
  #cacheRecords(config: FastCiConfig, tests: readonly Test[], ids: TestIds): NodeCacheRecords | undefined {
    if (!config.cacheRecord) return undefined;
    const records = new NodeCacheRecords(tests.map(test => [ids.id(test), test.context.config.cache === false ? undefined : test.context.config.cacheDirectory] as const));
    if (records.files.length === 0) return undefined;
    for (const problem of records.problems) process.stderr.write(`jest-fast-ci: cache record: ${problem}.\n`);
    const warm = records.warm.length;
    const where = records.files.join(', ');
    process.stderr.write(
      warm > 0
        ? `jest-fast-ci: this machine's Jest cache has run ${warm} of the ${tests.length} test files before (${where}); the orchestrator hands it those first.\n`
        : `jest-fast-ci: no record of earlier runs in this machine's Jest cache (${where}): a first run, or the CI did not restore the cache.\n`,
    );
    return records;
  }

  /** Adds this node's files to its cache records, for the next run on this cache. */
  #saveCacheRecords(records: NodeCacheRecords | undefined, ran: ReadonlySet<string>): void {
    for (const problem of records?.save(ran, Date.now()) ?? []) process.stderr.write(`jest-fast-ci: cache record: ${problem}.\n`);
  }

  /**
   * Orchestrated, test files never run on this process's event loop, even
   * in band (`--runInBand`, or Jest's own choice on one core): a test that
   * holds the loop for minutes would hold the node's heartbeats, deqs and
   * report uploads with it. In band keeps its meaning: one worker, one file
   * at a time.
   */
  #executor(tests: Test[], options: TestRunnerOptions): FileExecutor {
    return new PoolExecutor(peers, this._globalConfig, this._context, this.#emitter, tests, options.serial ? 1 : undefined);
  }
}

/** Jest's own 'github-actions' among the configured reporters. */
function hasJestGitHubActionsReporter(reporters: Config.GlobalConfig['reporters']): boolean {
  return (reporters ?? []).some(r => (typeof r === 'string' ? r : r[0]) === 'github-actions');
}
