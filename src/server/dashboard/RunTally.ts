/**
 * What the dashboard keeps of one run between snapshots, kept up to date
 * from the run's records: the counts of the runs list, when it started and
 * finished, and each file's time on each node (the timeline), stamped as the
 * records arrive. No timers and no I/O (pure, apart from the clock values it
 * is handed).
 */
import type { RunSummary } from '../../protocol/types';
import type { RunIdentity } from '../run/runState';
import type { RunEvent as RunRecord } from '../run/runEvents';
import type { RunMeta, RunSnapshot } from '../types';
import type { RunListItem, RunState, SpanOutcome, SpanView } from './types';

export class RunTally {
  readonly identity: RunIdentity;
  readonly meta: RunMeta;
  /** Null for a run restored from a journal: the dashboard did not see it start. */
  readonly startedAt: number | null;
  #finishedAt: number | null = null;
  #state: RunState;
  #total: number;
  #done: number;
  #failed: number;
  #nodes: number;
  #summary: RunSummary | null = null;
  /** Lease and result times are known from the start of the run (and were not dropped). */
  #timed: boolean;
  #spans: SpanView[] = [];
  /** The span of each file in hand. */
  #open = new Map<string, SpanView>();

  private constructor(identity: RunIdentity, meta: RunMeta, startedAt: number | null, from?: RunSnapshot) {
    this.identity = identity;
    this.meta = meta;
    this.startedAt = startedAt;
    this.#timed = from === undefined;
    this.#state = from?.state ?? 'waiting';
    this.#total = from === undefined ? 0 : Object.keys(from.enqueued).length;
    const results = from === undefined ? [] : Object.values(from.results);
    this.#done = results.length;
    this.#failed = results.filter(r => r.entry.file_status === 'failed').length;
    this.#nodes = from?.nodes.length ?? 0;
    if (from?.state === 'finished') this.#summary = from.summary;
  }

  /** A run the dashboard sees from its first record. */
  static fresh(identity: RunIdentity, meta: RunMeta, at: number): RunTally {
    return new RunTally(identity, meta, at);
  }

  /** A run that was already there (restored from a journal): its counts from a snapshot, no times. */
  static fromSnapshot(identity: RunIdentity, snapshot: RunSnapshot): RunTally {
    return new RunTally(identity, snapshot.meta, null, snapshot);
  }

  get state(): RunState {
    return this.#state;
  }

  get finishedAt(): number | null {
    return this.#finishedAt;
  }

  get timed(): boolean {
    return this.#timed;
  }

  get summary(): RunSummary | null {
    return this.#summary;
  }

  set summary(summary: RunSummary | null) {
    this.#summary = summary;
  }

  /** Spans held (the dashboard bounds them across runs). */
  get spanCount(): number {
    return this.#spans.length;
  }

  /** Applies one record, seen at `at` (server ms). */
  apply(record: RunRecord, at: number): void {
    switch (record.t) {
      case 'join':
        this.#nodes = Math.max(this.#nodes, record.index + 1);
        return;
      case 'enq':
        if (this.#state === 'waiting') {
          this.#total = Object.keys(record.tests).length;
          this.#state = 'running';
        }
        return;
      case 'lease':
        for (const id of record.ids) {
          this.#close(id, 'released', at);
          const span: SpanView = { id, node: record.node, from: at, to: null, outcome: null };
          this.#spans.push(span);
          this.#open.set(id, span);
        }
        return;
      case 'result':
        this.#done += 1;
        if (record.entry.file_status === 'failed') this.#failed += 1;
        this.#close(record.id, record.entry.file_status, at);
        return;
      case 'crashed':
        this.#done += 1;
        this.#failed += 1;
        this.#close(record.id, 'failed', at);
        return;
      case 'retry':
        this.#close(record.id, 'retried', at);
        return;
      case 'requeue':
        for (const id of record.ids) this.#close(id, 'requeued', at);
        return;
      case 'attempt':
        this.#startAttempt(record);
        return;
      case 'finish':
        this.#state = 'finished';
        this.#finishedAt = record.at;
        // A finished run holds no leases.
        for (const id of [...this.#open.keys()]) this.#close(id, 'released', at);
        return;
      default:
        return;
    }
  }

  /**
   * A retried CI job began a new attempt: what ran again is not done yet.
   * (Counts only: the failed files' spans of the earlier attempt stay on the timeline.)
   */
  #startAttempt(record: Extract<RunRecord, { t: 'attempt' }>): void {
    if (record.missing !== undefined) return;
    if (record.seed !== undefined) {
      if (this.#state !== 'waiting') return;
      this.#total = Object.keys(record.seed.tests).length;
      this.#done = Object.keys(record.seed.kept).length;
      this.#failed = 0;
      this.#state = 'running';
      return;
    }
    if (this.#state !== 'finished') return;
    this.#done = record.mode === 'all' ? 0 : this.#done - this.#failed;
    this.#failed = 0;
    this.#state = 'running';
    this.#finishedAt = null;
    this.#summary = null;
  }

  /** Each file's time on each node, oldest first (copies). */
  spans(): SpanView[] {
    return this.#spans.map(span => ({ ...span }));
  }

  /** Forgets the spans (memory is short): the run's timeline falls back to order without times. Returns how many went. */
  dropSpans(): number {
    const dropped = this.#spans.length;
    this.#spans = [];
    this.#open.clear();
    this.#timed = false;
    return dropped;
  }

  /** The run's row in the list; keyIndex only for the view token. */
  listItem(keyIndex?: number): RunListItem {
    const { runKey, buildId } = this.identity;
    return {
      runKey,
      buildId,
      ...(keyIndex === undefined ? {} : { keyIndex }),
      state: this.#state,
      meta: this.meta,
      startedAt: this.startedAt,
      finishedAt: this.#finishedAt,
      total: this.#total,
      done: this.#done,
      failed: this.#failed,
      nodeCount: this.#nodes,
    };
  }

  #close(id: string, outcome: SpanOutcome, at: number): void {
    const span = this.#open.get(id);
    if (span === undefined) return;
    span.to = at;
    span.outcome = outcome;
    this.#open.delete(id);
  }
}
