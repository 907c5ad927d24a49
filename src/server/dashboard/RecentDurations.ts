/**
 * A file's last durations per key and run key, in memory: the dashboard's
 * stand-in for the data directory's duration history on a server without
 * one. Bounded in files across all keys; the least recently updated go
 * first.
 */
import type { FileEntry } from '../../protocol/types';
import { isDuration, withDuration } from '../store/DurationHistory';
import type { RunIdentity } from '../run/runState';

/** Files remembered across all keys and run keys. */
export const MAX_REMEMBERED_FILES = 100_000;

function historyKey(identity: RunIdentity, id: string): string {
  return JSON.stringify([identity.keyHash, identity.runKey, id]);
}

export class RecentDurations {
  readonly #max: number;
  /** Insertion order is update order: the first entry is the least recently updated. */
  #recent = new Map<string, number[]>();

  constructor(max = MAX_REMEMBERED_FILES) {
    this.#max = max;
  }

  get size(): number {
    return this.#recent.size;
  }

  /** Seconds, oldest first. */
  get(identity: RunIdentity, id: string): number[] {
    return [...(this.#recent.get(historyKey(identity, id)) ?? [])];
  }

  /** Remembers a finished run's run times. */
  update(identity: RunIdentity, results: Record<string, { entry: FileEntry }>): void {
    for (const [id, { entry }] of Object.entries(results)) {
      if (!isDuration(entry.run_time)) continue;
      const key = historyKey(identity, id);
      const updated = withDuration(this.#recent.get(key), entry.run_time);
      this.#recent.delete(key);
      this.#recent.set(key, updated);
    }
    for (const key of this.#recent.keys()) {
      if (this.#recent.size <= this.#max) break;
      this.#recent.delete(key);
    }
  }
}
