import { ManualClock } from '../src/clock';
import { TokenBucket } from '../src/rateLimiter';

describe('TokenBucket (manual clock)', () => {
  let clock: ManualClock;
  let bucket: TokenBucket;

  beforeEach(() => {
    clock = new ManualClock();
    bucket = new TokenBucket({ capacity: 5, refillPerSecond: 2, now: clock.now, sleep: clock.sleep });
  });

  it('allows a burst up to its capacity', () => {
    const results = Array.from({ length: 6 }, () => bucket.tryRemove());
    expect(results).toEqual([true, true, true, true, true, false]);
  });

  it('refills continuously', () => {
    for (let i = 0; i < 5; i++) bucket.tryRemove();
    expect(bucket.msUntil()).toBe(500);
    clock.advance(499);
    expect(bucket.tryRemove()).toBe(false);
    clock.advance(1);
    expect(bucket.tryRemove()).toBe(true);
  });

  it('says how long a bigger request has to wait', () => {
    for (let i = 0; i < 5; i++) bucket.tryRemove();
    expect(bucket.msUntil(3)).toBe(1500);
    clock.advance(1500);
    expect(bucket.tryRemove(3)).toBe(true);
  });

  it('never holds more than its capacity', () => {
    clock.advance(60_000);
    expect(bucket.available()).toBe(5);
  });

  it('acquire waits just long enough', async () => {
    for (let i = 0; i < 7; i++) await bucket.acquire();
    expect(clock.now()).toBe(1000); // 2 tokens beyond the burst at 2 per second
  });

  it('serves concurrent acquires in order', async () => {
    for (let i = 0; i < 5; i++) bucket.tryRemove();
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((n) => bucket.acquire().then(() => order.push(n))));
    expect(order).toEqual([1, 2, 3]);
    expect(clock.now()).toBe(1500);
  });

  it.each([0, 6, 1.5])('rejects a request for %p tokens', (n) => {
    expect(() => bucket.tryRemove(n)).toThrow(RangeError);
  });

  it('validates its options', () => {
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: 0 })).toThrow(RangeError);
  });
});
