/**
 * The last known durations (seconds) of each file, per key and run key,
 * kept across runs and restarts: the newest orders the next run's queue, the
 * last RECENT_DURATIONS show a file's trend on the dashboard. Written
 * atomically (temp file, then rename) so a crash leaves the old or the new
 * history, never half of one.
 *
 * File format, version 2: `{"version":2,"recent":{"<id>":[s, …, newest]}}`.
 * Version 1 (`{"version":1,"seconds":{"<id>":s}}`) is still read: each file
 * starts with its one duration.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { testsOfEntry, type KnownTest } from '../../protocol/parts';
import type { FileEntry } from '../../protocol/types';

/** Files kept per history; the oldest entries go first when a suite outgrows it. */
export const MAX_HISTORY_FILES = 200_000;
/** Durations kept per file, newest last. */
export const RECENT_DURATIONS = 10;

/** A file's tests are kept (for splitting it: the `parts` extension) when it took at least this long and had this many tests at most. */
export const KEEP_TESTS_MIN_SECONDS = 1;
export const KEEP_TESTS_MAX = 2_000;

/** The tests worth keeping of a finished file: those of a slow file, named exactly; else undefined. */
export function keptTests(entry: FileEntry): KnownTest[] | undefined {
  if (!isDuration(entry.run_time) || entry.run_time < KEEP_TESTS_MIN_SECONDS || entry.test_count > KEEP_TESTS_MAX) return undefined;
  // Skipped tests may mean `test.only` (every part would skip all but the focused ones): such a file runs whole.
  if (entry.test_counters.pending > 0) return undefined;
  const tests = testsOfEntry(entry);
  return tests.length >= 2 ? tests : undefined;
}

/** A usable duration: a positive, finite number of seconds. */
export function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** `recent` with `seconds` added as the newest, cut to the last RECENT_DURATIONS. */
export function withDuration(recent: readonly number[] | undefined, seconds: number): number[] {
  return [...(recent ?? []), seconds].slice(-RECENT_DURATIONS);
}

export class DurationHistory {
  /** Where it is saved; undefined: kept in memory only (a server without a data dir). */
  readonly path: string | undefined;
  #recent: Map<string, number[]> | undefined;
  /** The tests of slow files, from their last run (see keptTests). */
  #tests = new Map<string, KnownTest[]>();

  constructor(path?: string) {
    this.path = path;
  }

  /** The file's tests and their seconds at its last run, if it was slow enough to keep them. */
  testsOf(id: string): KnownTest[] | undefined {
    this.#load();
    return this.#tests.get(id);
  }

  /** The newest known duration. */
  get(id: string): number | undefined {
    return this.#load().get(id)?.at(-1);
  }

  /** The last known durations, oldest first (empty when none). */
  recent(id: string): number[] {
    return [...(this.#load().get(id) ?? [])];
  }

  /** Remembers the run times of a finished run's results and saves. */
  update(results: Record<string, { entry: FileEntry }>): void {
    const recent = this.#load();
    for (const [id, { entry }] of Object.entries(results)) {
      const tests = keptTests(entry);
      if (tests === undefined) this.#tests.delete(id);
      else this.#tests.set(id, tests);
      if (!isDuration(entry.run_time)) continue;
      const updated = withDuration(recent.get(id), entry.run_time);
      // Re-insert so the map's order is "least recently seen first".
      recent.delete(id);
      recent.set(id, updated);
    }
    for (const id of recent.keys()) {
      if (recent.size <= MAX_HISTORY_FILES) break;
      recent.delete(id);
      this.#tests.delete(id);
    }
    if (this.path === undefined) return;
    const temp = `${this.path}.${process.pid}.tmp`;
    const tests = this.#tests.size > 0 ? { tests: Object.fromEntries(this.#tests) } : {};
    writeFileSync(temp, JSON.stringify({ version: 2, recent: Object.fromEntries(recent), ...tests }));
    renameSync(temp, this.path);
  }

  #load(): Map<string, number[]> {
    if (this.#recent !== undefined) return this.#recent;
    this.#recent = new Map();
    if (this.path === undefined) return this.#recent;
    try {
      const saved = JSON.parse(readFileSync(this.path, 'utf8')) as { seconds?: Record<string, unknown>; recent?: Record<string, unknown>; tests?: Record<string, unknown> };
      for (const [id, value] of Object.entries(saved.tests ?? {})) {
        const valid = Array.isArray(value) && value.every(t => Array.isArray(t) && typeof t[0] === 'string' && typeof t[1] === 'number');
        if (valid) this.#tests.set(id, value as KnownTest[]);
      }
      for (const [id, value] of Object.entries(saved.recent ?? {})) {
        const durations = Array.isArray(value) ? value.filter(isDuration).slice(-RECENT_DURATIONS) : [];
        if (durations.length > 0) this.#recent.set(id, durations);
      }
      // Version 1: one duration per file.
      for (const [id, value] of Object.entries(saved.seconds ?? {})) {
        if (isDuration(value) && !this.#recent.has(id)) this.#recent.set(id, [value]);
      }
    } catch {
      // No history yet (or unreadable): every file falls back to the median.
    }
    return this.#recent;
  }
}
