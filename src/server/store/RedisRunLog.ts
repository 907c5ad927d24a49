/**
 * Runs kept in Redis, shared by every server on it: any server can take
 * any node of any run (behind a load balancer, without sticky sessions),
 * and a server that dies loses nothing a reply acknowledged.
 *
 * A run is a Redis list of its events. A server changes a run only while
 * it holds the run's lock, and each step is one script (redisScripts.ts):
 * open (create unless it exists, within the key's limit), lock (take it,
 * or say it is taken; answer the log's length), commit (append, only with
 * the lock's token, and release). Between lock and commit the server
 * brings its state up to the log, decides, and appends; a server that
 * stalls past the lock's time loses it, and its commit is refused rather
 * than interleaved. After a commit the deployment's channel is told, so the
 * other servers holding the run catch up.
 */
import { randomBytes } from 'node:crypto';
import type { Redis as RedisClient } from 'ioredis';
import { checkEvent, finishChange, type RunEvent } from '../run/runEvents';
import { KeyedListeners } from './KeyedListeners';
import type { RedisKeys } from './RedisKeys';
import type { RedisCommands } from './redisScripts';
import type { LogStats, RunLock, SharedRunLog } from './types';

/** A lock outlives a stalled server by this much at most (a batch takes milliseconds). */
const LOCK_TTL_MS = 5_000;

/** Waits `ms`, unref'd. */
function pause(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}

export class RedisRunLog implements SharedRunLog {
  readonly shared = true;
  readonly #redis: RedisCommands;
  readonly #keys: RedisKeys;
  readonly #ttlMs: number;
  /** Tags commit notices so this server ignores its own. */
  readonly #instance: string;
  readonly #watchers = new KeyedListeners();
  #stats = { records: 0, syncs: 0 };
  #closed = false;

  /** `subscriber`: a connection subscribed to the deployment's channel (it can do nothing else). */
  constructor(redis: RedisCommands, subscriber: RedisClient, keys: RedisKeys, options: { ttlMs: number; instance: string }) {
    this.#redis = redis;
    this.#keys = keys;
    this.#ttlMs = options.ttlMs;
    this.#instance = options.instance;
    subscriber.on('message', (_channel: string, message: string) => this.#onMessage(message));
  }

  get stats(): LogStats {
    return { ...this.#stats };
  }

  async open(runId: string, open: Extract<RunEvent, { t: 'open' }>, maxRunsPerKey: number): Promise<RunEvent[] | 'limit'> {
    const created = await this.#redis.fastciOpen(this.#keys.run(runId).events, this.#keys.unfinished(open.keyHash), JSON.stringify(open), maxRunsPerKey, this.#ttlMs, this.#keys.runTag(runId));
    if (created === -1) return 'limit';
    if (created === 1) {
      this.#stats.records += 1;
      return [open];
    }
    return (await this.events(runId, 0)) ?? [open];
  }

  async events(runId: string, from: number): Promise<RunEvent[] | undefined> {
    const raw = await this.#redis.lrange(this.#keys.run(runId).events, from, -1);
    if (from === 0 && raw.length === 0) return undefined;
    const events: RunEvent[] = [];
    for (const line of raw) {
      const event = JSON.parse(line) as unknown;
      const problem = checkEvent(event);
      // Only servers write these lists; a bad entry means another program wrote there.
      if (problem !== undefined) throw new Error(`run ${this.#keys.runTag(runId)} in Redis has a bad event (${problem}); is another program using the prefix ${this.#keys.prefix}?`);
      events.push(event as RunEvent);
    }
    return events;
  }

  async lock(runId: string): Promise<RunLock> {
    const keys = this.#keys.run(runId);
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
    const keys = this.#keys.run(runId);
    const keyHash = (JSON.parse(runId) as string[])[0]!;
    const change = finishChange(events);
    const ok = await this.#redis.fastciCommit(
      keys.lock,
      keys.events,
      this.#keys.unfinished(keyHash),
      lock.token,
      lock.version,
      this.#ttlMs,
      this.#keys.runTag(runId),
      change === 'finished' ? '1' : change === 'reopened' ? '2' : '0',
      this.#keys.channel,
      JSON.stringify([this.#instance, runId]),
      ...events.map(e => JSON.stringify(e)),
    );
    if (ok === 1) {
      this.#stats.records += events.length;
      this.#stats.syncs += 1;
    }
    return ok === 1;
  }

  async version(runId: string): Promise<number> {
    return this.#redis.llen(this.#keys.run(runId).events);
  }

  watch(runId: string, listener: () => void): () => void {
    return this.#watchers.add(runId, listener);
  }

  /** Runs with a node connected here do not expire while it runs a long file. */
  async keepAlive(runIds: readonly string[]): Promise<void> {
    const pipeline = this.#redis.pipeline();
    for (const runId of runIds) pipeline.pexpire(this.#keys.run(runId).events, this.#ttlMs);
    await pipeline.exec();
  }

  /** Locks are no longer taken (a host waiting for one gives up). */
  close(): void {
    this.#closed = true;
  }

  #onMessage(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(parsed) || parsed[0] === this.#instance || typeof parsed[1] !== 'string') return;
    this.#watchers.emit(parsed[1]);
  }
}
