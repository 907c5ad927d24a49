/**
 * Each test's outcomes across runs, kept by this process: with a data dir, a
 * file per key and run key (`tests/<key>/<run key>.json`, names hashed,
 * written whole through a temporary file), at most MAX_HISTORIES_PER_KEY
 * per key; in memory without one, at most MAX_MEMORY_HISTORIES in all.
 * File format, version 1: `{"version":1,"tests":{"<file>\u0000<name>":[outcome, …]}}` (testHistory.ts).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunIdentity } from '../run/runIdentity';
import { evictOldest } from './evictOldest';
import { hashOf } from './hashOf';
import { MAX_HISTORIES_PER_KEY } from './history';
import { MAX_HISTORY_TESTS, parseOutcomes, storedOutcomes, withOutcomes, type TestOutcome } from './testHistory';
import type { TestHistoryStore, TestWindow } from './types';

/** Histories held in memory: all of them without a data dir, the most recent with one. */
const MAX_MEMORY_HISTORIES = 256;

interface Held {
  readonly file: string | undefined;
  /** Insertion order is update order: the first test is the least recently run. */
  readonly tests: Map<string, TestOutcome[]>;
}

export class LocalTestHistory implements TestHistoryStore {
  readonly #dir: string | undefined;
  readonly #window: TestWindow;
  readonly #held = new Map<string, Held>();

  constructor(window: TestWindow, dataDir?: string) {
    this.#window = window;
    this.#dir = dataDir === undefined ? undefined : path.join(dataDir, 'tests');
    if (this.#dir !== undefined) mkdirSync(this.#dir, { recursive: true });
  }

  async record(identity: RunIdentity, outcomes: ReadonlyArray<readonly [string, TestOutcome]>, now: number): Promise<void> {
    const held = this.#historyFor(identity);
    const added = new Map<string, TestOutcome[]>();
    for (const [key, outcome] of outcomes) added.set(key, [...(added.get(key) ?? []), outcome]);
    for (const [key, list] of added) {
      const updated = withOutcomes(held.tests.get(key), list, this.#window.runs, this.#window.days, now);
      held.tests.delete(key);
      held.tests.set(key, updated);
    }
    for (const key of held.tests.keys()) {
      if (held.tests.size <= MAX_HISTORY_TESTS) break;
      held.tests.delete(key);
    }
    if (held.file === undefined) return;
    const temp = `${held.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify({ version: 1, tests: Object.fromEntries([...held.tests].map(([key, list]) => [key, storedOutcomes(list)])) }));
    renameSync(temp, held.file);
  }

  /** A run key with no history reads as empty, and nothing is made or evicted for it: reading any name costs nothing. */
  async all(identity: RunIdentity, now: number): Promise<Map<string, TestOutcome[]>> {
    const since = now - this.#window.days * 86_400_000;
    const out = new Map<string, TestOutcome[]>();
    const held = this.#held.get(hashOf([identity.keyHash, identity.runKey])) ?? this.#saved(identity);
    for (const [key, list] of held?.tests ?? []) {
      const recent = list.filter(o => o.at >= since);
      if (recent.length > 0) out.set(key, recent);
    }
    return out;
  }

  /** A saved history not held now (with a data dir), read; undefined when there is none. */
  #saved(identity: RunIdentity): Held | undefined {
    if (this.#dir === undefined) return undefined;
    const file = path.join(this.#dir, hashOf([identity.keyHash]).slice(0, 32), `${hashOf([identity.keyHash, identity.runKey])}.json`);
    return existsSync(file) ? { file, tests: load(file) } : undefined;
  }

  #historyFor(identity: RunIdentity): Held {
    const id = hashOf([identity.keyHash, identity.runKey]);
    let held = this.#held.get(id);
    if (held !== undefined) return held;
    // The least recently made go first (with a data dir they stay on disk, read again when needed).
    if (this.#held.size >= MAX_MEMORY_HISTORIES) this.#held.delete(this.#held.keys().next().value!);
    if (this.#dir === undefined) {
      held = { file: undefined, tests: new Map() };
    } else {
      const dir = path.join(this.#dir, hashOf([identity.keyHash]).slice(0, 32));
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${id}.json`);
      if (existsSync(file)) utimesSync(file, new Date(), new Date());
      else
        evictOldest(dir, MAX_HISTORIES_PER_KEY - 1, gone => {
          for (const [key, h] of this.#held) if (h.file === gone) this.#held.delete(key);
        });
      held = { file, tests: load(file) };
    }
    this.#held.set(id, held);
    return held;
  }
}

/** A saved history; empty when there is none or it cannot be read. */
function load(file: string): Map<string, TestOutcome[]> {
  const tests = new Map<string, TestOutcome[]>();
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { tests?: Record<string, unknown> };
    for (const [key, value] of Object.entries(saved.tests ?? {})) {
      const list = parseOutcomes(value);
      if (list.length > 0) tests.set(key, list);
    }
  } catch {
    // No history yet (or unreadable): it starts again.
  }
  return tests;
}
