/**
 * One file's outcome moved between machines: packed by the node that ran it
 * (whole-run reports, blob files), unpacked for this node's Jest as the
 * outcome of its own copy of the file, with paths moved from the writer's
 * rootDir to this one's.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
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
 */
export function unpackOutcome(header: ReportHeader, body: Buffer, root: string, test: Test, mapsDir: string): Outcome {
  if (header.kind === 'entry') return { ok: true, result: resultFromEntry(JSON.parse(body.toString('utf8')) as FileEntry, test.path) };
  const value = JSON.parse(rewriteRoot(body.toString('utf8'), header.root, root)) as unknown;
  if (header.kind === 'error') return { ok: false, error: value as SerializableError };
  const result = value as TestResult & { v8Coverage?: V8Entry[] };
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
