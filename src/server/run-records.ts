/**
 * The durable events of a run, in the order they happened. The journal
 * (when the server has a data directory) appends them before the reply that
 * depends on them is sent; a restarted server replays them.
 */
import type { EntryMap, FileEntry } from '../protocol/types';
import type { RunMeta } from './types';

export type RunRecord =
  | { t: 'open'; keyHash: string; runKey: string; buildId: string; meta: RunMeta; at: number }
  | { t: 'join'; index: number; nodeId?: string; workers?: number }
  | { t: 'enq'; tests: EntryMap; retry?: number }
  | { t: 'lease'; node: number; ids: string[] }
  | { t: 'result'; node: number; id: string; entry: FileEntry }
  /** Leases taken back (leave, lost node, expiry): the files are queued again. */
  | { t: 'requeue'; ids: string[] }
  /** A failure that is not final: the file goes back to the queue for another node. */
  | { t: 'retry'; node: number; id: string }
  | { t: 'leave'; node: number }
  | { t: 'finish'; at: number };

export interface RunJournal {
  /** Writes the record durably; returns once it is on disk. */
  append(record: RunRecord): void;
}
