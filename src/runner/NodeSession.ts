/**
 * One node's part in an orchestrated run:
 *
 *   join ─► (node 0: enq) ─► deq ─► run batch ─► deq(results) ─► … ─► [] ─► leave
 *
 * The next `deq` goes out when a worker is free or about to be (see
 * FileQueue.whenReadyForMore), so the round trip overlaps a running file's
 * tail without holding files here that another node could start; results
 * of files still running ride on the `deq` after. An empty reply while files
 * of this node still run means "nothing more for now": finish them, report
 * them in one more `deq`, and stop only on an empty reply with nothing left.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import type { Test } from '@jest/test-result';
import type { OrchestratorClient } from '../client';
import { ErrorCodes, FastCiError } from '../errors';
import { pendingEntry } from '../protocol/entries';
import { Events, Extensions } from '../protocol/constants';
import { fileSetDigest, idMap } from '../protocol/fileSet';
import type { PartSpec } from '../protocol/parts';
import { failingFiles } from '../protocol/quarantine';
import type { EntryMap, JoinResponse, RunSummary } from '../protocol/types';
import { batchProblem, fileSetMismatch } from './fileSetCheck';
import type { FileQueue } from './FileQueue';
import type { TestIds } from './TestIds';

export interface SessionResult {
  readonly nodeIndex: number;
  readonly summary: RunSummary | undefined;
  readonly enqueued: number | undefined;
}

export interface SessionHooks {
  /** Called once joined, so the reporter knows the node index early. */
  onJoined?(join: JoinResponse, enqueued: number | undefined): void;
  /** How this node counts a file that failed only in the run's quarantined tests (FAST_CI_QUARANTINE; default `on`). */
  readonly quarantine?: 'on' | 'report' | 'off';
}

export class NodeSession {
  readonly #client: OrchestratorClient;
  readonly #queue: FileQueue;
  readonly #ids: TestIds;
  readonly #rootDir: string;
  readonly #hooks: SessionHooks;
  /** Ids whose results ride on the `deq` now waiting for its reply (re-sent after a rejoin). */
  #inFlight: ReadonlySet<string> = new Set();
  #enqueued = false;
  /** Ends the run with an error from outside the loop (a fatal client error, a file set that differs). */
  #abort: (error: Error) => void = () => undefined;
  /** The file-set check, started after the first deq reply: the server's verdict, or `unknown` when it gave none. */
  #fileSetCheck: Promise<'match' | 'unknown' | FastCiError> | undefined;

  constructor(client: OrchestratorClient, queue: FileQueue, ids: TestIds, rootDir: string, hooks: SessionHooks = {}) {
    this.#client = client;
    this.#queue = queue;
    this.#ids = ids;
    this.#rootDir = rootDir;
    this.#hooks = hooks;
  }

