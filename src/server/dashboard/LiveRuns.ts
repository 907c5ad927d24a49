/**
 * The dashboard's side of every run: a RunTally per run kept from the run's
 * records (stamped as they arrive), deltas published to the pages watching,
 * and the views the API answers with. A snapshot of a run's books is taken
 * when a page or tool asks for the run, and once when it finishes (only if
 * someone watches it, or durations must be remembered in memory), never per
 * record.
 */
import debug from 'debug';
import type { RunIdentity } from '../run/runState';
import { runId } from '../store/types';
import type { RunEvent as RunRecord } from '../run/runEvents';
import { changesListItem, runDelta } from './deltas';
import { LiveHub } from './LiveHub';
import { RecentDurations } from './RecentDurations';
import type { HeldRun, RunSource } from './runSource';
import { RunTally } from './RunTally';
import { isAttemptOf, runView } from './runView';
import type { FileHistoryView, RunListItem, RunView, Scope } from './types';

const log = debug('jest-fast-ci:server:dashboard');

/** Runs the list shows at most, most recent first. */
export const MAX_LISTED_RUNS = 200;
/** Other attempts of a build a run's view lists at most. */
const MAX_ATTEMPTS = 20;
/** Timeline spans kept across all runs; past it the oldest runs lose theirs (order without times). */
export const MAX_SPANS = 1_000_000;

export interface LiveRunsSettings {
  readonly source: RunSource;
  /** The data directory's duration history; without it, durations are remembered in memory. */
  readonly durations?: (identity: RunIdentity, id: string) => number[];
  readonly now?: () => number;
  readonly maxSpans?: number;
}

interface Tracked {
  readonly tally: RunTally;
  readonly keyIndex: number;
}

export class LiveRuns {
  readonly hub = new LiveHub();
  readonly #source: RunSource;
  readonly #durations: ((identity: RunIdentity, id: string) => number[]) | undefined;
  readonly #memory: RecentDurations | undefined;
  readonly #now: () => number;
  readonly #maxSpans: number;
  /** By runId, in the order the runs appeared. */
  #runs = new Map<string, Tracked>();
  #spans = 0;

