/**
 * The dashboard's side of every run: deltas published to the pages
 * watching as the run's events are applied, and the views the API answers
 * with. It folds nothing itself: counts, times and summaries are the run
 * state's answers (run/runState.ts), read when a page or tool asks, or when
 * a list row changes.
 */
import debug from 'debug';
import type { RunEvent as RunRecord } from '../run/runEvents';
import { runId } from '../run/runIdentity';
import type { HistoryStore } from '../store/types';
import { changesListItem, runDelta } from './deltas';
import { LiveHub } from './LiveHub';
import type { HeldRun, RunSource } from './runSource';
import { fileHistoryView, isAttemptOf, listItem, runView } from './runView';
import type { FileHistoryView, RunListItem, RunView, Scope } from './types';

const log = debug('jest-fast-ci:server:dashboard');

/** Runs the list shows at most, most recent first. */
export const MAX_LISTED_RUNS = 200;
/** Other attempts of a build a run's view lists at most. */
const MAX_ATTEMPTS = 20;

export interface LiveRunsSettings {
  readonly source: RunSource;
  /** Files' recent durations. */
  readonly history: HistoryStore;
  readonly now?: () => number;
}

export class LiveRuns {
  readonly hub = new LiveHub();
  readonly #source: RunSource;
  readonly #history: HistoryStore;
  readonly #now: () => number;
  readonly #unsubscribe: Array<() => void>;

  constructor(settings: LiveRunsSettings) {
    this.#source = settings.source;
    this.#history = settings.history;
    this.#now = settings.now ?? Date.now;
    this.#unsubscribe = [
      this.#source.onEvents((run, records) => {
        for (const record of records) this.onRecord(run, record);
      }),
      this.#source.onEvict(run => this.forget(run)),
    ];
  }

  /** A record was applied to a run: tell the pages watching. Never throws into the run. */
  onRecord(run: HeldRun, record: RunRecord): void {
    try {
      this.#publish(run, record);
    } catch (error) {
      log('ignored a failure following a record: %s', (error as Error).message);
    }
  }

  /** The run was evicted. */
  forget(run: HeldRun): void {
    this.hub.removed(runId(run.identity), { keyHash: run.identity.keyHash, item: listItem(run, run.keyIndex) });
  }

  /** The runs `scope` may see, most recent first. */
  list(scope: Scope): RunListItem[] {
    return this.#source
      .runs()
      .filter(held => isVisible(scope, held))
      .map((held, order) => ({ item: listItem(held, keyIndexFor(scope, held)), order }))
      .sort((a, b) => (b.item.startedAt ?? -1) - (a.item.startedAt ?? -1) || b.order - a.order)
      .slice(0, MAX_LISTED_RUNS)
      .map(({ item }) => item);
  }

  /** The run `scope` may see under this run key and build id; with the view token, `keyIndex` picks among keys. */
  find(scope: Scope, runKey: string, buildId: string, keyIndex?: number): HeldRun | undefined {
    if (scope.kind === 'key') return this.#source.find({ keyHash: scope.keyHash, runKey, buildId });
    return this.#source
      .runs()
      .find(held => held.identity.runKey === runKey && held.identity.buildId === buildId && (keyIndex === undefined || held.keyIndex === keyIndex));
  }

  view(held: HeldRun, scope: Scope): RunView {
    return runView({ run: held, keyIndex: keyIndexFor(scope, held), attempts: this.#attemptsOf(held, scope), now: this.#now() });
  }

  async fileHistory(held: HeldRun, id: string): Promise<FileHistoryView> {
    const record = await this.#history.recent(held.identity, id);
    const runTime = held.resultOf(id)?.run_time;
    return fileHistoryView(id, record, typeof runTime === 'number' ? runTime : null);
  }

  close(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.hub.close();
  }

  #publish(run: HeldRun, record: RunRecord): void {
    const id = runId(run.identity);
    // The time the record carries (when the run decided it), else now.
    const at = 'at' in record && typeof record.at === 'number' ? record.at : this.#now();
    if (this.hub.isWatched(id)) {
      const delta = record.t === 'finish' ? { t: 'finish' as const, at, summary: run.summary() } : runDelta(record, at, file => run.quarantineOf(file));
      if (delta !== undefined) this.hub.publish(id, delta);
    }
    if (changesListItem(record) && this.hub.isListWatched) this.hub.listChanged(id, { keyHash: run.identity.keyHash, item: listItem(run, run.keyIndex) });
  }

  #attemptsOf(held: HeldRun, scope: Scope): RunListItem[] {
    const { keyHash, runKey, buildId } = held.identity;
    const self = { buildId, commit: held.meta.commit };
    return this.#source
      .runs()
      .filter(other => other.identity.keyHash === keyHash && other.identity.runKey === runKey)
      .filter(other => isAttemptOf(self, { buildId: other.identity.buildId, commit: other.meta.commit }))
      .slice(-MAX_ATTEMPTS)
      .map(other => listItem(other, keyIndexFor(scope, other)));
  }
}

function isVisible(scope: Scope, held: HeldRun): boolean {
  return scope.kind === 'all' || held.identity.keyHash === scope.keyHash;
}

/** The key's position is shown to the view token only. */
function keyIndexFor(scope: Scope, held: HeldRun): number | undefined {
  return scope.kind === 'all' ? held.keyIndex : undefined;
}
