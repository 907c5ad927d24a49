/**
 * Which servers on a Redis are up: each announces itself every second (a
 * sorted set scored by Redis time); one not heard from for `deadAfterMs` is
 * dead, and its nodes' reconnect grace runs from its last beat.
 */
import { randomUUID } from 'node:crypto';
import debug from 'debug';
import type { RedisKeys } from './RedisKeys';
import type { RedisCommands } from './redisScripts';
import type { Liveness } from './types';

const log = debug('jest-fast-ci:server:redis');

/** How often a server says it is alive. */
const HEARTBEAT_MS = 1_000;

export class RedisLiveness implements Liveness {
  readonly instance = randomUUID();
  readonly #redis: RedisCommands;
  readonly #keys: RedisKeys;
  readonly #deadAfterMs: number;
  readonly #startedAt = Date.now();
  /** Last beat of every server seen (Redis time, ms), and Redis time minus ours at the last beat. */
  #beats = new Map<string, number>();
  #skew = 0;
  #beater: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(redis: RedisCommands, keys: RedisKeys, deadAfterMs: number) {
    this.#redis = redis;
    this.#keys = keys;
    this.#deadAfterMs = deadAfterMs;
  }

  /** Announces this server, then keeps beating. */
  async start(): Promise<void> {
    await this.#beat();
    this.#beater = setInterval(() => void this.#beat().catch(error => log('heartbeat failed: %s', (error as Error).message)), HEARTBEAT_MS);
    this.#beater.unref();
  }

  isAlive(instance: string): boolean {
    if (instance === this.instance) return !this.#closed;
    const beat = this.#beats.get(instance);
    return beat !== undefined && Date.now() + this.#skew - beat < this.#deadAfterMs;
  }

  /** When the server was last heard from (in our clock); one never seen: since this server started. */
  deadSince(instance: string): number {
    const beat = this.#beats.get(instance);
    return beat === undefined ? this.#startedAt : beat - this.#skew;
  }

  /** Says this server is gone now: its nodes' grace starts at once. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#beater);
    await this.#redis.zadd(this.#keys.instances, Date.now() + this.#skew - this.#deadAfterMs, this.instance);
  }

  async #beat(): Promise<void> {
    if (this.#closed) return;
    const reply = await this.#redis.fastciBeat(this.#keys.instances, this.instance);
    const now = Number(reply[reply.length - 1]);
    const beats = new Map<string, number>();
    for (let i = 0; i + 1 < reply.length - 1; i += 2) beats.set(reply[i]!, Number(reply[i + 1]));
    this.#beats = beats;
    this.#skew = now - Date.now();
  }
}
