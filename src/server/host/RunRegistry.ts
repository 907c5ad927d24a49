/**
 * The runs this server holds, as RunHosts keyed by (key hash, run key,
 * build id) so two keys never share a run. Opens runs in the store (within
 * the per-key limit), loads runs other servers opened, sweeps (time passing
 * for every run, from one timer), evicts finished and abandoned runs, and
 * resolves waitForRun promises.
 */
import debug from 'debug';
import type { KeyRing } from './KeyRing';
import { RunHost, type HostHooks, type HostSettings } from './RunHost';
import type { EarlierAttempt } from '../run/runMachine';
import type { RunEvent } from '../run/runEvents';
import { openEvent, runId, type RunIdentity } from '../run/runIdentity';
import { entriesRan, historyResults, nodesOfAttempt, summaryOf } from '../run/runState';
import { testOutcomesOf, type TestOutcome } from '../store/testHistory';
import { activeTests, afterRun, type QuarantinePolicy } from '../store/quarantine';
import type { Stores } from '../store/types';
import type { RunMeta, RunSnapshot } from '../types';

const log = debug('jest-fast-ci:server:run');

export interface RegistrySettings {
  readonly maxRunsPerKey: number;
  readonly finishedRunTtlMs: number;
  readonly maxFinishedRuns: number;
  readonly run: HostSettings;
  /** Where an operator is told what the store could not do. */
  readonly warn: (message: string) => void;
  /** When tests enter and leave quarantine by themselves. */
  readonly quarantine: QuarantinePolicy;
}

interface Waiter {
  buildId: string;
  runKey: string;
  resolve(snapshot: RunSnapshot): void;
  reject(error: Error): void;
}

export type OpenResult = { ok: true; host: RunHost } | { ok: false; reason: string };

/** How often the runs are swept: often enough that a lease or a grace ends close to its time, at most once a second. */
export function sweepIntervalMs(settings: Pick<HostSettings, 'leaseTimeoutMs' | 'reconnectGraceMs'>): number {
  return Math.min(1_000, Math.max(10, Math.floor(Math.min(settings.leaseTimeoutMs, settings.reconnectGraceMs) / 4)));
}

export class RunRegistry {
  readonly #settings: RegistrySettings;
  readonly #keys: KeyRing;
  readonly #stores: Stores;
  readonly #hosts = new Map<string, RunHost>();
  /** Runs being opened or loaded, so two joins at once make one host. */
  readonly #loading = new Map<string, Promise<RunHost | undefined>>();
  #waiters: Waiter[] = [];
  readonly #eventListeners = new Set<(host: RunHost, events: readonly RunEvent[]) => void>();
  readonly #evictListeners = new Set<(host: RunHost) => void>();
  readonly #timers: NodeJS.Timeout[];
  #lastEviction = 0;

  /** Most files a run may have (and a join's `warm` list may name). */
  get maxFilesPerRun(): number {
    return this.#settings.run.maxFilesPerRun;
  }

