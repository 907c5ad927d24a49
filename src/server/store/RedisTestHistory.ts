/**
 * Each test's outcomes across runs in Redis, shared by every server on it:
 * per key and run key, a hash of test → its outcomes as one string of
 * tokens, and a hash of the runs they name (testHistory.ts; its `next`
 * field hands out run ids), both kept for the window's days after their
 * last use; past MAX_HISTORY_TESTS tests it starts again. Only the server
 * that committed a run's finish records it; two runs of one run key
 * finishing at the same moment may each miss the other's outcomes of a
 * test, as the duration history may.
 */
import type { RunIdentity } from '../run/runIdentity';
import type { RedisKeys } from './RedisKeys';
import type { RedisCommands } from './redisScripts';
import { appendOutcomes, decodeOutcomes, hasFailure, MAX_HISTORY_TESTS, parseRun, rowKey, runsOf, storedRun, tokensByTest, type RunRow, type TestOutcome } from './testHistory';
import type { TestHistoryStore, TestWindow } from './types';

/** Fields read or written per command: a suite has thousands of tests. */
const CHUNK = 1000;
const DAY_MS = 86_400_000;
/** The runs hash's field that hands out run ids (HINCRBY: two servers never give two runs one id). */
const NEXT = 'next';

export class RedisTestHistory implements TestHistoryStore {
  readonly #redis: RedisCommands;
  readonly #keys: RedisKeys;
  readonly #window: TestWindow;

  constructor(redis: RedisCommands, keys: RedisKeys, window: TestWindow) {
    this.#redis = redis;
    this.#keys = keys;
    this.#window = window;
  }

  async record(identity: RunIdentity, outcomes: ReadonlyArray<readonly [string, TestOutcome]>, now: number): Promise<void> {
    const key = this.#keys.testHistory(identity);
    const runsKey = this.#keys.testRuns(identity);
    const rows = runsOf(outcomes);
    const last = await this.#redis.hincrby(runsKey, NEXT, rows.length);
    const ids = new Map(rows.map((row, i) => [rowKey(row), last - rows.length + 1 + i]));
    if (rows.length > 0) await this.#redis.hset(runsKey, ...rows.flatMap(row => [String(ids.get(rowKey(row))), JSON.stringify(storedRun(row))]));
    // The table within the window: runs past it are dropped, and with them the tokens that name them.
    const runs = await this.#runs(runsKey);
    const since = now - this.#window.days * DAY_MS;
    const old = [...runs].filter(([, row]) => row.at < since).map(([id]) => id);
    for (const id of old) runs.delete(id);
    if (old.length > 0) await this.#redis.hdel(runsKey, ...old.map(String));
    const added = tokensByTest(outcomes, ids);
    const tests = [...added.keys()];
    for (let i = 0; i < tests.length; i += CHUNK) {
      const chunk = tests.slice(i, i + CHUNK);
      const before = await this.#redis.hmget(key, ...chunk);
      await this.#redis.hset(key, ...chunk.flatMap((test, j) => [test, appendOutcomes(before[j] ?? undefined, added.get(test)!, this.#window.runs, runs)]));
    }
    if ((await this.#redis.hlen(key)) > MAX_HISTORY_TESTS) await this.#redis.del(key);
    for (const k of [key, runsKey]) await this.#redis.pexpire(k, this.#window.days * DAY_MS);
  }

  async withFailures(identity: RunIdentity, now: number): Promise<Map<string, TestOutcome[]>> {
    const since = now - this.#window.days * DAY_MS;
    const runs = await this.#runs(this.#keys.testRuns(identity));
    for (const [id, row] of runs) if (row.at < since) runs.delete(id);
    const out = new Map<string, TestOutcome[]>();
    for (const [test, value] of Object.entries(await this.#redis.hgetall(this.#keys.testHistory(identity)))) {
      if (!hasFailure(value)) continue;
      const list = decodeOutcomes(value, runs);
      if (list.some(o => o.status === 'failed')) out.set(test, list);
    }
    return out;
  }

  /** The table of runs; what is not a run (another program's field) is left out. */
  async #runs(runsKey: string): Promise<Map<number, RunRow>> {
    const runs = new Map<number, RunRow>();
    for (const [id, value] of Object.entries(await this.#redis.hgetall(runsKey))) {
      if (!/^\d+$/.test(id)) continue;
      let row: RunRow | undefined;
      try {
        row = parseRun(JSON.parse(value));
      } catch {
        row = undefined;
      }
      if (row !== undefined) runs.set(Number(id), row);
    }
    return runs;
  }
}
