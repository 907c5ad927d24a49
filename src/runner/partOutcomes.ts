/**
 * Outcomes of parts of a file (extension `parts`): a part runs the whole
 * file with a `testNamePattern`, so Jest reports the other parts' tests as
 * skipped; the part's outcome keeps only its own tests. Once every part of
 * a file is in, they become one outcome for the file, as if it had run
 * whole: Jest's reporters, coverage and thresholds see one file. Pure.
 */
import type { AssertionResult, TestResult } from '@jest/test-result';
import { createCoverageMap, type CoverageMapData } from 'istanbul-lib-coverage';
import { inPart, type PartSpec } from '../protocol/parts';
import type { Outcome } from './types';

function counted(tests: readonly AssertionResult[], status: AssertionResult['status']): number {
  return tests.filter(t => t.status === status).length;
}

/** The part's own tests of a whole-file outcome, the counters recounted. */
export function partOutcome(outcome: Outcome, spec: PartSpec): Outcome {
  if (!outcome.ok) return outcome;
  const result = outcome.result;
  const tests = result.testResults.filter(t => inPart(spec, t.fullName || [...t.ancestorTitles, t.title].join(' ')));
  return {
    ok: true,
    result: {
      ...result,
      testResults: tests,
      numPassingTests: counted(tests, 'passed'),
      numFailingTests: counted(tests, 'failed'),
      numPendingTests: counted(tests, 'pending') + counted(tests, 'skipped') + counted(tests, 'disabled'),
      numTodoTests: counted(tests, 'todo'),
    },
  };
}

/**
 * One outcome for a file from its parts' (in part order): every test, the
 * counters and snapshot counts added up, coverage merged, failed if any
 * part failed. A part that could not run at all makes the file's outcome
 * that failure.
 */
export function mergeOutcomes(outcomes: readonly Outcome[]): Outcome {
  const broken = outcomes.find(o => !o.ok);
  if (broken !== undefined) return broken;
  const results = outcomes.map(o => (o as { result: TestResult }).result);
  const [first] = results;
  if (first === undefined) throw new Error('mergeOutcomes needs at least one outcome');
  if (results.length === 1) return outcomes[0]!;
  const sum = (pick: (r: TestResult) => number | undefined): number => results.reduce((total, r) => total + (pick(r) ?? 0), 0);
  const coverage = results.some(r => r.coverage !== undefined) ? mergeCoverage(results.map(r => r.coverage)) : undefined;
  const failureMessages = results.map(r => r.failureMessage).filter((m): m is string => typeof m === 'string' && m !== '');
  const snapshot = first.snapshot;
  const merged: TestResult = {
    ...first,
    testResults: results.flatMap(r => r.testResults),
    numPassingTests: sum(r => r.numPassingTests),
    numFailingTests: sum(r => r.numFailingTests),
    numPendingTests: sum(r => r.numPendingTests),
    numTodoTests: sum(r => r.numTodoTests),
    failureMessage: failureMessages.length > 0 ? failureMessages.join('\n') : first.failureMessage,
    testExecError: results.find(r => r.testExecError !== undefined)?.testExecError,
    leaks: results.some(r => r.leaks),
    skipped: results.every(r => r.skipped),
    openHandles: results.flatMap(r => r.openHandles ?? []),
    console: results.some(r => r.console !== undefined) ? results.flatMap(r => r.console ?? []) : undefined,
    perfStats: {
      ...first.perfStats,
      start: Math.min(...results.map(r => r.perfStats.start)),
      end: Math.max(...results.map(r => r.perfStats.end)),
      // The file's work: what it would have taken whole (each part's start-up aside).
      runtime: sum(r => r.perfStats.runtime),
      slow: results.some(r => r.perfStats.slow),
    },
    snapshot: {
      ...snapshot,
      added: sum(r => r.snapshot.added),
      matched: sum(r => r.snapshot.matched),
      unmatched: sum(r => r.snapshot.unmatched),
      updated: sum(r => r.snapshot.updated),
      fileDeleted: results.some(r => r.snapshot.fileDeleted),
      // A snapshot is unchecked only if no part checked it: each part marks the others' tests' snapshots as checked.
      unchecked: Math.min(...results.map(r => r.snapshot.unchecked)),
      uncheckedKeys: intersect(results.map(r => r.snapshot.uncheckedKeys)),
    },
  };
  if (coverage !== undefined) merged.coverage = coverage;
  if (results.some(r => r.v8Coverage !== undefined)) merged.v8Coverage = results.flatMap(r => r.v8Coverage ?? []);
  return { ok: true, result: merged };
}

function mergeCoverage(maps: ReadonlyArray<CoverageMapData | undefined>): CoverageMapData {
  const merged = createCoverageMap({});
  for (const map of maps) if (map !== undefined) merged.merge(map);
  return merged.toJSON();
}

function intersect(lists: ReadonlyArray<readonly string[] | undefined>): string[] {
  const [first = [], ...rest] = lists.map(list => list ?? []);
  return first.filter(key => rest.every(list => list.includes(key)));
}
