/**
 * Runs kept by this process alone: each run's events in memory and, with a
 * data dir, in a journal per run (`runs/<id>.jsonl`), with the duration
 * history (`history/<key>/<id>.json`), the reports (`reports/`) and
 * `key-secret`, the secret that keys the hashes naming each key's runs.
 * File names are hashes, so neither build ids nor key hashes appear in a
 * listing; the keyed hash means a copied journal does not let anyone test
 * guesses of a key without the secret.
 *
 * One process, so the run lock is this process's queue (RunHost runs one
 * batch at a time per run) and no other server appends: `lock` and
 * `commit` never wait or fail. Records are buffered and written with one
 * sync per journal per turn of the event loop (group commit; the Outbox
 * holds replies until then).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import debug from 'debug';
import type { KnownTest } from '../../protocol/parts';
import { DurationHistory } from './DurationHistory';
import { FileJournal, readJournal } from './FileJournal';
import { LocalReportStorage, type ReportLimits } from './LocalReportStorage';
import type { RunEvent } from '../run/runEvents';
import type { RunIdentity } from '../run/runState';
import { finishChange, runId, type RunLock, type RunStore } from './types';
import type { RunSnapshot } from '../types';

const log = debug('jest-fast-ci:server:run');

/** Histories kept in memory by a server without a data dir. */
const MAX_MEMORY_HISTORIES = 256;

/** Run keys whose duration history is kept per secret key; the least recently used go first. */
export const MAX_HISTORIES_PER_KEY = 50;

