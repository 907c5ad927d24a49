/**
 * The durable events of a run, in the order they happened. The journal
 * (when the server has a data directory) appends them before the reply that
 * depends on them is sent; a restarted server replays them.
 */
import { checkEntry } from '../protocol/entries';
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
  /** Gone past the reconnect grace: `suspects`, the files it was running, are noted against it; its leases go back. */
  | { t: 'lost'; node: number; suspects?: string[] }
  /** A file recorded as failed: these nodes died while running it. */
  | { t: 'crashed'; id: string; nodes: number[] }
  | { t: 'finish'; at: number };

export interface RunJournal {
  /**
   * Adds a record. It reaches the disk (written and synced) with the other
   * records of the same turn of the event loop, before any reply sent after
   * it: the server holds its outgoing frames until then (see DataDirStore.flush).
   */
  append(record: RunRecord): void;
}

/** Checks that a parsed journal line has the shape of its record type; returns the problem, or undefined. */
export function checkRecord(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  const isIndex = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  const isIds = (v: unknown): boolean => Array.isArray(v) && v.every(id => typeof id === 'string');
  const isObject = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v);
  const need = (ok: boolean, what: string): string | undefined => (ok ? undefined : `a "${String(r.t)}" record needs ${what}`);
  switch (r.t) {
    case 'open':
      return need(typeof r.keyHash === 'string' && typeof r.runKey === 'string' && typeof r.buildId === 'string' && isObject(r.meta), 'keyHash, runKey, buildId and meta');
    case 'join':
      return need(isIndex(r.index) && (r.nodeId === undefined || typeof r.nodeId === 'string') && (r.workers === undefined || isIndex(r.workers)), 'a node index');
    case 'enq':
      return need(isObject(r.tests) && (r.retry === undefined || isIndex(r.retry)), 'tests');
    case 'lease':
      return need(isIndex(r.node) && isIds(r.ids), 'a node and ids');
    case 'result':
      return need(isIndex(r.node) && typeof r.id === 'string' && checkEntry(r.entry) === null, 'a node, an id and a valid entry');
    case 'requeue':
      return need(isIds(r.ids), 'ids');
    case 'retry':
      return need(isIndex(r.node) && typeof r.id === 'string', 'a node and an id');
    case 'leave':
      return need(isIndex(r.node), 'a node');
    case 'lost':
      return need(isIndex(r.node) && (r.suspects === undefined || isIds(r.suspects)), 'a node');
    case 'crashed':
      return need(typeof r.id === 'string' && Array.isArray(r.nodes) && r.nodes.length > 0 && r.nodes.every(isIndex), 'an id and nodes');
    case 'finish':
      return need(typeof r.at === 'number', 'a time');
    default:
      return `unknown record type ${JSON.stringify(r.t)?.slice(0, 40)}`;
  }
}
