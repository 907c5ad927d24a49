/**
 * Validation of the orchestrator payloads (pure). Each parser returns the
 * typed value or a reason that names the problem, which the server sends
 * back in an error reply.
 */
import { checkEntry } from './entries';
import { parseRetryRunRequest } from './retryRun';
import type { EntryMap, FilesPayload, JoinPayload } from './types';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Longest accepted test id; ids are root-relative paths, so this is generous. */
export const MAX_TEST_ID_LENGTH = 4096;
/** Longest accepted node_id. */
export const MAX_NODE_ID_LENGTH = 256;
/** Most workers a node may claim (it only sizes batches). */
export const MAX_WORKERS = 1024;

function fail<T>(reason: string): Parsed<T> {
  return { ok: false, reason };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Quotes an id for a message without letting a huge one flood it. */
export function quoteId(id: string): string {
  return JSON.stringify(id.length > 80 ? `${id.slice(0, 77)}...` : id);
}

/** Highest CI shard index a join may name. */
export const MAX_SHARD_INDEX = 9999;

export function parseJoinPayload(payload: unknown, maxFiles = Number.POSITIVE_INFINITY): Parsed<JoinPayload> {
  if (!isPlainObject(payload)) return fail('join payload must be an object');
  const value: JoinPayload = {};
  const { node_id: nodeId, workers, accepts } = payload;
  if (nodeId !== undefined && nodeId !== null) {
    if (typeof nodeId !== 'string' || nodeId === '' || nodeId.length > MAX_NODE_ID_LENGTH) {
      return fail(`node_id must be a non-empty string of at most ${MAX_NODE_ID_LENGTH} characters`);
    }
    value.node_id = nodeId;
  }
  if (workers !== undefined && workers !== null) {
    if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
      return fail(`workers must be an integer from 1 to ${MAX_WORKERS}`);
    }
    value.workers = workers;
  }
  if (accepts !== undefined && accepts !== null) {
    if (!Array.isArray(accepts) || accepts.length > 16 || !accepts.every(a => typeof a === 'string' && a.length <= 64)) {
      return fail('accepts must be a list of at most 16 extension names');
    }
    value.accepts = accepts as string[];
  }
  if (payload.retry_run !== undefined && payload.retry_run !== null) {
    const retryRun = parseRetryRunRequest(payload.retry_run);
    if (!retryRun.ok) return fail(retryRun.reason);
    value.retry_run = retryRun.value;
  }
  if (payload.warm !== undefined && payload.warm !== null) {
    const { warm } = payload;
    if (!Array.isArray(warm) || warm.length > maxFiles || !warm.every(id => typeof id === 'string' && id !== '' && id.length <= MAX_TEST_ID_LENGTH)) {
      return fail(`warm must be a list of at most ${maxFiles} test ids (non-empty strings of at most ${MAX_TEST_ID_LENGTH} characters)`);
    }
    value.warm = warm as string[];
  }
  if (payload.shard !== undefined && payload.shard !== null) {
    const { shard } = payload;
    if (typeof shard !== 'number' || !Number.isInteger(shard) || shard < 0 || shard > MAX_SHARD_INDEX) {
      return fail(`shard must be an integer from 0 to ${MAX_SHARD_INDEX} (the node's 0-based CI shard index)`);
    }
    value.shard = shard;
  }
  return { ok: true, value };
}

/** An entry map: ids checked, every entry checked against the protocol shape. */
function parseEntryMap(map: Record<string, unknown>, what: string, maxFiles: number): Parsed<EntryMap> {
  const ids = Object.keys(map);
  if (ids.length > maxFiles) return fail(`${what} has ${ids.length} files; this server accepts at most ${maxFiles} per run`);
  for (const id of ids) {
    if (id === '' || id.length > MAX_TEST_ID_LENGTH) {
      return fail(`${what}: test ids must be non-empty strings of at most ${MAX_TEST_ID_LENGTH} characters`);
    }
    const problem = checkEntry(map[id]);
    if (problem !== null) return fail(`${what}[${quoteId(id)}]: ${problem}`);
  }
  return { ok: true, value: map as EntryMap };
}