  constructor(settings: RegistrySettings, keys: KeyRing, stores: Stores) {
    this.#settings = settings;
    this.#keys = keys;
    this.#stores = stores;
    const sweeper = setInterval(() => this.#sweepRuns(), sweepIntervalMs(settings.run));
    sweeper.unref();
    this.#timers = [sweeper];
  }

  /** Brings back the runs the store kept (a restarted server's journals). */
  async restore(): Promise<void> {
    const { runs } = this.#stores;
    // A shared store loads runs when a node asks for them.
    if (runs.shared) return;
    for (const { runId: id, events } of await runs.restore()) {
      try {
        const host = this.#host(id, events);
        log('%s: restored (%s)', host.label, host.isFinished ? 'finished' : 'unfinished');
      } catch (error) {
        log('could not restore a run: %s', (error as Error).message);
      }
    }
  }

  /** The run for this identity: held here, in the store (opened by another server), or new if the key may open another. */
  open(identity: RunIdentity, meta: RunMeta): Promise<OpenResult> {
    const id = runId(identity);
    const held = this.#hosts.get(id);
    if (held !== undefined) return Promise.resolve({ ok: true, host: held });
    return this.#once(`open ${id}`, async () => {
      // The run keeps the quarantine it opened with: every node of it is told the same, and its summary counts by it.
      const quarantine = await this.quarantined(identity).catch((error: Error) => {
        this.#settings.warn(`could not read the quarantine of run key ${JSON.stringify(identity.runKey)}, so this run has none: ${error.message}`);
        return [];
      });
      const events = await this.#stores.runs.open(id, openEvent(identity, meta, Date.now(), quarantine), this.#settings.maxRunsPerKey);
      if (events === 'limit') return undefined;
      const host = this.#host(id, events);
      log('%s: %s', host.label, events.length === 1 ? 'opened' : 'loaded');
      return host;
    }).then(host => (host === undefined ? { ok: false, reason: `too many unfinished runs for this key (limit ${this.#settings.maxRunsPerKey})` } : { ok: true, host }));
  }

  /** The run, if this server holds it or the store has it (opened by another server). */
  find(identity: RunIdentity): Promise<RunHost | undefined> {
    const id = runId(identity);
    const held = this.#hosts.get(id);
    if (held !== undefined) return Promise.resolve(held);
    return this.#once(`find ${id}`, async () => {
      const events = await this.#stores.runs.events(id, 0);
      return events === undefined ? undefined : this.#host(id, events);
    });
  }

  /**
   * The newest of these earlier attempts of a build (same key and run key)
   * that this server or its store still knows, as a retry run takes it
   * over; or why none can be (evicted, or a server without a data dir that
   * restarted: the retry then runs every file).
   */
  async earlierAttempt(identity: RunIdentity, buildIds: readonly string[]): Promise<EarlierAttempt> {
    for (const buildId of buildIds) {
      const host = await this.find({ ...identity, buildId });
      if (host === undefined) continue;
      const seed = host.attemptSeed();
      return seed ?? { of: buildId, missing: `build ${buildId} never enqueued its files` };
    }
    const of = buildIds[0] ?? identity.buildId;
    const others = buildIds.length > 1 ? ` or any of its ${buildIds.length - 1} earlier attempts` : '';
    return {
      of,
      missing:
        `the orchestrator no longer knows build ${of}${others} (finished runs are kept for finishedRunTtlMs, 1 h by default, ` +
        'and a server without a data dir forgets them when it restarts)',
    };
  }

  /** Calls `listener` with every event applied to a run here, in order (the dashboard's live feed); returns the unsubscribe function. */
  onEvents(listener: (host: RunHost, events: readonly RunEvent[]) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** Calls `listener` when a run is evicted here (its state can still be read); returns the unsubscribe function. */
  onEvict(listener: (host: RunHost) => void): () => void {
    this.#evictListeners.add(listener);
    return () => this.#evictListeners.delete(listener);
  }

  /** The run, if this server holds it now. */
  held(identity: RunIdentity): RunHost | undefined {
    return this.#hosts.get(runId(identity));
  }

  get size(): number {
    return this.#hosts.size;
  }

  /** Every run held here, oldest first. */
  hosts(): RunHost[] {
    return [...this.#hosts.values()];
  }

  snapshots(): RunSnapshot[] {
    return [...this.#hosts.values()].map(host => this.#snapshot(host));
  }

  /** The first-created run with this build id held here, whichever key owns it. */
  snapshotOf(buildId: string, runKey: string): RunSnapshot | undefined {
    for (const host of this.#hosts.values()) if (host.identity.buildId === buildId && host.identity.runKey === runKey) return this.#snapshot(host);
    return undefined;
  }

  waitFor(buildId: string, runKey: string): Promise<RunSnapshot> {
    const done = [...this.#hosts.values()].find(h => h.isFinished && h.identity.buildId === buildId && h.identity.runKey === runKey);
    if (done !== undefined) return Promise.resolve(this.#snapshot(done));
    return new Promise((resolve, reject) => this.#waiters.push({ buildId, runKey, resolve, reject }));
  }

  /** Drops finished runs past their time (and the oldest beyond the cap), and unfinished runs nobody came back to. */
  evict(now: number): void {
    this.#lastEviction = now;
    const ttl = this.#settings.finishedRunTtlMs;
    const finished: RunHost[] = [];
    for (const host of this.#hosts.values()) {
      const finishedAt = host.state.finishedAt;
      if (finishedAt !== undefined) {
        if (now - finishedAt > ttl) this.#evict(host, 'expired');
        else finished.push(host);
        continue;
      }
      const idleSince = host.idleSince;
      if (idleSince !== undefined && now - idleSince > ttl) this.#evict(host, 'abandoned');
    }
    const excess = finished.length - this.#settings.maxFinishedRuns;
    if (excess > 0) {
      finished.sort((a, b) => a.state.finishedAt! - b.state.finishedAt!);
      for (const host of finished.slice(0, excess)) this.#evict(host, 'over the cap');
    }
  }

  close(): void {
    for (const timer of this.#timers) clearInterval(timer);
    for (const host of this.#hosts.values()) host.dispose();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(new Error(`the server closed before run ${w.runKey}-${w.buildId} finished`));
  }

  /** Time passes for every run (lost nodes, expired leases); now and then, eviction. */
  #sweepRuns(): void {
    for (const host of this.#hosts.values()) host.sweep();
    const now = Date.now();
    if (now - this.#lastEviction >= Math.min(this.#settings.finishedRunTtlMs, 60_000)) {
      this.evict(now);
      const inUse = [...this.#hosts.values()].filter(host => host.idleSince === undefined).map(host => host.runId);
      const { runs } = this.#stores;
      if (runs.shared && inUse.length > 0) void runs.keepAlive(inUse).catch((error: Error) => log('keepAlive failed: %s', error.message));
    }
  }

  /** One load at a time per run and kind (`open …`, `find …`): concurrent callers share it. */
  #once(key: string, load: () => Promise<RunHost | undefined>): Promise<RunHost | undefined> {
    let pending = this.#loading.get(key);
    if (pending === undefined) {
      pending = load().finally(() => this.#loading.delete(key));
      this.#loading.set(key, pending);
    }
    return pending;
  }

  #host(id: string, events: readonly RunEvent[]): RunHost {
    const held = this.#hosts.get(id);
    if (held !== undefined) return held;
    const hooks: HostHooks = {
      onFinish: (host, committedHere) => this.#onFinish(host, committedHere),
      onEvents: (host, events) => {
        for (const listener of this.#eventListeners) listener(host, events);
      },
    };
    const host = new RunHost(id, events, this.#stores, this.#settings.run, hooks);
    this.#hosts.set(id, host);
    return host;
  }

  /** The run key's quarantined tests now, as a run opening takes them: [file id, full name]. */
  async quarantined(identity: RunIdentity): Promise<Array<[string, string]>> {
    return activeTests(await this.#stores.quarantine.get(identity), Date.now());
  }

  /** The test history learns a finished run's outcomes; then its quarantine changes (expiry, clean runs, automatic entries). */
  async #learnTests(host: RunHost, outcomes: ReadonlyArray<readonly [string, TestOutcome]>, at: number): Promise<void> {
    const { tests, quarantine } = this.#stores;
    await tests.record(host.identity, outcomes, at);
    const policy = this.#settings.quarantine;
    if (policy.autoAfter === undefined && (await quarantine.get(host.identity)).tests.length === 0) return;
    const byTest = new Map<string, TestOutcome[]>();
    for (const [test, outcome] of outcomes) byTest.set(test, [...(byTest.get(test) ?? []), outcome]);
    const history = policy.autoAfter === undefined ? new Map<string, TestOutcome[]>() : await tests.withFailures(host.identity, at);
    await quarantine.update(host.identity, q => afterRun(q, { at, outcomes: byTest, tests: byTest.size }, history, policy));
  }

  #onFinish(host: RunHost, committedHere: boolean): void {
    const snapshot = this.#snapshot(host);
    // Once per run, by the server that finished it: the history learns its durations (those of this attempt: a result kept from an earlier one was learnt then).
    if (committedHere) {
      const { state } = host;
      const run = { buildId: host.identity.buildId, at: state.finishedAt ?? Date.now(), commit: state.meta.commit, flaky: summaryOf(state).flaky };
      void this.#stores.history
        .record(host.identity, historyResults(state), nodesOfAttempt(state), run)
        .catch((error: Error) => this.#settings.warn(`could not save the duration history of ${host.label}: ${error.message}`));
      // Each test's outcomes, its failed attempts before a retry included: a test that failed and passed on one commit is flaky.
      const outcomes = testOutcomesOf(entriesRan(state), { ...run, branch: state.meta.branch });
      void this.#learnTests(host, outcomes, run.at).catch((error: Error) => this.#settings.warn(`could not save the test history or quarantine of ${host.label}: ${error.message}`));
    }
    const { buildId, runKey } = host.identity;
    this.#waiters = this.#waiters.filter(w => {
      if (w.buildId !== buildId || w.runKey !== runKey) return true;
      w.resolve(snapshot);
      return false;
    });
    this.evict(Date.now());
  }

  #evict(host: RunHost, why: string): void {
    host.dispose();
    this.#hosts.delete(host.runId);
    log('%s: evicted (%s)', host.label, why);
    for (const listener of this.#evictListeners) listener(host);
    // A shared store leaves the run to expire: another server may still hold it.
    const { runs, reports } = this.#stores;
    if (!runs.shared) void runs.release(host.runId, host.identity).catch((error: Error) => log('%s: could not release: %s', host.label, error.message));
    void reports.forget(host.runId).catch((error: Error) => log('%s: could not forget its reports: %s', host.label, error.message));
  }

  #snapshot(host: RunHost): RunSnapshot {
    return host.snapshot(this.#keys.indexOfHash(host.identity.keyHash));
  }
}
