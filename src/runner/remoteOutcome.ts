/**
 * One file's outcome moved between machines: packed by the node that ran it
 * (whole-run reports, blob files), unpacked for this node's Jest as the
 * outcome of its own copy of the file, with paths moved from the writer's
 * rootDir to this one's.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, FastCiError } from '../errors';
import type { SerializableError, Test, TestResult } from '@jest/test-result';
import { encodeRecord, rewriteRoot, type ReportHeader } from '../protocol/reports';
import type { CaseEntry, FileEntry } from '../protocol/types';
import type { Outcome } from './types';

type V8Entry = { result: { url: string }; codeTransformResult?: { sourceMapPath?: string | null; sourceMapContent?: string } };

/**
 * The record a node sends for a file. V8 coverage names source maps in
 * the writer's transform cache, which the reader does not have: their
 * content travels inline instead.
 */
export function packOutcome(id: string, node: number, root: string, outcome: Outcome): string {
  if (!outcome.ok) return encodeRecord({ id, node, root, kind: 'error' }, outcome.error);
  const v8 = (outcome.result as TestResult & { v8Coverage?: V8Entry[] }).v8Coverage;
  const result =
    v8 === undefined
      ? outcome.result
      : {
          ...outcome.result,
          v8Coverage: v8.map(entry => {
            const mapPath = entry.codeTransformResult?.sourceMapPath;
            if (mapPath == null || !existsSync(mapPath)) return entry;
            return { ...entry, codeTransformResult: { ...entry.codeTransformResult, sourceMapContent: readFileSync(mapPath, 'utf8') } };
          }),
        };
  return encodeRecord({ id, node, root, kind: 'result' }, result);
}

/**
 * The outcome of `test` (this machine's copy of the file) from a record
 * written elsewhere. `mapsDir` receives the source maps that came inline.
 * A record is untrusted input (any holder of the run's key can upload one,
 * anyone can hand `merge` a file): it is refused with FASTCI_ERR_RECORD
 * when it is not JSON of an outcome, or when a path Jest's reporters would
 * read or write (coverage keys, V8 script URLs, source maps) resolves
 * outside `root`, so a record can never make this node write outside the
 * project or copy an outside file into its reports.
 */
export function unpackOutcome(header: ReportHeader, body: Buffer, root: string, test: Test, mapsDir: string): Outcome {
  if (header.kind === 'entry') return { ok: true, result: resultFromEntry(parseRecord(body.toString('utf8'), header) as FileEntry, test.path) };
  const value = parseRecord(rewriteRoot(body.toString('utf8'), header.root, root), header);
  if (header.kind === 'error') return { ok: false, error: value as SerializableError };
  const result = value as TestResult & { v8Coverage?: V8Entry[] };
  const outside = pathOutside(result, root);
  if (outside !== undefined) throw recordError(header, `it names ${JSON.stringify(outside.slice(0, 200))}, outside this rootDir (${root})`);
  result.testFilePath = test.path;
  for (const entry of result.v8Coverage ?? []) {
    const transform = entry.codeTransformResult;
    if (transform?.sourceMapContent === undefined) continue;
    mkdirSync(mapsDir, { recursive: true });
    const file = path.join(mapsDir, `${createHash('sha256').update(transform.sourceMapContent).digest('hex')}.map`);
    if (!existsSync(file)) writeFileSync(file, transform.sourceMapContent);
    transform.sourceMapPath = file;
    delete transform.sourceMapContent;
  }
  return { ok: true, result };
}

function recordError(header: ReportHeader, why: string): FastCiError {
  return new FastCiError(ErrorCodes.RECORD, `node ${header.node}'s outcome of ${JSON.stringify(header.id.slice(0, 200))} cannot be used: ${why}`);
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

/** The first path of a result that Jest's reporters would read or write outside `root`, or undefined. */
function pathOutside(result: TestResult & { v8Coverage?: V8Entry[] }, root: string): string | undefined {
  const coverage = (result as { coverage?: unknown }).coverage;
  if (coverage !== undefined && coverage !== null) {
    if (typeof coverage !== 'object') return String(coverage);
    for (const [key, file] of Object.entries(coverage as Record<string, { path?: unknown }>)) {
      if (!isInside(key, root)) return key;
      if (file?.path !== undefined && (typeof file.path !== 'string' || !isInside(file.path, root))) return String(file.path);
    }
  }
  for (const entry of result.v8Coverage ?? []) {
    const url = entry?.result?.url;
    if (typeof url !== 'string') return String(url);
    // Node's own scripts (node:…) are left out of coverage by Jest; only files matter.
    if (url.startsWith('file:')) {
      let file: string;
      try {
        file = fileURLToPath(url);
      } catch {
        return url;
      }
      if (!isInside(file, root)) return url;
    }
    const transform = entry.codeTransformResult;
    // A map that came inline goes to mapsDir; one named without its content would be read from wherever it points.
    if (transform?.sourceMapContent === undefined && transform?.sourceMapPath != null && !isInside(transform.sourceMapPath, root)) return transform.sourceMapPath;
  }
  return undefined;
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
  } as unknown as TestResult;
}
