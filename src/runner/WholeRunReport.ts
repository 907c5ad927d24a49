/**
 * Whole-run reporting (FAST_CI_REPORT=run, the default): this node uploads
 * each outcome it hands its Jest as the run goes, without coverage, then
 * its coverage of all its files, merged, once; at the end it hands its
 * Jest every other node's outcome too, as the outcome of its own copy of
 * the file, and their coverage with the first of them. Jest's own
 * machinery then reports the whole run: the summary, `--json`, coverage
 * with its thresholds, snapshots, JUnit and any other reporter, and the
 * exit code plain Jest would give.
 */
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ReceivedRecord, ReportClient } from '../client/ReportClient';
import { ReportRefused } from '../client/ReportClient';
import { toError } from '../errors';
import type { RunnerEmitter } from './RunnerEmitter';
import type { Outcome } from './types';
import type { PartAssembler } from './PartAssembler';
import { parsePartId } from '../protocol/parts';
import type { ReportHeader } from '../protocol/reports';
import { nodeLabel } from '../protocol/nodeLabel';
import { markOrigin, replayedTest } from '../origin';
import type { Test, TestResult } from '@jest/test-result';
import { packCoverage, packOutcome, unpackCoverage, unpackOutcome } from './remoteOutcome';
import { carryCoverage, type CoverageBody, type NodeCoverage } from './NodeCoverage';
import type { TestIds } from './TestIds';

/** Where other nodes' outcomes go: this node's Jest, through the runner's emitter. */
export interface ReplayTarget {
  readonly ids: TestIds;
  readonly emitter: RunnerEmitter;
  readonly parts: PartAssembler;
  /** Paths of files whose outcome came from another node (the reporter's count). */
  readonly replayedPaths: Set<string>;
  /** Hold failures for the end (Jest's `bail` exits from inside a failure's listener). */
  readonly holdFailures: boolean;
}

export interface ReplayResult {
  /** Files of other nodes handed to Jest, while the run went and at its end. */
  readonly replayed: number;
  /** Why the followed stream broke off, when it did (its records were then fetched again at the end). */
  readonly followError?: string;
  /** Why the whole run could not be reported (this node then reports its own files). */
  readonly unavailable?: string;
  /** Bytes uploaded and downloaded. */
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Why records of other nodes could not be used (each skipped; the report is then not the whole run's). */
  readonly skipped: string[];
}

/** Another node's outcome of one of this node's tests, and how that node is named. */
interface Replay {
  readonly test: Test;
  readonly outcome: Outcome;
  readonly from: string;
}

export class WholeRunReport {
  readonly #client: ReportClient;
  readonly #root: string;
  /** This node's coverage, filled by the runner as its files finish (one fold for the report and the blob file). */
  readonly #coverage: NodeCoverage;
  /** Ids this node's Jest was given an outcome for: never given twice. */
  readonly #announced = new Set<string>();
  #pending: string[] = [];
  #uploading: Promise<void> | undefined;
  #unavailable: string | undefined;
  #bytesUp = 0;
  #bytesDown = 0;
  #node = 0;
  #shard: number | undefined;
  /** Where other nodes' outcomes go (set by follow() or replay()). */
  #target: ReplayTarget | undefined;
  /** The followed stream: true once it ended whole. */
  #following: Promise<boolean> | undefined;
  #followError: string | undefined;
  /**
   * The latest successful outcome from the stream, kept back from Jest: the
   * other nodes' coverage comes as they leave, and rides on it at the end.
   */
  #carrier: Replay | undefined;
  /** Records of the followed stream kept for the end (parts of split files). */
  #held: ReceivedRecord[] = [];
  /** Failures from the stream kept for the end (Jest's `bail`), read once. */
  #heldFailures: Replay[] = [];
  /** Outcomes handed to Jest from the stream, one after another. */
  #emitting: Promise<void> = Promise.resolve();
  #replayed = 0;
  /** Other nodes whose outcomes came, and those whose coverage record came (empty with coverage off): a node in the first but not the second leaves the report short. */
  readonly #resultNodes = new Set<number>();
  readonly #coverageNodes = new Set<number>();
  /** Other nodes' coverage, read: it goes to Jest once, at the end. */
  readonly #received: CoverageBody[] = [];
  /** Why records of other nodes could not be used. */
  readonly #skipped: string[] = [];

