/**
 * Outcomes and coverage moved between machines: packed by the node that
 * ran them (whole-run reports, blob files), unpacked for this node's Jest,
 * with paths moved from the writer's rootDir to this one's.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { ErrorCodes, FastCiError } from '../errors';
import type { SerializableError, Test, TestResult } from '@jest/test-result';
import { COVERAGE_ID, encodeRecord, rewriteRoot, type ReportHeader } from '../protocol/reports';
import { scriptPath, withoutCoverage, type CoverageBody, type NodeCoverage, type V8Entry } from './NodeCoverage';
import type { CaseEntry, FileEntry } from '../protocol/types';
import type { Outcome } from './types';

/** The record a node sends for a file: its outcome without coverage (the node's coverage travels once, in its coverage record). */
export function packOutcome(id: string, node: number, root: string, outcome: Outcome, shard?: number): string {
  const who = shard === undefined ? { node } : { node, shard };
  if (!outcome.ok) return encodeRecord({ id, ...who, root, kind: 'error' }, outcome.error);
  return encodeRecord({ id, ...who, root, kind: 'result' }, withoutCoverage(outcome.result));
}

/** The record of a node's coverage, merged over every file it ran. */
export function packCoverage(node: number, root: string, coverage: NodeCoverage, shard?: number): string {
  return encodeRecord({ id: COVERAGE_ID, node, ...(shard === undefined ? {} : { shard }), root, kind: 'coverage' }, coverage.body());
}

/**
 * The outcome of `test` (this machine's copy of the file) from a record
 * written elsewhere. A record is untrusted input (any holder of the run's
 * key can upload one, anyone can hand `merge` a file): it is refused with
 * FASTCI_ERR_RECORD when it is not JSON of an outcome. Coverage in it is
 * dropped: coverage comes only in coverage records, whose paths are checked.
 */
export function unpackOutcome(header: ReportHeader, body: Buffer, root: string, test: Test): Outcome {
  if (header.kind === 'entry') return { ok: true, result: resultFromEntry(parseRecord(body.toString('utf8'), header) as FileEntry, test.path) };
  if (header.kind === 'coverage') throw recordError(header, 'it is a coverage record, not an outcome');
  const value = parseRecord(rewriteRoot(body.toString('utf8'), header.root, root), header);
  if (header.kind === 'error') return { ok: false, error: value as SerializableError };
  const result = withoutCoverage(value as TestResult);
  result.testFilePath = test.path;
  return { ok: true, result };
}

/**
 * Another node's coverage, its paths moved to this rootDir. Refused with
 * FASTCI_ERR_RECORD when a path Jest's coverage reporters would read or
 * write (coverage keys, script paths, source maps) resolves outside `root`,
 * so a record can never make this node write outside the project or copy
 * an outside file into its reports. Source maps that came inline are
 * written to `mapsDir`; an original source left out is read from this
 * machine's copy of the file.
 */
export function unpackCoverage(header: ReportHeader, body: Buffer, root: string, mapsDir: string): CoverageBody {
  const value = parseRecord(rewriteRoot(body.toString('utf8'), header.root, root), header) as CoverageBody;
  const outside = (file: string): FastCiError => recordError(header, `it names ${JSON.stringify(String(file).slice(0, 200))}, outside this rootDir (${root})`);
  if (value.babel !== undefined) {
    if (value.babel === null || typeof value.babel !== 'object' || Array.isArray(value.babel)) throw recordError(header, 'its babel coverage is not a map');
    for (const [key, file] of Object.entries(value.babel as Record<string, { path?: unknown } | null>)) {
      if (!isInside(key, root)) throw outside(key);
      if (file === null || typeof file !== 'object') throw recordError(header, `its coverage of ${JSON.stringify(key.slice(0, 200))} is not an object`);
      if (file.path !== undefined && (typeof file.path !== 'string' || !isInside(file.path, root))) throw outside(String(file.path));
    }
    return { babel: value.babel };
  }
  if (value.v8 === undefined) return {};
  if (!Array.isArray(value.v8)) throw recordError(header, 'its v8 coverage is not a list');
  const entries: V8Entry[] = [];
  for (const entry of value.v8) {
    const url = entry?.result?.url;
    if (typeof url !== 'string') throw recordError(header, 'a v8 script coverage has no url');
    const file = scriptPath(url);
    // Node's own scripts are left out of coverage by Jest; only files matter.
    if (file === undefined) {
      if (url.startsWith('file:')) throw outside(url);
      continue;
    }
    if (!isInside(file, root)) throw outside(url);
    const transform = entry.codeTransformResult;
    if (transform != null) {
      if (transform.sourceMapContent !== undefined) {
        mkdirSync(mapsDir, { recursive: true });
        const mapFile = path.join(mapsDir, `${createHash('sha256').update(transform.sourceMapContent).digest('hex')}.map`);
        if (!existsSync(mapFile)) writeFileSync(mapFile, transform.sourceMapContent);
        transform.sourceMapPath = mapFile;
        delete transform.sourceMapContent;
      } else if (transform.sourceMapPath != null && !isInside(transform.sourceMapPath, root)) {
        // A map named without its content would be read from wherever it points.
        throw outside(transform.sourceMapPath);
      }
      if (transform.originalCode === undefined && existsSync(file)) transform.originalCode = readFileSync(file, 'utf8');
    }
    entries.push(entry);
  }
  return { v8: entries };
}

