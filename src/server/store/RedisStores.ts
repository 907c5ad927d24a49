/**
 * Everything a server keeps, in one Redis shared by every server on it
 * (with replicas and AOF as the operator likes; not Redis Cluster: a
 * commit touches the run's log and its key's count of unfinished runs at
 * once). Two connections: one for commands, one subscribed to the
 * deployment's channel.
 */
import { randomBytes } from 'node:crypto';
import debug from 'debug';
import type { Redis as RedisClient } from 'ioredis';
import { RedisHistory } from './RedisHistory';
import { RedisTestHistory } from './RedisTestHistory';
import { RedisQuarantine } from './RedisQuarantine';
import { DEFAULT_TEST_HISTORY_DAYS, DEFAULT_TEST_HISTORY_RUNS } from './testHistory';
import { RedisKeys } from './RedisKeys';
import { RedisLiveness } from './RedisLiveness';
import { RedisReportStorage } from './RedisReportStorage';
import { RedisRunLog } from './RedisRunLog';
import { defineScripts, type RedisCommands } from './redisScripts';
import type { Stores, TestWindow } from './types';

const log = debug('jest-fast-ci:server:redis');

export interface RedisStoresOptions {
  /** redis://[user:password@]host:port[/db], or rediss:// for TLS. */
  readonly url: string;
  /** Prefix of every key, so several deployments can share a Redis. @default 'fastci:' */
  readonly prefix?: string;
  /** Unfinished runs with no event for this long, and finished runs this long after their last event, expire. */
  readonly ttlMs: number;
  readonly maxReportBytesPerRun: number;
  readonly maxReportBytesPerNode: number;
  /** A server not heard from for this long is dead: its nodes' grace starts. @default 5 s */
  readonly deadAfterMs?: number;
  readonly warn?: (message: string) => void;
  /** How much of each test's past to keep. @default 30 runs, 30 days */
  readonly testWindow?: TestWindow;
}

export class RedisStores implements Stores {
  readonly runs: RedisRunLog;
  readonly liveness: RedisLiveness;
  readonly history: RedisHistory;
  readonly tests: RedisTestHistory;
  readonly quarantine: RedisQuarantine;
  readonly reports: RedisReportStorage;
  readonly #redis: RedisCommands;
  readonly #subscriber: RedisClient;
  readonly #keys: RedisKeys;
  #closed = false;

  /** Use RedisStores.connect: it checks that Redis answers before the server listens. */
  private constructor(redis: RedisClient, subscriber: RedisClient, options: RedisStoresOptions) {
    this.#redis = defineScripts(redis);
    this.#subscriber = subscriber;
    this.#keys = new RedisKeys(options.prefix ?? 'fastci:');
    this.liveness = new RedisLiveness(this.#redis, this.#keys, options.deadAfterMs ?? 5_000);
    this.runs = new RedisRunLog(this.#redis, subscriber, this.#keys, { ttlMs: options.ttlMs, instance: this.liveness.instance });
    this.history = new RedisHistory(this.#redis, this.#keys);
    this.quarantine = new RedisQuarantine(this.#redis, this.#keys);
    this.tests = new RedisTestHistory(this.#redis, this.#keys, options.testWindow ?? { runs: DEFAULT_TEST_HISTORY_RUNS, days: DEFAULT_TEST_HISTORY_DAYS });
    this.reports = new RedisReportStorage(this.#redis, this.#keys, { ttlMs: options.ttlMs, maxReportBytesPerRun: options.maxReportBytesPerRun, maxReportBytesPerNode: options.maxReportBytesPerNode });
  }

  /** Connects, subscribes, announces this server, and resolves once Redis answered. */
  static async connect(options: RedisStoresOptions): Promise<RedisStores> {
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
    const stores = new RedisStores(redis, subscriber, options);
    await subscriber.subscribe(stores.#keys.channel);
    await stores.liveness.start();
    log('connected to %s as %s', redactRedisUrl(options.url), stores.liveness.instance);
    return stores;
  }

  /** One secret for every server on this Redis: the first server makes it. */
  async keySecret(): Promise<Buffer> {
    const key = this.#keys.keySecret;
    await this.#redis.set(key, randomBytes(32).toString('hex'), 'NX');
    const secret = await this.#redis.get(key);
    if (secret === null || !/^[0-9a-f]{64}$/.test(secret)) throw new Error(`${key} in Redis is not a key secret; is another program using the prefix ${this.#keys.prefix}?`);
    return Buffer.from(secret, 'hex');
  }

  /** Says this server is gone now (its nodes' grace starts at once), then disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.runs.close();
    try {
      await this.liveness.stop();
      await this.#subscriber.quit();
      await this.#redis.quit();
    } catch {
      this.#subscriber.disconnect();
      this.#redis.disconnect();
    }
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