/** `enq` payload `{tests: {id: entry}}`. */
export function parseEnqPayload(payload: unknown, maxFiles: number): Parsed<EntryMap> {
  if (!isPlainObject(payload) || !isPlainObject(payload.tests)) {
    return fail('enq payload must be {"tests": {<test id>: <entry>}}');
  }
  return parseEntryMap(payload.tests, 'enq tests', maxFiles);
}

/** Most retries a run may ask for: more would hide a broken file behind reruns. */
export const MAX_RETRY = 5;

/** The `parts` extension of an `enq` payload: the node count hint, and which files may be split. */
export function parseEnqSplit(payload: unknown, maxFiles: number): Parsed<{ nodes: number | undefined; split: boolean; noSplit: string[] }> {
  const p = isPlainObject(payload) ? payload : {};
  const nodes = p.nodes;
  if (nodes !== undefined && (typeof nodes !== 'number' || !Number.isInteger(nodes) || nodes < 1 || nodes > 100_000)) return fail('enq nodes must be an integer from 1 to 100000');
  if (p.split !== undefined && p.split !== false) return fail('enq split must be false (no file is split) or absent');
  const noSplit = p.no_split;
  if (noSplit !== undefined && (!Array.isArray(noSplit) || noSplit.length > maxFiles || !noSplit.every(id => typeof id === 'string'))) {
    return fail('enq no_split must be a list of test ids');
  }
  return { ok: true, value: { nodes: nodes as number | undefined, split: p.split !== false, noSplit: (noSplit as string[] | undefined) ?? [] } };
}

/** The `backups` extension of an `enq` payload: true unless it says false. */
export function parseEnqBackups(payload: unknown): Parsed<boolean> {
  const backups = isPlainObject(payload) ? payload.backups : undefined;
  if (backups === undefined || backups === true) return { ok: true, value: true };
  if (backups === false) return { ok: true, value: false };
  return fail('enq backups must be false (no backup copies for this run) or absent');
}

/** The `bail` extension of an `enq` payload: how many failed files stop the run (0: never, when absent). */
export function parseEnqBail(payload: unknown, maxFiles: number): Parsed<number> {
  const bail = isPlainObject(payload) ? payload.bail : undefined;
  if (bail === undefined || bail === null || bail === 0) return { ok: true, value: 0 };
  if (typeof bail !== 'number' || !Number.isInteger(bail) || bail < 0 || bail > maxFiles) return fail(`enq bail must be a whole number of failed files from 1 to ${maxFiles}, or absent`);
  return { ok: true, value: bail };
}

/** The `retry` extension of an `enq` payload: 0 when absent. */
export function parseEnqRetry(payload: unknown): Parsed<number> {
  const retry = isPlainObject(payload) ? payload.retry : undefined;
  if (retry === undefined) return { ok: true, value: 0 };
  if (typeof retry !== 'number' || !Number.isInteger(retry) || retry < 0 || retry > MAX_RETRY) {
    return fail(`enq retry must be an integer from 0 to ${MAX_RETRY}`);
  }
  return { ok: true, value: retry };
}

/** `deq` payload: the bare results map (empty on the first deq). */
export function parseDeqPayload(payload: unknown, maxFiles: number): Parsed<EntryMap> {
  if (!isPlainObject(payload)) return fail('deq payload must be an object of results {<test id>: <entry>}');
  return parseEntryMap(payload, 'deq results', maxFiles);
}

/** `files` payload (extension): `{count, digest}`. */
export function parseFilesPayload(payload: unknown): Parsed<FilesPayload> {
  if (!isPlainObject(payload)) return fail('files payload must be {"count": <number of test files>, "digest": <hex sha256>}');
  const { count, digest } = payload;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) return fail('files count must be a non-negative integer');
  if (typeof digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest)) return fail('files digest must be a hex sha256 (64 characters)');
  return { ok: true, value: { count, digest } };
}
