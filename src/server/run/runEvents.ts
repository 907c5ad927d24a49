/**
 * What happens to a run, as events. A run's state is the events applied in
 * order (runState.ts); a transition (runMachine.ts) decides which events a
 * request or the passing of time causes. The same events are the journal
 * (data dir), the Redis log, the dashboard's live feed and what a
 * restarted or second server replays: there is no other record of a run.
 */
import { checkEntry } from '../../protocol/entries';
import { isPartMap, type PartSpec } from '../../protocol/parts';
import { isQuarantineList } from '../../protocol/quarantine';
import type { EntryMap, FileEntry, RetryRunMode } from '../../protocol/types';
import type { RunMeta } from '../types';

/**
 * What a retry run takes over from the earlier attempt it continues (a run
 * of another build id: GitHub's `<run_id>-<attempt>`): its files, and the
 * results that stand, each with the build whose reports hold its record.
 * Carried in the event, so the retry run replays without the earlier run.
 */
export interface AttemptSeed {
  tests: EntryMap;
  kept: Record<string, { entry: FileEntry; node: number; from: string; attempt: number }>;
  durations: Record<string, number>;
  retry?: number;
  backups?: false;
  bail?: number;
}

export type RunEvent =
  /** `quarantine`: the run key's quarantined tests as the run opened, [file id, full name]: every node of the run is told the same, and the summary counts by it. */
  | { t: 'open'; keyHash: string; runKey: string; buildId: string; meta: RunMeta; quarantine?: Array<[string, string]>; at: number }
  /** A node joined for the first time; it gets the next index. */
  | { t: 'join'; index: number; nodeId?: string; workers?: number; shard?: number; at?: number }
  /** A node's channel joined on `instance` (a first join or a rejoin by node_id): the node is connected. `warm`: the files its Jest cache is warm for (the `warm` extension). */
  | { t: 'attach'; node: number; instance: string; workers?: number; parts?: true; cancel?: true; warm?: string[]; at: number }
  /** The node's channel is gone (its socket closed): its files wait for it for the reconnect grace. */
  | { t: 'detach'; node: number; at: number }
  /** `durations`: expected seconds per file (the client's, else the duration history's), longest first in the queue. */
  /** `parts`: the files split into parts (protocol/parts.ts), by part id; the queue holds those ids instead of the files'. */
  | { t: 'enq'; tests: EntryMap; retry?: number; durations?: Record<string, number>; backups?: false; parts?: Record<string, PartSpec>; bail?: number; at?: number }
  /** These units' results are no longer wanted from `node` (another node's came first, or the run stopped): the node is told to drop them. */
  | { t: 'cancel'; node: number; ids: string[]; at?: number }
  /** The run stops before every file ran: its `bail` count of failed files was reached, or its key cancelled it. A `finish` follows. */
  | { t: 'stop'; why: 'bail' | 'cancelled'; at: number }
  /** The node that should send `enq` (-1: the next node to join). */
  | { t: 'enqRequest'; node: number }
  | { t: 'lease'; node: number; ids: string[]; at?: number }
  /** Backup copies of files other nodes hold (gone, or running well past their time): the first result counts. */
  | { t: 'copy'; node: number; ids: string[]; at: number }
  /** The node's copy becomes the file's lease: its holder is gone. */
  | { t: 'promote'; node: number; id: string }
  | { t: 'result'; node: number; id: string; entry: FileEntry; at?: number }
  /** Leases taken back (leave, lost node, expiry): the files are queued again, at the front. */
  | { t: 'requeue'; ids: string[]; at?: number }
  /** A failure that is not final: the file goes back to the queue for another node. */
  | { t: 'retry'; node: number; id: string; entry?: FileEntry; at?: number }
  | { t: 'leave'; node: number }
  /** Gone past the reconnect grace: `suspects`, the files it was running, are noted against it; its leases go back. */
  | { t: 'lost'; node: number; suspects?: string[] }
  /** A file recorded as failed: these nodes died while running it. */
  | { t: 'crashed'; id: string; nodes: number[]; at?: number }
  /** The files the node says it is running now (the `running` extension). */
  | { t: 'running'; node: number; ids: string[] }
  /** Something the server ignored on purpose (a late result, a duplicate enq), kept for inspection. */
  | { t: 'warn'; message: string }
  | { t: 'finish'; at: number }
  /**
   * A new attempt of the build (a retried CI job), `of` the earlier one.
   * Without `seed`: this run again, its failed files (`mode: 'failed'`) or
   * all of them queued anew. With `seed`: this new run continues another
   * build's. `missing`: the earlier attempt is not known here, so this run
   * is a new one of every file (the reason is kept to tell every node).
   * `quarantine`: the run key's quarantine as this attempt began, in place
   * of the one the run opened with (a test quarantined after a red build
   * counts in its retried job).
   */
  | { t: 'attempt'; attempt: number; of: string; mode: RetryRunMode; seed?: AttemptSeed; missing?: string; quarantine?: Array<[string, string]>; at: number };

