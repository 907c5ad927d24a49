/**
 * Runs kept in Redis, shared by every server on it: any server can take
 * any node of any run (behind a load balancer, without sticky sessions),
 * and a server that dies loses nothing a reply acknowledged.
 *
 * A run is a Redis list of its events (runEvents.ts). A server changes a
 * run only while it holds the run's lock, and each step is one Lua script,
 * atomic in Redis: `open` (create unless it exists, within the key's
 * limit), `lock` (take it, or say it is taken; answer the log's length),
 * `commit` (append, only with the lock's token, and release). Between lock
 * and commit the server brings its state up to the log, decides, and
 * appends; a server that stalls past the lock's time loses it, and its
 * commit is refused rather than interleaved. After a commit the run's
 * channel is told, so the other servers holding the run catch up.
 *
 * Servers announce themselves every second (a sorted set scored by Redis
 * time); one not heard from for `deadAfterMs` is dead, and its nodes'
 * reconnect grace runs from then. One Redis (with replicas and AOF as the
 * operator likes), not Redis Cluster: a commit touches the run's log and
 * its key's count of unfinished runs at once.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import debug from 'debug';
import type { Redis as RedisClient } from 'ioredis';
import type { KnownTest } from '../../protocol/parts';
import { keptTests } from './DurationHistory';
import { KeyedListeners } from './KeyedListeners';
import { RedisReportStorage } from './RedisReportStorage';
import { checkEvent, type RunEvent } from '../run/runEvents';
import type { RunIdentity } from '../run/runState';
import { finishChange, type RunLock, type RunStore } from './types';
import type { RunSnapshot } from '../types';

const log = debug('jest-fast-ci:server:redis');

export interface RedisStoreOptions {
  /** redis://[user:password@]host:port[/db], or rediss:// for TLS. */
  readonly url: string;
  /** Prefix of every key, so several deployments can share a Redis. @default 'fastci:' */
  readonly prefix?: string;
  /** Unfinished runs with no event for this long, and finished runs this long after their last event, expire. */
  readonly ttlMs: number;
  readonly maxReportBytesPerRun: number;
  /** A server not heard from for this long is dead: its nodes' grace starts. @default 5 s */
  readonly deadAfterMs?: number;
  readonly warn?: (message: string) => void;
}

/** How often a server says it is alive. */
const HEARTBEAT_MS = 1_000;
/** A lock outlives a stalled server by this much at most (a batch takes milliseconds). */
const LOCK_TTL_MS = 5_000;
/** Run keys whose duration history is kept per secret key; the least recently used go first. */
const MAX_HISTORIES_PER_KEY = 50;
/** Files kept per duration history. */
const MAX_HISTORY_FILES = 200_000;

/** Appends ARGV[from..] to a list in slices (Lua's unpack is bounded; a deq may carry thousands of results). */
const PUSH = `
local function push(key, from)
  for i = from, #ARGV, 1000 do redis.call('RPUSH', key, unpack(ARGV, i, math.min(i + 999, #ARGV))) end
end
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
`;

/** KEYS: events, unfinished. ARGV: open event, max runs, ttl ms, run tag. → 1 created, 0 exists, -1 limit. */
const OPEN = `${PUSH}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return -1 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`;

/** KEYS: lock, events. ARGV: token, ttl ms. → the log's length, or -1 when another server holds the lock. */
const LOCK = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('LLEN', KEYS[2]) end
return -1`;

/**
 * KEYS: lock, events, unfinished. ARGV: token, expected length, ttl ms,
 * run tag, finished (1; 2: open again, a retried job's attempt; 0), channel, message, events… → 1, or 0 when the
 * lock is not the caller's any more or the run expired (nothing appended).
 */
const COMMIT = `${PUSH}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local length = redis.call('LLEN', KEYS[2])
if length == 0 or length ~= tonumber(ARGV[2]) then redis.call('DEL', KEYS[1]) return 0 end
if #ARGV > 7 then
  push(KEYS[2], 8)
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  if ARGV[5] == '1' then redis.call('ZREM', KEYS[3], ARGV[4])
  elseif ARGV[5] == '2' then
    redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[4])
    redis.call('PEXPIRE', KEYS[3], ARGV[3])
  else
    redis.call('ZADD', KEYS[3], 'XX', now + tonumber(ARGV[3]), ARGV[4])
    redis.call('PEXPIRE', KEYS[3], ARGV[3])
  end
  redis.call('PUBLISH', ARGV[6], ARGV[7])
