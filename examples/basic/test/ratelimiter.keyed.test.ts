import { ManualClock } from '../src/clock';
import { KeyedRateLimiter } from '../src/rateLimiter';

describe('KeyedRateLimiter (manual clock)', () => {
  it('gives every client its own bucket', () => {
    const clock = new ManualClock();
    const limiter = new KeyedRateLimiter({ capacity: 2, refillPerSecond: 1, now: clock.now });
    expect(limiter.tryRemove('10.0.0.1')).toBe(true);
    expect(limiter.tryRemove('10.0.0.1')).toBe(true);
    expect(limiter.tryRemove('10.0.0.1')).toBe(false);
    expect(limiter.tryRemove('10.0.0.2')).toBe(true);
    expect(limiter.keyCount).toBe(2);
    expect(limiter.msUntil('10.0.0.1')).toBe(1000);
    expect(limiter.msUntil('10.0.0.2')).toBe(0);
  });

  it('buckets created later start full, whatever the time', () => {
    const clock = new ManualClock();
    const limiter = new KeyedRateLimiter({ capacity: 3, refillPerSecond: 1, now: clock.now });
    clock.advance(10_000);
    expect([1, 2, 3, 4].map(() => limiter.tryRemove('late'))).toEqual([true, true, true, false]);
  });

  it('acquire waits per key', async () => {
    const clock = new ManualClock();
    const limiter = new KeyedRateLimiter({ capacity: 1, refillPerSecond: 4, now: clock.now, sleep: clock.sleep });
    await limiter.acquire('a');
    await limiter.acquire('b');
    expect(clock.now()).toBe(0);
    await limiter.acquire('a');
    expect(clock.now()).toBe(250);
  });
});
