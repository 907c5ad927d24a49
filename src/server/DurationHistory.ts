/**
 * Last known duration (seconds) of each file, per key and run key, kept
 * across runs and restarts. Written atomically (temp file, then rename) so a
 * crash leaves the old or the new history, never half of one.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { FileEntry } from '../protocol/types';

/** Files kept per history; the oldest entries go first when a suite outgrows it. */
export const MAX_HISTORY_FILES = 200_000;

export class DurationHistory {
  readonly path: string;
  #seconds: Map<string, number> | undefined;

  constructor(path: string) {
    this.path = path;
  }

  get(id: string): number | undefined {
    return this.#load().get(id);
  }

  /** Remembers the run times of a finished run's results and saves. */
  update(results: Record<string, { entry: FileEntry }>): void {
    const seconds = this.#load();
    for (const [id, { entry }] of Object.entries(results)) {
      const runTime = entry.run_time;
      if (typeof runTime !== 'number' || !Number.isFinite(runTime) || runTime <= 0) continue;
      // Re-insert so the map's order is "least recently seen first".
      seconds.delete(id);
      seconds.set(id, runTime);
    }
    for (const id of seconds.keys()) {
      if (seconds.size <= MAX_HISTORY_FILES) break;
      seconds.delete(id);
    }
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify({ version: 1, seconds: Object.fromEntries(seconds) }));
    renameSync(temp, this.path);
  }

  #load(): Map<string, number> {
    if (this.#seconds !== undefined) return this.#seconds;
    this.#seconds = new Map();
    try {
      const saved = JSON.parse(readFileSync(this.path, 'utf8')) as { seconds?: Record<string, unknown> };
      for (const [id, value] of Object.entries(saved.seconds ?? {})) {
        if (typeof value === 'number' && Number.isFinite(value) && value > 0) this.#seconds.set(id, value);
      }
    } catch {
      // No history yet (or unreadable): every file falls back to the median.
    }
    return this.#seconds;
  }
}
