/**
 * Blob files (FAST_CI_BLOB_DIR): each node writes the outcomes it handed
 * its Jest, then its coverage merged over them, in the whole-run report's
 * record form, to a file of its own;
 * `jest-fast-ci merge` replays them all through the project's reporters.
 * For CI setups that prefer a merge job, and for orchestrators without
 * whole-run reports.
 */
import { createReadStream, createWriteStream, mkdirSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import { checkReportHeader, LineSplitter, type BlobHeader, type ReportHeader } from '../protocol/reports';
import { isQuarantineList } from '../protocol/quarantine';
import type { Outcome } from './types';
import { packCoverage, packOutcome } from './remoteOutcome';
import type { NodeCoverage } from './NodeCoverage';

/** The environment variable `jest-fast-ci merge` passes the blob files in to MergeRunner (a JSON array of paths). */
export const MERGE_BLOBS_ENV = 'FAST_CI_MERGE_BLOBS';

export class BlobWriter {
  readonly path: string;
  readonly #root: string;
  readonly #build: string;
  /** Opened with the first record, once the node has joined: its header then carries the run's quarantine. */
  #stream: WriteStream | undefined;
  readonly #coverage: NodeCoverage;
  #node = 0;
  #quarantine: Array<[string, string]> = [];

  /** `coverage`: this node's, filled by the runner; written once, last. */
  constructor(dir: string, buildId: string, nodeId: string, root: string, coverage: NodeCoverage) {
    this.#coverage = coverage;
    mkdirSync(dir, { recursive: true });
    this.path = path.join(dir, `jest-fast-ci-${buildId.replace(/[^\w.-]/g, '_')}-${nodeId.replace(/[^\w.-]/g, '_')}.ndjson`);
    this.#root = root;
    this.#build = buildId;
  }

  set node(index: number) {
    this.#node = index;
  }

  /** The run's quarantined tests, as the join said. */
  set quarantine(tests: ReadonlyArray<readonly [string, string]>) {
    this.#quarantine = tests.map(([file, name]) => [file, name]);
  }

  add(id: string, outcome: Outcome): void {
    this.#open().write(packOutcome(id, this.#node, this.#root, outcome));
  }

  close(): Promise<void> {
    const stream = this.#open();
    if (!this.#coverage.isEmpty) stream.write(packCoverage(this.#node, this.#root, this.#coverage));
    return new Promise((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }

  #open(): WriteStream {
    if (this.#stream !== undefined) return this.#stream;
    this.#stream = createWriteStream(this.path);
    const header: BlobHeader = { blob: 1, build: this.#build, node: null, root: this.#root, ...(this.#quarantine.length > 0 ? { quarantine: this.#quarantine } : {}) };
    this.#stream.write(`${JSON.stringify(header)}\n`);
    return this.#stream;
  }
}

export interface BlobRecord {
  readonly header: ReportHeader;
  readonly body: Buffer;
  /** The blob file it came from. */
  readonly file: string;
}

/** The blob files among `paths` (files, or directories holding `*.ndjson`). */
export function blobFiles(paths: readonly string[]): string[] {
  return paths.flatMap(p =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter(name => name.endsWith('.ndjson'))
          .sort()
          .map(name => path.join(p, name))
      : [p],
  );
}

/** Longest record line a blob file may hold (a node's coverage of a large project: megabytes). */
export const MAX_BLOB_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Every record of a blob file. Throws an Error naming the file (and the
 * line) when it is not one: not JSON, a header that is not a record's, a
 * line over MAX_BLOB_LINE_BYTES (read no further than that).
 */
export async function readBlob(file: string): Promise<{ header: BlobHeader; records: BlobRecord[] }> {
  const splitter = new LineSplitter();
  const records: BlobRecord[] = [];
  let blob: BlobHeader | undefined;
  let header: ReportHeader | undefined;
  let lineNumber = 0;
  const fail = (why: string): Error => new Error(`${file} is not a jest-fast-ci blob file: line ${lineNumber} ${why}`);
  const parse = (line: Buffer): unknown => {
    try {
      return JSON.parse(line.toString('utf8'));
    } catch (error) {
      throw fail(`is not JSON (${(error as Error).message})`);
    }
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (const line of splitter.push(chunk)) {
      lineNumber += 1;
      if (line.length > MAX_BLOB_LINE_BYTES) throw fail(`is longer than ${MAX_BLOB_LINE_BYTES} bytes`);
      if (blob === undefined) {
        const value = parse(line) as Partial<BlobHeader> | null;
        if (value?.blob !== 1) throw new Error(`${file} is not a jest-fast-ci blob file (its first line is not a blob header)`);
        if (value.quarantine !== undefined && !isQuarantineList(value.quarantine)) {
          throw fail('is a blob header whose quarantine is not a list of [file, test name] pairs');
        }
        blob = value as BlobHeader;
      } else if (header === undefined) {
        const value = parse(line);
        const problem = checkReportHeader(value);
        if (problem !== undefined) throw fail(`is not a record header (${problem})`);
        header = value as ReportHeader;
      } else {
        records.push({ header, body: line, file });
        header = undefined;
      }
    }
    if (splitter.pending > MAX_BLOB_LINE_BYTES) {
      lineNumber += 1;
      throw fail(`is longer than ${MAX_BLOB_LINE_BYTES} bytes`);
    }
  }
  if (blob === undefined) throw new Error(`${file} is empty: not a jest-fast-ci blob file`);
  return { header: blob, records };
}