  constructor(client: ReportClient, rootDir: string, coverage: NodeCoverage) {
    this.#client = client;
    this.#root = rootDir;
    this.#coverage = coverage;
  }

  /** This node's index, once joined (records name it; the server checks it). */
  set node(index: number) {
    this.#node = index;
  }

  /** This node's CI shard index, when the CI gave one: records carry it, so other nodes name this one as the CI does. */
  set shard(index: number | undefined) {
    this.#shard = index;
  }

  /** The whole run cannot be had (the server does not offer reports): this node reports its own files. */
  disable(reason: string): void {
    this.#unavailable ??= reason;
    this.#pending = [];
  }

  /** The node gave up on the server: uploads under way are cut (their sockets destroyed) and no more are made. */
  abort(reason: string): void {
    this.disable(reason);
    this.#client.abort(reason);
  }

  /** An outcome this node handed its Jest: uploaded in the background. */
  add(id: string, outcome: Outcome): void {
    this.#announced.add(id);
    if (this.#unavailable !== undefined) return;
    this.#pending.push(packOutcome(id, this.#node, this.#root, outcome, this.#shard));
    this.#uploading ??= this.#upload();
  }

  /**
   * Uploads this node's coverage (empty with coverage off: it tells the
   * server this node has sent all it will), then resolves once everything
   * is uploaded (before `leave`: the server stops waiting for a node that left).
   */
  async flush(): Promise<void> {
    if (this.#unavailable === undefined) {
      this.#pending.push(packCoverage(this.#node, this.#root, this.#coverage, this.#shard));
      this.#uploading ??= this.#upload();
    }
    await this.#uploading;
  }

  /**
   * The node gave up on the server: what the followed stream brought reaches
   * Jest (the result kept back to carry coverage too), so every file counted
   * as handed over is.
   */
  async settle(): Promise<void> {
    await this.#emitting;
    const carrier = this.#carrier;
    this.#carrier = undefined;
    if (carrier !== undefined) await this.#emit(carrier, true);
  }

  /** Whether this node's Jest was handed `id` already (by this node, or from another's record). */
  has(id: string): boolean {
    return this.#announced.has(id);
  }

  /**
   * Follows the other nodes' records while this node runs its own files:
   * each file's result goes to Jest as it comes, so at the end only the
   * last few results and the nodes' coverage are left. Held for the end:
   * parts of split files (Jest sees a file once, whole), coverage (it comes
   * as each node leaves) and, with Jest's `bail`, failures (Jest would exit
   * from inside their listener while this node still runs files).
   */
  follow(target: ReplayTarget, waitMs: number): void {
    if (this.#unavailable !== undefined || this.#following !== undefined) return;
    this.#target = target;
    this.#following = this.#client
      .follow(waitMs, record => {
        this.#count(record);
        // Read as it comes (nodes leave one by one): at the end only the merge is left.
        if (record.header.kind === 'coverage') return this.#takeCoverage(record);
        if (parsePartId(record.header.id) !== undefined) return void this.#held.push(record);
        let now = this.#outcomeOf(record);
        if (now === undefined) return;
        if (target.holdFailures && (!now.outcome.ok || hasFailed(now.outcome.result))) return void this.#heldFailures.push(now);
        let reserved = false;
        if (now.outcome.ok) {
          // Kept back, yet counted as handed over: this node's own copy of the file (a backup) must not reach Jest too.
          this.#announced.add(target.ids.id(now.test));
          [now, this.#carrier] = [this.#carrier, now];
          reserved = true;
        }
        if (now !== undefined) {
          const replay = now;
          this.#emitting = this.#emitting.then(() => this.#emit(replay, reserved));
        }
      })
      .then(
        () => true,
        (error: unknown) => {
          // Fetched again whole at the end (what reached Jest is not handed twice).
          this.#followError = describe(error);
          return false;
        },
      );
  }

  /**
   * Waits for the uploads and the followed stream (or fetches the run's
   * records now, when it was not followed or broke off), then hands Jest
   * every other node's outcome it has not had, and their coverage with the
   * first. Never rejects: when the whole run cannot be had, says why in the result.
   */
  async replay(target: ReplayTarget, waitMs: number): Promise<ReplayResult> {
    await this.#uploading;
    this.#target = target;
    const { ids, parts } = target;
    const skipped = this.#skipped;
    const done = (): ReplayResult => {
      // A record refused leaves the report short of a file: say so, as for any run that cannot be had whole.
      if (skipped.length > 0) this.#unavailable ??= `${skipped.length} record${skipped.length === 1 ? '' : 's'} of other nodes could not be used`;
      return { replayed: this.#replayed, unavailable: this.#unavailable, bytesUp: this.#bytesUp, bytesDown: this.#bytesDown, skipped, followError: this.#followError };
    };
    if (this.#unavailable !== undefined) {
      // What the stream brought before it stopped mattering still reaches Jest.
      await this.settle();
      return done();
    }
    let records: ReceivedRecord[];
    const followed = this.#following !== undefined && (await this.#following);
    if (followed) {
      await this.#emitting;
      records = this.#held;
    } else {
      try {
        records = await this.#client.download(waitMs);
      } catch (error) {
        this.#unavailable = describe(error);
        await this.settle();
        return done();
      }
      for (const record of records) this.#count(record);
      await this.#emitting;
    }
    this.#held = [];
    // Only whole records are handed to Jest: a partial report would make thresholds lie.
    for (const record of records) if (record.header.kind === 'coverage') this.#takeCoverage(record);
    const coverage = this.#received;
    // Other nodes' coverage goes to Jest once, with the first of their results it is handed.
    const carry = (outcome: Outcome): void => {
      if (!outcome.ok || coverage.length === 0) return;
      carryCoverage(outcome.result, coverage.splice(0));
    };
    for (const { header, body } of records) {
      if (header.kind === 'coverage') continue;
      // A part of a split file joins this node's parts of it; the file goes to Jest once, whole.
      const part = parsePartId(header.id);
      if (part !== undefined) {
        const test = ids.test(part.file);
        if (test === undefined || this.#announced.has(header.id) || parts.has(header.id)) continue;
        const outcome = unpack(header, body, this.#root, test, skipped);
        if (outcome !== undefined) parts.add(header.id, test, outcome, true);
        continue;
      }
      const now = this.#outcomeOf({ header, body });
      if (now === undefined) continue;
      carry(now.outcome);
      await this.#emit(now);
    }
    for (const held of this.#heldFailures.splice(0)) await this.#emit(held);
    this.#replayed += await parts.emit(target.emitter, { remotePaths: target.replayedPaths, before: carry });
    const carrier = this.#carrier;
    this.#carrier = undefined;
    if (carrier !== undefined) {
      carry(carrier.outcome);
      await this.#emit(carrier, true);
    }
    // No result of theirs to ride on (every one failed to run): the report would lack their coverage. Said, as any report short of the run.
    if (coverage.length > 0) skipped.push(`the coverage of ${coverage.length} other node${coverage.length === 1 ? '' : 's'} had no result to travel with`);
    const noCoverage = [...this.#resultNodes].filter(node => !this.#coverageNodes.has(node));
    if (noCoverage.length > 0) skipped.push(`no coverage record came from node${noCoverage.length === 1 ? '' : 's'} ${noCoverage.join(', ')}, whose results did`);
    return done();
  }

  /** Reads another node's coverage record (once a node: a stream broken off is fetched again whole). */
  #takeCoverage({ header, body }: ReceivedRecord): void {
    if (this.#coverageNodes.has(header.node)) return;
    this.#coverageNodes.add(header.node);
    try {
      const received = unpackCoverage(header, body, this.#root, MAPS_DIR);
      if (received.babel !== undefined || received.v8 !== undefined) this.#received.push(received);
    } catch (error) {
      this.#skipped.push(toError(error).message);
    }
  }

  /** Counts a record received: its bytes, and whose outcome it is. */
  #count(record: ReceivedRecord): void {
    this.#bytesDown += recordBytes(record.header, record.body);
    if (record.header.kind !== 'coverage' && record.header.kind !== 'entry') this.#resultNodes.add(record.header.node);
  }

  /** The test and outcome of another node's record of a whole file; undefined when Jest has the file already, or the record cannot be used (its reason in the skipped list). */
  #outcomeOf({ header, body }: ReceivedRecord): Replay | undefined {
    const test = this.#target?.ids.test(header.id);
    if (test === undefined || this.#announced.has(header.id)) return undefined;
    const outcome = unpack(header, body, this.#root, test, this.#skipped);
    return outcome === undefined ? undefined : { test, outcome, from: nodeLabel(header.node, header.shard) };
  }

  /**
   * Hands Jest another node's outcome of a test, as its own copy's, marked
   * with the node that ran it (`reserved`: counted as handed over already,
   * when it was kept back).
   */
  async #emit({ test: own, outcome, from }: Replay, reserved = false): Promise<void> {
    const target = this.#target!;
    const id = target.ids.id(own);
    if (!reserved && this.#announced.has(id)) return;
    this.#announced.add(id);
    target.replayedPaths.add(own.path);
    this.#replayed += 1;
    const test = replayedTest(own, from);
    if (outcome.ok) markOrigin(outcome.result, from);
    await target.emitter.emit('test-file-start', [test]);
    if (outcome.ok) await target.emitter.emit('test-file-success', [test, outcome.result]);
    else await target.emitter.emit('test-file-failure', [test, outcome.error]);
  }

  async #upload(): Promise<void> {
    while (this.#pending.length > 0 && this.#unavailable === undefined) {
      const batch = this.#pending.join('');
      this.#pending = [];
      try {
        await this.#client.upload(batch);
        this.#bytesUp += Buffer.byteLength(batch);
      } catch (error) {
        this.#unavailable = describe(error);
        this.#pending = [];
      }
    }
    this.#uploading = undefined;
  }
}

/** The record's outcome, or undefined when it cannot be used (its reason added to `skipped`). */
function unpack(header: ReportHeader, body: Buffer, root: string, test: Test, skipped: string[]): Outcome | undefined {
  try {
    return unpackOutcome(header, body, root, test);
  } catch (error) {
    skipped.push(toError(error).message);
    return undefined;
  }
}

/** A result with a failure in it (Jest's bail counts it). */
function hasFailed(result: TestResult): boolean {
  return result.numFailingTests > 0 || result.testExecError != null || result.failureMessage != null;
}

/** Where source maps that came inline are written. */
const MAPS_DIR = path.join(tmpdir(), 'jest-fast-ci-source-maps');

/** A record's bytes on the wire: its two lines. */
function recordBytes(header: ReportHeader, body: Buffer): number {
  return Buffer.byteLength(JSON.stringify(header)) + body.length + 2;
}

/** Why a server that did not list the `reports` extension cannot report the whole run. */
export const NO_REPORTS = 'the orchestrator does not offer whole-run reports (an older server, or the hosted service)';

function describe(error: unknown): string {
  if (error instanceof ReportRefused && error.status === 404 && !/no run /.test(error.message)) return NO_REPORTS;
  return toError(error).message;
}
