/**
 * The cache against the real clock, as it runs in production: entries must
 * actually expire on the wall clock, and concurrent slow loads must not be
 * needed twice once a value is cached.
 */
import { LruCache } from '../src/lruCache';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LruCache on the system clock', () => {
  it('expires entries after their ttl of wall-clock time', async () => {
    const cache = new LruCache<string, number>({ maxEntries: 10, ttlMs: 250 });
    cache.set('rate:EUR/USD', 1.0842);
    await sleep(30);
    expect(cache.get('rate:EUR/USD')).toBe(1.0842);
    await sleep(250);
    expect(cache.get('rate:EUR/USD')).toBeUndefined();
  });

  it('saves the slow load the second time', async () => {
    const cache = new LruCache<string, string>({ maxEntries: 10, ttlMs: 5_000 });
    const slowLookup = async (sku: string) => {
      await sleep(120); // a database round trip
      return `details of ${sku}`;
    };
    const t0 = Date.now();
    await cache.getOrLoad('TS-001', slowLookup);
    const cold = Date.now() - t0;
    const t1 = Date.now();
    await cache.getOrLoad('TS-001', slowLookup);
    const warm = Date.now() - t1;
    expect(cold).toBeGreaterThanOrEqual(100);
    expect(warm).toBeLessThan(50);
  });

  it('reloads after expiry', async () => {
    const cache = new LruCache<string, number>({ maxEntries: 10, ttlMs: 100 });
    let loads = 0;
    const load = async () => {
      await sleep(20);
      return ++loads;
    };
    expect(await cache.getOrLoad('k', load)).toBe(1);
    expect(await cache.getOrLoad('k', load)).toBe(1);
    await sleep(120);
    expect(await cache.getOrLoad('k', load)).toBe(2);
  });
});
