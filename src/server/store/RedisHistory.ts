/**
 * Duration histories in Redis, shared by every server on it: per key and
 * run key, a hash of each file's record (its last durations and outcomes,
 * as JSON: history.ts parseFileRecord; an older server's list of
 * durations, or a bare number, is read as durations) and a hash of slow
 * files' tests. The same lesson as a local history (history.ts), written by one
 * script; kept HISTORY_TTL_MS after its last use, at most
 * MAX_HISTORIES_PER_KEY per key.
 */
import type { KnownTest } from '../../protocol/types';
import type { RunIdentity } from '../run/runIdentity';
import { HISTORY_TTL_MS, lessonOf, NODES_ID, MAX_HISTORIES_PER_KEY, MAX_HISTORY_FILES, parseFileRecord, parseKnownTests, storedFileRecord, withRun, type FileRecord, type FinishedRun } from './history';
import type { RedisKeys } from './RedisKeys';
import type { RedisCommands } from './redisScripts';
import type { HistoryStore } from './types';

function parse(value: string | null): unknown {
  if (value === null) return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    // Not ours (another program on the prefix): as if nothing were kept.
    return undefined;
  }
}

export class RedisHistory implements HistoryStore {
  readonly #redis: RedisCommands;
  readonly #keys: RedisKeys;

  constructor(redis: RedisCommands, keys: RedisKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async durations(identity: RunIdentity, ids: readonly string[]): Promise<Map<string, number>> {
    const known = new Map<string, number>();
    for (const [id, { durations }] of await this.#recentOf(identity, ids)) {
      const newest = durations.at(-1);
      if (newest !== undefined) known.set(id, newest);
    }
    return known;
  }

  async knownTests(identity: RunIdentity, ids: readonly string[]): Promise<Map<string, KnownTest[]>> {
    const known = new Map<string, KnownTest[]>();
    if (ids.length === 0) return known;
    const values = await this.#redis.hmget(this.#keys.history(identity).tests, ...ids);
    values.forEach((value, i) => {
      const tests = parseKnownTests(parse(value));
      if (tests !== undefined) known.set(ids[i]!, tests);
    });
    return known;
  }

  async recent(identity: RunIdentity, id: string): Promise<FileRecord> {
    return (await this.#recentOf(identity, [id])).get(id) ?? { durations: [], outcomes: [] };
  }

  /**
   * Reads each file's durations, adds the new one, writes them back. Only
   * the server that committed a run's finish records it; two runs of one
   * run key finishing at the same moment may each miss the other's newest
   * duration, which the next run puts right.
   */
  async nodes(identity: RunIdentity): Promise<number | undefined> {
    return (await this.#recentOf(identity, [NODES_ID])).get(NODES_ID)?.durations.at(-1);
  }

  async record(identity: RunIdentity, results: Parameters<HistoryStore['record']>[1], nodes?: number, run?: FinishedRun): Promise<void> {
    const lesson = lessonOf(results, nodes, run);
    const keys = this.#keys.history(identity);
    const before = await this.#recentOf(identity, lesson.files.map(([id]) => id));
    const drop = lesson.tests.filter(([, tests]) => tests === undefined).map(([id]) => id);
    const keep = lesson.tests.flatMap(([id, tests]) => (tests === undefined ? [] : [id, JSON.stringify(tests)]));
    const durations = lesson.files.flatMap(([id, seconds, outcome]) => [id, JSON.stringify(storedFileRecord(withRun(before.get(id), seconds, outcome)))]);
    await this.#redis.fastciRemember(
      keys.history,
      keys.tests,
      keys.histories,
      keys.runKeyTag,
      MAX_HISTORIES_PER_KEY,
      MAX_HISTORY_FILES,
      HISTORY_TTL_MS,
      keys.historyPrefix,
      drop.length,
      keep.length / 2,
      ...drop,
      ...keep,
      ...durations,
    );
  }

  async #recentOf(identity: RunIdentity, ids: readonly string[]): Promise<Map<string, FileRecord>> {
    const recent = new Map<string, FileRecord>();
    if (ids.length === 0) return recent;
    const values = await this.#redis.hmget(this.#keys.history(identity).history, ...ids);
    values.forEach((value, i) => {
      const record = parseFileRecord(parse(value));
      if (record.durations.length > 0 || record.outcomes.length > 0) recent.set(ids[i]!, record);
    });
    return recent;
  }
}