end
redis.call('DEL', KEYS[1])
return 1`;

/** KEYS: instances. ARGV: instance. → the instances and their last beats, then Redis's time, after recording this one's beat. */
const BEAT = `${PUSH}
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 86400000)
local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
table.insert(all, tostring(now))
return all`;

/**
 * KEYS: history, histories of the key. ARGV: run key tag, max histories,
 * max files, ttl ms, history key prefix, then id/seconds pairs. The key's
 * least recently used histories beyond the cap are dropped.
 */
const REMEMBER = `${PUSH}
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[2])
if excess > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[2], excess)
  for i = 1, #popped, 2 do
    if popped[i] ~= ARGV[1] then redis.call('DEL', ARGV[5] .. popped[i]) end
  end
end
for i = 6, #ARGV, 1000 do redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
if redis.call('HLEN', KEYS[1]) > tonumber(ARGV[3]) then redis.call('DEL', KEYS[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

type Commands = RedisClient & {
  fastciOpen(events: string, unfinished: string, open: string, max: number, ttl: number, tag: string): Promise<number>;
  fastciLock(lock: string, events: string, token: string, ttl: number): Promise<number>;
  fastciCommit(lock: string, events: string, unfinished: string, ...args: Array<string | number>): Promise<number>;
  fastciBeat(instances: string, instance: string): Promise<string[]>;
  fastciRemember(history: string, histories: string, ...args: Array<string | number>): Promise<number>;
};

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Waits `ms`, unref'd. */
function pause(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}

export class RedisStore implements RunStore {
  readonly instance = randomUUID();
  readonly reports: RedisReportStorage;
  readonly hasPending = false;
  readonly shared = true;
  readonly #redis: Commands;
  readonly #subscriber: RedisClient;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #deadAfterMs: number;
  readonly #startedAt = Date.now();
  readonly #channel: string;
  readonly #watchers = new KeyedListeners();
  /** Last beat of every server seen (Redis time, ms), and Redis time minus ours at the last beat. */
  #beats = new Map<string, number>();
  #skew = 0;
  readonly #beater: NodeJS.Timeout;
  #stats = { records: 0, syncs: 0 };
  #closed = false;

  /** Use RedisStore.connect: it checks that Redis answers before the server listens. */
  private constructor(redis: RedisClient, subscriber: RedisClient, options: RedisStoreOptions) {
    this.#redis = redis as Commands;
    this.#subscriber = subscriber;
    this.#prefix = options.prefix ?? 'fastci:';
    this.#ttlMs = options.ttlMs;
    this.#deadAfterMs = options.deadAfterMs ?? 5_000;
    this.#channel = `${this.#prefix}events`;
    this.reports = new RedisReportStorage(redis, { prefix: this.#prefix, ttlMs: options.ttlMs, maxReportBytesPerRun: options.maxReportBytesPerRun, tagOf: (runId: string) => this.#tag(runId) });
    redis.defineCommand('fastciOpen', { numberOfKeys: 2, lua: OPEN });
    redis.defineCommand('fastciLock', { numberOfKeys: 2, lua: LOCK });
    redis.defineCommand('fastciCommit', { numberOfKeys: 3, lua: COMMIT });
    redis.defineCommand('fastciBeat', { numberOfKeys: 1, lua: BEAT });
    redis.defineCommand('fastciRemember', { numberOfKeys: 2, lua: REMEMBER });
    subscriber.on('message', (_channel: string, message: string) => this.#onMessage(message));
    this.#beater = setInterval(() => void this.#beat().catch(error => log('heartbeat failed: %s', (error as Error).message)), HEARTBEAT_MS);
    this.#beater.unref();
  }

  /** Connects (two connections: one subscribes to the runs' channel), announces this server, and resolves once Redis answered. */
  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const { Redis } = await import('ioredis');
    const warn = options.warn ?? ((message: string) => log(message));
    const connectOptions = { lazyConnect: true, maxRetriesPerRequest: 20, enableAutoPipelining: true };
    const redis = new Redis(options.url, connectOptions);
    const subscriber = new Redis(options.url, { ...connectOptions, enableAutoPipelining: false });
    // ioredis reconnects by itself; an operator should still hear that Redis went away.
    let reported = false;
    for (const client of [redis, subscriber]) {
      client.on('error', (error: Error) => {
        if (!reported) warn(`Redis: ${error.message} (reconnecting)`);
        reported = true;
      });
      client.on('ready', () => (reported = false));
    }
    try {
      await Promise.all([redis.connect(), subscriber.connect()]);
    } catch (error) {
      redis.disconnect();
      subscriber.disconnect();
      throw new Error(`cannot reach Redis at ${redactRedisUrl(options.url)}: ${(error as Error).message}`);
    }
    const store = new RedisStore(redis, subscriber, options);
    await subscriber.subscribe(store.#channel);
    await store.#beat();
    log('connected to %s as %s', redactRedisUrl(options.url), store.instance);
    return store;
  }

  isAlive(instance: string): boolean {
    if (instance === this.instance) return !this.#closed;
    const beat = this.#beats.get(instance);
    return beat !== undefined && this.#redisNow() - beat < this.#deadAfterMs;
  }

  /** When the server was last heard from (in our clock); one never seen: since this server started. */
  deadSince(instance: string): number {
    const beat = this.#beats.get(instance);
    return beat === undefined ? this.#startedAt : beat - this.#skew;
  }

  async open(runId: string, open: Extract<RunEvent, { t: 'open' }>, maxRunsPerKey: number): Promise<RunEvent[] | 'limit'> {
    const keys = this.#keys(runId);
    const created = await this.#redis.fastciOpen(keys.events, this.#unfinished(open.keyHash), JSON.stringify(open), maxRunsPerKey, this.#ttlMs, this.#tag(runId));
    if (created === -1) return 'limit';
    if (created === 1) {
      this.#stats.records += 1;
      return [open];
    }
    return (await this.events(runId, 0)) ?? [open];
  }

  async events(runId: string, from: number): Promise<RunEvent[] | undefined> {
    const raw = await this.#redis.lrange(this.#keys(runId).events, from, -1);
    if (from === 0 && raw.length === 0) return undefined;
    const events: RunEvent[] = [];
    for (const line of raw) {
      const event = JSON.parse(line) as unknown;
      const problem = checkEvent(event);
      // Only servers write these lists; a bad entry means another program wrote there.
      if (problem !== undefined) throw new Error(`run ${this.#tag(runId)} in Redis has a bad event (${problem}); is another program using the prefix ${this.#prefix}?`);
      events.push(event as RunEvent);
    }
    return events;
  }

  async lock(runId: string): Promise<RunLock> {
    const keys = this.#keys(runId);
    const token = randomBytes(12).toString('hex');
    // Another server holds it for one batch (milliseconds): ask again soon, backing off a little.
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      if (this.#closed) throw new Error('the Redis store is closed');
      const version = await this.#redis.fastciLock(keys.lock, keys.events, token, LOCK_TTL_MS);
      if (version >= 0) return { version, token };
      await pause(wait);
    }
  }

  async commit(runId: string, lock: RunLock, events: readonly RunEvent[]): Promise<boolean> {
    const keys = this.#keys(runId);
    const keyHash = (JSON.parse(runId) as string[])[0]!;
    const change = finishChange(events);
    const finished = change === 'finished' ? '1' : change === 'reopened' ? '2' : '0';
    const message = JSON.stringify([this.instance, runId]);
    const ok = await this.#redis.fastciCommit(
      keys.lock,
      keys.events,
      this.#unfinished(keyHash),
      lock.token,
      lock.version,
      this.#ttlMs,
      this.#tag(runId),
      finished,
      this.#channel,
      message,
      ...events.map(e => JSON.stringify(e)),
    );
    if (ok === 1) {
      this.#stats.records += events.length;
      this.#stats.syncs += 1;
    }
    return ok === 1;
  }

  /** The length of the run's log (a poll, in case a notice of another server's commit was lost). */
  async version(runId: string): Promise<number> {
    return this.#redis.llen(this.#keys(runId).events);
  }

  watch(runId: string, listener: () => void): () => void {
    return this.#watchers.add(runId, listener);
  }

  /** The run's data expires `ttlMs` after its last event (commit sets it); the history learns its durations. */
  async finished(_runId: string, identity: RunIdentity, snapshot: RunSnapshot): Promise<void> {
    const pairs: Array<string | number> = [];
    for (const [id, { entry }] of Object.entries(snapshot.results)) {
      const seconds = entry.run_time;
      if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0) pairs.push(id, seconds);
    }
    const { history, histories, runKeyTag, historyPrefix } = this.#historyKeys(identity);
    // History only improves the order of later runs: kept for 30 days after its last use.
    await this.#redis.fastciRemember(history, histories, runKeyTag, MAX_HISTORIES_PER_KEY, MAX_HISTORY_FILES, 30 * 86_400_000, historyPrefix, ...pairs);
    // The tests of slow files, to split them next time; a file no longer slow (or renamed tests) is dropped.
    const keep: string[] = [];
    const drop: string[] = [];
    for (const [id, { entry }] of Object.entries(snapshot.results)) {
      const tests = keptTests(entry);
      if (tests === undefined) drop.push(id);
      else keep.push(id, JSON.stringify(tests));
    }
    const testsKey = `${history}:tests`;
    const pipeline = this.#redis.pipeline();
    if (drop.length > 0) pipeline.hdel(testsKey, ...drop);
    if (keep.length > 0) pipeline.hset(testsKey, ...keep);
    pipeline.pexpire(testsKey, 30 * 86_400_000);
    await pipeline.exec();
  }

  /** Another server may still hold the run: its data is left to expire. */
  async release(): Promise<void> {
    return undefined;
  }

  /** Runs with a node connected here do not expire while it runs a long file. */
  async keepAlive(runIds: readonly string[]): Promise<void> {
    const pipeline = this.#redis.pipeline();
    for (const runId of runIds) pipeline.pexpire(this.#keys(runId).events, this.#ttlMs);
    await pipeline.exec();
  }

  /** Runs load when a node asks for them. */
  async restore(): Promise<Array<{ runId: string; events: RunEvent[] }>> {
    return [];
  }

  async durations(identity: RunIdentity, ids: readonly string[]): Promise<Map<string, number>> {
    const known = new Map<string, number>();
    if (ids.length === 0) return known;
    const { history } = this.#historyKeys(identity);
    const values = await this.#redis.hmget(history, ...ids);
    values.forEach((value, i) => {
      const seconds = value === null ? NaN : Number(value);
      if (Number.isFinite(seconds) && seconds > 0) known.set(ids[i]!, seconds);
    });
    return known;
  }

  async knownTests(identity: RunIdentity, ids: readonly string[]): Promise<Map<string, KnownTest[]>> {
    const known = new Map<string, KnownTest[]>();
    if (ids.length === 0) return known;
    const values = await this.#redis.hmget(`${this.#historyKeys(identity).history}:tests`, ...ids);
    values.forEach((value, i) => {
      if (value === null) return;
      try {
        const tests = JSON.parse(value) as unknown;
        if (Array.isArray(tests) && tests.every(t => Array.isArray(t) && typeof t[0] === 'string' && typeof t[1] === 'number')) known.set(ids[i]!, tests as KnownTest[]);
      } catch {
        // Not ours (another program on the prefix): the file is simply not split.
      }
    });
    return known;
  }

  /** One secret for every server on this Redis: the first server makes it. */
  async keySecret(): Promise<Buffer> {
    const key = `${this.#prefix}key-secret`;
    await this.#redis.set(key, randomBytes(32).toString('hex'), 'NX');
    const secret = await this.#redis.get(key);
    if (secret === null || !/^[0-9a-f]{64}$/.test(secret)) throw new Error(`${key} in Redis is not a key secret; is another program using the prefix ${this.#prefix}?`);
    return Buffer.from(secret, 'hex');
  }

  flush(): void {}

  onPending(): void {}

  get stats(): { readonly records: number; readonly syncs: number } {
    return { ...this.#stats };
  }

  /** Says this server is gone now (its nodes' grace starts at once), then disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#beater);
    try {
      await this.#redis.zadd(`${this.#prefix}instances`, Date.now() + this.#skew - this.#deadAfterMs, this.instance);
      await this.#subscriber.quit();
      await this.#redis.quit();
    } catch {
      this.#subscriber.disconnect();
      this.#redis.disconnect();
    }
  }

  async #beat(): Promise<void> {
    if (this.#closed) return;
    const reply = await this.#redis.fastciBeat(`${this.#prefix}instances`, this.instance);
    const now = Number(reply[reply.length - 1]);
    const beats = new Map<string, number>();
    for (let i = 0; i + 1 < reply.length - 1; i += 2) beats.set(reply[i]!, Number(reply[i + 1]));
    this.#beats = beats;
    this.#skew = now - Date.now();
  }

  #redisNow(): number {
    return Date.now() + this.#skew;
  }

  #onMessage(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(parsed) || parsed[0] === this.instance || typeof parsed[1] !== 'string') return;
    this.#watchers.emit(parsed[1]);
  }

  /** The run's hash tag: every key of a run lands in one cluster slot. */
  #tag(runId: string): string {
    return sha(runId).slice(0, 40);
  }

  #keys(runId: string): { events: string; lock: string } {
    const tag = `{${this.#tag(runId)}}`;
    return { events: `${this.#prefix}run:${tag}:events`, lock: `${this.#prefix}run:${tag}:lock` };
  }

  #historyKeys(identity: RunIdentity): { history: string; histories: string; runKeyTag: string; historyPrefix: string } {
    const keyTag = sha(identity.keyHash).slice(0, 32);
    const runKeyTag = sha(JSON.stringify([identity.keyHash, identity.runKey])).slice(0, 32);
    const historyPrefix = `${this.#prefix}history:${keyTag}:`;
    return { history: historyPrefix + runKeyTag, histories: `${this.#prefix}histories:${keyTag}`, runKeyTag, historyPrefix };
  }

  #unfinished(keyHash: string): string {
    return `${this.#prefix}unfinished:${sha(keyHash).slice(0, 32)}`;
  }
}

/** The URL without its password, for logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<a Redis URL that does not parse>';
  }
}
