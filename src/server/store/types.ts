/**
 * What the server keeps, one interface per job, each with a local
 * implementation (memory, or the data dir) and a Redis one that does the
 * whole job (shared by every server on it):
 * - RunLog: each run's events and its lock (LocalRunLog, RedisRunLog);
 * - Liveness: which server instances are up (LocalLiveness, RedisLiveness);
 * - HistoryStore: files' durations and slow files' tests across runs
 *   (LocalHistory, RedisHistory; one algorithm, history.ts);
 * - ReportStorage: whole-run report records (LocalReportStorage,
 *   RedisReportStorage);
 * - the key secret.
 * A run is its list of events (run/runEvents.ts); a server changes it only
 * while it holds the run's lock, so transitions on several servers never
 * interleave.
 */
import type { ReportHeader } from '../../protocol/reports';
import type { KnownTest } from '../../protocol/types';
import type { RunEvent } from '../run/runEvents';
import type { RunIdentity } from '../run/runIdentity';
import type { RecordedResult } from '../run/runState';
import type { FileRecord, FinishedRun } from './history';
import type { TestOutcome } from './testHistory';
import type { Quarantine } from './quarantine';

export interface RunLock {
  /** Events in the run's log now: the caller brings its state up to this first. */
  readonly version: number;
  /** Proves the lock is still the caller's when it commits. */
  readonly token: string;
}

/** Records written and syncs (or atomic commits) made. */
export interface LogStats {
  readonly records: number;
  readonly syncs: number;
}

/** What every run log does. */
interface RunLogBase {
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
  readonly stats: LogStats;
}

/**
 * Runs kept by this process alone: the lock is this process's queue, and
 * nobody else appends. With a data dir, a journal per run, written with one
 * sync per turn of the event loop (group commit: the outbox holds replies
 * until their records are synced).
 */
export interface LocalRunLog extends RunLogBase {
  readonly shared: false;
  /** Runs to bring back when the server starts (the data dir's journals). */
  restore(): Promise<Array<{ runId: string; events: RunEvent[] }>>;
  /** This server stops holding the run (finished past its time, or abandoned): its events and journal go. */
  release(runId: string, identity: RunIdentity): Promise<void>;
  /** Journal records wait to be written. */
  readonly hasPending: boolean;
  /** Writes and syncs what waits; throws the first I/O error (what failed stays pending). */
  flush(): void;
  /** Called when records start waiting, so they are flushed even when no reply follows. */
  onPending(listener: () => void): void;
}

/** Runs shared by every server on the store: others append too, and runs expire rather than being dropped. */
export interface SharedRunLog extends RunLogBase {
  readonly shared: true;
  /** The length of the run's log now (a poll, in case a notice of another server's commit was lost). */
  version(runId: string): Promise<number>;
  /** Calls `listener` when another server appended to the run; returns the unsubscribe function. */
  watch(runId: string, listener: () => void): () => void;
  /** The runs are in use here (a node is connected): their data does not expire. */
  keepAlive(runIds: readonly string[]): Promise<void>;
}

export type RunLog = LocalRunLog | SharedRunLog;

/** Which server instances are up: a node's channel counts as connected while its server is. */
export interface Liveness {
  /** This server's instance id, for its channels' attach events. */
  readonly instance: string;
  isAlive(instance: string): boolean;
  /** Since when a dead instance is known to be gone (its channels' grace starts then). */
  deadSince(instance: string): number;
}

/** Files' durations and slow files' tests, per key and run key, across runs. */
export interface HistoryStore {
  /** Expected seconds of these files, from their last runs. */
  durations(identity: RunIdentity, ids: readonly string[]): Promise<Map<string, number>>;
  /** The tests of these files at their last run, where kept (slow files; see keptTests): parts of a file are made from them. */
  knownTests(identity: RunIdentity, ids: readonly string[]): Promise<Map<string, KnownTest[]>>;
  /** The file's last durations and its last runs' outcomes, oldest first (empty when none). */
  recent(identity: RunIdentity, id: string): Promise<FileRecord>;
  /** How many nodes the last run had (undefined before any run was recorded). */
  nodes(identity: RunIdentity): Promise<number | undefined>;
  /** Learns a finished run's results (durations as normalised by the run: runState.historyResults), how many nodes it had, and (`run`) each file's outcome in it. */
  record(identity: RunIdentity, results: ReadonlyMap<string, Pick<RecordedResult, 'entry'>>, nodes?: number, run?: FinishedRun): Promise<void>;
}

/** How much of each test's past a test history keeps: its last `runs` outcomes, none older than `days`. */
export interface TestWindow {
  readonly runs: number;
  readonly days: number;
}

/** Each test's outcomes across runs, per key and run key: which tests are flaky, and how. */
export interface TestHistoryStore {
  /** Lays a finished run's test outcomes (testHistory.testOutcomesOf, keyed by testKey) over the history. */
  record(identity: RunIdentity, outcomes: ReadonlyArray<readonly [string, TestOutcome]>, now: number): Promise<void>;
  /** Every test that failed within the window, with its outcomes there, oldest first, by testKey: only such a test can be flaky. */
  withFailures(identity: RunIdentity, now: number): Promise<Map<string, TestOutcome[]>>;
}

/** The tests of a key and run key whose failures do not fail a build, and the audit of changes (quarantine.ts). */
export interface QuarantineStore {
  get(identity: RunIdentity): Promise<Quarantine>;
  /** Applies `change` to the quarantine and keeps the result. */
  update(identity: RunIdentity, change: (q: Quarantine) => Quarantine): Promise<Quarantine>;
}

/** Whole-run reports as bytes the server never parses. */
export interface ReportStorage {
  /** Why this record cannot be kept (a limit), or undefined once it is. */
  add(runId: string, header: ReportHeader, body: Buffer): Promise<string | undefined>;
  /** The outcome `node` reported for `id`, with its header. */
  get(runId: string, id: string, node: number): Promise<{ header: ReportHeader; body: Buffer } | undefined>;
  /** Calls `listener` on every record added to the run; returns the unsubscribe function. */
  onAdded(runId: string, listener: () => void): () => void;
  /** The run was evicted here: its reports go too (a shared store lets them expire). */
  forget(runId: string): Promise<void>;
}

/** Everything the server keeps, from one place (the data dir, or one Redis). */
export interface Stores {
  readonly runs: RunLog;
  readonly liveness: Liveness;
  readonly history: HistoryStore;
  readonly tests: TestHistoryStore;
  readonly quarantine: QuarantineStore;
  readonly reports: ReportStorage;
  /** The secret that keys the hashes of the secret keys: the same for every server on the store, across restarts. */
  keySecret(): Promise<Buffer>;
  close(): Promise<void>;
}
