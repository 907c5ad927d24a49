/**
 * The data directory: `runs/<id>.jsonl` journals, `history/<key>/<id>.json`
 * durations, and `key-secret`, the secret that keys the hashes naming each
 * key's runs. File names are hashes, so neither build ids nor key hashes
 * appear in a listing; the keyed hash means a copied journal does not let
 * anyone test guesses of a key without the secret.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import debug from 'debug';
import { DurationHistory } from './duration-history';
import { FileJournal, readJournal } from './journal-file';
import type { RunIdentity } from './run';
import type { RunStore } from './run-registry';
import type { RunJournal, RunRecord } from './run-records';
import type { RunMeta, RunSnapshot } from './types';

const log = debug('jest-fast-ci:server:run');

/** Run keys whose duration history is kept per secret key; the least recently used go first. */
export const MAX_HISTORIES_PER_KEY = 50;

function hashOf(parts: string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export class DataDirStore implements RunStore {
  readonly #dataDir: string;
  readonly #runsDir: string;
  readonly #historyDir: string;
  readonly #warn: (message: string) => void;
  #journals = new Map<string, FileJournal>();
  #dirty = new Set<FileJournal>();
  #histories = new Map<string, DurationHistory>();
  #onPending: () => void = () => undefined;
  #stats = { records: 0, syncs: 0 };

  /** `warn`: where an operator is told about what could not be restored or written. */
  constructor(dataDir: string, warn: (message: string) => void = message => log(message)) {
    this.#dataDir = dataDir;
    this.#runsDir = path.join(dataDir, 'runs');
    this.#historyDir = path.join(dataDir, 'history');
    this.#warn = warn;
    mkdirSync(this.#runsDir, { recursive: true });
    mkdirSync(this.#historyDir, { recursive: true });
  }

  /** The secret that keys the hashes of the secret keys; created on first use, readable by the owner only. */
  keySecret(): Buffer {
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

  journal(identity: RunIdentity, meta: RunMeta): RunJournal {
    const id = hashOf([identity.keyHash, identity.runKey, identity.buildId]);
    const journal = new FileJournal(path.join(this.#runsDir, `${id}.jsonl`), dirty => {
      this.#dirty.add(dirty);
      this.#onPending();
    });
    if (!existsSync(journal.path)) {
      journal.append({ t: 'open', keyHash: identity.keyHash, runKey: identity.runKey, buildId: identity.buildId, meta, at: Date.now() });
    }
    this.#journals.set(id, journal);
    return journal;
  }

  onPending(listener: () => void): void {
    this.#onPending = listener;
  }

  /** Records written and fdatasync calls made so far. */
  get stats(): { readonly records: number; readonly syncs: number } {
    return { ...this.#stats };
  }

  get hasPending(): boolean {
    return this.#dirty.size > 0;
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

  history(identity: RunIdentity): (id: string) => number | undefined {
    const history = this.#historyFor(identity);
    return id => history.get(id);
  }

  recentDurations(identity: RunIdentity, id: string): number[] {
    return this.#historyFor(identity).recent(id);
  }

  finished(run: RunSnapshot, identity: RunIdentity): void {
    try {
      this.#historyFor(identity).update(run.results);
    } catch (error) {
      // History only improves the order of later runs; losing it must not fail this one.
      this.#warn(`could not save the duration history: ${(error as Error).message}`);
    }
  }

  forget(identity: RunIdentity): void {
    const id = hashOf([identity.keyHash, identity.runKey, identity.buildId]);
    const journal = this.#journals.get(id);
    if (journal !== undefined) this.#dirty.delete(journal);
    journal?.close();
    this.#journals.delete(id);
    rmSync(path.join(this.#runsDir, `${id}.jsonl`), { force: true });
  }

  /**
   * Every journal that can be read, record by record. What cannot (a line
   * that is not a record, a file that is not a journal, a directory where a
   * journal should be) is skipped and reported; one broken run never keeps
   * the others from loading.
   */
  restore(): Array<{ identity: RunIdentity; meta: RunMeta; records: RunRecord[] }> {
    const restored: Array<{ identity: RunIdentity; meta: RunMeta; records: RunRecord[] }> = [];
    for (const name of readdirSync(this.#runsDir)) {
      if (!name.endsWith('.jsonl')) continue;
      const file = path.join(this.#runsDir, name);
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
        const open = records[0] as Extract<RunRecord, { t: 'open' }>;
        restored.push({ identity: { keyHash: open.keyHash, runKey: open.runKey, buildId: open.buildId }, meta: open.meta, records });
      } catch (error) {
        this.#warn(`runs/${name} could not be read (${(error as Error).message}); skipped`);
      }
    }
    return restored;
  }

  close(): void {
    try {
      this.flush();
    } catch (error) {
      this.#warn(`could not write the last journal records on close: ${(error as Error).message}`);
    }
    for (const journal of this.#journals.values()) journal.close();
    this.#journals.clear();
  }

  #historyFor(identity: RunIdentity): DurationHistory {
    const id = hashOf([identity.keyHash, identity.runKey]);
    let history = this.#histories.get(id);
    if (history === undefined) {
      const dir = path.join(this.#historyDir, hashOf([identity.keyHash]).slice(0, 32));
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
