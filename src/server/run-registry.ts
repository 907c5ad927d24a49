/**
 * All runs the server holds, keyed by (key hash, run key, build id) so two
 * keys never share a run. Enforces the per-key run limit, evicts finished
 * and abandoned runs, and resolves waitForRun promises.
 */
import debug from 'debug';
import type { RunMeta, RunSnapshot } from './types';
import type { KeyRing } from './key-ring';
import { Run, type RunIdentity, type RunSettings } from './run';
import type { RunJournal, RunRecord } from './run-records';

const log = debug('jest-fast-ci:server:run');

/** Where runs persist (the data directory); absent, everything stays in memory. */
export interface RunStore {
  /** Journal records wait to be written (see Outbox). */
  readonly hasPending: boolean;
  /** Writes and syncs waiting records; throws on an I/O error. */
  flush(): void;
  /** Called when records start waiting, so they are flushed even when no reply follows (a timer's record). */
  onPending(listener: () => void): void;
  /** The secret that keys the hashes of the secret keys (stable across restarts). */
  keySecret(): Buffer;
  /** Journal records written and syncs made so far. */
  readonly stats: { readonly records: number; readonly syncs: number };
  journal(identity: RunIdentity, meta: RunMeta): RunJournal;
  history(identity: RunIdentity): (id: string) => number | undefined;
  /** The last durations of a file (seconds, oldest first), for the dashboard. */
  recentDurations?(identity: RunIdentity, id: string): number[];
  /** A run finished: remember its durations. */
  finished(run: RunSnapshot, identity: RunIdentity): void;
  /** A run was evicted: drop its journal. */
  forget(identity: RunIdentity): void;
  /** Journals of earlier runs, for a restarted server. */
  restore(): Array<{ identity: RunIdentity; meta: RunMeta; records: RunRecord[] }>;
  close(): void;
}

export interface RegistrySettings {
  readonly maxRunsPerKey: number;
  readonly finishedRunTtlMs: number;
  readonly maxFinishedRuns: number;
  readonly run: Pick<RunSettings, 'leaseTimeoutMs' | 'reconnectGraceMs' | 'maxFilesPerRun' | 'maxNodesPerRun' | 'maxCrashesPerFile' | 'recordFrames'>;
  readonly store?: RunStore;
  /** Called when a run is evicted (its whole-run reports go with it). */
  readonly onEvict?: (identity: RunIdentity) => void;
  /** Every record of every run, as it is appended (see RunSettings.onRecord). */
  readonly onRecord?: (identity: RunIdentity, record: RunRecord) => void;
}

interface Waiter {
  buildId: string;
  runKey: string;
  resolve(snapshot: RunSnapshot): void;
  reject(error: Error): void;
}

export type OpenResult = { ok: true; run: Run } | { ok: false; reason: string };

/** The run's name among all runs: key, run key and build id. */
export function runId({ keyHash, runKey, buildId }: RunIdentity): string {
  return JSON.stringify([keyHash, runKey, buildId]);
}

export class RunRegistry {
  #settings: RegistrySettings;
  #keys: KeyRing;
  #runs = new Map<string, Run>();
  #waiters: Waiter[] = [];
  #sweeper: NodeJS.Timeout;

  constructor(settings: RegistrySettings, keys: KeyRing) {
    this.#settings = settings;
    this.#keys = keys;
    this.#sweeper = setInterval(() => this.sweep(Date.now()), Math.min(settings.finishedRunTtlMs, 60_000));
    this.#sweeper.unref();
    for (const saved of settings.store?.restore() ?? []) {
      const run = this.#create(saved.identity, saved.meta);
      run.restore(saved.records);
      log('%s: restored (%s)', run.label, run.isFinished ? 'finished' : 'unfinished');
    }
  }

