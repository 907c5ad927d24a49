/**
 * Whole-run reports (extension): each node's per-file Jest outcomes, moved
 * as NDJSON records of two lines, a small header then the outcome:
 *
 *   {"id":"test/a.test.js","node":2,"root":"/ci/work/app","kind":"result"}
 *   {...the Jest TestResult, as JSON...}
 *
 * The server reads only the header and keeps the outcome as bytes, so a
 * large coverage map never costs it a parse. JSON text holds no raw
 * newline, so a line is a record part. Blob files (FAST_CI_BLOB_DIR) start
 * with a BlobHeader line, then the same records. Pure: no I/O.
 */

/**
 * `result`: a Jest TestResult, without coverage; `error`: the error a file
 * failed to run with (Jest's test-file-failure); `coverage`: the node's
 * coverage of every file it ran, merged (id COVERAGE_ID, sent again whole
 * as it grows: the last one counts); `entry` (from the server only): the
 * orchestrator's entry for a file whose node never sent its record.
 */
export type ReportKind = 'result' | 'error' | 'coverage' | 'entry';

/**
 * The id of a node's coverage record. A test file's path never holds a NUL
 * character, so it never names a file of the run.
 */
export const COVERAGE_ID = '\u0000coverage';

export interface ReportHeader {
  readonly id: string;
  /** The node that ran the file. */
  readonly node: number;
  /** Its CI shard index, when the CI gave one: how logs name the node (nodeLabel). */
  readonly shard?: number;
  /** That node's Jest rootDir: paths in the outcome are rewritten from it to the reader's. */
  readonly root: string;
  readonly kind: ReportKind;
}

/** The first line of a blob file. */
export interface BlobHeader {
  readonly blob: 1;
  readonly build: string;
  readonly node: number | null;
  readonly root: string;
  /** The run's quarantined tests as the node joined ([file id, full name]): `jest-fast-ci merge` applies them as the node did. */
  readonly quarantine?: Array<[string, string]>;
}

/* The report endpoint's refusals past a byte budget (413): each names the setting to raise. */

/** Why a record past the run's budget is refused: the setting to raise. */
export function runLimit(limit: number): string {
  return `this run's reports would pass the server's limit of ${limit} bytes a run (maxReportBytesPerRun, --max-report-bytes-per-run)`;
}

/** Why a record past the node's budget is refused. */
export function nodeLimit(limit: number): string {
  return `this node's reports would pass the server's limit of ${limit} bytes a node (maxReportBytesPerNode, --max-report-bytes-per-node)`;
}

/** Longest header line a reader accepts: ids are capped at 4096 characters, roots are paths. */
export const MAX_REPORT_HEADER_BYTES = 16 * 1024;

export function encodeRecord(header: ReportHeader, outcome: unknown): string {
  return `${JSON.stringify(header)}\n${JSON.stringify(outcome)}\n`;
}

/** The header's problem, or undefined when it is one. */
export function checkReportHeader(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'a record header must be a JSON object';
  const h = value as Record<string, unknown>;
  if (typeof h.id !== 'string' || h.id === '' || h.id.length > 4096) return 'a record header needs an id of 1 to 4096 characters';
  if (typeof h.node !== 'number' || !Number.isInteger(h.node) || h.node < 0) return 'a record header needs a node index';
  if (h.shard !== undefined && (typeof h.shard !== 'number' || !Number.isInteger(h.shard) || h.shard < 0)) return 'a record header\'s shard must be a shard index';
  if (typeof h.root !== 'string' || h.root === '') return 'a record header needs the root it was written from';
  if (h.kind !== 'result' && h.kind !== 'error' && h.kind !== 'coverage') return 'a record header needs kind "result", "error" or "coverage"';
  if ((h.kind === 'coverage') !== (h.id === COVERAGE_ID)) return `a record header has id ${JSON.stringify(COVERAGE_ID)} exactly when its kind is "coverage"`;
  return undefined;
}

/**
 * Splits a byte stream into lines, without copying or parsing what they
 * hold. Feed chunks with push(); each complete line comes back once.
 */
export class LineSplitter {
  #parts: Buffer[] = [];

  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      this.#parts.push(chunk.subarray(start, end));
      lines.push(this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts));
      this.#parts = [];
      start = end + 1;
    }
    if (start < chunk.length) this.#parts.push(chunk.subarray(start));
    return lines;
  }

  /** Bytes of an unfinished line so far (a limit on a line's size is checked against it). */
  get pending(): number {
    let n = 0;
    for (const part of this.#parts) n += part.length;
    return n;
  }
}

function escapeForRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Moves an outcome's absolute paths from the machine that ran it to this
 * one: the test file path, coverage keys, source map paths, stack traces and
 * failure messages all start with the writer's rootDir. Works on the JSON
 * text, so every string is covered, and only whole path prefixes change
 * (the root followed by a separator, a quote, or the end of a string).
 */
export function rewriteRoot(json: string, from: string, to: string): string {
  if (from === to) return json;
  // In JSON text a Windows path's backslashes are doubled.
  const [encodedFrom, encodedTo] = [JSON.stringify(from).slice(1, -1), JSON.stringify(to).slice(1, -1)];
  const pattern = new RegExp(`${escapeForRegExp(encodedFrom)}(?=[\\\\/"'):\\s]|$)`, 'g');
  return json.replace(pattern, () => encodedTo);
}