function recordError(header: ReportHeader, why: string): FastCiError {
  const what = header.kind === 'coverage' ? 'coverage' : `outcome of ${JSON.stringify(header.id.slice(0, 200))}`;
  return new FastCiError(ErrorCodes.RECORD, `node ${header.node}'s ${what} cannot be used: ${why}`);
}

function parseRecord(text: string, header: ReportHeader): object {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw recordError(header, `it is not JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw recordError(header, 'it is not a JSON object');
  return value;
}

/** `file` resolves inside `root` (it is `root` or below it). */
function isInside(file: string, root: string): boolean {
  if (!path.isAbsolute(file)) return false;
  const relative = path.relative(root, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * A Jest result built from the orchestrator's entry for a file whose node
 * never sent its own (it died mid-run, or crashed the file's every node):
 * the counts, each case's status and failure text, nothing else.
 */
export function resultFromEntry(entry: FileEntry, testFilePath: string): TestResult {
  const cases = Object.keys(entry)
    .filter(key => /^[1-9][0-9]*$/.test(key))
    .sort((a, b) => Number(a) - Number(b))
    .map(key => entry[key] as CaseEntry)
    .filter(c => entry.test_count > 0 || c.status !== 'pending');
  const testResults = cases.map(c => ({
    ancestorTitles: [],
    duration: c.run_time * 1000,
    failureDetails: [],
    failureMessages: c.failure_message === undefined ? [] : [c.failure_message],
    fullName: c.description ?? '',
    invocations: 1,
    location: null,
    numPassingAsserts: 0,
    retryReasons: [],
    status: c.status,
    title: c.description ?? '',
  }));
  const failure = entry.failure_message ?? cases.find(c => c.failure_message !== undefined)?.failure_message;
  const runtime = (entry.run_time ?? 0) * 1000;
  return {
    leaks: false,
    numFailingTests: entry.test_counters.failed,
    numPassingTests: entry.test_counters.passed,
    numPendingTests: entry.test_counters.pending,
    numTodoTests: 0,
    openHandles: [],
    perfStats: { end: runtime, runtime, slow: false, start: 0, loadTestEnvironmentEnd: 0, loadTestEnvironmentStart: 0, setupAfterEnvEnd: 0, setupAfterEnvStart: 0, setupFilesEnd: 0, setupFilesStart: 0 },
    skipped: false,
    snapshot: { added: 0, fileDeleted: false, matched: 0, unchecked: 0, uncheckedKeys: [], unmatched: 0, updated: 0 },
    testFilePath,
    testResults,
    failureMessage: entry.file_status === 'failed' ? failure ?? 'failed (no message)' : null,
    // The entry's own failure_message: the file failed as a whole (it did not load, a hook outside tests), never a test's failure to mask.
    ...(entry.failure_message === undefined ? {} : { testExecError: { message: entry.failure_message, stack: '' } }),
  } as unknown as TestResult;
}
