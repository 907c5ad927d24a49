/** Quarantine's rules (pure): entries by hand and by flakes, the cap, expiry, clean runs, and the audit of each change. */
import { activeTests, addTest, afterRun, EMPTY_QUARANTINE, parseQuarantine, removeTest, type QuarantinePolicy } from '../../../src/server/store/quarantine';
import { testKey, type TestOutcome } from '../../../src/server/store/testHistory';

const day = 86_400_000;
const policy: QuarantinePolicy = { autoAfter: 2, days: 14, cleanRuns: 3, cap: 0.1 };
const o = (status: 'passed' | 'failed', buildId: string, commit: string): TestOutcome => ({ status, buildId, commit, branch: 'main', at: 1, node: 'node 0', attempt: status === 'failed' ? 1 : 2, seconds: 0.1 });
const flaky = (runs: number): TestOutcome[] => Array.from({ length: runs }, (_, i) => [o('failed', `b${i}`, `c${i}`), o('passed', `b${i}`, `c${i}`)]).flat();
const A = testKey('test/a.test.ts', 'a flips');
const B = testKey('test/b.test.ts', 'b flips');

it('quarantines a test by itself once it has K flakes, with an expiry and clean runs, and says why in the audit', () => {
  const history = new Map([[A, flaky(2)], [B, flaky(1)]]);
  const q = afterRun(EMPTY_QUARANTINE, { at: 100, outcomes: new Map(), tests: 20 }, history, policy);
  expect(q.tests).toEqual([{ test: A, by: 'auto', reason: '2 flakes in the test history (--auto-quarantine 2): a flips in test/a.test.ts', at: 100, expiresAt: 100 + 14 * day, cleanRuns: 3, clean: 0 }]);
  expect(q.audit).toEqual([{ at: 100, action: 'add', test: A, by: 'auto', why: q.tests[0]!.reason }]);
  // Without --auto-quarantine nothing enters by itself.
  expect(afterRun(EMPTY_QUARANTINE, { at: 100, outcomes: new Map(), tests: 20 }, history, { ...policy, autoAfter: undefined }).tests).toEqual([]);
});

it("holds the cap (a share of the run's tests, at least one): past it, a test is refused, and the refusal is in the audit", () => {
  const history = new Map([[A, flaky(3)], [B, flaky(2)]]);
  const q = afterRun(EMPTY_QUARANTINE, { at: 100, outcomes: new Map(), tests: 10 }, history, policy);
  expect(q.tests.map(t => t.test)).toEqual([A]);
  expect(q.audit.map(a => [a.action, a.test])).toEqual([['add', A], ['refuse', B]]);
  expect(q.audit[1]!.why).toContain('its cap');
});

it('lets a test go at its expiry, or after its clean runs in a row (a failure starts the count again)', () => {
  let q = addTest(EMPTY_QUARANTINE, A, { by: 'cli', reason: 'flaky timer', at: 0, expiresAt: 10 * day, cleanRuns: 2 }, 100).quarantine;
  const ran = (status: 'passed' | 'failed') => new Map([[A, [o(status, 'x', 'x')]]]);
  q = afterRun(q, { at: 1, outcomes: ran('passed'), tests: 5 }, new Map(), policy);
  q = afterRun(q, { at: 2, outcomes: ran('failed'), tests: 5 }, new Map(), policy);
  expect(q.tests[0]!.clean).toBe(0);
  q = afterRun(q, { at: 3, outcomes: ran('passed'), tests: 5 }, new Map(), policy);
  q = afterRun(q, { at: 4, outcomes: ran('passed'), tests: 5 }, new Map(), policy);
  expect(q.tests).toEqual([]);
  expect(q.audit.at(-1)).toMatchObject({ action: 'release', test: A, why: '2 clean runs in a row' });
  const expiring = addTest(EMPTY_QUARANTINE, B, { by: 'api', reason: 'r', at: 0, expiresAt: 5, cleanRuns: null }, 100).quarantine;
  expect(afterRun(expiring, { at: 5, outcomes: new Map(), tests: 5 }, new Map(), policy).audit.at(-1)).toMatchObject({ action: 'expire', test: B });
  // Past its expiry, before a run takes it off the list, an entry is no longer given to a run that opens.
  const both = addTest(expiring, A, { by: 'api', reason: 'r', at: 0, expiresAt: null, cleanRuns: null }, 100).quarantine;
  expect(activeTests(both, 4)).toEqual([['test/b.test.ts', 'b flips'], ['test/a.test.ts', 'a flips']]);
  expect(activeTests(both, 5)).toEqual([['test/a.test.ts', 'a flips']]);
});

it('records who removed a test and why, and reads back what it stores', () => {
  const added = addTest(EMPTY_QUARANTINE, A, { by: 'api', reason: 'r', at: 1, expiresAt: null, cleanRuns: null }, 100).quarantine;
  const { quarantine, removed } = removeTest(added, A, { by: 'cli', why: 'fixed in #123', at: 2 });
  expect(removed).toBe(true);
  expect(quarantine.audit.map(a => [a.action, a.by, a.why])).toEqual([['add', 'api', 'r'], ['remove', 'cli', 'fixed in #123']]);
  expect(removeTest(quarantine, A, { by: 'cli', why: 'again', at: 3 }).removed).toBe(false);
  expect(parseQuarantine(JSON.parse(JSON.stringify(added)))).toEqual(added);
  expect(parseQuarantine({ tests: [{ nope: 1 }], audit: 'x' })).toEqual(EMPTY_QUARANTINE);
});

it('does not put back a test that left (released, expired or removed) for the flakes that put it there, only for new ones', () => {
  const history = new Map([[A, flaky(2).map(x => ({ ...x, at: 10 }))]]);
  let q = afterRun(EMPTY_QUARANTINE, { at: 20, outcomes: new Map(), tests: 20 }, history, policy);
  q = removeTest(q, A, { by: 'cli', why: 'fixed', at: 30 }).quarantine;
  q = afterRun(q, { at: 40, outcomes: new Map(), tests: 20 }, history, policy);
  expect(q.tests).toEqual([]);
  const later = new Map([[A, [...history.get(A)!, ...flaky(2).map(x => ({ ...x, buildId: `n${x.buildId}`, commit: `n${x.commit}`, at: 50 }))]]]);
  expect(afterRun(q, { at: 60, outcomes: new Map(), tests: 20 }, later, policy).tests.map(t => t.test)).toEqual([A]);
});

it('audits a refusal for the cap once, not again at every run', () => {
  const history = new Map([[A, flaky(3)], [B, flaky(2)]]);
  let q = EMPTY_QUARANTINE;
  for (let run = 0; run < 5; run += 1) q = afterRun(q, { at: 100 + run, outcomes: new Map(), tests: 10 }, history, policy);
  expect(q.audit.map(a => [a.action, a.test])).toEqual([['add', A], ['refuse', B]]);
});