  /** The run for this identity, created when it does not exist and the key may open another. */
  open(identity: RunIdentity, meta: RunMeta): OpenResult {
    const existing = this.#runs.get(runId(identity));
    if (existing !== undefined) return { ok: true, run: existing };
    const active = [...this.#runs.values()].filter(r => r.identity.keyHash === identity.keyHash && !r.isFinished).length;
    if (active >= this.#settings.maxRunsPerKey) {
      return { ok: false, reason: `too many unfinished runs for this key (limit ${this.#settings.maxRunsPerKey})` };
    }
    return { ok: true, run: this.#create(identity, meta) };
  }

  get size(): number {
    return this.#runs.size;
  }

  /** The names (runId) of every run held. */
  ids(): string[] {
    return [...this.#runs.keys()];
  }

  find(identity: RunIdentity): Run | undefined {
    return this.#runs.get(runId(identity));
  }

  snapshots(): RunSnapshot[] {
    return [...this.#runs.values()].map(run => this.#snapshot(run));
  }

  /** The first-created run with this build id, whichever key owns it. */
  snapshotOf(buildId: string, runKey: string): RunSnapshot | undefined {
    const run = this.#byBuild(buildId, runKey);
    return run === undefined ? undefined : this.#snapshot(run);
  }

  waitFor(buildId: string, runKey: string): Promise<RunSnapshot> {
    const done = [...this.#runs.values()].find(r => r.isFinished && r.identity.buildId === buildId && r.identity.runKey === runKey);
    if (done !== undefined) return Promise.resolve(this.#snapshot(done));
    return new Promise((resolve, reject) => this.#waiters.push({ buildId, runKey, resolve, reject }));
  }

  /** Drops finished runs past their time (and the oldest beyond the cap), and unfinished runs nobody came back to. */
  sweep(now: number): void {
    const ttl = this.#settings.finishedRunTtlMs;
    const finished: Array<[string, Run]> = [];
    for (const [id, run] of this.#runs) {
      if (run.isFinished) {
        if (now - run.finishedAt! > ttl) this.#evict(id, run, 'expired');
        else finished.push([id, run]);
      } else if (run.idleSince !== undefined && now - run.idleSince > ttl) {
        this.#evict(id, run, 'abandoned');
      }
    }
    const excess = finished.length - this.#settings.maxFinishedRuns;
    if (excess > 0) {
      finished.sort((a, b) => a[1].finishedAt! - b[1].finishedAt!);
      for (const [id, run] of finished.slice(0, excess)) this.#evict(id, run, 'over the cap');
    }
  }

  close(): void {
    clearInterval(this.#sweeper);
    for (const run of this.#runs.values()) run.dispose();
    this.#settings.store?.close();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(new Error(`the server closed before run ${w.runKey}-${w.buildId} finished`));
  }

  #create(identity: RunIdentity, meta: RunMeta): Run {
    const store = this.#settings.store;
    const run = new Run(identity, meta, {
      ...this.#settings.run,
      history: store?.history(identity),
      journal: store?.journal(identity, meta),
      onRecord: this.#settings.onRecord === undefined ? undefined : record => this.#settings.onRecord?.(identity, record),
      onFinish: finished => this.#onFinish(finished),
    });
    this.#runs.set(runId(identity), run);
    log('%s: opened', run.label);
    return run;
  }

  #onFinish(run: Run): void {
    const snapshot = this.#snapshot(run);
    this.#settings.store?.finished(snapshot, run.identity);
    const { buildId, runKey } = run.identity;
    this.#waiters = this.#waiters.filter(w => {
      if (w.buildId !== buildId || w.runKey !== runKey) return true;
      w.resolve(snapshot);
      return false;
    });
    this.sweep(Date.now());
  }

  #evict(id: string, run: Run, why: string): void {
    run.dispose();
    this.#runs.delete(id);
    this.#settings.store?.forget(run.identity);
    log('%s: evicted (%s)', run.label, why);
    this.#settings.onEvict?.(run.identity);
  }

  #byBuild(buildId: string, runKey: string): Run | undefined {
    for (const run of this.#runs.values()) if (run.identity.buildId === buildId && run.identity.runKey === runKey) return run;
    return undefined;
  }

  #snapshot(run: Run): RunSnapshot {
    return run.snapshot(this.#keys.indexOfHash(run.identity.keyHash));
  }
}
