/**
 * The Redis store's transitions, one Lua script each, atomic in Redis (as
 * Shopify's ci-queue keeps them): open a run, take its lock, commit events
 * and release the lock, a server's heartbeat, remember a finished run's
 * durations, store a report record within its run's budget. Each script names its keys and arguments in locals first; the
 * TypeScript side calls them through the typed commands below and never
 * changes a run's keys any other way. Key names are RedisKeys'.
 */
import type { Redis as RedisClient } from 'ioredis';

/** Redis's clock in ms, so every server agrees on it. */
const NOW = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
`;

/** Appends ARGV[from..] to a list in slices (Lua's unpack is bounded; a deq may carry thousands of results). */
const PUSH = `
local function push(key, from)
  for i = from, #ARGV, 1000 do redis.call('RPUSH', key, unpack(ARGV, i, math.min(i + 999, #ARGV))) end
end
`;

/** Creates a run unless it exists, within its key's limit of unfinished runs. → 1 created, 0 exists, -1 limit. */
const OPEN = `${NOW}
local events_key, unfinished_key = KEYS[1], KEYS[2]
local open_event, max_runs, ttl_ms, run_tag = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
if redis.call('EXISTS', events_key) == 1 then return 0 end
redis.call('ZREMRANGEBYSCORE', unfinished_key, '-inf', now)
if redis.call('ZCARD', unfinished_key) >= max_runs then return -1 end
redis.call('RPUSH', events_key, open_event)
redis.call('PEXPIRE', events_key, ttl_ms)
redis.call('ZADD', unfinished_key, now + ttl_ms, run_tag)
redis.call('PEXPIRE', unfinished_key, ttl_ms)
return 1`;

/** Takes the run's lock. → the log's length, or -1 when another server holds it. */
const LOCK = `
local lock_key, events_key = KEYS[1], KEYS[2]
local token, ttl_ms = ARGV[1], ARGV[2]
if redis.call('SET', lock_key, token, 'NX', 'PX', ttl_ms) then return redis.call('LLEN', events_key) end
return -1`;

/**
 * Appends the events (from ARGV[8] on) and releases the lock, only with the
 * lock's token and at the length the holder saw; keeps the key's count of
 * unfinished runs; tells the other servers. → 1, or 0 when the lock is not
 * the caller's any more or the run expired (nothing appended).
 */
const COMMIT = `${NOW}${PUSH}
local lock_key, events_key, unfinished_key = KEYS[1], KEYS[2], KEYS[3]
local token, expected_length, ttl_ms, run_tag = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
-- 1: the run finished; 2: it is open again (a retried job's attempt); 0: neither.
local finish_change, channel, message = ARGV[5], ARGV[6], ARGV[7]
local first_event = 8
if redis.call('GET', lock_key) ~= token then return 0 end
local length = redis.call('LLEN', events_key)
if length == 0 or length ~= expected_length then redis.call('DEL', lock_key) return 0 end
if #ARGV >= first_event then
  push(events_key, first_event)
  redis.call('PEXPIRE', events_key, ttl_ms)
  if finish_change == '1' then redis.call('ZREM', unfinished_key, run_tag)
  elseif finish_change == '2' then
    redis.call('ZADD', unfinished_key, now + ttl_ms, run_tag)
    redis.call('PEXPIRE', unfinished_key, ttl_ms)
  else
    redis.call('ZADD', unfinished_key, 'XX', now + ttl_ms, run_tag)
    redis.call('PEXPIRE', unfinished_key, ttl_ms)
  end
  redis.call('PUBLISH', channel, message)
end
redis.call('DEL', lock_key)
return 1`;

/** Records this server's beat. → every server's last beat (instance, ms pairs), then Redis's time. */
const BEAT = `${NOW}
local instances_key = KEYS[1]
local instance = ARGV[1]
local day_ms = 86400000
redis.call('ZADD', instances_key, now, instance)
redis.call('ZREMRANGEBYSCORE', instances_key, '-inf', now - day_ms)
local all = redis.call('ZRANGE', instances_key, 0, -1, 'WITHSCORES')
table.insert(all, tostring(now))
return all`;

/**
 * Writes a history's new durations and kept tests (id/value pairs from
 * ARGV[first_pair] on: `tests_count` test pairs, then durations) and marks
 * it used; the key's least recently used histories beyond the cap go, and a
 * history over its file cap starts again.
 */
const REMEMBER = `${NOW}
local history_key, tests_key, histories_key = KEYS[1], KEYS[2], KEYS[3]
local run_key_tag, max_histories, max_files, ttl_ms, history_prefix = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local drop_count, keep_count = tonumber(ARGV[6]), tonumber(ARGV[7])
local first = 8
redis.call('ZADD', histories_key, now, run_key_tag)
redis.call('PEXPIRE', histories_key, ttl_ms)
local excess = redis.call('ZCARD', histories_key) - max_histories
if excess > 0 then
  local popped = redis.call('ZPOPMIN', histories_key, excess)
  for i = 1, #popped, 2 do
    if popped[i] ~= run_key_tag then redis.call('DEL', history_prefix .. popped[i], history_prefix .. popped[i] .. ':tests') end
  end
end
local drops_end = first + drop_count - 1
for i = first, drops_end, 1000 do redis.call('HDEL', tests_key, unpack(ARGV, i, math.min(i + 999, drops_end))) end
local keeps_end = drops_end + keep_count * 2
for i = drops_end + 1, keeps_end, 1000 do redis.call('HSET', tests_key, unpack(ARGV, i, math.min(i + 999, keeps_end))) end
for i = keeps_end + 1, #ARGV, 1000 do redis.call('HSET', history_key, unpack(ARGV, i, math.min(i + 999, #ARGV))) end
if redis.call('HLEN', history_key) > max_files then redis.call('DEL', history_key) end
redis.call('PEXPIRE', history_key, ttl_ms)
redis.call('PEXPIRE', tests_key, ttl_ms)
return 1`;

/** Stores a report record within the run's byte budget. → 1 stored, 0 over the budget. */
const ADD_REPORT = `
local reports_key, bytes_key, node_bytes_key = KEYS[1], KEYS[2], KEYS[3]
local field, value, limit, ttl_ms, node, node_limit = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[6])
local size = string.len(value) - redis.call('HSTRLEN', reports_key, field)
local total = tonumber(redis.call('GET', bytes_key) or '0')
if total + size > limit then return 0 end
local node_total = tonumber(redis.call('HGET', node_bytes_key, node) or '0')
if node_total + size > node_limit then return -1 end
redis.call('HSET', reports_key, field, value)
redis.call('INCRBY', bytes_key, size)
redis.call('HINCRBY', node_bytes_key, node, size)
redis.call('PEXPIRE', reports_key, ttl_ms)
redis.call('PEXPIRE', bytes_key, ttl_ms)
redis.call('PEXPIRE', node_bytes_key, ttl_ms)
return 1`;

/** The scripts as commands of a client. */
export type RedisCommands = RedisClient & {
  fastciOpen(events: string, unfinished: string, open: string, maxRuns: number, ttlMs: number, runTag: string): Promise<number>;
  fastciLock(lock: string, events: string, token: string, ttlMs: number): Promise<number>;
  fastciCommit(
    lock: string,
    events: string,
    unfinished: string,
    token: string,
    expectedLength: number,
    ttlMs: number,
    runTag: string,
    finishChange: '0' | '1' | '2',
    channel: string,
    message: string,
    ...records: string[]
  ): Promise<number>;
  fastciBeat(instances: string, instance: string): Promise<string[]>;
  fastciAddReport(reports: string, bytes: string, nodeBytes: string, field: string, value: Buffer, limit: number, ttlMs: number, node: number, nodeLimit: number): Promise<number>;
  fastciRemember(
    history: string,
    tests: string,
    histories: string,
    runKeyTag: string,
    maxHistories: number,
    maxFiles: number,
    ttlMs: number,
    historyPrefix: string,
    dropCount: number,
    keepCount: number,
    ...pairs: string[]
  ): Promise<number>;
};

/** Defines the scripts on `redis` (loaded once, then called by their digest). */
export function defineScripts(redis: RedisClient): RedisCommands {
  redis.defineCommand('fastciOpen', { numberOfKeys: 2, lua: OPEN });
  redis.defineCommand('fastciLock', { numberOfKeys: 2, lua: LOCK });
  redis.defineCommand('fastciCommit', { numberOfKeys: 3, lua: COMMIT });
  redis.defineCommand('fastciBeat', { numberOfKeys: 1, lua: BEAT });
  redis.defineCommand('fastciRemember', { numberOfKeys: 3, lua: REMEMBER });
  redis.defineCommand('fastciAddReport', { numberOfKeys: 3, lua: ADD_REPORT });
  return redis as RedisCommands;
}
