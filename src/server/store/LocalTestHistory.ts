/**
 * Each test's outcomes across runs, kept by this process: with a data dir, a
 * file per key and run key (`tests/<key>/<run key>.json`, names hashed,
 * written whole through a temporary file), at most MAX_HISTORIES_PER_KEY
 * per key; in memory without one, at most MAX_MEMORY_HISTORIES in all.
 * Held and saved in the compact form (testHistory.ts): a table of runs, and
 * each test's outcomes as one string of tokens.
 * File format, version 2: `{"version":2,"next":<run id>,"runs":{"<id>":[build id, commit, branch, at]},"tests":{"<file>\u0000<name>":"<tokens>"}}`.
 * (Version 1, one object per outcome, was never released: it is read as no history.)
 */
import { existsSync, mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunIdentity } from '../run/runIdentity';
import { evictOldest } from './evictOldest';
import { hashOf } from './hashOf';
import { MAX_HISTORIES_PER_KEY } from './history';
import { appendOutcomes, decodeOutcomes, hasFailure, lastRunOf, MAX_HISTORY_TESTS, parseRun, rowKey, runsOf, storedRun, tokensByTest, type RunRow, type TestOutcome } from './testHistory';
import type { TestHistoryStore, TestWindow } from './types';

/** Histories held in memory: all of them without a data dir, the most recent with one. */
const MAX_MEMORY_HISTORIES = 256;
const DAY_MS = 86_400_000;

interface Held {
  readonly file: string | undefined;
  /** The runs the tests' tokens name, by id; `next` is the id of the next one. */
  readonly runs: Map<number, RunRow>;
  next: number;
  /** Insertion order is update order: the first test is the least recently run. */
  readonly tests: Map<string, string>;
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
    const since = now - this.#window.days * DAY_MS;
    for (const [id, row] of held.runs) if (row.at < since) held.runs.delete(id);
    const ids = new Map<string, number>();
    for (const row of runsOf(outcomes)) {
      const id = held.next++;
      held.runs.set(id, row);
      ids.set(rowKey(row), id);
    }
    const added = tokensByTest(outcomes, ids);
    for (const [key, tokens] of added) {
      const updated = appendOutcomes(held.tests.get(key), tokens, this.#window.runs, held.runs);
      held.tests.delete(key);
      held.tests.set(key, updated);
    }
    for (const [key, value] of held.tests) {
      // A test whose last run left the window (gone from the suite) goes, and so do the least recently run past the cap.
      const last = lastRunOf(value);
      if (last === undefined || !held.runs.has(last) || held.tests.size > MAX_HISTORY_TESTS) held.tests.delete(key);
    }
    if (held.file === undefined) return;
    const temp = `${held.file}.${process.pid}.tmp`;
    const runs = Object.fromEntries([...held.runs].map(([id, row]) => [id, storedRun(row)]));
    writeFileSync(temp, JSON.stringify({ version: 2, next: held.next, runs, tests: Object.fromEntries(held.tests) }));
    renameSync(temp, held.file);
  }

  /** A run key with no history reads as empty, and nothing is made or evicted for it: reading any name costs nothing. */
  async withFailures(identity: RunIdentity, now: number): Promise<Map<string, TestOutcome[]>> {
    const since = now - this.#window.days * DAY_MS;
    const out = new Map<string, TestOutcome[]>();
    const held = this.#held.get(hashOf([identity.keyHash, identity.runKey])) ?? this.#saved(identity);
    if (held === undefined) return out;
    const recent = new Map([...held.runs].filter(([, row]) => row.at >= since));
    for (const [key, value] of held.tests) {
      if (!hasFailure(value)) continue;
      const list = decodeOutcomes(value, recent);
      if (list.some(o => o.status === 'failed')) out.set(key, list);
    }
    return out;
  }

  /** A saved history not held now (with a data dir), read; undefined when there is none. */
  #saved(identity: RunIdentity): Held | undefined {
    if (this.#dir === undefined) return undefined;
    const file = path.join(this.#dir, hashOf([identity.keyHash]).slice(0, 32), `${hashOf([identity.keyHash, identity.runKey])}.json`);
    return existsSync(file) ? load(file) : undefined;
  }

  #historyFor(identity: RunIdentity): Held {
    const id = hashOf([identity.keyHash, identity.runKey]);
    let held = this.#held.get(id);
    if (held !== undefined) return held;
    // The least recently made go first (with a data dir they stay on disk, read again when needed).
    if (this.#held.size >= MAX_MEMORY_HISTORIES) this.#held.delete(this.#held.keys().next().value!);
    if (this.#dir === undefined) {
      held = { file: undefined, runs: new Map(), next: 1, tests: new Map() };
    } else {
      const dir = path.join(this.#dir, hashOf([identity.keyHash]).slice(0, 32));
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${id}.json`);
      if (existsSync(file)) utimesSync(file, new Date(), new Date());
      else
        evictOldest(dir, MAX_HISTORIES_PER_KEY - 1, gone => {
          for (const [key, h] of this.#held) if (h.file === gone) this.#held.delete(key);
        });
      held = load(file);
    }
    this.#held.set(id, held);
    return held;
  }
}

/** A saved history; empty when there is none, it cannot be read, or it is not version 2. */
function load(file: string): Held {
  const held: Held = { file, runs: new Map(), next: 1, tests: new Map() };
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown; next?: unknown; runs?: Record<string, unknown>; tests?: Record<string, unknown> };
    if (saved.version !== 2) return held;
    for (const [id, value] of Object.entries(saved.runs ?? {})) {
      const row = parseRun(value);
      if (row !== undefined && /^\d+$/.test(id)) held.runs.set(Number(id), row);
    }
    held.next = typeof saved.next === 'number' && Number.isInteger(saved.next) ? saved.next : 1;
    for (const id of held.runs.keys()) held.next = Math.max(held.next, id + 1);
    for (const [key, value] of Object.entries(saved.tests ?? {})) if (typeof value === 'string' && value !== '') held.tests.set(key, value);
  } catch {
    // No history yet (or unreadable): it starts again.
  }
  return held;
}
