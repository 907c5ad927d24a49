/**
 * The flaky tests of a key and run key as the API and the page show them
 * (pure): each test that failed and passed on one commit within the test
 * history's window, most flakes first, with its flake rate, first and last
 * flake, branches, and its recent outcomes (the page's sparkline).
 */
import { flakeStats, RECENT_SHOWN, splitTestKey, type TestOutcome } from '../store/testHistory';
import type { TestWindow } from '../store/types';
import { EMPTY_QUARANTINE, type Quarantine } from '../store/quarantine';
import type { FlakyTestView, FlakyView } from './types';

/** Tests a view lists: the flakiest. */
export const MAX_FLAKY_SHOWN = 500;

export function flakyView(runKey: string, tests: ReadonlyMap<string, readonly TestOutcome[]>, window: TestWindow, now: number, quarantine: Quarantine = EMPTY_QUARANTINE): FlakyView {
  const quarantined = new Map(quarantine.tests.map(t => [t.test, { by: t.by, reason: t.reason, at: t.at, expiresAt: t.expiresAt }]));
  const flaky: FlakyTestView[] = [];
  for (const [key, outcomes] of tests) {
    const stats = flakeStats(outcomes);
    if (stats.flakes === 0) continue;
    const { file, name } = splitTestKey(key);
    flaky.push({
      file,
      name,
      runs: stats.runs,
      failures: stats.failures,
      flakes: stats.flakes,
      rate: stats.runs === 0 ? 0 : stats.flakes / stats.runs,
      since: stats.since,
      last: stats.last,
      branches: stats.branches,
      quarantine: quarantined.get(key) ?? null,
      recent: outcomes.slice(-RECENT_SHOWN).map(o => ({ status: o.status, buildId: o.buildId, at: o.at, node: o.node, attempt: o.attempt, commit: o.commit })),
    });
  }
  flaky.sort((a, b) => b.flakes - a.flakes || (b.last?.at ?? 0) - (a.last?.at ?? 0) || a.file.localeCompare(b.file) || a.name.localeCompare(b.name));
  return { runKey, now, window: { runs: window.runs, days: window.days }, tests: flaky.slice(0, MAX_FLAKY_SHOWN), total: flaky.length };
}
