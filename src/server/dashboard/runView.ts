/**
 * One run as the API and the page show it: its row in the list, and in
 * full, a snapshot of its books with its timeline (pure: what the run's
 * state answers, put into the API's shape).
 */
import { failuresOf, resultView } from './resultView';
import type { HeldRun } from './runSource';
import type { FileRecord } from '../store/history';
import type { FileHistoryView, NodeView, ResultView, RunListItem, RunView } from './types';

/** Warnings a view carries, most recent: the full list stays in the server's snapshot. */
const VIEW_WARNINGS = 50;

/** A GitHub re-run's build id is `<run id>-<attempt>`; the first attempt is the bare run id. */
function attemptBase(buildId: string): string {
  return buildId.replace(/-\d+$/, '');
}

/**
 * Whether two runs of one key and run key are attempts of the same build:
 * `<id>`, `<id>-2`, `<id>-3` … of one commit. The commit keeps builds that
 * merely end in a number (`build-7`, `build-8`) apart.
 */
export function isAttemptOf(a: { buildId: string; commit?: string }, b: { buildId: string; commit?: string }): boolean {
  if (a.buildId === b.buildId || attemptBase(a.buildId) !== attemptBase(b.buildId)) return false;
  return a.commit === b.commit;
}

/** The run's row in the list; keyIndex only for the view token. */
export function listItem(run: HeldRun, keyIndex?: number): RunListItem {
  const { runKey, buildId } = run.identity;
  const { phase, total, done, failed, nodeCount } = run.counts();
  return {
    runKey,
    buildId,
    ...(keyIndex === undefined ? {} : { keyIndex }),
    state: phase,
    meta: run.meta,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? null,
    total,
    done,
    failed,
    nodeCount,
  };
}

export interface RunViewParts {
  readonly run: HeldRun;
  /** Shown to the view token only. */
  readonly keyIndex?: number;
  readonly attempts: RunListItem[];
  readonly now: number;
}

export function runView({ run, keyIndex, attempts, now }: RunViewParts): RunView {
  const snapshot = run.snapshot();
  const results: Record<string, ResultView> = {};
  for (const [id, { entry, nodeIndex }] of Object.entries(snapshot.results)) results[id] = resultView(entry, nodeIndex, run.quarantineOf(id));
  const nodes: NodeView[] = snapshot.nodes.map(node => ({
    index: node.index,
    label: node.label,
    connected: node.connected,
    left: node.left,
    lost: node.lost,
    waiting: node.waiting,
    workers: node.workers ?? null,
    filesReported: node.filesReported,
  }));
  const { timed, spans } = run.timeline();
  return {
    ...listItem(run, keyIndex),
    now,
    quarantine: run.quarantine().map(([file, name]) => [file, name]),
    timed,
    nodes,
    results,
    leased: { ...snapshot.leased },
    queued: snapshot.queued.length,
    retries: { ...snapshot.retries },
    failedAttempts: Object.fromEntries(Object.entries(snapshot.failedAttempts).map(([id, attempts]) => [id, attempts.map(a => ({ node: a.node, failures: failuresOf(a.entry) }))])),
    spans,
    summary: snapshot.state === 'finished' ? snapshot.summary : null,
    warnings: snapshot.warnings.slice(-VIEW_WARNINGS),
    attempts,
  };
}

/** The run's page at the server's public address (the page's own route, runHref in assets/dom.js). */
export function runPageUrl(publicUrl: string, runKey: string, buildId: string, keyIndex: number): string {
  const key = keyIndex === 0 ? '' : `?key=${keyIndex}`;
  return `${publicUrl}/#/runs/${encodeURIComponent(runKey)}/${encodeURIComponent(buildId)}${key}`;
}

/** A file's history as the page shows it: its runs, since when it fails, since when it is flaky (pure). */
export function fileHistoryView(id: string, record: FileRecord, thisRun: number | null): FileHistoryView {
  const runs = record.outcomes.map(r => ({ status: r.outcome, buildId: r.buildId, at: r.at, commit: r.commit ?? null }));
  let streak: { buildId: string; at: number } | null = null;
  for (let i = runs.length - 1; i >= 0 && runs[i]!.status === 'failed'; i -= 1) streak = { buildId: runs[i]!.buildId, at: runs[i]!.at };
  const flaky = runs.find(r => r.status === 'flaky');
  return { id, durations: record.durations, thisRun, runs, failingSince: streak, flakySince: flaky === undefined ? null : { buildId: flaky.buildId, at: flaky.at } };
}
