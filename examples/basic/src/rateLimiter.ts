/**
 * Token-bucket rate limiting: `capacity` tokens, refilled continuously at
 * `refillPerSecond`. The clock and sleep are injectable.
 */
import { Clock, Sleep, realSleep, systemClock } from './clock';

export interface TokenBucketOptions {
  capacity: number;
  refillPerSecond: number;
  now?: Clock;
  sleep?: Sleep;
}

export class TokenBucket {
  private tokens: number;
  private lastRefill: number;
  private readonly now: Clock;
  private readonly sleep: Sleep;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.capacity >= 1)) throw new RangeError('capacity must be at least 1');
    if (!(options.refillPerSecond > 0)) throw new RangeError('refillPerSecond must be positive');
    this.now = options.now ?? systemClock;
    this.sleep = options.sleep ?? realSleep;
    this.tokens = options.capacity;
    this.lastRefill = this.now();
  }

  private refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.lastRefill);
    this.tokens = Math.min(this.options.capacity, this.tokens + (elapsed / 1000) * this.options.refillPerSecond);
    this.lastRefill = now;
  }

  available(): number {
    this.refill();
    return Math.floor(this.tokens + 1e-9);
  }

  tryRemove(count = 1): boolean {
    this.assertCount(count);
    this.refill();
    if (this.tokens + 1e-9 >= count) {
      this.tokens -= count;
      return true;
    }
    return false;
  }

  /** Milliseconds until `count` tokens will be available (0 if now). */
  msUntil(count = 1): number {
    this.assertCount(count);
    this.refill();
    const missing = count - this.tokens;
    return missing <= 1e-9 ? 0 : Math.ceil((missing / this.options.refillPerSecond) * 1000);
  }

  /** Waits until `count` tokens can be taken, first come first served. */
  acquire(count = 1): Promise<void> {
    this.assertCount(count);
    const turn = this.queue.then(async () => {
      for (;;) {
        const wait = this.msUntil(count);
        if (wait === 0 && this.tryRemove(count)) return;
        await this.sleep(Math.max(wait, 1));
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private assertCount(count: number): void {
    if (!Number.isInteger(count) || count < 1 || count > this.options.capacity) {
      throw new RangeError(`count must be an integer in [1, ${this.options.capacity}], got ${count}`);
    }
  }
}

/** One bucket per key (per API client, per IP…), created on first use. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly options: TokenBucketOptions) {}

  tryRemove(key: string, count = 1): boolean {
    return this.bucket(key).tryRemove(count);
  }

  msUntil(key: string, count = 1): number {
    return this.bucket(key).msUntil(count);
  }

  acquire(key: string, count = 1): Promise<void> {
    return this.bucket(key).acquire(count);
  }

  get keyCount(): number {
    return this.buckets.size;
  }

  private bucket(key: string): TokenBucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket(this.options);
      this.buckets.set(key, b);
    }
    return b;
  }
}
