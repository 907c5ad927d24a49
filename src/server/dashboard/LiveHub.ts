/**
 * Who watches what, and the fan-out of changes to them. Changes of one turn
 * of the event loop are gathered and sent together on the next: one JSON
 * serialization per run per turn, whatever the number of pages watching it,
 * and a burst of records costs one event per page, not one per record.
 */
import type { RunDelta, RunListItem, Scope } from './types';
import type { EventStream } from './EventStream';

/** Comment lines keep proxies and browsers from closing a quiet stream. */
const PING_MS = 20_000;

interface RunWatcher {
  readonly stream: EventStream;
  /** Deltas up to this sequence number are in the snapshot the watcher got. */
  readonly since: number;
}

interface ListWatcher {
  readonly stream: EventStream;
  readonly scope: Scope;
}

/** A list row and who may see it. */
export interface ListChange {
  readonly keyHash: string;
  /** The row as the view token sees it (with keyIndex). */
  readonly item: RunListItem;
}

export class LiveHub {
  #runs = new Map<string, Set<RunWatcher>>();
  #lists = new Set<ListWatcher>();
  /** Deltas of this turn, per run, each with its sequence number. */
  #pending = new Map<string, Array<{ seq: number; delta: RunDelta }>>();
  /** List rows changed this turn (the latest state of each), or removed. */
  #listPending = new Map<string, { change: ListChange; removed: boolean }>();
  #seq = 0;
  #scheduled = false;
  readonly #ping: NodeJS.Timeout;

  constructor() {
    this.#ping = setInterval(() => this.#pingAll(), PING_MS);
    this.#ping.unref();
  }

  get watchers(): number {
    let count = this.#lists.size;
    for (const watchers of this.#runs.values()) count += watchers.size;
    return count;
  }

  /** The sequence number of the last delta published; a snapshot taken now includes every delta up to it. */
  get seq(): number {
    return this.#seq;
  }

  isWatched(runId: string): boolean {
    return this.#runs.has(runId);
  }

  get isListWatched(): boolean {
    return this.#lists.size > 0;
  }

  /** Sends `runId`'s deltas after `since` to `stream` until it closes. */
  watchRun(runId: string, stream: EventStream, since: number): void {
    let watchers = this.#runs.get(runId);
    if (watchers === undefined) this.#runs.set(runId, (watchers = new Set()));
    const watcher = { stream, since };
    watchers.add(watcher);
    stream.onClose(() => {
      watchers.delete(watcher);
      if (watchers.size === 0 && this.#runs.get(runId) === watchers) this.#runs.delete(runId);
    });
  }

  watchList(scope: Scope, stream: EventStream): void {
    const watcher = { stream, scope };
    this.#lists.add(watcher);
    stream.onClose(() => this.#lists.delete(watcher));
  }

  publish(runId: string, delta: RunDelta): void {
    this.#seq += 1;
    if (!this.#runs.has(runId)) return;
    let pending = this.#pending.get(runId);
    if (pending === undefined) this.#pending.set(runId, (pending = []));
    pending.push({ seq: this.#seq, delta });
    this.#schedule();
  }

  /** A run's row changed (or appeared); only its latest state of this turn is sent. */
  listChanged(runId: string, change: ListChange): void {
    if (this.#lists.size === 0) return;
    this.#listPending.set(runId, { change, removed: false });
    this.#schedule();
  }

  /** The run is gone (evicted): its pages are told, its list rows removed. */
  removed(runId: string, change: ListChange): void {
    for (const { stream } of this.#runs.get(runId) ?? []) {
      stream.send('gone', '{}');
      stream.close();
    }
    this.#runs.delete(runId);
    this.#pending.delete(runId);
    if (this.#lists.size === 0) return;
    this.#listPending.set(runId, { change, removed: true });
    this.#schedule();
  }

  close(): void {
    clearInterval(this.#ping);
    for (const watchers of this.#runs.values()) for (const { stream } of watchers) stream.close();
    for (const { stream } of this.#lists) stream.close();
    this.#runs.clear();
    this.#lists.clear();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flushRuns();
      this.#flushList();
    });
  }

  #flushRuns(): void {
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [runId, deltas] of pending) {
      const watchers = this.#runs.get(runId);
      if (watchers === undefined) continue;
      const all = JSON.stringify(deltas.map(d => d.delta));
      for (const { stream, since } of watchers) {
        // A watcher whose snapshot already holds some of these deltas gets only the rest.
        const data = since < deltas[0]!.seq ? all : JSON.stringify(deltas.filter(d => d.seq > since).map(d => d.delta));
        if (data !== '[]') stream.send('deltas', data);
      }
    }
  }

  #flushList(): void {
    const pending = [...this.#listPending.values()];
    this.#listPending = new Map();
    if (pending.length === 0) return;
    for (const { stream, scope } of this.#lists) {
      const rows: RunListItem[] = [];
      const gone: RunListItem[] = [];
      for (const { change, removed } of pending) {
        if (scope.kind === 'key' && change.keyHash !== scope.keyHash) continue;
        const item = scope.kind === 'all' ? change.item : withoutKeyIndex(change.item);
        (removed ? gone : rows).push(item);
      }
      if (rows.length > 0) stream.send('runs', JSON.stringify(rows));
      if (gone.length > 0) stream.send('removed', JSON.stringify(gone.map(({ runKey, buildId, keyIndex }) => ({ runKey, buildId, keyIndex }))));
    }
  }

  #pingAll(): void {
    for (const watchers of this.#runs.values()) for (const { stream } of watchers) stream.ping();
    for (const { stream } of this.#lists) stream.ping();
  }
}

/** A list row for a key-scoped viewer: no key position. */
export function withoutKeyIndex(item: RunListItem): RunListItem {
  const { keyIndex: _keyIndex, ...rest } = item;
  return rest;
}
