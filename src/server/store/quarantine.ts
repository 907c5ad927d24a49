/**
 * Quarantine (pure): the tests of a key and run key whose failures do not
 * fail the build while they are fixed, and every change to that list with
 * who or what made it and why. A test enters by hand (the API, the
 * `jest-fast-ci quarantine` command) or automatically after K flakes; it
 * leaves by hand, at its expiry, or after N clean runs. A cap (a share of
 * the run's tests) keeps a bad day from quarantining the suite.
 */
import { flakeStats, splitTestKey, type TestOutcome } from './testHistory';

/** Changes kept in a quarantine's audit, newest last. */
export const MAX_AUDIT = 1_000;
/** Tests one quarantine may hold, whatever the cap. */
export const MAX_QUARANTINED = 10_000;

export interface QuarantineEntry {
  /** testKey: the file's id and the test's full name. */
  readonly test: string;
  /** Who put it there: `api`, `cli`, `auto`, or what the caller named. */
  readonly by: string;
  readonly reason: string;
  readonly at: number;
  /** It leaves at this time (ms); none: only by hand or clean runs. */
  readonly expiresAt: number | null;
  /** It leaves after this many clean runs in a row; none: only by hand or expiry. */
  readonly cleanRuns: number | null;
  /** Clean runs in a row so far. */
  readonly clean: number;
}

export interface AuditEntry {
  readonly at: number;
  readonly action: 'add' | 'remove' | 'expire' | 'release' | 'refuse';
  readonly test: string;
  readonly by: string;
  readonly why: string;
}

export interface Quarantine {
  readonly tests: readonly QuarantineEntry[];
  readonly audit: readonly AuditEntry[];
}

export const EMPTY_QUARANTINE: Quarantine = { tests: [], audit: [] };

/** The server's quarantine settings. */
export interface QuarantinePolicy {
  /** Flakes in the test history's window after which a test enters by itself; undefined: never. */
  readonly autoAfter: number | undefined;
  /** Days an automatic entry (or a hand one without its own) lasts. */
  readonly days: number;
  /** Clean runs in a row after which an automatic entry leaves. */
  readonly cleanRuns: number;
  /** Most of a run's tests that may be quarantined, as a share (0.05: 5 %); at least one. */
  readonly cap: number;
}

/** The tests that count now, as a run takes them: [file id, full name]. Past its expiry an entry no longer counts, though it leaves the list only when a run of the run key finishes. */
export function activeTests(q: Quarantine, now: number): Array<[string, string]> {
  return q.tests
    .filter(t => t.expiresAt === null || t.expiresAt > now)
    .map(t => {
      const { file, name } = splitTestKey(t.test);
      return [file, name];
    });
}

function audited(q: Quarantine, ...entries: AuditEntry[]): AuditEntry[] {
  return [...q.audit, ...entries].slice(-MAX_AUDIT);
}

/** How many tests the cap allows, for a run of `tests` tests. */
export function capOf(policy: QuarantinePolicy, tests: number): number {
  return Math.min(MAX_QUARANTINED, Math.max(1, Math.floor(policy.cap * tests)));
}

/** Adds (or renews) a test; refused, with the refusal in the audit, past the cap. */
export function addTest(
  q: Quarantine,
  test: string,
  change: { by: string; reason: string; at: number; expiresAt: number | null; cleanRuns: number | null },
  cap: number,
): { quarantine: Quarantine; added: boolean; why?: string } {
  const others = q.tests.filter(t => t.test !== test);
  if (others.length >= cap) {
    const why = `the quarantine holds ${others.length} tests, its cap for this run key (a share of its tests): remove one, or raise --quarantine-cap`;
    // Refused again run after run: said once, so refusals cannot push the real changes out of the audit.
    const last = [...q.audit].reverse().find(a => a.test === test);
    if (last?.action === 'refuse') return { quarantine: q, added: false, why };
    return { quarantine: { tests: q.tests, audit: audited(q, { at: change.at, action: 'refuse', test, by: change.by, why }) }, added: false, why };
  }
  const entry: QuarantineEntry = { test, by: change.by, reason: change.reason, at: change.at, expiresAt: change.expiresAt, cleanRuns: change.cleanRuns, clean: 0 };
  return { quarantine: { tests: [...others, entry], audit: audited(q, { at: change.at, action: 'add', test, by: change.by, why: change.reason }) }, added: true };
}

