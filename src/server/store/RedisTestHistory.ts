/**
 * Each test's outcomes across runs in Redis, shared by every server on it:
 * per key and run key, a hash of test → its outcomes (JSON, testHistory.ts),
 * kept for the window's days after its last use; past MAX_HISTORY_TESTS
 * tests it starts again. Only the server that committed a run's finish
 * records it; two runs of one run key finishing at the same moment may
 * each miss the other's outcomes of a test, as the duration history may.
 */
import type { RunIdentity } from '../run/runIdentity';
import type { RedisKeys } from './RedisKeys';
import type { RedisCommands } from './redisScripts';
import { MAX_HISTORY_TESTS, parseOutcomes, storedOutcomes, withOutcomes, type TestOutcome } from './testHistory';
import type { TestHistoryStore, TestWindow } from './types';

/** Fields read or written per command: a suite has thousands of tests. */
const CHUNK = 1000;

function parse(value: string | null): TestOutcome[] {
  if (value === null) return [];
  try {
    return parseOutcomes(JSON.parse(value));
  } catch {
    // Not ours (another program on the prefix): as if nothing were kept.
    return [];
  }
}

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
    const added = new Map<string, TestOutcome[]>();
    for (const [test, outcome] of outcomes) added.set(test, [...(added.get(test) ?? []), outcome]);
    const tests = [...added.keys()];
    for (let i = 0; i < tests.length; i += CHUNK) {
      const chunk = tests.slice(i, i + CHUNK);
      const before = await this.#redis.hmget(key, ...chunk);
      const fields = chunk.flatMap((test, j) => [test, JSON.stringify(storedOutcomes(withOutcomes(parse(before[j] ?? null), added.get(test)!, this.#window.runs, this.#window.days, now)))]);
      await this.#redis.hset(key, ...fields);
    }
    if ((await this.#redis.hlen(key)) > MAX_HISTORY_TESTS) await this.#redis.del(key);
    await this.#redis.pexpire(key, this.#window.days * 86_400_000);
  }

  async all(identity: RunIdentity, now: number): Promise<Map<string, TestOutcome[]>> {
    const since = now - this.#window.days * 86_400_000;
    const out = new Map<string, TestOutcome[]>();
    for (const [test, value] of Object.entries(await this.#redis.hgetall(this.#keys.testHistory(identity)))) {
      const recent = parse(value).filter(o => o.at >= since);
      if (recent.length > 0) out.set(test, recent);
    }
    return out;
  }
}
