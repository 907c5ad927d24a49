/**
 * A least-recently-used cache with an optional time-to-live. Relies on Map's
 * insertion order: the first key is always the least recently used.
 */
import { Clock, systemClock } from './clock';

export interface LruOptions<K, V> {
  maxEntries: number;
  /** Entries older than this are treated as absent. */
  ttlMs?: number;
  now?: Clock;
  onEvict?: (key: K, value: V, reason: 'capacity' | 'expired' | 'deleted') => void;
}

interface Entry<V> {
  value: V;
  storedAt: number;
}

export interface LruStats {
  hits: number;
  misses: number;
  evictions: number;
}

export class LruCache<K, V> {
  private readonly map = new Map<K, Entry<V>>();
  private readonly now: Clock;
  private readonly stats: LruStats = { hits: 0, misses: 0, evictions: 0 };

  constructor(private readonly options: LruOptions<K, V>) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError('maxEntries must be a positive integer');
    }
    if (options.ttlMs !== undefined && !(options.ttlMs > 0)) throw new RangeError('ttlMs must be positive');
    this.now = options.now ?? systemClock;
  }

  get size(): number {
    return this.map.size;
  }

  private isExpired(entry: Entry<V>): boolean {
    return this.options.ttlMs !== undefined && this.now() - entry.storedAt >= this.options.ttlMs;
  }

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (!entry) {
      this.stats.misses++;
      return undefined;
    }
    if (this.isExpired(entry)) {
      this.map.delete(key);
      this.options.onEvict?.(key, entry.value, 'expired');
      this.stats.misses++;
      return undefined;
    }
    this.map.delete(key);
    this.map.set(key, entry);
    this.stats.hits++;
    return entry.value;
  }

  /** Like get, but does not count as a use and does not touch statistics. */
  peek(key: K): V | undefined {
    const entry = this.map.get(key);
    return entry && !this.isExpired(entry) ? entry.value : undefined;
  }

  has(key: K): boolean {
    return this.peek(key) !== undefined;
  }

  set(key: K, value: V): this {
    this.map.delete(key);
    this.map.set(key, { value, storedAt: this.now() });
    while (this.map.size > this.options.maxEntries) {
      const [oldestKey, oldest] = this.map.entries().next().value as [K, Entry<V>];
      this.map.delete(oldestKey);
      this.stats.evictions++;
      this.options.onEvict?.(oldestKey, oldest.value, 'capacity');
    }
    return this;
  }

  delete(key: K): boolean {
    const entry = this.map.get(key);
    if (!entry) return false;
    this.map.delete(key);
    this.options.onEvict?.(key, entry.value, 'deleted');
    return true;
  }

  /** Returns the cached value or computes, stores and returns it. */
  async getOrLoad(key: K, load: (key: K) => Promise<V>): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const value = await load(key);
    this.set(key, value);
    return value;
  }

  /** Drops every expired entry; returns how many were dropped. */
  prune(): number {
    let dropped = 0;
    for (const [key, entry] of [...this.map]) {
      if (this.isExpired(entry)) {
        this.map.delete(key);
        this.options.onEvict?.(key, entry.value, 'expired');
        dropped++;
      }
    }
    return dropped;
  }

  /** Keys from least to most recently used. */
  keys(): K[] {
    return [...this.map.keys()];
  }

  getStats(): Readonly<LruStats> {
    return { ...this.stats };
  }

  clear(): void {
    this.map.clear();
  }
}
