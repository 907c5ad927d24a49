/**
 * One duration history (one key and run key): its files' last durations
 * and slow files' tests, in memory, or saved to a file kept across runs and
 * restarts. Written atomically (temp file, then rename) so a crash leaves
 * the old or the new history, never half of one.
 *
 * File format, version 3: `{"version":3,"files":{"<id>":{"d":[s, …],"o":[[outcome, build id, at, commit?], …]}},"tests":{…}}`
 * (history.ts: parseFileRecord). Version 2 (`"recent":{"<id>":[s, …]}`) and
 * version 1 (`"seconds":{"<id>":s}`) are still read: each file starts with
 * their durations and no outcomes.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { FileEntry, KnownTest } from '../../protocol/types';
import { isDuration, lessonOf, MAX_HISTORY_FILES, parseDurations, parseFileRecord, parseKnownTests, storedFileRecord, withRun, type FileRecord, type Lesson } from './history';

export class DurationHistory {
  /** Where it is saved; undefined: kept in memory only (a server without a data dir). */
  readonly path: string | undefined;
  readonly #maxFiles: number;
  /** Insertion order is update order: the first entry is the least recently seen. */
  #recent: Map<string, FileRecord> | undefined;
  /** The tests of slow files, from their last run (see keptTests). */
  #tests = new Map<string, KnownTest[]>();

  constructor(path?: string, maxFiles = MAX_HISTORY_FILES) {
    this.path = path;
    this.#maxFiles = maxFiles;
  }

  /** The file's tests and their seconds at its last run, if it was slow enough to keep them. */
  testsOf(id: string): KnownTest[] | undefined {
    this.#load();
    return this.#tests.get(id);
  }

  /** The newest known duration. */
  get(id: string): number | undefined {
    return this.#load().get(id)?.durations.at(-1);
  }

  /** The last known durations and outcomes, oldest first (empty when none). */
  recent(id: string): FileRecord {
    const record = this.#load().get(id);
    return { durations: [...(record?.durations ?? [])], outcomes: [...(record?.outcomes ?? [])] };
  }

  /** Remembers the run times of a finished run's results and saves. */
  update(results: Record<string, { entry: FileEntry }>): void {
    this.learn(lessonOf(new Map(Object.entries(results))));
  }

  /** Applies what a finished run teaches, and saves. */
  learn(lesson: Lesson): void {
    const recent = this.#load();
    for (const [id, tests] of lesson.tests) {
      if (tests === undefined) this.#tests.delete(id);
      else this.#tests.set(id, tests);
    }
    for (const [id, seconds, outcome] of lesson.files) {
      const updated = withRun(recent.get(id), seconds, outcome);
      // Re-insert so the map's order is "least recently seen first".
      recent.delete(id);
      recent.set(id, updated);
    }
    for (const id of recent.keys()) {
      if (recent.size <= this.#maxFiles) break;
      recent.delete(id);
      this.#tests.delete(id);
    }
    if (this.path === undefined) return;
    const temp = `${this.path}.${process.pid}.tmp`;
    const tests = this.#tests.size > 0 ? { tests: Object.fromEntries(this.#tests) } : {};
    const files = Object.fromEntries([...recent].map(([id, record]) => [id, storedFileRecord(record)]));
    writeFileSync(temp, JSON.stringify({ version: 3, files, ...tests }));
    renameSync(temp, this.path);
  }

  #load(): Map<string, FileRecord> {
    if (this.#recent !== undefined) return this.#recent;
    this.#recent = new Map();
    if (this.path === undefined) return this.#recent;
    try {
      const saved = JSON.parse(readFileSync(this.path, 'utf8')) as { seconds?: Record<string, unknown>; recent?: Record<string, unknown>; files?: Record<string, unknown>; tests?: Record<string, unknown> };
      for (const [id, value] of Object.entries(saved.tests ?? {})) {
        const tests = parseKnownTests(value);
        if (tests !== undefined) this.#tests.set(id, tests);
      }
      for (const [id, value] of Object.entries(saved.files ?? {})) {
        const record = parseFileRecord(value);
        if (record.durations.length > 0 || record.outcomes.length > 0) this.#recent.set(id, record);
      }
      // Version 2 keeps lists; a bare number there is not one.
      for (const [id, value] of Object.entries(saved.recent ?? {})) {
        const durations = Array.isArray(value) ? parseDurations(value) : [];
        if (durations.length > 0 && !this.#recent.has(id)) this.#recent.set(id, { durations, outcomes: [] });
      }
      // Version 1: one duration per file.
      for (const [id, value] of Object.entries(saved.seconds ?? {})) {
        if (isDuration(value) && !this.#recent.has(id)) this.#recent.set(id, { durations: [value], outcomes: [] });
      }
    } catch {
      // No history yet (or unreadable): every file falls back to the median.
    }
    return this.#recent;
  }
}