/** Checks that a parsed event (a journal line, a Redis entry) has the shape of its type; returns the problem, or undefined. */
export function checkEvent(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  const isIndex = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  const isTime = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
  const isOptionalTime = (v: unknown): boolean => v === undefined || isTime(v);
  const isIds = (v: unknown): boolean => Array.isArray(v) && v.every(id => typeof id === 'string');
  const isObject = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v);
  const need = (ok: boolean, what: string): string | undefined => (ok ? undefined : `a "${String(r.t)}" record needs ${what}`);
  switch (r.t) {
    case 'open':
      return need(
        typeof r.keyHash === 'string' &&
          typeof r.runKey === 'string' &&
          typeof r.buildId === 'string' &&
          isObject(r.meta) &&
          (r.quarantine === undefined || isQuarantineList(r.quarantine)),
        'keyHash, runKey, buildId and meta (and a quarantine of [file, name] pairs)',
      );
    case 'join':
      return need(isIndex(r.index) && (r.nodeId === undefined || typeof r.nodeId === 'string') && (r.workers === undefined || isIndex(r.workers)) && (r.shard === undefined || isIndex(r.shard)), 'a node index');
    case 'attach':
      return need(isIndex(r.node) && typeof r.instance === 'string' && isTime(r.at) && (r.warm === undefined || isIds(r.warm)), 'a node, an instance and a time');
    case 'detach':
      return need(isIndex(r.node) && isTime(r.at), 'a node and a time');
    case 'enq':
      return need(
        isObject(r.tests) && (r.retry === undefined || isIndex(r.retry)) && (r.backups === undefined || r.backups === false) && (r.parts === undefined || isPartMap(r.parts)) && (r.bail === undefined || isIndex(r.bail)),
        'tests',
      );
    case 'enqRequest':
      return need(typeof r.node === 'number' && Number.isInteger(r.node) && r.node >= -1, 'a node');
    case 'lease':
      return need(isIndex(r.node) && isIds(r.ids) && isOptionalTime(r.at), 'a node and ids');
    case 'copy':
      return need(isIndex(r.node) && isIds(r.ids) && isTime(r.at), 'a node, ids and a time');
    case 'promote':
      return need(isIndex(r.node) && typeof r.id === 'string', 'a node and an id');
    case 'result':
      return need(isIndex(r.node) && typeof r.id === 'string' && checkEntry(r.entry) === null && isOptionalTime(r.at), 'a node, an id and a valid entry');
    case 'requeue':
      return need(isIds(r.ids) && isOptionalTime(r.at), 'ids');
    case 'retry':
      return need(isIndex(r.node) && typeof r.id === 'string' && (r.entry === undefined || checkEntry(r.entry) === null) && isOptionalTime(r.at), 'a node and an id');
    case 'leave':
      return need(isIndex(r.node), 'a node');
    case 'lost':
      return need(isIndex(r.node) && (r.suspects === undefined || isIds(r.suspects)), 'a node');
    case 'crashed':
      return need(typeof r.id === 'string' && Array.isArray(r.nodes) && r.nodes.length > 0 && r.nodes.every(isIndex) && isOptionalTime(r.at), 'an id and nodes');
    case 'running':
      return need(isIndex(r.node) && isIds(r.ids), 'a node and ids');
    case 'warn':
      return need(typeof r.message === 'string', 'a message');
    case 'cancel':
      return need(isIndex(r.node) && isIds(r.ids) && isOptionalTime(r.at), 'a node and ids');
    case 'stop':
      return need((r.why === 'bail' || r.why === 'cancelled') && isTime(r.at), 'a reason (bail or cancelled) and a time');
    case 'finish':
      return need(isTime(r.at), 'a time');
    case 'attempt':
      return need(
        isIndex(r.attempt) &&
          typeof r.of === 'string' &&
          (r.mode === 'failed' || r.mode === 'all') &&
          isTime(r.at) &&
          (r.missing === undefined || typeof r.missing === 'string') &&
          (r.seed === undefined || checkSeed(r.seed)) &&
          (r.quarantine === undefined || isQuarantineList(r.quarantine)),
        'an attempt, the earlier build, a mode and a time (and a valid seed)',
      );
    default:
      return `unknown record type ${JSON.stringify(r.t)?.slice(0, 40)}`;
  }
}

/** A seed's shape: its files and the results that stand (each a valid entry). */
function checkSeed(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const seed = value as Record<string, unknown>;
  const tests = seed.tests as Record<string, unknown> | undefined;
  const kept = seed.kept as Record<string, unknown> | undefined;
  if (tests === null || typeof tests !== 'object' || kept === null || typeof kept !== 'object' || seed.durations === null || typeof seed.durations !== 'object') return false;
  return Object.values(kept).every(k => {
    const r = k as Record<string, unknown> | null;
    return r !== null && typeof r === 'object' && typeof r.from === 'string' && typeof r.node === 'number' && typeof r.attempt === 'number' && checkEntry(r.entry) === null;
  });
}

/**
 * Whether these events (a commit's, or a whole log) leave the run finished
 * or open again: the last of a `finish` and a retried job's new attempt of
 * the run (an `attempt` without seed) decides; undefined when neither is there.
 */
export function finishChange(events: readonly RunEvent[]): 'finished' | 'reopened' | undefined {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.t === 'finish') return 'finished';
    if (event.t === 'attempt' && event.seed === undefined && event.missing === undefined) return 'reopened';
  }
  return undefined;
}
