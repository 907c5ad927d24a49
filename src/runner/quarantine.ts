/**
 * A quarantined test's failure on this node (FAST_CI_QUARANTINE): with `on`
 * it does not fail the run, with `report` it is only named, with `off` the
 * quarantine is ignored. The test keeps its real status (`failed`) for
 * every reporter (JUnit, `--json`), its message says it is quarantined, and
 * only the file's count of failing tests, which Jest's exit code and
 * summary read, leaves it out. A suite-level failure is never masked: a
 * file that failed to run, or whose every test failed with the same text,
 * stack and all (a hook): protocol/quarantine.ts.
 */
import type { TestResult } from '@jest/test-result';
import { toFileEntry } from '../protocol/entries';
import { maskedFailures } from '../protocol/quarantine';
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

/**
 * Applies the quarantine to a file's result in place (before Jest's
 * reporters see it); returns the quarantined failures. Which failures are
 * quarantined is the protocol's rule on the file's entry, the one the
 * server counts the run by. Applied once: a result seen again keeps what
 * was decided.
 */
export function applyQuarantine(result: TestResult, names: ReadonlySet<string> | undefined, mode: QuarantineMode): readonly QuarantinedFailure[] {
  if (Object.hasOwn(result, QUARANTINED)) return quarantinedOf(result);
  if (mode === 'off' || names === undefined || names.size === 0 || result.testExecError != null) return [];
  // The entry is built only for a file with a quarantined test among its failures.
  if (!result.testResults.some(t => t.status === 'failed' && names.has(t.fullName))) return [];
  const masked = new Set(maskedFailures(toFileEntry(result), names));
  const quarantined = result.testResults.filter(t => t.status === 'failed' && masked.has(t.fullName || [...t.ancestorTitles, t.title].join(' ')));
  if (quarantined.length === 0) return [];
  const hide = mode === 'on';
  const out = quarantined.map(t => ({ name: t.fullName, message: failureHead(t.failureMessages[0] ?? ''), masked: hide }));
  for (const t of quarantined) t.failureMessages = t.failureMessages.map((m, i) => (i === 0 ? `${NOTE}${m}` : m));
  if (hide) result.numFailingTests = Math.max(0, result.numFailingTests - quarantined.length);
  Object.defineProperty(result, QUARANTINED, { value: out, enumerable: false, configurable: true });
  return out;
}

/** The quarantined failures of a result, as applyQuarantine marked them. */
export function quarantinedOf(result: object): readonly QuarantinedFailure[] {
  return (result as { [QUARANTINED]?: QuarantinedFailure[] })[QUARANTINED] ?? [];
}
