/**
 * A quarantined test's failure on this node (FAST_CI_QUARANTINE): with `on`
 * it does not fail the run, with `report` it is only named, with `off` the
 * quarantine is ignored. The test keeps its real status (`failed`) for
 * every reporter (JUnit, `--json`), its message says it is quarantined, and
 * only the file's count of failing tests, which Jest's exit code and
 * summary read, leaves it out. A suite-level failure is never masked: a
 * file that failed to run, or whose every test failed with the same text,
 * stack and all (a hook).
 */
import type { TestResult } from '@jest/test-result';
import { failureHead } from './failureHead';

const QUARANTINED = Symbol.for('jest-fast-ci.quarantined');

/** A quarantined test that failed, as the reporter names it. */
export interface QuarantinedFailure {
  readonly name: string;
  /** The first line of its failure. */
  readonly message: string;
  /** Its failure did not fail the run (FAST_CI_QUARANTINE=on). */
  readonly masked: boolean;
}

export type QuarantineMode = 'on' | 'report' | 'off';

const NOTE = '[quarantined: jest-fast-ci does not fail the run for this test] ';

/** Applies the quarantine to a file's result in place (before Jest's reporters see it); returns the quarantined failures. */
export function applyQuarantine(result: TestResult, names: ReadonlySet<string> | undefined, mode: QuarantineMode): QuarantinedFailure[] {
  if (mode === 'off' || names === undefined || names.size === 0 || result.testExecError != null) return [];
  const failing = result.testResults.filter(t => t.status === 'failed');
  const quarantined = failing.filter(t => names.has(t.fullName));
  if (quarantined.length === 0) return [];
  // Every test failed with the very same text, stack included: a hook or the file's set-up failed, not the quarantined test
  // (failing assertions differ at least in their line).
  const texts = new Set(failing.map(t => t.failureMessages.join('\n')));
  if (result.testResults.length >= 2 && failing.length === result.testResults.length && texts.size === 1) return [];
  const masked = mode === 'on';
  const out = quarantined.map(t => ({ name: t.fullName, message: failureHead(t.failureMessages[0] ?? ''), masked }));
  for (const t of quarantined) t.failureMessages = t.failureMessages.map((m, i) => (i === 0 ? `${NOTE}${m}` : m));
  if (masked) result.numFailingTests = Math.max(0, result.numFailingTests - quarantined.length);
  Object.defineProperty(result, QUARANTINED, { value: out, enumerable: false, configurable: true });
  return out;
}

/** The quarantined failures of a result, as applyQuarantine marked them. */
export function quarantinedOf(result: object): readonly QuarantinedFailure[] {
  return (result as { [QUARANTINED]?: QuarantinedFailure[] })[QUARANTINED] ?? [];
}
