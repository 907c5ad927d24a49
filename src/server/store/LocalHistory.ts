/**
 * Duration histories kept by this process: with a data dir, a file per key
 * and run key (`history/<key>/<run key>.json`, names hashed), at most
 * MAX_HISTORIES_PER_KEY per key, the least recently used going first; in
 * memory without one, at most MAX_MEMORY_HISTORIES in all.
 */
import { existsSync, mkdirSync, utimesSync } from 'node:fs';
import path from 'node:path';
import type { KnownTest } from '../../protocol/types';
import type { RunIdentity } from '../run/runIdentity';
import { DurationHistory } from './DurationHistory';
import { evictOldest } from './evictOldest';
import { hashOf } from './hashOf';
import { lessonOf, MAX_HISTORIES_PER_KEY, MAX_HISTORY_FILES, NODES_ID, type FileRecord, type FinishedRun } from './history';
import type { HistoryStore } from './types';

/** Histories kept in memory by a server without a data dir. */
const MAX_MEMORY_HISTORIES = 256;

export interface LocalHistoryOptions {
  /** Where histories persist; none keeps them in memory. */
  readonly dataDir?: string;
  /** Files kept per history. @default MAX_HISTORY_FILES */
  readonly maxFiles?: number;
}

export class LocalHistory implements HistoryStore {
  readonly #dir: string | undefined;
  readonly #maxFiles: number;
  readonly #histories = new Map<string, DurationHistory>();

  constructor(options: LocalHistoryOptions = {}) {
    this.#dir = options.dataDir === undefined ? undefined : path.join(options.dataDir, 'history');
    this.#maxFiles = options.maxFiles ?? MAX_HISTORY_FILES;
    if (this.#dir !== undefined) mkdirSync(this.#dir, { recursive: true });
  }

  /** Without a data dir the history lives as long as the server does, and is used as long. */
  async durations(identity: RunIdentity, ids: readonly string[]): Promise<Map<string, number>> {
    const known = new Map<string, number>();
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

  async recent(identity: RunIdentity, id: string): Promise<FileRecord> {
    return this.#historyFor(identity).recent(id);
  }

  /** Known with or without a data dir: the node count decides splits, which a demo of one process may show. */
  async nodes(identity: RunIdentity): Promise<number | undefined> {
    return this.#historyFor(identity).get(NODES_ID);
  }

  async record(identity: RunIdentity, results: Parameters<HistoryStore['record']>[1], nodes?: number, run?: FinishedRun): Promise<void> {
    this.#historyFor(identity).learn(lessonOf(results, nodes, run));
  }

  #historyFor(identity: RunIdentity): DurationHistory {
    const id = hashOf([identity.keyHash, identity.runKey]);
    let history = this.#histories.get(id);
    if (history !== undefined) return history;
    if (this.#dir === undefined) {
      // The least recently made go first.
      if (this.#histories.size >= MAX_MEMORY_HISTORIES) this.#histories.delete(this.#histories.keys().next().value!);
      history = new DurationHistory(undefined, this.#maxFiles);
    } else {
      const dir = path.join(this.#dir, hashOf([identity.keyHash]).slice(0, 32));
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${id}.json`);
      if (existsSync(file)) utimesSync(file, new Date(), new Date());
      else this.#evictHistories(dir);
      history = new DurationHistory(file, this.#maxFiles);
    }
    this.#histories.set(id, history);
    return history;
  }

  /** Keeps a key's histories within MAX_HISTORIES_PER_KEY - 1 before a new one is made. */
  #evictHistories(dir: string): void {
    evictOldest(dir, MAX_HISTORIES_PER_KEY - 1, file => {
      for (const [id, history] of this.#histories) if (history.path === file) this.#histories.delete(id);
    });
  }
}