  constructor(settings: LiveRunsSettings) {
    this.#source = settings.source;
    this.#durations = settings.durations;
    this.#memory = settings.durations === undefined ? new RecentDurations() : undefined;
    this.#now = settings.now ?? Date.now;
    this.#maxSpans = settings.maxSpans ?? MAX_SPANS;
    // Runs restored from a journal are there before any record: counted once from their books.
    for (const held of this.#source.runs()) this.#track(held);
  }

  /** A record was appended to a run: tally it, and tell the pages watching. Never throws into the run. */
  onRecord(identity: RunIdentity, record: RunRecord): void {
    try {
      this.#apply(identity, record);
    } catch (error) {
      log('ignored a failure following a record: %s', (error as Error).message);
    }
  }

  /** The run was evicted. */
  forget(identity: RunIdentity): void {
    const id = runId(identity);
    const tracked = this.#runs.get(id);
    if (tracked === undefined) return;
    this.#runs.delete(id);
    this.#spans -= tracked.tally.spanCount;
    this.hub.removed(id, { keyHash: identity.keyHash, item: tracked.tally.listItem(tracked.keyIndex) });
  }

  /** The runs `scope` may see, most recent first. */
  list(scope: Scope): RunListItem[] {
    const items = this.#source
      .runs()
      .filter(held => isVisible(scope, held))
      .map(held => this.#trackedOf(held).tally.listItem(keyIndexFor(scope, held)));
    // Restored runs (start unknown) last, in the registry's order.
    return items
      .map((item, order) => ({ item, order }))
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
    const snapshot = held.snapshot();
    return runView({
      snapshot,
      tally: this.#trackedOf(held).tally,
      keyIndex: keyIndexFor(scope, held),
      attempts: this.#attemptsOf(held, scope),
      now: this.#now(),
    });
  }

  fileHistory(held: HeldRun, id: string): FileHistoryView {
    const durations = this.#durations?.(held.identity, id) ?? this.#memory?.get(held.identity, id) ?? [];
    const runTime = held.resultOf(id)?.run_time;
    return { id, durations, thisRun: typeof runTime === 'number' ? runTime : null };
  }

  close(): void {
    this.hub.close();
  }

  #apply(identity: RunIdentity, record: RunRecord): void {
    const id = runId(identity);
    const at = this.#now();
    let tracked = this.#runs.get(id);
    if (tracked === undefined) {
      const held = this.#source.find(identity);
      tracked = { tally: RunTally.fresh(identity, held?.meta ?? {}, at), keyIndex: held?.keyIndex ?? -1 };
      this.#runs.set(id, tracked);
    }
    const { tally } = tracked;
    const spans = tally.spanCount;
    tally.apply(record, at);
    this.#spans += tally.spanCount - spans;
    if (this.#spans > this.#maxSpans) this.#shedSpans();

    if (record.t === 'finish') {
      // The run computes its summary after appending `finish`; read it once this call is over.
      queueMicrotask(() => this.#finished(identity, id, tracked, record.at));
    } else if (this.hub.isWatched(id)) {
      const delta = runDelta(record, at);
      if (delta !== undefined) this.hub.publish(id, delta);
    }
    if (changesListItem(record) && record.t !== 'finish') this.#listChanged(id, tracked);
  }

  #finished(identity: RunIdentity, id: string, tracked: Tracked, at: number): void {
    const watched = this.hub.isWatched(id);
    if (watched || this.#memory !== undefined) {
      const snapshot = this.#source.find(identity)?.snapshot();
      if (snapshot !== undefined) {
        tracked.tally.summary = snapshot.summary;
        this.#memory?.update(identity, snapshot.results);
      }
    }
    if (watched) this.hub.publish(id, { t: 'finish', at, summary: tracked.tally.summary });
    this.#listChanged(id, tracked);
  }

  #listChanged(id: string, { tally, keyIndex }: Tracked): void {
    if (this.hub.isListWatched) this.hub.listChanged(id, { keyHash: tally.identity.keyHash, item: tally.listItem(keyIndex) });
  }

  #track(held: HeldRun): Tracked {
    const tracked = { tally: RunTally.fromSnapshot(held.identity, held.snapshot()), keyIndex: held.keyIndex };
    this.#runs.set(runId(held.identity), tracked);
    return tracked;
  }

  #trackedOf(held: HeldRun): Tracked {
    return this.#runs.get(runId(held.identity)) ?? this.#track(held);
  }

  #attemptsOf(held: HeldRun, scope: Scope): RunListItem[] {
    const { keyHash, runKey, buildId } = held.identity;
    const self = { buildId, commit: held.meta.commit };
    return this.#source
      .runs()
      .filter(other => other.identity.keyHash === keyHash && other.identity.runKey === runKey)
      .filter(other => isAttemptOf(self, { buildId: other.identity.buildId, commit: other.meta.commit }))
      .slice(-MAX_ATTEMPTS)
      .map(other => this.#trackedOf(other).tally.listItem(keyIndexFor(scope, other)));
  }

  /** Frees timeline spans, oldest runs first (finished ones before running ones), down to 90 % of the budget. */
  #shedSpans(): void {
    const target = Math.floor(this.#maxSpans * 0.9);
    const order = [...this.#runs.values()].sort((a, b) => Number(b.tally.state === 'finished') - Number(a.tally.state === 'finished'));
    for (const { tally } of order) {
      if (this.#spans <= target) break;
      const dropped = tally.dropSpans();
      this.#spans -= dropped;
      if (dropped > 0) log('%s-%s: dropped %d timeline spans (over %d across runs)', tally.identity.runKey, tally.identity.buildId, dropped, this.#maxSpans);
    }
  }
}

function isVisible(scope: Scope, held: HeldRun): boolean {
  return scope.kind === 'all' || held.identity.keyHash === scope.keyHash;
}

/** The key's position is shown to the view token only. */
function keyIndexFor(scope: Scope, held: HeldRun): number | undefined {
  return scope.kind === 'all' ? held.keyIndex : undefined;
}