function hashOf(parts: string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

function fileIdOf({ keyHash, runKey, buildId }: RunIdentity): string {
  return hashOf([keyHash, runKey, buildId]);
}

interface LocalRun {
  readonly identity: RunIdentity;
  readonly events: RunEvent[];
  finished: boolean;
  journal: FileJournal | undefined;
}

export interface LocalStoreOptions extends ReportLimits {
  /** Where runs, histories and reports persist; none keeps everything in memory. */
  readonly dataDir?: string;
  /** Where an operator is told about what could not be restored or written. */
  readonly warn?: (message: string) => void;
}

const NO_LOCK: RunLock = { version: 0, token: 'local' };

export class LocalStore implements RunStore {
  readonly instance = randomUUID();
  readonly shared = false;
  readonly reports: LocalReportStorage;
  readonly #startedAt = Date.now();
  readonly #dataDir: string | undefined;
  readonly #warn: (message: string) => void;
  readonly #runs = new Map<string, LocalRun>();
  readonly #dirty = new Set<FileJournal>();
  readonly #histories = new Map<string, DurationHistory>();
  #onPending: () => void = () => undefined;
  #stats = { records: 0, syncs: 0 };

  constructor(options: LocalStoreOptions) {
    this.#dataDir = options.dataDir;
    this.#warn = options.warn ?? (message => log(message));
    if (this.#dataDir !== undefined) {
      mkdirSync(path.join(this.#dataDir, 'runs'), { recursive: true });
      mkdirSync(path.join(this.#dataDir, 'history'), { recursive: true });
    }
    this.reports = new LocalReportStorage(options, this.#dataDir);
  }

  isAlive(instance: string): boolean {
    return instance === this.instance;
  }

  /** Channels of an earlier process (restored from its journal) are gone since this one started. */
  deadSince(): number {
    return this.#startedAt;
  }

  async open(runId: string, open: Extract<RunEvent, { t: 'open' }>, maxRunsPerKey: number): Promise<RunEvent[] | 'limit'> {
    const existing = this.#runs.get(runId);
    if (existing !== undefined) return [...existing.events];
    let unfinished = 0;
    for (const run of this.#runs.values()) if (run.identity.keyHash === open.keyHash && !run.finished) unfinished += 1;
    if (unfinished >= maxRunsPerKey) return 'limit';
    const run: LocalRun = { identity: { keyHash: open.keyHash, runKey: open.runKey, buildId: open.buildId }, events: [open], finished: false, journal: undefined };
    this.#runs.set(runId, run);
    run.journal = this.#journalFor(run.identity);
    run.journal?.append(open);
    return [open];
  }

  async events(runId: string, from: number): Promise<RunEvent[] | undefined> {
    return this.#runs.get(runId)?.events.slice(from);
  }

  async lock(runId: string): Promise<RunLock> {
    return { ...NO_LOCK, version: this.#runs.get(runId)?.events.length ?? 0 };
  }

  async commit(runId: string, _lock: RunLock, events: readonly RunEvent[]): Promise<boolean> {
    const run = this.#runs.get(runId);
    if (run === undefined) return true;
    for (const event of events) {
      run.events.push(event);
      run.journal?.append(event);
    }
    // A retried job's new attempt makes a finished run unfinished again.
    const change = finishChange(events);
    if (change !== undefined) run.finished = change === 'finished';
    return true;
  }

  watch(): () => void {
    return () => undefined;
  }

  async finished(_runId: string, identity: RunIdentity, snapshot: RunSnapshot): Promise<void> {
    try {
      this.#historyFor(identity).update(snapshot.results);
    } catch (error) {
      // History only improves the order of later runs; losing it must not fail this one.
      this.#warn(`could not save the duration history: ${(error as Error).message}`);
    }
  }

  async release(runId: string, identity: RunIdentity): Promise<void> {
    const run = this.#runs.get(runId);
    this.#runs.delete(runId);
    if (run?.journal !== undefined) {
      this.#dirty.delete(run.journal);
      run.journal.close();
    }
    if (this.#dataDir !== undefined) rmSync(path.join(this.#dataDir, 'runs', `${fileIdOf(identity)}.jsonl`), { force: true });
    await this.reports.forget(runId);
  }

  /**
   * Every journal that can be read, record by record. What cannot (a line
   * that is not a record, a file that is not a journal, a directory where a
   * journal should be) is skipped and reported; one broken run never keeps
   * the others from loading. Report files of runs not restored are deleted.
   */
  async restore(): Promise<Array<{ runId: string; events: RunEvent[] }>> {
    if (this.#dataDir === undefined) return [];
    const runsDir = path.join(this.#dataDir, 'runs');
    const restored: Array<{ runId: string; events: RunEvent[] }> = [];
    for (const name of readdirSync(runsDir)) {
      if (!name.endsWith('.jsonl')) continue;
      const file = path.join(runsDir, name);
      try {
        if (!statSync(file).isFile()) {
          this.#warn(`runs/${name} is not a file; skipped`);
          continue;
        }
        const journal = readJournal(file);
        if (journal === undefined) {
          this.#warn(`runs/${name} does not start with a valid "open" record; skipped`);
          continue;
        }
        const { records, skipped, truncated } = journal;
        if (truncated) this.#warn(`runs/${name}: cut off a torn last line (written when the server stopped; never acknowledged)`);
        if (skipped.length > 0) {
          this.#warn(`runs/${name}: skipped ${skipped.length} line${skipped.length === 1 ? '' : 's'} (${skipped.slice(0, 5).join('; ')}${skipped.length > 5 ? '; …' : ''}); restored ${records.length} records`);
        }
        const open = records[0] as Extract<RunEvent, { t: 'open' }>;
        const identity = { keyHash: open.keyHash, runKey: open.runKey, buildId: open.buildId };
        const id = runId(identity);
        const run: LocalRun = { identity, events: records, finished: finishChange(records) === 'finished', journal: this.#journalFor(identity) };
        this.#runs.set(id, run);
        restored.push({ runId: id, events: [...records] });
      } catch (error) {
        this.#warn(`runs/${name} could not be read (${(error as Error).message}); skipped`);
      }
    }
    this.reports.restore(restored.map(r => r.runId));
    return restored;
  }

  async durations(identity: RunIdentity, ids: readonly string[]): Promise<Map<string, number>> {
    const known = new Map<string, number>();
    if (this.#dataDir === undefined) return known;
    const history = this.#historyFor(identity);
    for (const id of ids) {
      const seconds = history.get(id);
      if (seconds !== undefined) known.set(id, seconds);
    }
    return known;
  }

  async knownTests(identity: RunIdentity, ids: readonly string[]): Promise<Map<string, KnownTest[]>> {
    const known = new Map<string, KnownTest[]>();
    const history = this.#historyFor(identity);
    for (const id of ids) {
      const tests = history.testsOf(id);
      if (tests !== undefined) known.set(id, tests);
    }
    return known;
  }

  /** With a data dir, from its history (without one, the dashboard keeps its own). */
  get recentDurations(): ((identity: RunIdentity, id: string) => number[]) | undefined {
    if (this.#dataDir === undefined) return undefined;
    return (identity, id) => this.#historyFor(identity).recent(id);
  }

  /** Created on first use, readable by the owner only; without a data dir nothing outlives the process, so a fresh one will do. */
  async keySecret(): Promise<Buffer> {
    if (this.#dataDir === undefined) return randomBytes(32);
    const file = path.join(this.#dataDir, 'key-secret');
    if (!existsSync(file)) {
      try {
        writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
      } catch (error) {
        // Another server on the same directory made it first: read theirs.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  }

  get hasPending(): boolean {
    return this.#dirty.size > 0;
  }

  onPending(listener: () => void): void {
    this.#onPending = listener;
  }

  get stats(): { readonly records: number; readonly syncs: number } {
    return { ...this.#stats };
  }

  /** Writes and syncs every journal appended to since the last flush (one sync each). Throws the first error; failed journals stay pending. */
  flush(): void {
    let failure: unknown;
    for (const journal of [...this.#dirty]) {
      try {
        this.#stats.records += journal.flush();
        this.#stats.syncs += 1;
        this.#dirty.delete(journal);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  async close(): Promise<void> {
    try {
      this.flush();
    } catch (error) {
      this.#warn(`could not write the last journal records on close: ${(error as Error).message}`);
    }
    for (const run of this.#runs.values()) run.journal?.close();
  }

  #journalFor(identity: RunIdentity): FileJournal | undefined {
    if (this.#dataDir === undefined) return undefined;
    return new FileJournal(path.join(this.#dataDir, 'runs', `${fileIdOf(identity)}.jsonl`), dirty => {
      this.#dirty.add(dirty);
      this.#onPending();
    });
  }

  #historyFor(identity: RunIdentity): DurationHistory {
    const id = hashOf([identity.keyHash, identity.runKey]);
    let history = this.#histories.get(id);
    if (history === undefined && this.#dataDir === undefined) {
      // In memory (only the tests of slow files are used without a data dir): the least recently made go first.
      if (this.#histories.size >= MAX_MEMORY_HISTORIES) this.#histories.delete(this.#histories.keys().next().value!);
      history = new DurationHistory();
      this.#histories.set(id, history);
    }
    if (history === undefined) {
      const dir = path.join(this.#dataDir!, 'history', hashOf([identity.keyHash]).slice(0, 32));
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${id}.json`);
      if (existsSync(file)) utimesSync(file, new Date(), new Date());
      else this.#evictHistories(dir);
      history = new DurationHistory(file);
      this.#histories.set(id, history);
    }
    return history;
  }

  /** Keeps a key's histories within MAX_HISTORIES_PER_KEY - 1 before a new one is made: a key cannot fill the disk with run keys. */
  #evictHistories(dir: string): void {
    const files = readdirSync(dir)
      .filter(name => name.endsWith('.json'))
      .map(name => ({ file: path.join(dir, name), mtime: statSync(path.join(dir, name)).mtimeMs }))
      .sort((a, b) => a.mtime - b.mtime);
    for (const { file } of files.slice(0, Math.max(0, files.length - (MAX_HISTORIES_PER_KEY - 1)))) {
      rmSync(file, { force: true });
      for (const [id, history] of this.#histories) if (history.path === file) this.#histories.delete(id);
    }
  }
}

