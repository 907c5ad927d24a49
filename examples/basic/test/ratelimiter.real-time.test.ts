/**
 * The token bucket on the real clock, as it throttles calls to a partner API:
 * a burst, then a steady rate, and independent budgets per client.
 */
import { KeyedRateLimiter, TokenBucket } from '../src/rateLimiter';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rate limiting over real time', () => {
  it('allows the burst at once, then paces calls at the refill rate', async () => {
    const bucket = new TokenBucket({ capacity: 5, refillPerSecond: 20 });
    const stamps: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 25; i++) {
      await bucket.acquire();
      stamps.push(Date.now() - t0);
    }
    expect(stamps[4]).toBeLessThan(100); // the burst goes through without waiting
    const elapsed = stamps[24]!;
    expect(elapsed).toBeGreaterThanOrEqual(950); // 20 more tokens at 20 per second
    expect(elapsed).toBeLessThan(2_500);
    // The bucket's promise: by any moment t, at most capacity + rate × t calls
    // have gone through (late timers may bunch calls up, never exceed it).
    stamps.forEach((t, i) => expect(t).toBeGreaterThanOrEqual((i + 1 - 5) * 50 - 2));
  });

  it('two clients have separate budgets and are paced in parallel', async () => {
    const limiter = new KeyedRateLimiter({ capacity: 2, refillPerSecond: 10 });
    const run = async (client: string) => {
      for (let i = 0; i < 10; i++) await limiter.acquire(client);
      return Date.now();
    };
    const t0 = Date.now();
    const [a, b] = await Promise.all([run('shop-eu'), run('shop-us')]);
    const slowest = Math.max(a, b) - t0;
    expect(slowest).toBeGreaterThanOrEqual(750); // 8 tokens at 10/s each
    expect(slowest).toBeLessThan(1_500); // not 1.6 s: they do not share a bucket
  });

  it('an idle client earns its burst back', async () => {
    const bucket = new TokenBucket({ capacity: 4, refillPerSecond: 8 });
    while (bucket.tryRemove());
    expect(bucket.available()).toBe(0);
    await sleep(300);
    expect(bucket.available()).toBeGreaterThanOrEqual(2);
    await sleep(250);
    expect(bucket.available()).toBe(4);
  });
});