  async run(): Promise<SessionResult> {
    const client = this.#client;
    let rejectFatal!: (error: Error) => void;
    const fatal = new Promise<never>((_, reject) => (rejectFatal = reject));
    fatal.catch(() => {});
    this.#abort = error => {
      this.#queue.stop();
      rejectFatal(error);
    };
    // Jest exits right after the result that makes it bail: hand everything back first.
    this.#queue.onBail(() => client.leave(this.#queue.takeResults()));
    // Sent at once, before the file's code runs: a file that ends the process
    // in its first line (in band, the node's own) must still be the one blamed.
    this.#queue.onRunning(ids => client.running(ids));
    // Subscribed before connect() resolves, so a push right after the join is not missed.
    let deqRequested = false;
    let onDeqRequest: (() => void) | undefined;
    const unsubscribe = [
      client.onFatal(error => this.#abort(error)),
      client.onPush(Events.enqRequest, () => {
        // Always send: our own enq may have been lost, and the server ignores an identical second one.
        this.#enq(true);
        onDeqRequest?.();
      }),
      client.onPush(Events.deqRequest, () => {
        deqRequested = true;
        onDeqRequest?.();
      }),
      // Another node's result came first, or the run stopped: what this node holds of these files is dropped.
      client.onPush(Events.cancel, payload => {
        const tests = (payload as { tests?: unknown } | undefined)?.tests;
        if (Array.isArray(tests)) this.#queue.cancel(tests.filter((id): id is string => typeof id === 'string'));
      }),
      client.onRejoin(join => {
        this.#adoptLeases(join);
        // A node 0 that finds the run not enqueued (its enq was lost, or the
        // server restarted without its journal) enqueues again.
        if (join.node_index === 0 && join.state === 'waiting') this.#enq(true);
        // A deq_request pushed while this node was disconnected never arrived.
        if (join.state === 'running') {
          deqRequested = true;
          onDeqRequest?.();
        }
      }),
    ];
    try {
      const join = await client.connect();
      // A retry run already holds the earlier attempt's files (the `files` check still compares them with this node's).
      if (join.node_index === 0 && join.retry_run?.status !== 'retry') this.#enq();
      this.#hooks.onJoined?.(join, join.node_index === 0 ? this.#ids.size : undefined);
      // The node that enqueued needs no go-ahead: frames on one socket arrive in order.
      if (join.state === 'waiting' && !deqRequested && !this.#enqueued) {
        await Promise.race([new Promise<void>(resolve => (onDeqRequest = resolve)), fatal]);
      }
      const summary = await this.#loop(fatal);
      // Joining a run that had already failed runs nothing: never a green job without tests.
      const failing = summary === undefined ? 0 : failingFiles(summary, this.#hooks.quarantine ?? 'on');
      if (join.finished === true && failing > 0) throw runFinishedError(this.#client.topic, failing);
      await this.#checkCount(summary);
      return { nodeIndex: join.node_index, summary, enqueued: this.#enqueued && join.node_index === 0 ? this.#ids.size : undefined };
    } catch (error) {
      // Without the server's word, a held-back failure is final: never hide it,
      // nor one from a file still running (stop() ends the holding back).
      this.#queue.stop();
      await this.#queue.releaseDeferred();
      throw error;
    } finally {
      for (const off of unsubscribe) off();
    }
  }

  async #loop(fatal: Promise<never>): Promise<RunSummary | undefined> {
    let results: EntryMap = {};
    let summary: RunSummary | undefined;
    for (;;) {
      this.#inFlight = new Set(Object.keys(results));
      const reply = await Promise.race([this.#client.deq(results), fatal]);
      this.#inFlight = new Set();
      // The run is enqueued by now (a deq is answered only then): check it covers this node's files.
      if (this.#client.supports(Extensions.files)) this.#fileSetCheck ??= this.#checkFileSet();
      await this.#queue.settle(Object.keys(results), new Set(reply.retry));
      if (reply.summary) summary = reply.summary;
      // Interrupted (--bail): stop asking; leave hands back what this node did not run.
      if (this.#queue.isStopped) {
        // Stopped by an abort (this rejects) or by Jest's --bail (this resolves).
        await Promise.race([this.#queue.whenIdle(), fatal]);
        return summary;
      }
      if (reply.tests.length > 0) {
        await this.#take(reply.tests, reply.parts);
        await Promise.race([this.#queue.whenReadyForMore(), fatal]);
      } else if (this.#queue.isBusy) {
        // Nothing queued for now: send each result as it comes, and a worker freed by it may be handed a gone node's files.
        await Promise.race([this.#queue.whenResultOrIdle(), fatal]);
      }
      results = this.#queue.takeResults();
      if (reply.tests.length === 0 && !this.#queue.isBusy && Object.keys(results).length === 0) return summary;
    }
  }

  async #take(handed: readonly string[], parts: Readonly<Record<string, PartSpec>> = {}): Promise<void> {
    // The same id twice in one reply, or one this node already holds, runs once.
    const ids = [...new Set(handed)].filter(id => !this.#queue.holds(id));
    const problem = batchProblem(ids.length, this.#ids.size);
    if (problem !== undefined) throw new FastCiError(ErrorCodes.PROTOCOL, problem);
    for (const id of ids) {
      // A part of a file (parts extension): the file's own test, run for the part's tests only.
      const part = Object.hasOwn(parts, id) ? parts[id] : undefined;
      const test = this.#ids.test(part === undefined ? id : part.file);
      if (test) {
        this.#queue.add(id, test, part);
      } else {
        await this.#queue.addFailure(id, this.#unknownTest(id), unknownTestMessage(id));
      }
    }
  }

  #enq(force = false): void {
    if (this.#enqueued && !force) return;
    this.#enqueued = true;
    const tests: EntryMap = idMap();
    for (const [id, test] of this.#ids.entries()) tests[id] = pendingEntry(test.duration);
    this.#client.enq(tests);
  }

  /**
   * Asks the server whether the run's files are the ones this node found
   * (extension). A node started with other arguments or config than node 0
   * (a path filter, another testMatch) would otherwise be handed nothing of
   * what it found and pass. Aborts the run when they differ.
   */
  async #checkFileSet(): Promise<'match' | 'unknown' | FastCiError> {
    const ids = [...this.#ids.entries()].map(([id]) => id);
    const answer = await this.#client.checkFiles({ count: ids.length, digest: fileSetDigest(ids) });
    if (answer === undefined) return 'unknown';
    if (answer.match) return 'match';
    const error = new FastCiError(ErrorCodes.FILE_SET, fileSetMismatch(ids, answer.tests ?? []));
    this.#abort(error);
    return error;
  }

  /**
   * Without the server's word on the file set (a server that does not know
   * the `files` check), the final summary's count is the last line of
   * defence against a node that found files the run never had.
   */
  async #checkCount(summary: RunSummary | undefined): Promise<void> {
    // No summary (the hosted service): nothing to compare, and no reason to wait for an answer that will not come.
    if (summary === undefined || summary.files === this.#ids.size) return;
    const check = await this.#fileSetCheck;
    if (check === 'match') return;
    if (check instanceof FastCiError) throw check;
    throw new FastCiError(
      ErrorCodes.FILE_SET,
      `jest-fast-ci: the run had ${summary.files} test files, but this node found ${this.#ids.size}. ${SAME_COMMAND}`,
    );
  }

  /**
   * After a reconnect the server lists this node's leases: a file in a batch
   * whose reply was lost, or handed again (a retry on the only node left),
   * shows up here. Anything this node is not running or reporting is taken.
   */
  #adoptLeases(join: JoinResponse): void {
    const lost = (join.leases ?? []).filter(id => !this.#queue.holds(id) && !this.#inFlight.has(id));
    if (lost.length > 0) void this.#take(lost, join.parts);
  }

  /** A stand-in Test for an id with no local file, so Jest can report it as failed. */
  #unknownTest(id: string): Test {
    const any = this.#ids.entries().next().value as [string, Test] | undefined;
    if (!any) throw new FastCiError(ErrorCodes.UNKNOWN_TEST, unknownTestMessage(id));
    const relative = id.includes(':') && !fs.existsSync(path.join(this.#rootDir, id)) ? id.slice(id.indexOf(':') + 1) : id;
    return { context: any[1].context, path: path.join(this.#rootDir, relative), duration: undefined };
  }
}

/**
 * A node that joined a run which had already failed must not pass: a
 * retried CI job (GitLab's Retry keeps CI_PIPELINE_ID) would otherwise turn
 * green without running a test. (A node of the run itself that was simply
 * handed nothing joined before the end, and passes: it ran nothing that failed.)
 */
function runFinishedError(topic: string, failed: number): FastCiError {
  return new FastCiError(
    ErrorCodes.RUN_FINISHED,
    `jest-fast-ci: the run ${topic} had already finished with ${failed} failed file${failed === 1 ? '' : 's'} when this node joined, and this node ran nothing. ` +
      "A retried CI job re-runs the failed files when its CI says it is a retry (FAST_CI_RETRY_RUN); this job's CI says it is a first attempt, a late node of the run. " +
      'To run the tests again, retry the job, or set FAST_CI_BUILD_ID to a new value.',
  );
}

const SAME_COMMAND =
  'Every node of a run must run the same jest command with the same config: a path filter or --testPathPattern on one shard, ' +
  'or another testMatch, projects or checkout, makes the shards find different files, and the files only some nodes found are not run by this build.';

export function unknownTestMessage(id: string): string {
  return (
    `jest-fast-ci: the orchestrator handed this node the test file "${id}", which this node's Jest did not find. ` +
    'Every node of a run must check out the same commit and use the same Jest config (testMatch, projects); ' +
    'the file is reported as failed so it is not silently skipped.'
  );
}