export function removeTest(q: Quarantine, test: string, change: { by: string; why: string; at: number }): { quarantine: Quarantine; removed: boolean } {
  if (!q.tests.some(t => t.test === test)) return { quarantine: q, removed: false };
  return { quarantine: { tests: q.tests.filter(t => t.test !== test), audit: audited(q, { at: change.at, action: 'remove', test, by: change.by, why: change.why }) }, removed: true };
}

/**
 * What a finished run changes: entries past their expiry leave; each
 * quarantined test that ran counts a clean run (all its outcomes in the run
 * passed) or starts again (one failed), and leaves after its clean runs;
 * then, with `autoAfter`, tests with that many flakes in the history enter,
 * within the cap.
 */
export function afterRun(
  q: Quarantine,
  run: { at: number; outcomes: ReadonlyMap<string, readonly TestOutcome[]>; tests: number },
  history: ReadonlyMap<string, readonly TestOutcome[]>,
  policy: QuarantinePolicy,
): Quarantine {
  const audit: AuditEntry[] = [];
  const tests: QuarantineEntry[] = [];
  for (const entry of q.tests) {
    if (entry.expiresAt !== null && run.at >= entry.expiresAt) {
      audit.push({ at: run.at, action: 'expire', test: entry.test, by: 'auto', why: `its quarantine expired (added ${new Date(entry.at).toISOString()} by ${entry.by})` });
      continue;
    }
    const ran = run.outcomes.get(entry.test);
    const clean = ran === undefined ? entry.clean : ran.every(o => o.status === 'passed') ? entry.clean + 1 : 0;
    if (entry.cleanRuns !== null && clean >= entry.cleanRuns) {
      audit.push({ at: run.at, action: 'release', test: entry.test, by: 'auto', why: `${clean} clean run${clean === 1 ? '' : 's'} in a row` });
      continue;
    }
    tests.push({ ...entry, clean });
  }
  let next: Quarantine = { tests, audit: audited(q, ...audit) };
  if (policy.autoAfter === undefined) return next;
  const cap = capOf(policy, run.tests);
  const quarantined = new Set(tests.map(t => t.test));
  // A test that left (by hand, expiry or clean runs) comes back only for flakes after it left, not for those that put it there.
  const left = new Map<string, number>();
  for (const a of next.audit) if (a.action === 'remove' || a.action === 'expire' || a.action === 'release') left.set(a.test, a.at);
  const candidates = [...history]
    .map(([test, outcomes]) => ({ test, flakes: flakeStats(outcomes.filter(o => o.at > (left.get(test) ?? -Infinity))).flakes }))
    .filter(c => c.flakes >= policy.autoAfter! && !quarantined.has(c.test))
    .sort((a, b) => b.flakes - a.flakes || a.test.localeCompare(b.test));
  for (const { test, flakes } of candidates) {
    const { file, name } = splitTestKey(test);
    const reason = `${flakes} flakes in the test history (--auto-quarantine ${policy.autoAfter}): ${name} in ${file}`;
    next = addTest(next, test, { by: 'auto', reason, at: run.at, expiresAt: run.at + policy.days * 86_400_000, cleanRuns: policy.cleanRuns }, cap).quarantine;
  }
  return next;
}

/** Stored and read back as JSON; what is not an entry is dropped. */
export function parseQuarantine(value: unknown): Quarantine {
  if (value === null || typeof value !== 'object') return EMPTY_QUARANTINE;
  const { tests, audit } = value as { tests?: unknown; audit?: unknown };
  const isEntry = (t: unknown): t is QuarantineEntry =>
    t !== null && typeof t === 'object' && typeof (t as QuarantineEntry).test === 'string' && typeof (t as QuarantineEntry).by === 'string' && typeof (t as QuarantineEntry).at === 'number';
  const isAudit = (a: unknown): a is AuditEntry => a !== null && typeof a === 'object' && typeof (a as AuditEntry).test === 'string' && typeof (a as AuditEntry).action === 'string';
  return {
    tests: (Array.isArray(tests) ? tests.filter(isEntry) : []).map(t => ({ ...t, reason: String(t.reason ?? ''), expiresAt: typeof t.expiresAt === 'number' ? t.expiresAt : null, cleanRuns: typeof t.cleanRuns === 'number' ? t.cleanRuns : null, clean: typeof t.clean === 'number' ? t.clean : 0 })).slice(0, MAX_QUARANTINED),
    audit: (Array.isArray(audit) ? audit.filter(isAudit) : []).slice(-MAX_AUDIT),
  };
}
