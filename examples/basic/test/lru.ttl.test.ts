import { ManualClock } from '../src/clock';
import { LruCache } from '../src/lruCache';

describe('LruCache time-to-live (manual clock)', () => {
  let clock: ManualClock;
  let expired: string[];
  let cache: LruCache<string, number>;

  beforeEach(() => {
    clock = new ManualClock(1_000);
    expired = [];
    cache = new LruCache({
      maxEntries: 10,
      ttlMs: 1000,
      now: clock.now,
      onEvict: (k, _v, reason) => reason === 'expired' && expired.push(k),
    });
  });

  it('serves an entry until its ttl has passed', () => {
    cache.set('a', 1);
    clock.advance(999);
    expect(cache.get('a')).toBe(1);
    clock.advance(1);
    expect(cache.get('a')).toBeUndefined();
    expect(expired).toEqual(['a']);
  });

  it('does not extend the ttl on read', () => {
    cache.set('a', 1);
    clock.advance(600);
    cache.get('a');
    clock.advance(600);
    expect(cache.has('a')).toBe(false);
  });

  it('restarts the ttl on write', () => {
    cache.set('a', 1);
    clock.advance(600);
    cache.set('a', 2);
    clock.advance(600);
    expect(cache.get('a')).toBe(2);
  });

  it('prunes expired entries in one sweep', () => {
    cache.set('old1', 1).set('old2', 2);
    clock.advance(500);
    cache.set('fresh', 3);
    clock.advance(500);
    expect(cache.prune()).toBe(2);
    expect(cache.keys()).toEqual(['fresh']);
    expect(expired.sort()).toEqual(['old1', 'old2']);
  });

  it('counts an expired read as a miss', () => {
    cache.set('a', 1);
    clock.advance(5000);
    cache.get('a');
    expect(cache.getStats().misses).toBe(1);
  });

  it('rejects a non-positive ttl', () => {
    expect(() => new LruCache({ maxEntries: 1, ttlMs: 0 })).toThrow(RangeError);
  });

  it('refuses to move the manual clock backwards', () => {
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});
