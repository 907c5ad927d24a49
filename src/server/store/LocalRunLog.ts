/**
 * Runs kept by this process alone: each run's events in memory and, with a
 * data dir, in a journal per run (`runs/<id>.jsonl`, the name a hash, so
 * neither build ids nor key hashes appear in a listing).
 *
 * One process, so the run lock is this process's queue (a host decides one
 * batch at a time) and no other server appends: `lock` and `commit` never
 * wait or fail. Records are buffered and written with one sync per journal
 * per turn of the event loop (group commit; the outbox holds replies until
 * then).
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import debug from 'debug';
import { finishChange, type RunEvent } from '../run/runEvents';
import { runId, type RunIdentity } from '../run/runIdentity';
import { FileJournal, readJournal } from './FileJournal';
import { hashOf } from './hashOf';
import type { LocalRunLog as RunLogContract, LogStats, RunLock } from './types';

const log = debug('jest-fast-ci:server:run');

interface LocalRun {
  readonly identity: RunIdentity;
  readonly events: RunEvent[];
  finished: boolean;
  journal: FileJournal | undefined;
}

export interface LocalRunLogOptions {
  /** Where runs persist; none keeps them in memory. */
  readonly dataDir?: string;
  /** Where an operator is told about what could not be restored or written. */
  readonly warn?: (message: string) => void;
  /** The runs restored from the data dir (what else was kept of other runs can go). */
  readonly onRestored?: (runIds: string[]) => void;
}

const NO_LOCK: RunLock = { version: 0, token: 'local' };

function fileIdOf({ keyHash, runKey, buildId }: RunIdentity): string {
  return hashOf([keyHash, runKey, buildId]);
}

export class LocalRunLog implements RunLogContract {
  readonly shared = false;
  readonly #dir: string | undefined;
  readonly #warn: (message: string) => void;
  readonly #onRestored: (runIds: string[]) => void;
  readonly #runs = new Map<string, LocalRun>();
  readonly #dirty = new Set<FileJournal>();
  #onPending: () => void = () => undefined;
  #stats = { records: 0, syncs: 0 };

  constructor(options: LocalRunLogOptions = {}) {
    this.#dir = options.dataDir === undefined ? undefined : path.join(options.dataDir, 'runs');
    this.#warn = options.warn ?? (message => log(message));
    this.#onRestored = options.onRestored ?? (() => undefined);
    if (this.#dir !== undefined) mkdirSync(this.#dir, { recursive: true });
  }

  async open(id: string, open: Extract<RunEvent, { t: 'open' }>, maxRunsPerKey: number): Promise<RunEvent[] | 'limit'> {
    const existing = this.#runs.get(id);
    if (existing !== undefined) return [...existing.events];
    let unfinished = 0;
    for (const run of this.#runs.values()) if (run.identity.keyHash === open.keyHash && !run.finished) unfinished += 1;
    if (unfinished >= maxRunsPerKey) return 'limit';
    const run: LocalRun = { identity: { keyHash: open.keyHash, runKey: open.runKey, buildId: open.buildId }, events: [open], finished: false, journal: undefined };
    this.#runs.set(id, run);
    run.journal = this.#journalFor(run.identity);
    run.journal?.append(open);
    return [open];
  }

  async events(id: string, from: number): Promise<RunEvent[] | undefined> {
    return this.#runs.get(id)?.events.slice(from);
  }

  async lock(id: string): Promise<RunLock> {
    return { ...NO_LOCK, version: this.#runs.get(id)?.events.length ?? 0 };
  }

  async commit(id: string, _lock: RunLock, events: readonly RunEvent[]): Promise<boolean> {
    const run = this.#runs.get(id);
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

  async release(id: string, identity: RunIdentity): Promise<void> {
    const run = this.#runs.get(id);
    this.#runs.delete(id);
    if (run?.journal !== undefined) {
      this.#dirty.delete(run.journal);
      run.journal.close();
    }
    if (this.#dir !== undefined) rmSync(path.join(this.#dir, `${fileIdOf(identity)}.jsonl`), { force: true });
  }

  /**
   * Every journal that can be read, record by record. What cannot (a line
   * that is not a record, a file that is not a journal, a directory where a
   * journal should be) is skipped and reported; one broken run never keeps
   * the others from loading.
   */
  async restore(): Promise<Array<{ runId: string; events: RunEvent[] }>> {
    if (this.#dir === undefined) return [];
    const restored: Array<{ runId: string; events: RunEvent[] }> = [];
    for (const name of readdirSync(this.#dir)) {
      if (!name.endsWith('.jsonl')) continue;
      const file = path.join(this.#dir, name);
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
    this.#onRestored(restored.map(r => r.runId));
    return restored;
  }

  get hasPending(): boolean {
    return this.#dirty.size > 0;
  }

  onPending(listener: () => void): void {
    this.#onPending = listener;
  }

  get stats(): LogStats {
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

  close(): void {
    try {
      this.flush();
    } catch (error) {
      this.#warn(`could not write the last journal records on close: ${(error as Error).message}`);
    }
    for (const run of this.#runs.values()) run.journal?.close();
  }

  #journalFor(identity: RunIdentity): FileJournal | undefined {
    if (this.#dir === undefined) return undefined;
    return new FileJournal(path.join(this.#dir, `${fileIdOf(identity)}.jsonl`), dirty => {
      this.#dirty.add(dirty);
      this.#onPending();
    });
  }
}
