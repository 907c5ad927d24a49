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
import type { ReportClient } from '../client/ReportClient';
import { ReportRefused } from '../client/ReportClient';
import { toError } from '../errors';
import type { RunnerEmitter } from './RunnerEmitter';
import type { Outcome } from './types';
import type { PartAssembler } from './PartAssembler';
import { parsePartId } from '../protocol/parts';
import type { ReportHeader } from '../protocol/reports';
import type { Test } from '@jest/test-result';
import { packCoverage, packOutcome, unpackCoverage, unpackOutcome } from './remoteOutcome';
import { carryCoverage, type CoverageBody, type NodeCoverage } from './NodeCoverage';
import type { TestIds } from './TestIds';

export interface ReplayResult {
  /** Files of other nodes handed to Jest. */
  readonly replayed: number;
  /** Why the whole run could not be reported (this node then reports its own files). */
  readonly unavailable?: string;
  /** Bytes uploaded and downloaded. */
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Why records of other nodes could not be used (each skipped; the report is then not the whole run's). */
  readonly skipped: string[];
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
  #node = 0;

  constructor(client: ReportClient, rootDir: string, coverage: NodeCoverage) {
    this.#client = client;
    this.#root = rootDir;
    this.#coverage = coverage;
  }

  /** This node's index, once joined (records name it; the server checks it). */
  set node(index: number) {
    this.#node = index;
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
    this.#pending.push(packOutcome(id, this.#node, this.#root, outcome));
    this.#uploading ??= this.#upload();
  }

  /**
   * Uploads this node's coverage (empty with coverage off: it tells the
   * server this node has sent all it will), then resolves once everything
   * is uploaded (before `leave`: the server stops waiting for a node that left).
   */
  async flush(): Promise<void> {
    if (this.#unavailable === undefined) {
      this.#pending.push(packCoverage(this.#node, this.#root, this.#coverage));
      this.#uploading ??= this.#upload();
    }
    await this.#uploading;
  }

  /**
   * Waits for the uploads, then hands Jest, through `emitter`, every other
   * node's outcome that this node's Jest has not had. Never rejects: when
   * the whole run cannot be had, says why in the result.
   */
  async replay(ids: TestIds, emitter: RunnerEmitter, waitMs: number, replayedPaths: Set<string>, parts?: PartAssembler): Promise<ReplayResult> {
    await this.#uploading;
    let bytesDown = 0;
    const skipped: string[] = [];
    const done = (replayed: number): ReplayResult => {
      // A record refused leaves the report short of a file: say so, as for any run that cannot be had whole.
      if (skipped.length > 0) this.#unavailable ??= `${skipped.length} record${skipped.length === 1 ? '' : 's'} of other nodes could not be used`;
      return { replayed, unavailable: this.#unavailable, bytesUp: this.#bytesUp, bytesDown, skipped };
    };
    if (this.#unavailable !== undefined) return done(0);
    let records;
    try {
      records = await this.#client.download(waitMs);
    } catch (error) {
      this.#unavailable = describe(error);
      return done(0);
    }
    // Only whole records are handed to Jest: a partial report would make thresholds lie.
    const mapsDir = path.join(tmpdir(), 'jest-fast-ci-source-maps');
    const coverage: CoverageBody[] = [];
    for (const { header, body } of records) {
      if (header.kind !== 'coverage') continue;
      bytesDown += recordBytes(header, body);
      try {
        const received = unpackCoverage(header, body, this.#root, mapsDir);
        if (received.babel !== undefined || received.v8 !== undefined) coverage.push(received);
      } catch (error) {
        skipped.push(toError(error).message);
      }
    }
    // Other nodes' coverage goes to Jest once, with the first of their results it is handed.
    const carry = (outcome: Outcome): void => {
      if (!outcome.ok || coverage.length === 0) return;
      carryCoverage(outcome.result, coverage.splice(0));
    };
    let replayed = 0;
    for (const { header, body } of records) {
      if (header.kind === 'coverage') continue;
      bytesDown += recordBytes(header, body);
      // A part of a split file joins this node's parts of it; the file goes to Jest once, whole.
      const part = parsePartId(header.id);
      if (part !== undefined && parts !== undefined) {
        const test = ids.test(part.file);
        if (test === undefined || this.#announced.has(header.id) || parts.has(header.id)) continue;
        const outcome = unpack(header, body, this.#root, test, skipped);
        if (outcome !== undefined) parts.add(header.id, test, outcome, true);
        continue;
      }
      const test = ids.test(header.id);
      if (test === undefined || this.#announced.has(header.id)) continue;
      const outcome = unpack(header, body, this.#root, test, skipped);
      if (outcome === undefined) continue;
      this.#announced.add(header.id);
      replayedPaths.add(test.path);
      carry(outcome);
      await emitter.emit('test-file-start', [test]);
      if (outcome.ok) await emitter.emit('test-file-success', [test, outcome.result]);
      else await emitter.emit('test-file-failure', [test, outcome.error]);
      replayed += 1;
    }
    if (parts !== undefined) replayed += await parts.emit(emitter, { remotePaths: replayedPaths, before: carry });
    // Nothing of theirs reached Jest to carry it (every file failed to run): the report would lack their coverage.
    if (coverage.length > 0) skipped.push(`the coverage of ${coverage.length} other node${coverage.length === 1 ? '' : 's'} had no result to travel with`);
    return done(replayed);
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
