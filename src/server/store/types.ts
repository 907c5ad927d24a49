/**
 * Where runs live: one contract, two stores. `LocalStore` keeps each run's
 * events in this process (and, with a data dir, in a journal per run);
 * `RedisStore` keeps them in Redis, shared by every server on it. A run is
 * its list of events (runEvents.ts); a server changes it only while it
 * holds the run's lock, so transitions on several servers never interleave.
 */
import type { KnownTest } from '../../protocol/parts';
import type { RunEvent } from '../run/runEvents';
import type { RunIdentity } from '../run/runState';
import type { ReportStorage } from './LocalReportStorage';
import type { RunMeta, RunSnapshot } from '../types';

export interface RunLock {
  /** Events in the run's log now: the caller brings its state up to this first. */
  readonly version: number;
  /** Proves the lock is still the caller's when it commits. */
  readonly token: string;
}

/** A run's log of events and its lock. */
export type RunLog = Pick<RunStore, 'open' | 'events' | 'lock' | 'commit'>;

export interface RunStore {
  /** This server's instance id, for its channels' attach events. */
  readonly instance: string;
  /** Whether a server instance is still up (its channels still count as connected). */
  isAlive(instance: string): boolean;
  /** Since when a dead instance is known to be gone. */
  deadSince(instance: string): number;

  /**
   * The run's events; a run that does not exist is created with its `open`
   * event, unless its key already has `maxRunsPerKey` unfinished runs
   * (across servers): then 'limit'.
   */
  open(runId: string, open: Extract<RunEvent, { t: 'open' }>, maxRunsPerKey: number): Promise<RunEvent[] | 'limit'>;
  /** The run's events from position `from` (0: all), or undefined if the run does not exist. */
  events(runId: string, from: number): Promise<RunEvent[] | undefined>;
  /** Waits for the run's lock; resolves with the log's length. */
  lock(runId: string): Promise<RunLock>;
  /** Appends `events` (possibly none) and releases the lock; false if the lock had been lost (the caller reloads). */
  commit(runId: string, lock: RunLock, events: readonly RunEvent[]): Promise<boolean>;
  /** Other servers may append to runs (Redis): the host checks now and then that it missed nothing. */
  readonly shared: boolean;
  /** The length of the run's log now (shared stores). */
  version?(runId: string): Promise<number>;
  /** Calls `listener` when another server appended to the run; returns the unsubscribe function. */
  watch(runId: string, listener: () => void): () => void;
  /** The run finished (it stops counting against the key's limit; its data expires after `ttlMs`). */
  finished(runId: string, identity: RunIdentity, snapshot: RunSnapshot, ttlMs: number): Promise<void>;
  /**
   * This server stops holding the run (finished past its time, or
   * abandoned). A local store drops it and its data; a shared one leaves it
   * to expire, since another server may still hold it.
   */
  release(runId: string, identity: RunIdentity): Promise<void>;
  /** The runs are in use here (a node is connected): a shared store keeps their data from expiring. */
  keepAlive?(runIds: readonly string[]): Promise<void>;
  /** Runs to bring back when the server starts (the data dir's journals; none for Redis, which loads on demand). */
  restore(): Promise<Array<{ runId: string; events: RunEvent[] }>>;

  /** The last durations of a file (seconds, oldest first), for the dashboard; stores without it leave the dashboard its own memory. */
  recentDurations?(identity: RunIdentity, id: string): number[];
  /** Expected seconds of these files, from the duration history of the run key. */
  durations(identity: RunIdentity, ids: readonly string[]): Promise<Map<string, number>>;
  /** The tests of these files at their last run, where kept (slow files; see keptTests): parts of a file are made from them. */
  knownTests(identity: RunIdentity, ids: readonly string[]): Promise<Map<string, KnownTest[]>>;
  /** Whole-run reports (issue 10). */
  readonly reports: ReportStorage;
  /** The secret that keys the hashes of the secret keys: the same for every server on the store, across restarts. */
  keySecret(): Promise<Buffer>;

  /** Journal records wait to be written (the Outbox holds frames until they are). */
  readonly hasPending: boolean;
  flush(): void;
  /** Called when records start waiting, so they are flushed even when no reply follows. */
  onPending(listener: () => void): void;
  /** Journal records written and syncs made. */
  readonly stats: { readonly records: number; readonly syncs: number };
  close(): Promise<void>;
}

/** The run's name in a store: key, run key and build id. */
export function runId({ keyHash, runKey, buildId }: RunIdentity): string {
  return JSON.stringify([keyHash, runKey, buildId]);
}

/** What a new run's `open` event says. */
export function openEvent(identity: RunIdentity, meta: RunMeta, at: number): Extract<RunEvent, { t: 'open' }> {
  return { t: 'open', keyHash: identity.keyHash, runKey: identity.runKey, buildId: identity.buildId, meta, at };
}

/**
 * Whether these events (a commit's, or a whole log) leave the run finished
 * or open again: the last of a `finish` and a retried job's new attempt of
 * the run (an `attempt` without seed) decides; undefined when neither is there.
 */
export function finishChange(events: readonly RunEvent[]): 'finished' | 'reopened' | undefined {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.t === 'finish') return 'finished';
    if (event.t === 'attempt' && event.seed === undefined && event.missing === undefined) return 'reopened';
  }
  return undefined;
}
