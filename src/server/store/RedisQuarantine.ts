/**
 * Quarantines in Redis, shared by every server on it: one JSON value per
 * key and run key, kept 90 days after its last change. Changes are rare
 * (by hand, or once per finished run): two made at the same moment on two
 * servers, the last one written wins.
 */
import type { RunIdentity } from '../run/runIdentity';
import type { RedisKeys } from './RedisKeys';
import type { RedisCommands } from './redisScripts';
import { EMPTY_QUARANTINE, parseQuarantine, type Quarantine } from './quarantine';
import type { QuarantineStore } from './types';

const TTL_MS = 90 * 86_400_000;

export class RedisQuarantine implements QuarantineStore {
  readonly #redis: RedisCommands;
  readonly #keys: RedisKeys;

  constructor(redis: RedisCommands, keys: RedisKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async get(identity: RunIdentity): Promise<Quarantine> {
    const value = await this.#redis.get(this.#keys.quarantine(identity));
    if (value === null) return EMPTY_QUARANTINE;
    try {
      return parseQuarantine(JSON.parse(value));
    } catch {
      return EMPTY_QUARANTINE;
    }
  }

  async update(identity: RunIdentity, change: (q: Quarantine) => Quarantine): Promise<Quarantine> {
    const before = await this.get(identity);
    const next = change(before);
    if (JSON.stringify(next) === JSON.stringify(before)) return before;
    await this.#redis.set(this.#keys.quarantine(identity), JSON.stringify(next), 'PX', TTL_MS);
    return next;
  }
}
