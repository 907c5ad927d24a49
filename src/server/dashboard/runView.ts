/**
 * One run as the API and the page show it: a snapshot of the run's books,
 * with the times the dashboard stamped on its records (pure).
 */
import type { RunSnapshot } from '../types';
import { resultView } from './resultView';
import type { RunTally } from './RunTally';
import type { NodeView, ResultView, RunListItem, RunView } from './types';

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

export interface RunViewParts {
  readonly snapshot: RunSnapshot;
  readonly tally: RunTally;
  /** Shown to the view token only. */
  readonly keyIndex?: number;
  readonly attempts: RunListItem[];
  readonly now: number;
}

export function runView({ snapshot, tally, keyIndex, attempts, now }: RunViewParts): RunView {
  const results: Record<string, ResultView> = {};
  let failed = 0;
  for (const [id, { entry, nodeIndex }] of Object.entries(snapshot.results)) {
    results[id] = resultView(entry, nodeIndex);
    if (entry.file_status === 'failed') failed += 1;
  }
  const nodes: NodeView[] = snapshot.nodes.map(node => ({
    index: node.index,
    connected: node.connected,
    left: node.left,
    lost: node.lost,
    waiting: node.waiting,
    workers: node.workers ?? null,
    filesReported: node.filesReported,
  }));
  return {
    ...tally.listItem(keyIndex),
    // The snapshot's books are the truth; the tally adds times.
    state: snapshot.state,
    total: Object.keys(snapshot.enqueued).length,
    done: Object.keys(results).length,
    failed,
    nodeCount: nodes.length,
    now,
    timed: tally.timed,
    nodes,
    results,
    leased: { ...snapshot.leased },
    queued: snapshot.queued.length,
    retries: { ...snapshot.retries },
    spans: tally.spans(),
    summary: snapshot.state === 'finished' ? snapshot.summary : null,
    warnings: snapshot.warnings.slice(-VIEW_WARNINGS),
    attempts,
  };
}
